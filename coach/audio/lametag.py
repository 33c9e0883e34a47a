"""Joins MP3 parts encoded side by side into one stream, with a true Info/LAME header.

ffmpeg writes the Info frame (frame count, byte count, seek table) and the
LAME tag (encoder delay, end padding, music length and CRC) for what it
encoded itself. A track encoded as several parts (`audio.encoder`) keeps the
first part's Info frame; every field is then recomputed for the joined
stream, so players seek, trim the encoder delay and stop exactly at the
plan's last sample, as for a track encoded in one go.

A part after the first starts on the whole track's frame grid and in
silence, so its first frame (which never borrows from an earlier frame's
bit reservoir) decodes what the whole track has there: nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from coach.errors import EnvironmentProblem

LAME_TAG_CRC_SPAN = 190
"""The LAME tag's CRC covers the first 190 bytes of the Info frame."""
TOC_ENTRIES = 100
CRC_BLOCK = 512
"""Bytes per block of the side-by-side CRC (`_crc16`)."""
CHUNK_BYTES = 1 << 20
_BITRATES_KBPS = {3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 Layer III
                  2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}  # MPEG-2/2.5
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _byte_table() -> np.ndarray:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return np.array(table, dtype=np.uint16)


def _past_zeros(values: np.ndarray, count: int) -> np.ndarray:
    """Each CRC state in `values` after `count` zero bytes (a linear map)."""
    for _ in range(count):
        values = (values >> 8) ^ _TABLE[values & 0xFF]
    return values


_TABLE = _byte_table()
_PAST_TWO = _past_zeros(np.arange(1 << 16, dtype=np.uint16), 2)
"""The state after two bytes, indexed by the state xored with them as a little-endian word: the first
byte meets the state's low byte, the second its high byte, shifted down by then."""
_PAST_BLOCK_LOW = _past_zeros(np.arange(256, dtype=np.uint16), CRC_BLOCK)
_PAST_BLOCK_HIGH = _past_zeros(np.arange(256, dtype=np.uint16) << 8, CRC_BLOCK)


def samples_per_frame(rate: int) -> int:
    return 1152 if rate >= 32000 else 576


def join_parts(parts: list[Path], keep: list[int | None], out: Path, samples: int, rate: int) -> None:
    """Write `out`: the first part's Info frame, then the first `keep[i]` audio frames of each part (None: all).

    `samples` is the whole track's length, from which the end padding is set. The parts are
    streamed in chunks, so a two-hour track costs no more memory than a short one.
    """
    with open(out, "r+b") as sink:
        sink.truncate()
        offsets, crc, info = [], 0, b""
        for index, (part, count) in enumerate(zip(parts, keep)):
            with open(part, "rb") as source:
                frames = _Frames(source)
                if index == 0:  # only the first part has an Info frame (see `audio.encoder`)
                    info = frames.first()
                    sink.write(info)
                for run, starts in frames.runs(count):
                    offsets.append(sink.tell() + starts)
                    crc = _crc16(run, crc)
                    sink.write(run)
        header = bytearray(info)
        _set_totals(header, np.concatenate([np.zeros(0, np.int64), *offsets]), sink.tell(), crc, samples, rate)
        sink.seek(0)
        sink.write(header)


class _Frames:
    """The MPEG audio frames of one ffmpeg output (no ID3 tag: we never let ffmpeg write one), read in chunks.

    A track's audio frames differ only in their padding bit, so the frames of a chunk are found all
    at once by that header, and copied a chunk at a time: joining a 25-minute track took 0.1 s
    parsing and copying frame by frame, 0.03 s so.
    """

    def __init__(self, source: BinaryIO):
        self.source, self.buffer = source, b""
        self.header = self.size = None

    def first(self) -> bytes:
        """The first frame, ffmpeg's Info frame (or nothing, for an empty output). At a low bitrate
        the Info tag does not fit a frame of the track's own, and ffmpeg gives it a higher one:
        the header the audio frames share is learned after it."""
        self.buffer += self.source.read(CHUNK_BYTES)
        if not self.buffer:
            return b""
        size = _frame_size(self.buffer[:4])
        if size is None or size > len(self.buffer):
            raise _unreadable()
        info, self.buffer = self.buffer[:size], self.buffer[size:]
        return info

    def runs(self, count: int | None) -> Iterator[tuple[bytes, np.ndarray]]:
        """The next `count` frames (None: all), as chunks of whole frames with where each frame starts."""
        left = count
        while left is None or left > 0:
            if len(self.buffer) < CHUNK_BYTES:
                self.buffer += self.source.read(CHUNK_BYTES)
            if self.header is None and self.buffer:
                self._learn(self.buffer[:4])
            buffer = self.buffer
            starts, end = self._whole_frames(buffer, left)
            if not len(starts):
                if buffer:  # a frame cut off at the end
                    raise _unreadable()
                return
            self.buffer = buffer[end:]  # before yielding: the caller may take one run and stop
            if left is not None:
                left -= len(starts)
            yield buffer[:end], starts

    def _whole_frames(self, buffer: bytes, most: int | None) -> tuple[np.ndarray, int]:
        """Where each whole frame in `buffer` starts (at most `most` of them), and where the last one ends.

        Every place that holds the frame header is a candidate. Frame data can hold the same bytes by
        chance, but no frame ends there: candidates are dropped until each one is the first or where
        another ends (a chance header's own chance followers go after it). What remains must be a chain
        of frames from the start, each ending where the next one starts."""
        data = np.frombuffer(buffer, dtype=np.uint8)
        first, second, third = self.header
        starts = np.flatnonzero(data[:-3] == first)
        starts = starts[(data[starts + 1] == second) & (data[starts + 2] & 0xFD == third)]
        while True:
            ends = starts + self.size + (data[starts + 2] >> 1 & 1)
            frame_ends = np.zeros(len(data) + self.size + 2, dtype=bool)
            frame_ends[ends] = True
            kept = (starts == 0) | frame_ends[starts]
            if kept.all():
                break
            starts = starts[kept]
        if len(starts) and (starts[0] != 0 or not np.array_equal(starts[1:], ends[:-1])):
            raise _unreadable()
        whole = int(np.searchsorted(ends, len(buffer), side="right"))
        if most is not None:
            whole = min(whole, most)
        return starts[:whole], int(ends[whole - 1]) if whole else 0

    def _learn(self, header: bytes) -> None:
        """The header every frame must have (but for its padding bit), and the size of an unpadded frame."""
        size = _frame_size(header)
        if size is None:
            raise _unreadable()
        self.size = size - (header[2] >> 1 & 1)
        self.header = (header[0], header[1], header[2] & ~2)


