"""Clip-level audio: decode, convert, trim, level. This is pydub's place.

Every clip reaching the mixer is 16-bit mono at `SAMPLE_RATE`, starts on
its first audible sample (so a cue sounds exactly at its planned time) and
sits at a fixed loudness, so speech from any engine and any user sound mix
to a predictable track loudness. Peaks are held well below full scale so
the whole track can still be turned up to its target (see `audio.level`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coach.audio.loudness import integrated_lufs, true_peak_dbfs
from coach.limits import MAX_CLIP_SECONDS, MAX_SOUND_SECONDS, SAMPLE_RATE

SPEECH_LUFS = -16.0
SPEECH_PEAK_DBTP = -6.0
SOUND_LUFS = -20.0
SOUND_PEAK_DBTP = -10.0
TRIM_BELOW_PEAK_DB = 40
"""Leading and trailing samples quieter than this (relative to the clip's peak) are silence."""
FADE_OUT_MS = 8
MIN_AUDIBLE_MS = 10
"""A clip must sound at least this long once trimmed: shorter is a glitch, not a cue."""
LEVELLING_PASSES = 2
LIMITER_WINDOW_S = 0.005
LIMITER_MARGIN_DB = 1.0
"""The limiter works on samples; this margin leaves room for inter-sample (true) peaks."""
PROCESSING = (f"trim {TRIM_BELOW_PEAK_DB} level {SPEECH_LUFS}/{SPEECH_PEAK_DBTP} x{LEVELLING_PASSES} "
              f"limit {LIMITER_WINDOW_S}/{LIMITER_MARGIN_DB} fade {FADE_OUT_MS} rate {SAMPLE_RATE}")
"""Part of every cached clip's key: changing how clips are made never reuses old ones."""


def prepare_speech(path: Path) -> np.ndarray:
    return _prepare(path, SPEECH_LUFS, SPEECH_PEAK_DBTP, MAX_CLIP_SECONDS)


def prepare_sound(path: Path) -> np.ndarray:
    return _prepare(path, SOUND_LUFS, SOUND_PEAK_DBTP, MAX_SOUND_SECONDS)


def _prepare(path: Path, lufs: float, peak_dbtp: float, max_seconds: int) -> np.ndarray:
    """ValueError says why a file cannot be a clip: too long, silent, too short or too quiet."""
    from pydub import AudioSegment

    # A compressed file is decoded only to just past the limit, so a long one costs no more than a short
    # one. A WAV is already bounded by its size, and read whole: pydub cuts to whole milliseconds.
    compressed = path.suffix.lower() != ".wav"
    segment = AudioSegment.from_file(str(path), duration=max_seconds + 1 if compressed else None)
    if len(segment) > max_seconds * 1000:
        raise ValueError(f"it is longer than {max_seconds} s")
    segment = segment.set_channels(1).set_frame_rate(SAMPLE_RATE).set_sample_width(2)
    level = _as_float(_trimmed(segment))
    if len(level) < MIN_AUDIBLE_MS * SAMPLE_RATE // 1000:
        raise ValueError(f"it sounds for less than {MIN_AUDIBLE_MS} ms")
    for _ in range(LEVELLING_PASSES):
        loudness = integrated_lufs(level, SAMPLE_RATE)
        if loudness == float("-inf"):
            raise ValueError("it is too quiet to hear")
        level = _limited(level * _db(lufs - loudness), _db(peak_dbtp - LIMITER_MARGIN_DB))
    level *= _db(min(0.0, peak_dbtp - true_peak_dbfs(level, SAMPLE_RATE)))
    pcm = np.rint(level * 32767).astype(np.int16)
    faded = segment._spawn(pcm.tobytes()).fade_out(FADE_OUT_MS)
    return np.array(faded.get_array_of_samples(), dtype=np.int16)


def _limited(level: np.ndarray, ceiling: float) -> np.ndarray:
    """Peaks above `ceiling` turned down by a smooth gain (min-filter, then moving average).

    Every point of the averaged gain is a mean of minima that each include
    that point's own required gain, so no sample ends above the ceiling.
    """
    width = int(LIMITER_WINDOW_S * SAMPLE_RATE) | 1
    half = width // 2
    needed = np.minimum(1.0, ceiling / np.maximum(np.abs(level), 1e-12))
    padded = np.pad(needed, half, constant_values=1.0)
    floor = np.lib.stride_tricks.sliding_window_view(padded, width).min(axis=1)
    sums = np.cumsum(np.pad(floor, (half + 1, half), constant_values=1.0))
    return level * (sums[width:] - sums[:-width]) / width


def _db(decibels: float) -> float:
    return 10 ** (decibels / 20)


def _trimmed(segment):
    samples = np.abs(_as_float(segment))
    if not samples.size or samples.max() == 0:
        raise ValueError("it is silent")
    loud = np.flatnonzero(samples >= samples.max() * 10 ** (-TRIM_BELOW_PEAK_DB / 20))
    return segment.get_sample_slice(int(loud[0]), int(loud[-1]) + 1)


def _as_float(segment) -> np.ndarray:
    return np.array(segment.get_array_of_samples(), dtype=np.float64) / 32768.0
