"""The block mixer: every clip lands on its sample at its level, blocks tile the track."""

import numpy as np

from coach.audio.mixer import mix
from coach.timeline import Chapter, Event, Timeline


def event(start, length, kind="speech", content="hello"):
    return Event(start, start + length, kind, "cue", content, None, None, None, None, 1)


def timeline(events, duration):
    return Timeline("t", None, None, "t.yaml", duration, (Chapter("c", 0, duration),),
                    tuple(sorted(events, key=lambda e: e.start)), ())


def render(events, clips, duration, block=1000, gain=1.0, levels=None):
    levels = [gain] * len(events) if levels is None else levels
    return np.concatenate(list(mix(timeline(events, duration), clips, levels, block=block)))


def test_blocks_cover_exactly_the_duration_and_clips_land_on_their_sample():
    clip = np.full(700, 1000, dtype=np.int16)
    starts = [0, 999, 1000, 2345, 9300]  # on, just before and across block edges, and cut at the end
    out = render([event(s, 700) for s in starts], {("speech", "hello"): clip}, duration=9500)
    assert len(out) == 9500
    expected = np.zeros(9500)
    for start in starts:
        expected[start:start + 700] += 1000
    assert np.array_equal(out, expected[:9500])


def test_each_event_plays_at_its_own_level():
    ones = np.full(100, 10000, dtype=np.int16)
    clips = {("speech", "hello"): ones, ("sound", "chime"): ones}
    events = [event(0, 100), event(50, 100, "sound", "chime"), event(500, 100, "sound", "chime")]
    out = render(events, clips, duration=700, levels=[1.0, 0.25, 0.5])
    assert (out[10], out[60], out[550]) == (10000, 12500, 5000)


def test_gain_scales_everything_and_sums_never_wrap():
    loud = np.full(10, 30000, dtype=np.int16)
    clips = {("sound", "a"): loud, ("sound", "b"): loud}
    out = render([event(0, 10, "sound", "a"), event(0, 10, "sound", "b")], clips, duration=20, gain=0.5)
    assert out[0] == 30000
    clipped = render([event(0, 10, "sound", "a"), event(0, 10, "sound", "b")], clips, duration=20)
    assert clipped[0] == 32767  # saturates instead of wrapping to a negative value


def test_windows_that_tile_the_timeline_join_to_exactly_the_whole_mix():
    """A clip that starts in one window and sounds on into the next is cut at the edge, not lost."""
    clip = (np.arange(700, dtype=np.int16) % 50) * 20
    starts = [0, 450, 999, 1600, 2345]
    line = timeline([event(s, 700) for s in starts], 3100)
    clips = {("speech", "hello"): clip}
    whole = np.concatenate(list(mix(line, clips, [0.5] * len(starts), block=300)))
    edges = [0, 500, 1001, 1002, 2400, 3100]
    pieces = [np.concatenate(list(mix(line, clips, [0.5] * len(starts), start, stop, block=300))) for start, stop in zip(edges, edges[1:])]
    assert [len(piece) for piece in pieces] == [b - a for a, b in zip(edges, edges[1:])]
    assert np.array_equal(np.concatenate(pieces), whole)
