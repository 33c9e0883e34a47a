"""Up-to-date renders: the MP3 carries a key of everything that decides its bytes; a render with the same key
leaves the file alone (bytes and mtime), so sync tools copy only what changed."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from coach.compiler import Options
from coach.export.renderkey import render_key
from coach.loader import load_text
from coach.speech.engines import EngineSpec

ROUTINE = """\
title: Key check
sections:
  - name: Reach
    say: Stand tall.
    steps:
      - {name: Reach up, say: Reach up high., duration: 4s}
"""
SPEC = EngineSpec("espeak-ng", None, 160, 1.0, None)


def coach(*args, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "coach", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COACH_CACHE_DIR": str(cwd / "cache")})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def clips(folder: Path) -> int:
    return sum(1 for _ in (folder / "cache").rglob("*.clip"))


def test_a_render_with_nothing_changed_leaves_the_mp3_alone(tmp_path):
    routine = tmp_path / "r.yaml"
    routine.write_text(ROUTINE)
    assert coach("render", "r.yaml", cwd=tmp_path).startswith("r.mp3: ")
    first = state(tmp_path / "r.mp3")
    assert coach("render", "r.yaml", cwd=tmp_path) == "r.mp3: up to date"
    # Comments, blank lines, flow vs block style and key order are not heard.
    routine.write_text("# my routine\n\n" + ROUTINE.replace(
        "{name: Reach up, say: Reach up high., duration: 4s}",
        "duration: 4s\n        say: Reach up high.   # both arms\n        name: Reach up"))
    assert coach("render", "r.yaml", cwd=tmp_path) == "r.mp3: up to date"
    assert state(tmp_path / "r.mp3") == first
    made = clips(tmp_path)
    routine.write_text(ROUTINE.replace("Reach up high.", "Reach up higher."))
    assert coach("render", "r.yaml", cwd=tmp_path).startswith("r.mp3: ")
    assert clips(tmp_path) == made + 1
    edited = state(tmp_path / "r.mp3")
    assert edited[0] != first[0]
    assert coach("render", "r.yaml", "--force", cwd=tmp_path).startswith("r.mp3: ")
    forced = state(tmp_path / "r.mp3")
    assert forced[0] == edited[0] and forced[1] != edited[1]


def test_options_that_change_the_sound_make_a_new_render(tmp_path):
    (tmp_path / "r.yaml").write_text(ROUTINE)
    coach("render", "r.yaml", cwd=tmp_path)
    for options in (["--bitrate", "32"], ["--rate", "150"], ["--length", "30s"]):
        assert coach("render", "r.yaml", *options, cwd=tmp_path).startswith("r.mp3: "), options
        assert coach("render", "r.yaml", *options, cwd=tmp_path) == "r.mp3: up to date", options


def write_tone(path: Path, frequency: float) -> None:
    t = np.arange(4410) / 22050
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes((0.5 * 32767 * np.sin(2 * np.pi * frequency * t)).astype("<i2").tobytes())


def test_the_key_counts_a_sound_by_content_and_a_routine_not_by_where_it_lives(tmp_path):
    text = ROUTINE.replace("title: Key check", "title: Key check\nsounds: {start: beep.wav}")
    write_tone(tmp_path / "beep.wav", 880)
    here = load_text(text, "r.yaml", base_dir=tmp_path)
    elsewhere = load_text("\n\n" + text, "moved/other.yaml", base_dir=tmp_path)
    key = render_key(here, Options(), SPEC, 64)
    assert render_key(elsewhere, Options(), SPEC, 64) == key
    write_tone(tmp_path / "beep.wav", 440)
    assert render_key(here, Options(), SPEC, 64) != key
    assert render_key(here, Options(include=("Reach",)), SPEC, 64) != render_key(here, Options(), SPEC, 64)
    assert render_key(here, Options(), EngineSpec("espeak-ng", "en-gb", 160, 1.0, None), 64) \
        != render_key(here, Options(), SPEC, 64)
