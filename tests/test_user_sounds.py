"""A routine's own cue sounds (WAV and MP3 beside it) are decoded, placed and heard where planned."""

import json
import os
import subprocess
import sys
import wave

import numpy as np
import pytest

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


def write_samples(path, samples, rate=22050):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def tone(seconds, rate=22050):
    return 0.3 * 32767 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)


def _lying_header(path):
    """A real 1 s tone whose header claims 2**31 frames."""
    write_samples(path, tone(1))
    data = bytearray(path.read_bytes())
    at = data.find(b"data")
    data[at + 4:at + 8] = (2 ** 31).to_bytes(4, "little")
    path.write_bytes(bytes(data))


BAD_SOUNDS = {
    "empty.wav": (lambda path: write_samples(path, []), "cannot be used: it is silent"),
    "one.wav": (lambda path: write_samples(path, [20000]), "cannot be used: it sounds for less than 10 ms"),
    "silent.wav": (lambda path: write_samples(path, np.zeros(22050)), "cannot be used: it is silent"),
    "minute.wav": (lambda path: write_samples(path, tone(61)), "cannot be used: it is longer than 60 s"),
    "huge.wav": (lambda path: os.truncate(path.write_bytes(b"") or path, 30_000_000),
                 "is larger than 20,000,000 bytes"),
    "pipe.wav": (lambda path: os.mkfifo(path), "is not a regular file (a device, FIFO or socket)"),
    "folder.wav": (lambda path: path.mkdir(), "is a folder, not a file"),
    "long.mp3": (lambda path: subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=600",
                                              "-b:a", "8k", str(path)], check=True),
                 "cannot be used: it is longer than 60 s"),
}


@pytest.mark.parametrize("name", sorted(BAD_SOUNDS))
def test_check_plan_and_render_refuse_a_bad_sound_alike_and_write_nothing(tmp_path, name):
    make, message = BAD_SOUNDS[name]
    make(tmp_path / name)
    (tmp_path / "own.yaml").write_text(ROUTINE.replace("beep.wav", name).replace(", end: boop.mp3", ""))
    env = {**os.environ, "COACH_CACHE_DIR": str(tmp_path / "cache")}
    expected = f"own.yaml:2:17: error: sound file '{name}' {message}"
    for command in (["check"], ["plan"], ["render"]):
        done = subprocess.run([sys.executable, "-m", "coach", *command, "own.yaml"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stderr) == (1, expected + "\n"), command
    assert not (tmp_path / "own.mp3").exists()


def test_a_header_that_claims_more_audio_than_the_file_holds_plays_what_it_holds(tmp_path):
    """check, plan and render all measure the samples really there (the header claims 27 hours)."""
    _lying_header(tmp_path / "beep.wav")
    write_tone(tmp_path / "boop.wav", 330)
    subprocess.run(["ffmpeg", "-v", "error", "-i", "boop.wav", "boop.mp3"], cwd=tmp_path, check=True)
    (tmp_path / "own.yaml").write_text(ROUTINE)
    env = {**os.environ, "COACH_CACHE_DIR": str(tmp_path / "cache")}
    estimated = json.loads(coach("plan", "--json", "own.yaml", cwd=tmp_path, env=env).stdout)
    exact = json.loads(coach("plan", "--exact", "--json", "own.yaml", cwd=tmp_path, env=env).stdout)
    start = [e for plan in (estimated, exact) for e in plan["events"] if e.get("role") == "start"]
    assert [round(e["end"] - e["start"], 2) for e in start] == [1.0, 1.0]
    coach("render", "own.yaml", cwd=tmp_path, env=env)
    assert (tmp_path / "own.mp3").stat().st_size > 0


def test_prepared_sounds_are_kept_in_the_clip_cache_by_their_content(tmp_path, monkeypatch):
    """Prepared once, read back after; an edited file is prepared again; no cache is no failure."""
    from coach import cuesounds
    from coach.audio import clips

    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "clips"))
    sound = tmp_path / "beep.wav"
    write_tone(sound, 880)
    cuesounds.prepared.cache_clear()
    first = cuesounds.prepared(str(sound))
    bell = cuesounds.prepared("bell")
    assert len(list((tmp_path / "clips").rglob("*.clip"))) == 2

    cuesounds.prepared.cache_clear()
    made = []
    monkeypatch.setattr(clips, "prepare_sound", lambda path: made.append(path) or np.zeros(0, np.int16))
    assert np.array_equal(cuesounds.prepared(str(sound)), first) and np.array_equal(cuesounds.prepared("bell"), bell)
    assert made == []

    write_tone(sound, 440)  # the file changes: its content is another key
    cuesounds.prepared.cache_clear()
    cuesounds.prepared(str(sound))
    assert made == [sound]

    monkeypatch.undo()
    (tmp_path / "file").write_bytes(b"")
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "file" / "clips"))  # no cache can be made there
    cuesounds.prepared.cache_clear()
    try:
        assert np.array_equal(cuesounds.prepared("bell"), bell)
    finally:
        cuesounds.prepared.cache_clear()
