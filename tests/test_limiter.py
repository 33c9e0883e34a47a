"""Clip levelling with a look-ahead limiter: real espeak-ng speech comes out near its loudness with its
true peak under the ceiling, and the limiter's gain never lets a sample over."""

from __future__ import annotations

import subprocess
import wave

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from coach.audio.clips import SPEECH_LUFS, SPEECH_PEAK_DBTP
from coach.audio.limiter import _envelope, _highest_near, _running_min, levelled
from coach.audio.loudness import integrated_lufs, true_peak_dbfs

RATE = 22050


@pytest.mark.parametrize("length,width", [(1000, 67), (67, 67), (500, 1), (5001, 7)])
def test_running_min_is_the_minimum_of_each_window(length, width):
    values = np.random.default_rng(length).random(length)
    assert np.array_equal(_running_min(values, width), sliding_window_view(values, width).min(axis=1))


def test_no_limited_peak_passes_the_ceiling():
    peaks = np.abs(np.random.default_rng(3).standard_normal(RATE)) * 0.3
    assert (peaks * _envelope(_highest_near(peaks), 0.5)).max() <= 0.5 + 1e-9
    quiet = peaks * 0.1
    assert np.array_equal(_envelope(_highest_near(quiet), 0.5), np.ones(RATE))  # nothing over: untouched


@pytest.mark.parametrize("text", ["Begin.", "Lie on your back, knees bent, one hand on your chest."])
def test_espeak_speech_reaches_its_loudness_under_its_peak(tmp_path, text):
    path = tmp_path / "phrase.wav"
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    with wave.open(str(path), "rb") as source:
        raw = np.frombuffer(source.readframes(source.getnframes()), "<i2") / 32768
    assert true_peak_dbfs(raw, RATE) - integrated_lufs(raw, RATE) > 14  # raw speech is peaky
    out = levelled(raw, SPEECH_LUFS, SPEECH_PEAK_DBTP)
    assert true_peak_dbfs(out, RATE) <= SPEECH_PEAK_DBTP + 1e-4  # the meter works in single precision
    # Limiting a long phrase's loud syllables lowers its loudness too, so it may stop short of -16
    # (the chapter gain makes that up); never far short, since the ceiling is found, not guessed.
    assert SPEECH_LUFS - 1.0 <= integrated_lufs(out, RATE) <= SPEECH_LUFS + 0.05


@pytest.mark.parametrize("name,samples", [
    ("a lone click", np.r_[np.zeros(100), 1.0, np.zeros(100)]),
    ("a hum on a DC offset", 0.5 + 0.01 * np.sin(2 * np.pi * 1000 * np.arange(RATE) / RATE)),
    ("a beep on a DC offset", 0.3 + 0.2 * np.sin(2 * np.pi * 880 * np.arange(RATE) / RATE) * (np.arange(RATE) < RATE // 3)),
])
def test_a_clip_no_ceiling_brings_under_is_turned_down_instead(name, samples):
    """Limiting lowers such a clip's loudness as much as its peak: the rest is taken off the loudness,
    never leaving a clip that is not a number (which would cache as silence)."""
    out = levelled(samples, SPEECH_LUFS, SPEECH_PEAK_DBTP)
    assert np.isfinite(out).all() and np.abs(out).max() > 0
    assert true_peak_dbfs(out, RATE) <= SPEECH_PEAK_DBTP + 1e-4
    assert integrated_lufs(out, RATE) < SPEECH_LUFS


def test_a_limited_clip_lands_near_its_ceiling_not_far_under_it():
    """Each trial's best is kept, but the search goes on while the peak lies far under the ceiling."""
    rng = np.random.default_rng(7)
    voiced = np.sin(2 * np.pi * 150 * np.arange(RATE) / RATE) * 0.1 + rng.standard_normal(RATE) * 0.01
    voiced[::RATE // 20] += 0.8  # a few sharp peaks far above the rest
    out = levelled(voiced, SPEECH_LUFS, SPEECH_PEAK_DBTP)
    assert SPEECH_PEAK_DBTP - 0.3 <= true_peak_dbfs(out, RATE) <= SPEECH_PEAK_DBTP + 1e-4
    assert integrated_lufs(out, RATE) == pytest.approx(SPEECH_LUFS, abs=0.1)
