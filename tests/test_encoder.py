"""The MP3 encoder with the real ffmpeg: decoded timing, tags and chapters, determinism, atomic output."""

from __future__ import annotations

import json
import subprocess
import time

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode

from coach.audio.encoder import BITRATES_KBPS, encode_mp3, encode_mp3_parts
from coach.audio.id3 import ChapterMark, Tags, tag_length
from coach.errors import EnvironmentProblem, UsageError

RATE = 22050
BURSTS_S = (0.0, 1.0, 3.5, 7.25, 9.9)
BURST_PEAK = 12000
TAGS = Tags(title="Runner recovery ☃", artist="coach", album="coach routines", genre="Fitness",
            comment="Easy stretches; after a run = better legs")
# The long middle title makes its CHAP frame the largest: a size-sorting writer would move it last.
CHAPTERS = (ChapterMark("Warm-up", 0, 3000),
            ChapterMark("Hamstrings and calves, both sides, slowly", 3000, 7250),
            ChapterMark("Ünwind", 7250, 10000))


def bursts_pcm() -> np.ndarray:
    """10 s of silence with 50 ms 1 kHz tone bursts starting abruptly at BURSTS_S."""
    samples = np.zeros(10 * RATE, dtype=np.int16)
    tone = (BURST_PEAK * np.sin(2 * np.pi * 1000 * np.arange(RATE // 20) / RATE)).astype(np.int16)
    for second in BURSTS_S:
        start = round(second * RATE)
        samples[start:start + len(tone)] = tone
    return samples


def as_blocks(samples: np.ndarray, block: int = 4096) -> list[bytes]:
    return [samples[i:i + block].tobytes() for i in range(0, len(samples), block)]


def encode(path, samples=None, **options):
    samples = bursts_pcm() if samples is None else samples
    options = {"rate": RATE, "tags": TAGS, "chapters": CHAPTERS, **options}
    encode_mp3(as_blocks(samples), path, **options)
    return path


def decode(path) -> np.ndarray:
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(pcm, dtype=np.int16)


def onset(samples: np.ndarray, near_s: float) -> int:
    """First sample within ±100 ms of `near_s` louder than a quarter of a burst's peak (above pre-echo)."""
    low = max(0, round((near_s - 0.1) * RATE))
    window = np.abs(samples[low:round((near_s + 0.1) * RATE)].astype(np.int32))
    assert window.max() > BURST_PEAK // 4, f"no burst near {near_s} s"
    return low + int(np.argmax(window > BURST_PEAK // 4))


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    return encode(tmp_path_factory.mktemp("mp3") / "bursts.mp3")


def test_decoded_bursts_land_where_they_were_encoded(encoded):
    original, decoded = bursts_pcm(), decode(encoded)
    errors_ms = [(onset(decoded, s) - onset(original, s)) * 1000 / RATE for s in BURSTS_S]
    assert all(abs(error) <= 2 for error in errors_ms), errors_ms


def test_decoded_length_is_the_input_length(encoded):
    # The Info header's delay and padding let ffmpeg trim exactly; allow ±2 ms for other decoders' rounding.
    assert abs(len(decode(encoded)) - 10 * RATE) <= RATE * 2 // 1000


def test_mutagen_reads_v23_tags_and_chapters_in_order(encoded):
    tag = ID3(encoded)
    assert tag.version == (2, 3, 0)
    assert (tag["TIT2"].text, tag["TPE1"].text, tag["TALB"].text, tag["TCON"].text) == (
        [TAGS.title], [TAGS.artist], [TAGS.album], [TAGS.genre])
    assert [frame.text for frame in tag.getall("COMM")] == [[TAGS.comment]]
    (toc,) = tag.getall("CTOC")
    assert toc.flags == 3  # top level, ordered
    chaps = {chap.element_id: chap for chap in tag.getall("CHAP")}
    assert [(chaps[i].sub_frames["TIT2"].text[0], chaps[i].start_time, chaps[i].end_time)
            for i in toc.child_element_ids] == [(c.title, c.start_ms, c.end_ms) for c in CHAPTERS]


def test_chap_frames_are_stored_in_chapter_order(encoded):
    # Readers like ffmpeg list CHAP frames in file order, ignoring the CTOC.
    head = encoded.read_bytes()[:ID3(encoded).size]
    positions = [head.index(c.title.encode("latin-1")) for c in CHAPTERS]
    assert positions == sorted(positions)


def test_ffprobe_lists_chapters_in_order_with_times(encoded):
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-show_format", "-of", "json",
                                       str(encoded)], check=True, capture_output=True, text=True).stdout)
    listed = probe["chapters"]
    assert [c["tags"]["title"] for c in listed] == [c.title for c in CHAPTERS]
    assert [float(c[edge]) for c in listed for edge in ("start_time", "end_time")] == \
        pytest.approx([ms / 1000 for c in CHAPTERS for ms in (c.start_ms, c.end_ms)], abs=0.001)
    assert probe["format"]["tags"]["comment"] == TAGS.comment


def test_audio_frames_start_right_after_the_tag_with_the_info_header(encoded):
    data = encoded.read_bytes()
    audio = data[ID3(encoded).size:]
    assert audio[:2] == b"\xff\xf3"  # MPEG-2 layer III frame sync: no gap or padding after the tag
    assert b"Info" in audio[:64]


def test_same_input_gives_identical_bytes(tmp_path, encoded):
    assert encode(tmp_path / "again.mp3").read_bytes() == encoded.read_bytes()


def test_constant_bitrate_at_the_chosen_rate(tmp_path, encoded):
    info = MP3(encoded).info
    assert (info.bitrate_mode, info.bitrate, info.sample_rate, info.channels) == (BitrateMode.CBR, 64000, RATE, 1)
    assert MP3(encode(tmp_path / "96.mp3", bitrate_kbps=96)).info.bitrate == 96000


def test_a_bitrate_mp3_cannot_have_is_refused(tmp_path):
    with pytest.raises(UsageError, match="cannot be 320 kbps"):
        encode(tmp_path / "x.mp3", bitrate_kbps=320)
    assert list(tmp_path.iterdir()) == []


def test_interrupt_mid_stream_leaves_the_old_file_and_no_temp_files(tmp_path):
    path = tmp_path / "track.mp3"
    path.write_bytes(b"the previous render")
    blocks = as_blocks(bursts_pcm())

    def interrupted():
        yield from blocks[:len(blocks) // 2]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        encode_mp3(interrupted(), path, rate=RATE, tags=TAGS, chapters=CHAPTERS)
    assert [p.name for p in tmp_path.iterdir()] == ["track.mp3"]
    assert path.read_bytes() == b"the previous render"


def test_interrupt_with_no_previous_file_leaves_nothing(tmp_path):
    def interrupted():
        yield bytes(8192)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        encode_mp3(interrupted(), tmp_path / "track.mp3", rate=RATE, tags=TAGS, chapters=CHAPTERS)
    assert list(tmp_path.iterdir()) == []


def test_progress_counts_every_byte(tmp_path):
    seen = []
    encode(tmp_path / "x.mp3", on_block=seen.append)
    assert sum(seen) == 10 * RATE * 2


def test_unwritable_folder_is_an_environment_problem(tmp_path):
    # Tests run as root, where chmod does not stop writes: a parent that is a file does.
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(EnvironmentProblem, match="cannot write in") as raised:
        encode(tmp_path / "file" / "track.mp3")
    assert "-o" in raised.value.fix


def test_missing_ffmpeg_is_an_environment_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EnvironmentProblem, match="ffmpeg is not installed") as raised:
        encode(tmp_path / "track.mp3")
    assert "apt-get install ffmpeg" in raised.value.fix


def test_ffmpeg_failing_early_is_reported_not_a_deadlock(tmp_path, monkeypatch):
    # A stand-in ffmpeg that complains and exits without reading: our writes hit a broken pipe.
    fake = tmp_path / "bin" / "ffmpeg"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'warming up' >&2\necho 'Unknown encoder libmp3lame' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(EnvironmentProblem, match="ffmpeg could not encode the MP3: Unknown encoder libmp3lame$"):
        encode(out / "track.mp3", samples=np.zeros(60 * RATE, dtype=np.int16))
    assert list(out.iterdir()) == []


def test_retagging_keeps_the_audio_frames_and_gives_what_a_new_encode_would(tmp_path):
    from coach.audio.encoder import retag_mp3

    samples = (np.sin(np.arange(RATE) / 5) * 8000).astype("<i2").tobytes()
    first, second = tmp_path / "first.mp3", tmp_path / "second.mp3"
    encode_mp3([samples], first, rate=RATE, tags=TAGS, chapters=CHAPTERS)
    retitled = Tags("Another title", "coach", None, None, None, key="k")
    encode_mp3([samples], second, rate=RATE, tags=retitled, chapters=CHAPTERS[:1])
    retag_mp3(first, retitled, CHAPTERS[:1])
    assert first.read_bytes() == second.read_bytes()
    assert ID3(first)["TIT2"].text == ["Another title"]


def slow_crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def lame_fields(path) -> dict:
    """The Info/LAME header's counts and checksums, read by hand, and what the file really holds."""
    data = path.read_bytes()
    data = data[tag_length(data[:10]):]
    info = data.find(b"Info")
    lame = info + 120
    first_frame = 72 * 64000 // RATE + (data[2] >> 1 & 1)
    return {"frames": int.from_bytes(data[info + 8:info + 12], "big"), "bytes": int.from_bytes(data[info + 12:info + 16], "big"),
            "music length": int.from_bytes(data[lame + 28:lame + 32], "big"),
            "music crc": int.from_bytes(data[lame + 32:lame + 34], "big"),
            "tag crc": int.from_bytes(data[lame + 34:lame + 36], "big"),
            "real bytes": len(data), "real music crc": slow_crc16(data[first_frame:]),
            "real tag crc": slow_crc16(data[:lame + 34] + b"\0\0" + data[lame + 36:190]),
            "real frames": len(audio_frames(data[first_frame:]))}


def audio_frames(data: bytes) -> list[int]:
    """Offsets of the 64 kbps MPEG-2 Layer III frames in `data`, read by their headers' padding bits."""
    offsets, at = [], 0
    while at < len(data):
        assert data[at] == 0xFF and data[at + 1] & 0xE0 == 0xE0, f"no frame at {at}"
        offsets.append(at)
        at += 72 * 64000 // RATE + (data[at + 2] >> 1 & 1)
    assert at == len(data)
    return offsets


def test_parts_encoded_side_by_side_join_into_the_same_track(tmp_path):
    """Cut on the frame grid, inside silence: decoded length exact, every burst within 2 ms of the one-part encode."""
    samples = bursts_pcm()
    cuts = [576 * 30, 576 * 100, 576 * 160]  # 0.78 s, 2.6 s and 4.2 s: each after >= 8192 silent samples
    for cut in cuts:
        assert not samples[cut - 8192:cut].any()
    parts = [as_blocks(part) for part in np.split(samples, cuts)]
    joined = tmp_path / "joined.mp3"
    encode_mp3_parts(parts, joined, rate=RATE, tags=TAGS, chapters=CHAPTERS)
    whole, pcm = decode(encode(tmp_path / "whole.mp3")), decode(joined)
    assert len(pcm) == len(samples) == len(whole)
    for second in BURSTS_S:
        assert abs(onset(pcm, second) - onset(whole, second)) <= RATE * 0.002
        assert abs(onset(pcm, second) - round(second * RATE)) <= RATE * 0.002


@pytest.mark.parametrize("kbps", BITRATES_KBPS[RATE])
def test_parts_join_at_every_bitrate(tmp_path, kbps):
    """Below 56 kbps ffmpeg's Info frame has a higher bitrate than the audio frames after it."""
    samples = bursts_pcm()
    joined = tmp_path / "joined.mp3"
    encode_mp3_parts([as_blocks(part) for part in np.split(samples, [576 * 100])], joined, rate=RATE, tags=TAGS,
                     chapters=CHAPTERS, bitrate_kbps=kbps)
    assert len(decode(joined)) == len(samples)


def test_the_joined_info_header_counts_every_frame_and_checksums_every_byte(tmp_path):
    samples = bursts_pcm()
    joined = tmp_path / "joined.mp3"
    encode_mp3_parts([as_blocks(part) for part in np.split(samples, [576 * 100])], joined, rate=RATE, tags=TAGS,
                     chapters=CHAPTERS)
    fields = lame_fields(joined)
    assert fields["frames"] == fields["real frames"]
    assert fields["bytes"] == fields["music length"] == fields["real bytes"]
    assert fields["music crc"] == fields["real music crc"] and fields["tag crc"] == fields["real tag crc"]


def test_frame_data_that_holds_the_frame_header_is_not_taken_for_a_frame(tmp_path):
    """Audio data holds a header's bytes by chance now and then (about once in a 25-minute track)."""
    import io

    from coach.audio.lametag import _Frames

    def frame_starts(stream: bytes) -> tuple[int, list[int]]:
        """Where the audio frames begin (after the Info frame), and each one's start from there."""
        frames = _Frames(io.BytesIO(stream))
        audio = len(frames.first())
        return audio, [int(start) for _, starts in frames.runs(None) for start in starts]

    track = encode(tmp_path / "x.mp3").read_bytes()
    stream = track[tag_length(track[:10]):]
    audio, starts = frame_starts(stream)
    assert len(starts) > 300 and starts[0] == 0
    header = stream[audio + starts[1]:audio + starts[1] + 3]
    size = starts[2] - starts[1]  # the size of a frame with that header
    for count in (1, 2, 3):  # one chance header, or chance headers a frame apart
        forged = bytearray(stream)
        for number in range(count):
            inside = audio + starts[len(starts) // 2] + 20 + number * size  # in frame data, a frame apart
            forged[inside:inside + 3] = header
        assert frame_starts(bytes(forged)) == (audio, starts)


def test_a_part_that_is_not_whole_frames_is_refused(tmp_path):
    samples = bursts_pcm()
    with pytest.raises(ValueError):
        encode_mp3_parts([as_blocks(samples[:1000]), as_blocks(samples[1000:])], tmp_path / "x.mp3", rate=RATE,
                         tags=TAGS, chapters=CHAPTERS)
    assert list(tmp_path.iterdir()) == []


def test_a_part_that_fails_beside_the_first_stops_the_whole_encode_at_once(tmp_path):
    """The failure surfaces while the first part is still being fed, and nothing is left behind."""
    fed = []

    def first_part():
        for _ in range(3000):
            fed.append(1)
            time.sleep(0.001)
            yield bytes(576 * 2)

    def failing_part():
        yield bytes(576 * 2)
        raise ValueError("the mixer broke")

    with pytest.raises(ValueError, match="the mixer broke"):
        encode_mp3_parts([first_part(), failing_part()], tmp_path / "x.mp3", rate=RATE, tags=TAGS, chapters=CHAPTERS)
    assert len(fed) < 1000
    assert list(tmp_path.iterdir()) == []
