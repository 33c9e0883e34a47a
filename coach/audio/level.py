"""Each event's level in the mix: its chapter's gain, which brings the chapter to the target loudness,
times its duck (`audio.ducking`).

A chapter's levels depend on its own clips only, so a live session can start
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

from coach.audio.ducking import chapter_ducks
from coach.audio.energy import ClipEnergy
from coach.audio.loudness import HOPS_PER_BLOCK, gated_lufs, hop_samples
from coach.audio.mixer import ClipKey, chapters_of, clip_key, mix
from coach.limits import SAMPLE_RATE
from coach.timeline import Timeline

TARGET_LUFS = -16.0
ENCODER_GAIN_DB = -0.45
"""libmp3lame's output decodes this much below its input, at every bitrate and rate we offer (measured
on a 1 kHz sine and on mixed speech alike, evenly across the spectrum): the mix aims that much higher."""
PEAK_CEILING_DBTP = -1.5
"""Below the -1 dBTP delivery ceiling, leaving room for the MP3 encoder's overshoot."""
TRUE_PEAK_MARGIN_DB = 0.5
"""How far a true (inter-sample) peak may rise above the sample peak, for speech and cue sounds at 22.05 kHz."""


class EventLevels(Sequence):
    """Each event's level, its chapter measured the first time one of its events is asked for.

    The mixer asks for an event's level when it first sounds, so in a render
    the measuring runs beside the encoder (on the other core) instead of
    before its first byte. The parts of a render mix in threads of their own:
    two may measure the same chapter at once, to the same result, which costs
    less than a lock each would wait on.
    """

    def __init__(self, timeline: Timeline, clips: Mapping[ClipKey, np.ndarray], ahead: LevelsAhead | None = None):
        """`ahead`: what was measured while the timeline was placed (its chapters, its clips' energy)."""
        self._chapter_of = chapters_of(timeline)
        ahead = ahead or LevelsAhead()
        energy = ahead.energy_of(clips)
        self._measured = functools.lru_cache(maxsize=None)(
            lambda index: ahead.measured[index] if index in ahead.measured
            else chapter_levels(timeline, clips, index, energy))

    def __len__(self) -> int:
        return len(self._chapter_of)

    def __getitem__(self, index: int) -> float:
        return self._measured(self._chapter_of[index])[index]


class LevelsAhead:
    """Measures each chapter as it is placed, while the synthesis workers still make later clips (the
    `while_waiting` of `exact.exact_timeline`): this process would only wait there, and the encoders,
    which otherwise wait on the measuring of the chapters they start in, find them measured. The
    `EventLevels` of the finished timeline take them, and the clips' energy, from here."""

    def __init__(self):
        self.measured: dict[int, dict[int, float]] = {}
        self._clips: dict[ClipKey, np.ndarray] = {}
        self._energy = ClipEnergy(self._clips)

    def __call__(self, timeline: Timeline, clips: Mapping[ClipKey, np.ndarray]) -> None:
        """Measure the last chapter of `timeline` (the chapters placed so far)."""
        index = len(timeline.chapters) - 1
        self.measured[index] = chapter_levels(timeline, clips, index, self.energy_of(clips))

    def energy_of(self, clips: Mapping[ClipKey, np.ndarray]) -> ClipEnergy:
        """The energy of `clips`, each clip weighted once for the whole render."""
        self._clips.update(clips)
        return self._energy


def chapter_levels(timeline: Timeline, clips: Mapping[ClipKey, np.ndarray], index: int,
                   energy: ClipEnergy) -> dict[int, float]:
    """The level of each event of chapter `index` (by event index): the chapter brought to `TARGET_LUFS`,
    never pushing its true peak past the ceiling."""
    chapter = timeline.chapters[index]
    events = [number for number, where in enumerate(chapters_of(timeline)) if where == index]
    ducks = chapter_ducks(timeline, clips, energy, events, chapter.end)
    loudness = estimated_lufs(timeline, ducks, energy, chapter.start, chapter.end)
    if loudness == -math.inf:
        return ducks
    headroom = PEAK_CEILING_DBTP - ENCODER_GAIN_DB - TRUE_PEAK_MARGIN_DB - _peak_dbfs(timeline, clips, ducks, index)
    gain = 10 ** (min(TARGET_LUFS - ENCODER_GAIN_DB - loudness, headroom) / 20)
    return {number: gain * duck for number, duck in ducks.items()}


def _peak_dbfs(timeline: Timeline, clips: Mapping[ClipKey, np.ndarray], ducks: dict[int, float], index: int) -> float:
    """The sample peak of the chapter's own events mixed at unit gain (its neighbours' silenced), to
    their ends: the same whether the chapters after it are placed yet or not (`LevelsAhead`).

    Mixing is cheap next to encoding, and the real peak lets the gain reach the target where
    the worst case (every sound in phase with speech) would have held it back.
    """
    start = timeline.chapters[index].start
    events = timeline.events
    stop = max(events[number].start + len(clips[clip_key(events[number])]) for number in ducks)
    alone = [ducks.get(number, 0.0) for number in range(len(events))]
    peak = max(int(np.abs(block.astype(np.int32)).max(initial=0)) for block in mix(timeline, clips, alone, start, stop))
    return 20 * math.log10(max(peak, 1) / 32768)


def estimated_lufs(timeline: Timeline, ducks: dict[int, float], energy: ClipEnergy, start: int, end: int) -> float:
    """Loudness of samples `start` to `end` holding the events `ducks` names (each at its duck)."""
    hop = hop_samples(SAMPLE_RATE)
    power = np.zeros((end - start) // hop + 1)
    for number, gain in ducks.items():
        event = timeline.events[number]
        cumulative = energy(clip_key(event))
        length = min(len(cumulative) - 1, end - event.start)
        if length <= 0:
            continue
        offset = event.start - start
        first, last = offset // hop, (offset + length - 1) // hop
        edges = np.clip(np.arange(first, last + 2) * hop - offset, 0, length)
        power[first:last + 1] += gain * gain * np.diff(cumulative[edges])
    hop_power = power[:(end - start) // hop] / hop
    blocks = np.convolve(hop_power, np.full(HOPS_PER_BLOCK, 1 / HOPS_PER_BLOCK), mode="valid")
    return gated_lufs(blocks)
