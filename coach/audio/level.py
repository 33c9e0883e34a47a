"""The track's loudness, summed from its clips, so one gain can bring it to target.

Mixing twice (once to measure) would double the render time. Clips never
overlap much (speech never overlaps speech; sounds under speech are ducked),
so the track's K-weighted energy in each 100 ms hop is, to well within a
loudness unit, the sum of the energies its clips put there.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from coach.audio.loudness import HOPS_PER_BLOCK, gated_lufs, hop_samples, k_weighted
from coach.audio.clips import SOUND_PEAK_DBTP, SPEECH_PEAK_DBTP
from coach.audio.mixer import DUCK_UNDER_SPEECH, ClipKey, clip_key, event_gains
from coach.limits import SAMPLE_RATE
from coach.timeline import Timeline

TARGET_LUFS = -16.0
PEAK_CEILING_DBTP = -1.5
"""Below the -1 dBTP delivery ceiling, leaving room for the MP3 encoder's overshoot."""
WORST_PEAK_DBTP = 20 * math.log10(10 ** (SPEECH_PEAK_DBTP / 20) + DUCK_UNDER_SPEECH * 10 ** (SOUND_PEAK_DBTP / 20))
"""The loudest a mix can be before the gain: a sound at full peak under speech at full peak, in phase."""


def track_gain(timeline: Timeline, clips: Mapping[ClipKey, np.ndarray]) -> float:
    """Linear gain that brings the mix to `TARGET_LUFS`, never pushing `WORST_PEAK_DBTP` past the ceiling."""
    loudness = estimated_lufs(timeline, clips)
    if loudness == -math.inf:
        return 1.0
    decibels = min(TARGET_LUFS - loudness, PEAK_CEILING_DBTP - WORST_PEAK_DBTP)
    return 10 ** (decibels / 20)


def estimated_lufs(timeline: Timeline, clips: Mapping[ClipKey, np.ndarray]) -> float:
    hop = hop_samples(SAMPLE_RATE)
    energy = np.zeros(timeline.duration // hop + 1)
    running = {key: _running_energy(samples) for key, samples in clips.items()}
    for event, gain in zip(timeline.events, event_gains(timeline.events)):
        cumulative = running[clip_key(event)]
        length = len(cumulative) - 1
        first, last = event.start // hop, (event.start + length - 1) // hop
        edges = np.clip(np.arange(first, last + 2) * hop - event.start, 0, length)
        energy[first:last + 1] += gain * gain * np.diff(cumulative[edges])
    hop_power = energy[:timeline.duration // hop] / hop
    blocks = np.convolve(hop_power, np.full(HOPS_PER_BLOCK, 1 / HOPS_PER_BLOCK), mode="valid")
    return gated_lufs(blocks)


def _running_energy(samples: np.ndarray) -> np.ndarray:
    weighted = k_weighted(samples.astype(np.float64) / 32768.0, SAMPLE_RATE)
    return np.concatenate(([0.0], np.cumsum(weighted * weighted)))
