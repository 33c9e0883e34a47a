"""Each chapter's loudness, summed from its clips, so one gain per chapter brings it to target.

A chapter's gain depends on its own clips only, so a live session can start
playing the first chapter before the others are synthesized, and still play
exactly what `render` encodes. Mixing twice (once to measure) would double
the render time. Clips never
overlap much (speech never overlaps speech; sounds under speech are ducked),
so the track's K-weighted energy in each 100 ms hop is, to well within a
loudness unit, the sum of the energies its clips put there.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence

import numpy as np

from coach.audio.loudness import HOPS_PER_BLOCK, gated_lufs, hop_samples, k_weighted
from coach.audio.mixer import ClipKey, chapters_of, clip_key, event_gains, mix
from coach.limits import SAMPLE_RATE
from coach.timeline import Event, Timeline

TARGET_LUFS = -16.0
PEAK_CEILING_DBTP = -1.5
"""Below the -1 dBTP delivery ceiling, leaving room for the MP3 encoder's overshoot."""
TRUE_PEAK_MARGIN_DB = 1.0
"""How far a true (inter-sample) peak may rise above the sample peak, for speech and cue sounds at 22.05 kHz."""


class ChapterGains(Sequence):
    """Each chapter's gain, measured the first time it is asked for.

    The mixer asks for a chapter's gain when it reaches the chapter, so in a
    render the measuring runs beside the encoder (on the other core) instead
    of before its first byte.
    """

    def __init__(self, timeline: Timeline, clips: Mapping[ClipKey, np.ndarray]):
        self._count = len(timeline.chapters)
        self._measured = functools.lru_cache(maxsize=None)(lambda index: chapter_gain(timeline, clips, index))

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> float:
        if not 0 <= index < self._count:
            raise IndexError(index)
        return self._measured(index)


def chapter_gain(timeline: Timeline, clips: Mapping[ClipKey, np.ndarray], index: int) -> float:
    """Linear gain of one chapter: to `TARGET_LUFS`, never pushing its true peak past the ceiling."""
    chapter = timeline.chapters[index]
    events = [(event, duck) for event, duck, where in zip(timeline.events, event_gains(timeline), chapters_of(timeline))
              if where == index]
    loudness = estimated_lufs(events, clips, chapter.start, chapter.end)
    if loudness == -math.inf:
        return 1.0
    headroom = PEAK_CEILING_DBTP - TRUE_PEAK_MARGIN_DB - _peak_dbfs(timeline, clips, index, events)
    return 10 ** (min(TARGET_LUFS - loudness, headroom) / 20)


def _peak_dbfs(timeline: Timeline, clips: Mapping[ClipKey, np.ndarray], index: int,
               events: list[tuple[Event, float]]) -> float:
    """The sample peak of the chapter's own events mixed at unit gain (its neighbours' silenced).

    Mixing is cheap next to encoding, and the real peak lets the gain reach the target where
    the worst case (every sound in phase with speech) would have held it back.
    """
    start = timeline.chapters[index].start
    stop = min(timeline.duration, max(event.start + len(clips[clip_key(event)]) for event, _ in events))
    alone = [1.0 if other == index else 0.0 for other in range(len(timeline.chapters))]
    peak = max(int(np.abs(block.astype(np.int32)).max(initial=0)) for block in mix(timeline, clips, alone, start, stop))
    return 20 * math.log10(max(peak, 1) / 32768)


def estimated_lufs(events: list[tuple[Event, float]], clips: Mapping[ClipKey, np.ndarray], start: int, end: int) -> float:
    """Loudness of samples `start` to `end` holding `events` (each with its ducking gain)."""
    hop = hop_samples(SAMPLE_RATE)
    energy = np.zeros((end - start) // hop + 1)
    running = {}
    for event, gain in events:
        key = clip_key(event)
        if key not in running:
            running[key] = _running_energy(clips[key])
        cumulative = running[key]
        length = min(len(cumulative) - 1, end - event.start)
        if length <= 0:
            continue
        offset = event.start - start
        first, last = offset // hop, (offset + length - 1) // hop
        edges = np.clip(np.arange(first, last + 2) * hop - offset, 0, length)
        energy[first:last + 1] += gain * gain * np.diff(cumulative[edges])
    hop_power = energy[:(end - start) // hop] / hop
    blocks = np.convolve(hop_power, np.full(HOPS_PER_BLOCK, 1 / HOPS_PER_BLOCK), mode="valid")
    return gated_lufs(blocks)


def _running_energy(samples: np.ndarray) -> np.ndarray:
    weighted = k_weighted(samples.astype(np.float64) / 32768.0, SAMPLE_RATE)
    return np.concatenate(([0.0], np.cumsum(weighted * weighted)))
