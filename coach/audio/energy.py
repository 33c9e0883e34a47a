"""Each clip's K-weighted energy, summed along the clip, so the energy of any stretch of it is one subtraction.

The track gain (`audio.level`) and the ducking of sounds under speech (`audio.ducking`) both read
loudness from the clips instead of from the mixed track, each clip weighted once per render or session.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from coach.audio.loudness import k_weighted
from coach.limits import SAMPLE_RATE


class ClipEnergy:
    """Cumulative K-weighted energy of each clip by its key, made on first use; a clip of n samples
    gives n + 1 values, starting at 0, in units of full scale squared.

    Summed in double precision, kept in single: these are most of a render's memory (every clip's,
    all render long), and a 100 ms stretch of a phrase still reads to a millionth of its energy
    (of a minute-long sound, to a twenty-thousandth)."""

    def __init__(self, clips: Mapping):
        self.clips = clips
        self._made: dict = {}

    def __call__(self, key) -> np.ndarray:
        if key not in self._made:
            weighted = k_weighted(self.clips[key].astype(np.float64) / 32768.0, SAMPLE_RATE)
            self._made[key] = np.concatenate(([0.0], np.cumsum(weighted * weighted))).astype(np.float32)
        return self._made[key]
