"""Where a track is cut into parts that encode side by side: on the frame grid, at the end of a long silence."""

from coach.audio.joins import JOIN_SILENCE, join_points

FRAME = 576


def test_cuts_fall_on_frames_after_enough_silence_near_equal_shares():
    sounding = [(0, 10_000), (40_000, 60_000), (90_000, 120_000)]
    cuts = join_points(sounding, 120_000, FRAME, parts=3)
    assert len(cuts) == 2 and all(cut % FRAME == 0 for cut in cuts)
    for cut in cuts:
        assert not any(start < cut and end > cut - JOIN_SILENCE for start, end in sounding)
    assert abs(cuts[0] - 40_000) <= FRAME and abs(cuts[1] - 80_000) <= FRAME


def test_a_track_without_a_long_silence_stays_whole():
    sounding = [(start, start + 10_000) for start in range(0, 200_000, 10_000 + JOIN_SILENCE - 1)]
    assert join_points(sounding, 200_000, FRAME, parts=4) == []


def test_overlapping_clips_cover_their_whole_span_and_parts_follow_the_length():
    sounding = [(0, 50_000), (10_000, 90_000)]
    assert join_points(sounding, 98_000, FRAME, parts=2) == []
    assert join_points([], 22050 * 600, FRAME) != [] and join_points([], 22050 * 30, FRAME) == []
