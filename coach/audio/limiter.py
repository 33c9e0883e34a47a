"""Brings a clip to a loudness with its true peak under a ceiling, by limiting its peaks.

Every clip leaves here with the same loudness and at most the same
peak-to-loudness ratio, so a track mixed from them can be turned up to its
target loudness without its peaks passing the delivery ceiling (see
`audio.level`). Raw speech is peaky (espeak-ng's voice peaks 15-18 dB above
its loudness); scaling it down to fit would leave it quiet, so its
loudest moments are turned down instead, by a gain that is smooth over a few
milliseconds and reaches each peak before the peak does (look-ahead).
"""

from __future__ import annotations

import numpy as np

from coach.audio.loudness import integrated_lufs, true_peak_dbfs
from coach.limits import SAMPLE_RATE

WINDOW_S = 0.003
"""The limiter's gain falls over this long before a peak and recovers over as long after it. Shorter
than a voice's pitch period, so it turns down single glottal peaks rather than whole syllables (which
would lower the loudness as much as the peaks)."""
PASSES = 4
"""Rounds of limit, relevel, measure at most."""
CONVERGED_DB = 0.05


def levelled(samples: np.ndarray, lufs: float, peak_dbtp: float) -> np.ndarray:
    """`samples` (float, full scale 1) at `lufs` integrated with a true peak of at most `peak_dbtp`.

    The limiter's ceiling is found by the secant method on how far the relevelled true peak rises
    over `peak_dbtp` (two or three rounds for speech). Where `PASSES` rounds do not get there, the
    rest is taken off the loudness, so the ceiling always holds. ValueError for a clip too quiet to measure.
    """
    start = _at(samples, lufs)
    out, over = start, _over(start, peak_dbtp)
    tried = [(peak_dbtp + over, over)]  # no limiting is a ceiling at the clip's own peak
    ceiling = peak_dbtp
    for _ in range(PASSES):
        if over <= CONVERGED_DB:
            break
        out = _at(limited(start, _gain(ceiling)), lufs)
        over = _over(out, peak_dbtp)
        tried.append((ceiling, over))
        (c0, f0), (c1, f1) = tried[-2:]
        slope = (f1 - f0) / (c1 - c0) if c1 != c0 else 1.0
        ceiling = c1 - (f1 + CONVERGED_DB / 2) / slope if slope > 0.1 else c1 - f1
    return out * _gain(min(0.0, -over))


def _over(samples: np.ndarray, peak_dbtp: float) -> float:
    return true_peak_dbfs(samples, SAMPLE_RATE) - peak_dbtp


def limited(samples: np.ndarray, ceiling: float) -> np.ndarray:
    """Samples above `ceiling` turned down by a smooth gain (a minimum filter, then a moving average).

    Every point of the averaged gain is a mean of minima that each include
    that point's own required gain, so no sample ends above the ceiling.
    """
    width = int(WINDOW_S * SAMPLE_RATE) | 1
    half = width // 2
    needed = np.minimum(1.0, ceiling / np.maximum(np.abs(samples), 1e-12))
    # Minima reach half a window past each end, so the ends are averaged over minima too.
    floor = _running_min(np.pad(needed, 2 * half, constant_values=1.0), width)
    sums = np.concatenate(([0.0], np.cumsum(floor)))
    return samples * (sums[width:] - sums[:-width]) / width


def _running_min(values: np.ndarray, width: int) -> np.ndarray:
    """Minimum of each `width` consecutive values (van Herk / Gil-Werman: O(n), whatever the width)."""
    count = len(values) - width + 1
    blocks = -(-len(values) // width)
    padded = np.pad(values, (0, blocks * width - len(values)), constant_values=np.inf).reshape(blocks, width)
    ahead = np.minimum.accumulate(padded, axis=1).ravel()
    behind = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(behind[:count], ahead[width - 1:width - 1 + count])


def _at(samples: np.ndarray, lufs: float) -> np.ndarray:
    loudness = integrated_lufs(samples, SAMPLE_RATE)
    if loudness == float("-inf"):
        raise ValueError("it is too quiet to hear")
    return samples * _gain(lufs - loudness)


def _gain(decibels: float) -> float:
    return 10 ** (decibels / 20)
