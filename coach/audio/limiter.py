"""Brings a clip to a loudness with its true peak under a ceiling, by limiting its peaks.

Every clip leaves here with the same loudness and at most the same
peak-to-loudness ratio, so a track mixed from them can be turned up to its
target loudness without its peaks passing the delivery ceiling (see
`audio.level`). Raw speech is peaky (espeak-ng's voice peaks 15-18 dB above
its loudness); scaling it down to fit would leave it quiet, so its
loudest moments are turned down instead, by a gain that is smooth over a few
milliseconds and reaches each peak before the peak does (look-ahead).

The clip is K-weighted and oversampled once. The limiter's gain varies
slowly next to the signal, so each trial ceiling is measured on those
(weighted signal times gain, oversampled signal times interpolated gain) for
the cost of a few passes over the samples, where measuring the limited clip
afresh would take two FFTs; the result is measured exactly once, at the end.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from coach.audio.loudness import OVERSAMPLING, k_weighted, oversampled, true_peak_dbfs, weighted_lufs
from coach.limits import SAMPLE_RATE

WINDOW_S = 0.003
"""The limiter's gain falls over this long before a peak and recovers over as long after it. Shorter
than a voice's pitch period, so it turns down single glottal peaks rather than whole syllables (which
would lower the loudness as much as the peaks)."""
_WIDTH = int(WINDOW_S * SAMPLE_RATE) | 1
PASSES = 8
"""Trial ceilings at most (one to three for speech)."""
CONVERGED_DB = 0.05
UNDERSHOOT_DB = 0.25
"""A trial whose true peak lands this far under the wanted one is kept: a quarter decibel more
limiting than needed is not heard, and searching on costs another trial."""
FIRST_TRIAL_SHARE = 0.6
"""The first trial ceiling lies this share of the clip's excess peak under the wanted peak: limiting
lowers the loudness too, so the relevelled peak rises again by about 40% of what the ceiling took.
Speech then needs 2.1 trials a phrase (3.6 starting from the wanted peak itself)."""
_STEPS = np.arange(OVERSAMPLING) / OVERSAMPLING
_CANDIDATE_DB = -3.0
"""A trial's true peak is sought among the points this close to its ceiling or above: the limiter
brings the loudest of them to the ceiling, so no quieter point can be the peak."""


def levelled(samples: np.ndarray, lufs: float, peak_dbtp: float) -> np.ndarray:
    """`samples` (float, full scale 1) at `lufs` integrated with a true peak of at most `peak_dbtp`.

    The limiter's ceiling is found by the secant method on how far the relevelled true peak rises
    over `peak_dbtp`, and the best trial kept. Whatever is left over at the end (the trials' small
    measuring error, or a clip no ceiling brings under, such as a click or a sound on a DC offset)
    is taken off the loudness, so the ceiling always holds. ValueError for a clip too quiet to measure.
    """
    clip = _Clip(samples, lufs)
    best = _Trial(1.0, 1.0, clip.peak_db - peak_dbtp)  # no limiting: a ceiling at the clip's own peak
    if best.over <= CONVERGED_DB:  # its true peak is already measured, on these very samples
        return clip.samples * _gain(min(0.0, -best.over))
    tried = [(clip.peak_db, best.over)]
    ceiling = max(lufs, peak_dbtp - FIRST_TRIAL_SHARE * best.over)  # under its loudness, nothing is left
    for _ in range(PASSES):
        trial = clip.limited_at(ceiling, peak_dbtp)
        if trial is None:
            break
        best = min(best, trial, key=_Trial.cost)
        if -UNDERSHOOT_DB <= trial.over <= CONVERGED_DB:
            break
        tried.append((ceiling, trial.over))
        (c0, f0), (c1, f1) = tried[-2:]
        slope = (f1 - f0) / (c1 - c0) if c1 != c0 else 1.0
        ceiling = max(lufs, c1 - (f1 + CONVERGED_DB / 2) / slope if slope > 0.1 else c1 - f1)
        if ceiling == c1 or not math.isfinite(ceiling):
            break
    out = clip.samples * best.envelope * best.gain
    return out * _gain(min(0.0, peak_dbtp - true_peak_dbfs(out, SAMPLE_RATE)))


class _Trial(NamedTuple):
    """One ceiling tried: the limiter's gain, the gain back to the loudness, how far the true peak
    then lies over the wanted one (dB)."""

    envelope: np.ndarray | float
    gain: float
    over: float

    def cost(self) -> tuple[float, float]:
        """Loudness the final correction will take off, then limiting beyond what was needed."""
        return max(self.over, 0.0), -self.over


class _Clip:
    """A clip brought to `lufs`, with what every trial ceiling is measured on."""

    def __init__(self, samples: np.ndarray, lufs: float):
        weighted = k_weighted(samples, SAMPLE_RATE)
        loudness = weighted_lufs(weighted, SAMPLE_RATE)
        if loudness == -math.inf:
            raise ValueError("it is too quiet to hear")
        scale = _gain(lufs - loudness)
        self.lufs = lufs
        self.samples, self.weighted = samples * scale, weighted * scale
        self.points = np.abs(oversampled(self.samples)).reshape(-1, OVERSAMPLING)
        # The highest point from each sample up to the next: what the gain at that sample must bring down.
        columns = [self.points[:, column] for column in range(OVERSAMPLING)]
        self.peaks = np.maximum(functools.reduce(np.maximum, columns), np.append(columns[0][1:], 0.0))
        self.highest = _highest_near(self.peaks)

    @property
    def peak_db(self) -> float:
        """The true peak in dBFS with no limiting."""
        return 20 * math.log10(float(self.peaks.max()))

    def limited_at(self, ceiling_db: float, peak_dbtp: float) -> _Trial | None:
        """The trial of `ceiling_db`; None if limiting that far leaves the clip too quiet to measure."""
        ceiling = _gain(ceiling_db)
        envelope = _envelope(self.highest, ceiling)
        loudness = weighted_lufs(self.weighted * envelope, SAMPLE_RATE)
        if not math.isfinite(loudness):
            return None
        gain = _gain(self.lufs - loudness)
        return _Trial(envelope, gain, 20 * math.log10(self._peak(envelope, ceiling) * gain) - peak_dbtp)

    def _peak(self, envelope: np.ndarray, ceiling: float) -> float:
        """The true peak limited by `envelope`: the oversampled points times the gain interpolated
        between samples, sought where the limiter acted (no other point can be higher)."""
        floor = ceiling * _gain(_CANDIDATE_DB)
        loud = np.flatnonzero(self.peaks >= floor)
        start, end = envelope[loud], envelope[np.minimum(loud + 1, len(envelope) - 1)]
        limited = self.points[loud] * (start[:, None] + (end - start)[:, None] * _STEPS)
        return max(float(limited.max(initial=0.0)), floor)


def _highest_near(peaks: np.ndarray) -> np.ndarray:
    """The highest of `peaks` within half the limiter's window of each sample, and half a window past
    each end (so the ends are averaged over minima too in `_envelope`)."""
    half = _WIDTH // 2
    return -_running_min(np.pad(-peaks, 2 * half), _WIDTH)


def _envelope(highest: np.ndarray, ceiling: float) -> np.ndarray:
    """A smooth gain that brings every peak to at most `ceiling`, from `_highest_near` the peaks: the
    smallest gain each sample's window needs, averaged over a window.

    Every point of the averaged gain is a mean of minima that each include
    that point's own required gain, so no peak ends above the ceiling.
    """
    floor = np.minimum(1.0, ceiling / np.maximum(highest, 1e-12))
    sums = np.concatenate(([0.0], np.cumsum(floor)))
    return (sums[_WIDTH:] - sums[:-_WIDTH]) / _WIDTH


def _running_min(values: np.ndarray, width: int) -> np.ndarray:
    """Minimum of each `width` consecutive values (van Herk / Gil-Werman: O(n), whatever the width)."""
    count = len(values) - width + 1
    blocks = -(-len(values) // width)
    padded = np.pad(values, (0, blocks * width - len(values)), constant_values=np.inf).reshape(blocks, width)
    ahead = np.minimum.accumulate(padded, axis=1).ravel()
    behind = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(behind[:count], ahead[width - 1:width - 1 + count])


def _gain(decibels: float) -> float:
    return 10 ** (decibels / 20)
