"""`coach.audio.loudness` against ffmpeg's independent `ebur128` filter, plus the
BS.1770 properties ffmpeg cannot show: gating, silence, word-length clips and
inter-sample peaks."""

from __future__ import annotations

import math
import re
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from coach.audio.loudness import integrated_lufs, true_peak_dbfs

RATE = 22050
PHRASE = "Lie on your back, knees bent, one hand on your chest."
LOUDNESS_TOLERANCE_LU = 0.3
PEAK_TOLERANCE_DB = 0.3

def write_wav(path: Path, samples: np.ndarray, rate: int) -> np.ndarray:
    """Write 16-bit mono PCM; return the samples as ffmpeg will decode them, so both meters read the same signal."""
    ints = np.round(np.clip(samples, -1, 32767 / 32768) * 32768).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(ints.tobytes())
    return ints / 32768


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as source:
        assert (source.getnchannels(), source.getsampwidth()) == (1, 2)
        return np.frombuffer(source.readframes(source.getnframes()), "<i2") / 32768, source.getframerate()


def ffmpeg_ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBFS) from the Summary that ffmpeg prints on stderr."""
    run = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    summary = run.stderr.rsplit("Summary:", 1)[1]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    return float(integrated.group(1)), float(peak.group(1))


def tone(seconds: float, rate: int = RATE, dbfs: float = -20.0, hz: float = 1000.0) -> np.ndarray:
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * hz * np.arange(round(seconds * rate)) / rate)


def pink_noise(seconds: float, rate: int) -> np.ndarray:
    """Deterministic noise with a 1/f power spectrum at an RMS of -20 dBFS."""
    white = np.random.default_rng(20240611).standard_normal(round(seconds * rate))
    spectrum = np.fft.rfft(white)
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(len(white), 1 / rate), 20.0))
    pink = np.fft.irfft(spectrum, len(white))
    return pink * 0.1 / np.sqrt(np.mean(pink**2))


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> tuple[Path, np.ndarray, int]:
    path = tmp_path_factory.mktemp("speech") / "phrase.wav"
    subprocess.run(["espeak-ng", "-w", str(path), PHRASE], check=True)
    samples, rate = read_wav(path)
    return path, samples, rate


def assert_matches_ffmpeg(path: Path, samples: np.ndarray, rate: int) -> None:
    reference_lufs, reference_peak = ffmpeg_ebur128(path)
    assert integrated_lufs(samples, rate) == pytest.approx(reference_lufs, abs=LOUDNESS_TOLERANCE_LU)
    assert true_peak_dbfs(samples, rate) == pytest.approx(reference_peak, abs=PEAK_TOLERANCE_DB)


def test_sine_matches_ffmpeg_and_reads_its_rms_level(tmp_path):
    samples = write_wav(tmp_path / "tone.wav", tone(5.0), RATE)
    assert integrated_lufs(samples, RATE) == pytest.approx(-23.0, abs=0.05)
    assert_matches_ffmpeg(tmp_path / "tone.wav", samples, RATE)


@pytest.mark.parametrize("rate", [22050, 44100, 48000])
def test_pink_noise_matches_ffmpeg(tmp_path, rate):
    # 15 s at 22050 Hz spans two FFT windows, so the seam between them is measured too.
    samples = write_wav(tmp_path / "pink.wav", pink_noise(15.0, rate), rate)
    assert_matches_ffmpeg(tmp_path / "pink.wav", samples, rate)


def test_speech_matches_ffmpeg(speech):
    path, samples, rate = speech
    assert rate == RATE
    assert_matches_ffmpeg(path, samples, rate)


def test_gating_ignores_near_silence():
    """Twenty seconds at -80 dBFS after a 3 s tone would pull it down by 8.8 LU ungated.

    The absolute gate drops them all; what remains is the tone plus the three
    blocks that straddle its end (3/4, 1/2 and 1/4 tone), which the relative
    gate rightly keeps: 27 full blocks and 1.5 blocks' worth among 30.
    """
    quiet = 10 ** (-80 / 20) * np.random.default_rng(7).standard_normal(20 * RATE)
    alone = integrated_lufs(tone(3.0), RATE)
    followed = integrated_lufs(np.concatenate([tone(3.0), quiet]), RATE)
    assert followed == pytest.approx(alone + 10 * math.log10(28.5 / 30), abs=0.1)


def test_gating_matches_ffmpeg(tmp_path):
    quiet = 10 ** (-80 / 20) * np.random.default_rng(7).standard_normal(20 * RATE)
    samples = write_wav(tmp_path / "gated.wav", np.concatenate([tone(3.0), quiet]), RATE)
    assert_matches_ffmpeg(tmp_path / "gated.wav", samples, RATE)


@pytest.mark.parametrize("length", [0, 1, 1000, 5 * RATE])
def test_silence_has_no_loudness_and_no_peak(length):
    silence = np.zeros(length)
    assert integrated_lufs(silence, RATE) == -math.inf
    assert true_peak_dbfs(silence, RATE) == -math.inf


def test_word_length_clip_is_one_block():
    # ffmpeg reports nothing for clips shorter than one 400 ms block (I: -70 LUFS).
    assert integrated_lufs(tone(0.3), RATE) == pytest.approx(-23.0, abs=0.3)


def test_word_length_speech_matches_ffmpeg_on_it_repeated(tmp_path, speech):
    """ffmpeg cannot measure a 0.3 s clip, but repeating it gives a long signal of the same mean power."""
    _, samples, rate = speech
    loudest = int(np.argmax(np.convolve(samples**2, np.ones(rate // 10), mode="same")))
    word = samples[max(loudest - round(0.15 * rate), 0) :][: round(0.3 * rate)]
    write_wav(tmp_path / "repeated.wav", np.tile(word, 20), rate)
    reference_lufs, _ = ffmpeg_ebur128(tmp_path / "repeated.wav")
    assert integrated_lufs(word, rate) == pytest.approx(reference_lufs, abs=1.0)


def test_true_peak_finds_the_peak_between_samples():
    """A quarter-rate sine at phase pi/4 is sampled only at +-0.707 of its crest.

    The Hann fades keep the signal's ends from ringing above the crest.
    """
    fade = np.sin(np.linspace(0, np.pi / 2, RATE // 10)) ** 2
    envelope = np.concatenate([fade, np.ones(4 * RATE), fade[::-1]])
    samples = envelope * np.sin(np.pi / 2 * np.arange(len(envelope)) + np.pi / 4)
    assert 20 * math.log10(np.abs(samples).max()) == pytest.approx(-3.01, abs=0.01)
    assert true_peak_dbfs(samples, RATE) == pytest.approx(0.0, abs=0.05)