def _unreadable() -> EnvironmentProblem:
    return EnvironmentProblem("ffmpeg wrote an MP3 this program cannot read", "install an ffmpeg built with libmp3lame")


def _frame_size(header: bytes) -> int | None:
    """Bytes in the Layer III frame that starts with `header`, or None if it is not one."""
    word = int.from_bytes(header, "big")
    if word >> 21 != 0x7FF or (word >> 17) & 3 != 1:
        return None
    version = (word >> 19) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    bitrate_index, rate_index = (word >> 12) & 15, (word >> 10) & 3
    if version == 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    kbps = _BITRATES_KBPS[3 if version == 3 else 2][bitrate_index]
    rate = _RATES[version][rate_index]
    per_frame = 144 if version == 3 else 72
    return per_frame * kbps * 1000 // rate + ((word >> 9) & 1)


def _set_totals(frame: bytearray, offsets: np.ndarray, total: int, crc: int, samples: int, rate: int) -> None:
    """Frame and byte counts, seek table, end padding, music length and CRC, and the tag's own CRC."""
    info = max(frame.find(b"Info"), frame.find(b"Xing"))
    if info < 0:
        raise EnvironmentProblem("ffmpeg wrote no Info header", "install an ffmpeg built with libmp3lame")
    flags = int.from_bytes(frame[info + 4:info + 8], "big")
    if flags & 15 != 15:
        raise EnvironmentProblem("ffmpeg wrote an Info header without counts or seek table",
                                 "install an ffmpeg built with libmp3lame")
    frame[info + 8:info + 12] = len(offsets).to_bytes(4, "big")
    frame[info + 12:info + 16] = total.to_bytes(4, "big")
    frame[info + 16:info + 116] = bytes(min(255, 256 * int(offsets[index * len(offsets) // TOC_ENTRIES]) // total)
                                        for index in range(TOC_ENTRIES))
    lame = info + 120
    delay = frame[lame + 21] << 4 | frame[lame + 22] >> 4
    padding = len(offsets) * samples_per_frame(rate) - delay - samples
    frame[lame + 22] = (frame[lame + 22] & 0xF0) | padding >> 8
    frame[lame + 23] = padding & 0xFF
    frame[lame + 28:lame + 32] = total.to_bytes(4, "big")
    frame[lame + 32:lame + 34] = crc.to_bytes(2, "big")
    frame[lame + 34:lame + 36] = b"\0\0"
    frame[lame + 34:lame + 36] = _crc16(bytes(frame[:LAME_TAG_CRC_SPAN])).to_bytes(2, "big")


def _crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC (reflected polynomial 0xA001) of `data`, going on from `crc`, as the LAME tag's checksums.

    Fast on megabytes: after the odd bytes at the head, the data is cut into equal blocks whose CRCs
    are computed side by side (numpy), two bytes a step, then chained.
    """
    head = len(data) % CRC_BLOCK
    for byte in data[:head]:
        crc = int(_TABLE[(crc ^ byte) & 0xFF]) ^ crc >> 8
    words = np.frombuffer(data, dtype="<u2", offset=head).reshape(-1, CRC_BLOCK // 2)
    crcs, index = np.zeros(len(words), dtype=np.uint16), np.empty(len(words), dtype=np.uint16)
    for column in range(CRC_BLOCK // 2 if len(words) else 0):
        np.bitwise_xor(crcs, words[:, column], out=index)
        np.take(_PAST_TWO, index, out=crcs)
    for block_crc in crcs.tolist():  # crc(A + B) = crc(A) run through len(B) zero bytes, xor crc(B)
        crc = int(_PAST_BLOCK_LOW[crc & 0xFF] ^ _PAST_BLOCK_HIGH[crc >> 8]) ^ block_crc
    return crc
