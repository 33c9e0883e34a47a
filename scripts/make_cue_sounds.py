#!/usr/bin/env python3
"""Regenerate the bundled cue sounds in ``audio_cues/`` deterministically.

The WAV files in ``audio_cues/`` are committed and shipped as the package
``coach.audio_cues``.  This script is their source: it synthesizes every cue
from sine partials with the standard library only (no randomness, no
timestamps), so running it again yields byte-identical files.

Conventions for every sound (22050 Hz, mono, 16-bit PCM):
  * audible within the first few ms (the mixer puts sample 0 on the planned
    time), starting with a short fade-in and ending at exact silence;
  * peak at -6 dBFS, leaving headroom for mixing with speech.

Usage: python3 scripts/make_cue_sounds.py
"""

import math
import sys
import wave
from array import array
from pathlib import Path

RATE = 22050
PEAK_DBFS = -6.0
ATTACK = 0.005  # s, per-note fade-in that prevents a click at the onset
OUT_DIR = Path(__file__).resolve().parent.parent / "audio_cues"


def partials(freq, dur, parts, attack=ATTACK):
    """A struck note: sum of (ratio, amplitude, decay per s) sine partials."""
    out = []
    for i in range(round(dur * RATE)):
        t = i / RATE
        gain = min(1.0, t / attack)
        out.append(gain * sum(a * math.exp(-d * t) * math.sin(2 * math.pi * freq * r * t)
                              for r, a, d in parts))
    return out


def glide(freq_at, dur):
    """Phase-continuous sine whose frequency is freq_at(x), x from 0 to 1."""
    n = round(dur * RATE)
    out, phase = [], 0.0
    for i in range(n):
        out.append(math.sin(phase))
        phase += 2 * math.pi * freq_at(i / n) / RATE  # integrate frequency
    return out


def mix(length, *placed):
    """Sum (start_s, samples) pairs into a buffer of `length` seconds."""
    out = [0.0] * round(length * RATE)
    for start, samples in placed:
        offset = round(start * RATE)
        for i, s in enumerate(samples[: len(out) - offset]):
            out[offset + i] += s
    return out


def envelope(samples, fade_in=ATTACK, fade_out=0.03):
    """Linear fade-in and fade-out; the last sample is exactly zero."""
    n, a, b = len(samples), max(1, round(fade_in * RATE)), max(2, round(fade_out * RATE))
    return [s * min(1.0, i / a) * min(1.0, (n - 1 - i) / (b - 1)) for i, s in enumerate(samples)]


def write_wav(path, samples, peak_dbfs=PEAK_DBFS):
    """Normalize to peak_dbfs and write 16-bit mono PCM."""
    scale = 10 ** (peak_dbfs / 20) * 32767 / max(abs(s) for s in samples)
    pcm = array("h", (round(s * scale) for s in samples))
    if sys.byteorder == "big":
        pcm.byteswap()  # WAV data is little-endian
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


def bell_note(freq, dur):
    return partials(freq, dur, [(1.0, 1.0, 4.0), (2.0, 0.3, 7.0), (3.0, 0.08, 10.0)])


def sounds():
    """name -> samples (floats, any scale)."""
    return {
        # start of a hold: soft, bright two-partial bell (E6)
        "chime": partials(1318.5, 0.6, [(1.0, 1.0, 6.0), (2.76, 0.25, 11.0)]),
        # end of a hold: low, warm (G3) with slowly decaying overtones
        "gong": partials(196.0, 0.9, [(1.0, 1.0, 3.0), (1.5, 0.3, 4.5),
                                      (2.0, 0.4, 5.0), (2.76, 0.12, 8.0)]),
        # switch sides: quick up-down glide A5 -> E6 -> A5
        "swish": envelope(glide(lambda x: 880 * 1.5 ** math.sin(math.pi * x), 0.4),
                          fade_in=0.03, fade_out=0.15),
        # start of a section: ascending C-major arpeggio C5 E5 G5
        "bell": mix(1.2, (0.0, bell_note(523.25, 1.2)), (0.2, bell_note(659.25, 1.0)),
                    (0.4, bell_note(783.99, 0.8))),
        # breathing hold marker: short pitched woodblock-like click
        "tick": partials(1100.0, 0.1, [(1.0, 1.0, 45.0), (2.4, 0.35, 80.0)]),
        # inhale / exhale: soft sine glides 330 <-> 440 Hz with slow fades
        "rise": envelope(glide(lambda x: 330 * (440 / 330) ** x, 0.8), 0.2, 0.35),
        "fall": envelope(glide(lambda x: 440 * (330 / 440) ** x, 0.8), 0.2, 0.35),
    }


def main():
    OUT_DIR.mkdir(exist_ok=True)
    for name, samples in sounds().items():
        samples = envelope(samples, fade_in=0.0, fade_out=0.02)  # always end at silence
        write_wav(OUT_DIR / f"{name}.wav", samples)
        print(f"{name}.wav  {1000 * len(samples) / RATE:.0f} ms")


if __name__ == "__main__":
    main()
