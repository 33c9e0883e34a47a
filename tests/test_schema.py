"""The editor schema agrees with the loader: good routines validate, typos and wrong types do not."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from coach import loader
from coach.cli import cli
from coach.schema import KINDS, MAPPINGS, routine_schema
from coach.yamlsource import Map, Scalar, load_source

TESTS = Path(__file__).parent
BUILTINS = sorted(path.name for path in resources.files("coach.routines").iterdir() if path.name.endswith(".yaml"))
GOLDEN = sorted(path.name for path in (TESTS / "golden").glob("*.yaml"))
WRONG_KEYS = ["unknown-top-key", "unknown-step-key", "unknown-hold-key", "unknown-section-key",
              "phrase-key-typo", "key-with-line-separator", "unknown-key-far-from-any"]
WRONG_TYPES = ["rounds-word", "rounds-zero", "countdown-11", "halfway-maybe", "voice-engine-typo",
               "voice-rate-range", "sides-bot", "sound-null", "sound-name-typo", "bad-duration-text",
               "negative-duration", "negative-prepare", "breathing-bad-pattern", "duration-and-breathe",
               "name-without-duration", "cue-at-and-every", "cue-without-say", "breathing-duration-and-cycles",
               "breathing-no-length", "section-without-name", "missing-title", "missing-sections",
               "empty-sections", "section-empty-steps"]
VALIDATOR = jsonschema.Draft202012Validator(routine_schema())


def plain(node):
    """The routine as plain values, each scalar read by coach's rules (as the loader reads it)."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Map):
        return {key.text: plain(value) for key, value in node.items}
    return [plain(item) for item in node.items]


def errors(text: str) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(plain(load_source(text, "routine.yaml")))]


def test_the_schema_is_a_valid_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(routine_schema())


def test_every_loader_key_tuple_is_a_mapping_of_the_schema():
    tuples = {name for name in dir(loader) if name.endswith("_KEYS") and name != "STEP_KEYS"}
    assert {getattr(loader, name) for name in tuples} == set(MAPPINGS.values())
    assert set(loader.STEP_KEYS) == set(MAPPINGS["hold step"] + MAPPINGS["breathing step"]
                                        + MAPPINGS["announcement"] + MAPPINGS["rest step"])


def test_every_kind_is_used():
    used = {key for keys in MAPPINGS.values() for key in keys}
    assert set(KINDS) <= used


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_routines_validate(name):
    assert errors((resources.files("coach.routines") / name).read_text("utf-8")) == []


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_routines_validate(name):
    assert errors((TESTS / "golden" / name).read_text("utf-8")) == []


def test_the_starter_routine_validates():
    assert errors((resources.files("coach") / "starter.yaml").read_text("utf-8")) == []


@pytest.mark.parametrize("name", WRONG_KEYS + WRONG_TYPES)
def test_bad_keys_and_types_are_rejected(name):
    assert errors((TESTS / "bad" / f"{name}.yaml").read_text("utf-8"))


@pytest.mark.parametrize("text", [
    "duration: 1:30", "duration: 45", "duration: 2.5s", "duration: 30-45s", "duration: 1m-2m", "duration: 90 s",
    "duration: 1 minute 30 seconds", "duration: 45S",
])
def test_every_duration_spelling_validates(text):
    routine = f"title: T\nsections:\n  - name: S\n    steps:\n      - name: Hold\n        {text}\n"
    assert errors(routine) == []


@pytest.mark.parametrize("step, wrong", [
    ("{name: Hold, duration: five}", "a word for a duration"),
    ("{name: Hold, duration: 30s, cues: [{at: -5s, every: 5s, say: Hi}]}", "'at' and 'every' together"),
    ("{say: Hello, pause: 2s, rounds: 2}", "a hold key on an announcement"),
    ("{rest: 10s, say: Breathe, name: Rest}", "a name on a rest"),
    ("{name: B, breathe: {pattern: 4-6}}", "breathing without a length"),
    ("{name: B, breathe: {duration: 1m, cycles: 4, pattern: 4-6}}", "breathing with two lengths"),
    ("{name: Hold, duration: 30s, sound: {start: song.txt}}", "a sound that is no audio file"),
])
def test_schema_rejects_what_the_loader_rejects(step, wrong):
    routine = f"title: T\nsections:\n  - name: S\n    steps:\n      - {step}\n"
    assert errors(routine), wrong


def test_coach_schema_prints_the_schema():
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == routine_schema()
