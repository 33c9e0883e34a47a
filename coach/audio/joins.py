"""Where a track may be cut into parts that encode side by side and join without a trace.

An MP3 frame is decoded from its own bits, its bit-reservoir borrowing from
earlier frames and the tail of the frame before it. A part that starts on the
whole track's frame grid, after enough digital silence, needs none of that:
its encoder starts from silence, as the whole track's would be there.
"""

from __future__ import annotations

from collections.abc import Iterable

from coach.limits import SAMPLE_RATE

JOIN_SILENCE = 8192
"""Samples of digital silence a cut must end: the encoder delay and a few frames' overlap, with room to spare."""
PART_SAMPLES = SAMPLE_RATE * 120
"""About how long each part is, at most `MAX_PARTS` of them: a track of three minutes or more is
encoded on two cores."""
MAX_PARTS = 2
"""As many parts as the machine we measure on has cores: each part costs an ffmpeg start (30 ms of a
core) and a feeding thread with its own malloc arena. On 2 cores, 2 parts render the 25-minute
default in 1.16 s warm and 1.91 s cold, 4 parts in 1.22 and 1.99 s (and 2 hours in 4.0 against 4.3 s).
The count depends on the track alone, so the same inputs give the same bytes on any machine."""


def join_points(sounding: Iterable[tuple[int, int]], length: int, frame: int, parts: int | None = None) -> list[int]:
    """Cut points splitting `length` samples into about `parts` equal parts (default: by `PART_SAMPLES`).

    `sounding` lists (start, end) of every clip in the mix; each cut is a multiple of `frame`,
    after at least `JOIN_SILENCE` samples that no clip covers, and the nearest such point to
    its share of the track. A track without such silences stays in one part.
    """
    wanted = parts if parts is not None else min(MAX_PARTS, max(1, round(length / PART_SAMPLES)))
    gaps = _silences(sorted(sounding), length)
    cuts: list[int] = []
    for index in range(1, wanted):
        target = index * length // wanted
        best = min((point for gap in gaps if (point := _nearest_cut(gap, target, frame)) is not None),
                   key=lambda point: abs(point - target), default=None)
        if best is not None and (not cuts or best > cuts[-1]) and 0 < best < length:
            cuts.append(best)
    return cuts


def _silences(sounding: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """(start, end) of every stretch no clip covers."""
    gaps, covered = [], 0
    for start, end in sounding:
        if start > covered:
            gaps.append((covered, start))
        covered = max(covered, end)
    if covered < length:
        gaps.append((covered, length))
    return gaps


def _nearest_cut(gap: tuple[int, int], target: int, frame: int) -> int | None:
    """The frame boundary in `gap` after `JOIN_SILENCE` of it, nearest to `target`; None if there is none."""
    first = -(-(gap[0] + JOIN_SILENCE) // frame) * frame
    last = gap[1] // frame * frame
    if first > last:
        return None
    return min(max(target // frame * frame, first), last)
