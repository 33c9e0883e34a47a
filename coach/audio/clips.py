"""Clip-level audio: decode, convert, trim, level. This is pydub's place.

Every clip reaching the mixer is 16-bit mono at `SAMPLE_RATE`, starts on
its first audible sample (so a cue sounds exactly at its planned time) and
sits at a fixed loudness with its peaks limited (`audio.limiter`), so speech
from any engine and any user sound mix to a predictable track loudness, and
the whole track can be turned up to its target (see `audio.level`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coach.audio import limiter
from coach.limits import MAX_CLIP_SECONDS, MAX_SOUND_SECONDS, SAMPLE_RATE

SPEECH_LUFS = -16.0
SPEECH_PEAK_DBTP = -5.0
SOUND_LUFS = -16.0
SOUND_PEAK_DBTP = -5.0
"""Cue sounds as loud as speech: the breath tones fill most of a breathing session, and softer ones
would need a chapter gain that the speech's peaks cannot take. Under speech they are ducked anyway."""
TRIM_BELOW_PEAK_DB = 40
"""Leading and trailing samples quieter than this (relative to the clip's peak) are silence."""
FADE_OUT_MS = 8
MIN_AUDIBLE_MS = 10
"""A clip must sound at least this long once trimmed: shorter is a glitch, not a cue."""
LEVELLING_VERSION = 3
"""Counts the changes to how a clip's samples are computed that its constants do not show (the
limiter's search, the loudness windows): raise it with each one."""
PROCESSING = (f"trim {TRIM_BELOW_PEAK_DB} level {SPEECH_LUFS}/{SPEECH_PEAK_DBTP} sounds {SOUND_LUFS}/{SOUND_PEAK_DBTP} "
              f"levelling {LEVELLING_VERSION} limit {limiter.WINDOW_S} fade {FADE_OUT_MS} rate {SAMPLE_RATE}")
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
    level = limiter.levelled(level, lufs, peak_dbtp)
    pcm = np.rint(level * 32767).astype(np.int16)
    faded = segment._spawn(pcm.tobytes()).fade_out(FADE_OUT_MS)
    return np.array(faded.get_array_of_samples(), dtype=np.int16)


def _trimmed(segment):
    samples = np.abs(_as_float(segment))
    if not samples.size or samples.max() == 0:
        raise ValueError("it is silent")
    loud = np.flatnonzero(samples >= samples.max() * 10 ** (-TRIM_BELOW_PEAK_DB / 20))
    return segment.get_sample_slice(int(loud[0]), int(loud[-1]) + 1)


def _as_float(segment) -> np.ndarray:
    return np.array(segment.get_array_of_samples(), dtype=np.float64) / 32768.0
