"""A routine's own cue sounds (WAV and MP3 beside it) are decoded, placed and heard where planned."""

import json
import os
import subprocess
import sys
import wave

import numpy as np

ROUTINE = """\
title: Own sounds
sounds: {start: beep.wav, end: boop.mp3}
phrases: {begin: "", end: "", done: ""}
sections:
  - name: Only
    steps:
      - {name: Plank, duration: 4s}
"""


def write_tone(path, frequency, seconds=0.25, rate=44100):
    """A tone with 100 ms of silence first: the mixer must trim it so the tone starts on the cue."""
    t = np.arange(int(seconds * rate)) / rate
    tone = np.concatenate([np.zeros(rate // 10), 0.5 * np.sin(2 * np.pi * frequency * t)])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((tone * 32767).astype("<i2").tobytes())


def coach(*args, cwd, env):
    return subprocess.run([sys.executable, "-m", "coach", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True)


def test_user_wav_and_mp3_sounds_play_at_their_cues(tmp_path):
    write_tone(tmp_path / "beep.wav", 880)
    write_tone(tmp_path / "boop.wav", 330)
    subprocess.run(["ffmpeg", "-v", "error", "-i", "boop.wav", "boop.mp3"], cwd=tmp_path, check=True)
    (tmp_path / "own.yaml").write_text(ROUTINE)
    env = {**os.environ, "COACH_CACHE_DIR": str(tmp_path / "cache")}
    plan = json.loads(coach("plan", "--exact", "--json", "own.yaml", cwd=tmp_path, env=env).stdout)
    coach("render", "own.yaml", cwd=tmp_path, env=env)
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "own.mp3"), "-f", "s16le", "-ac", "1", "-ar", "22050", "-"],
                             capture_output=True, check=True).stdout
    signed = np.frombuffer(decoded, dtype="<i2").astype(float)
    audio = np.abs(signed)
    sounds = {e["role"]: e for e in plan["events"] if e["kind"] == "sound" and e["role"] in ("start", "end")}
    assert sounds["start"]["sound"] == str(tmp_path / "beep.wav")
    assert sounds["end"]["sound"] == str(tmp_path / "boop.mp3")
    for cue, pitch in ((sounds["start"], 880), (sounds["end"], 330)):
        at = round(cue["start"] * 22050)
        before, after = audio[at - 441:at - 22], audio[at:at + 441]  # 20 ms before (1 ms margin) / 20 ms after
        assert after.max() > 20 * max(before.max(), 1), cue
        heard = signed[at:at + 4410]  # 200 ms: the user's tone, not a bundled sound
        spectrum = np.abs(np.fft.rfft(heard * np.hanning(len(heard))))
        assert abs(np.argmax(spectrum) * 22050 / len(heard) - pitch) < 15, cue
