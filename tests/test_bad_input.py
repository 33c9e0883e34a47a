"""The bad-input corpus: every `tests/bad/*.yaml` holds one mistake, `tests/bad/expected.txt`
the exact line `coach` must print for it. Library and CLI must agree, exit 1, write nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coach import cuesounds
from coach.compiler import Options, compile_routine
from coach.errors import RoutineError
from coach.estimate import estimate
from coach.library import load_routine
from coach.loader import load_text

BAD = Path(__file__).parent / "bad"


def read_expected() -> dict[str, str]:
    """File name -> `LINE:COL: error: MESSAGE` (may contain `{dir}`, the routine's directory)."""
    lines = (BAD / "expected.txt").read_text("utf-8").splitlines()
    pairs = (line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))
    return dict(pairs)


EXPECTED = read_expected()


def expected_line(shown: str, folder: Path) -> str:
    """The error line for the routine `shown` (as named on the command line) that lies in `folder`."""
    return f"{shown}:{EXPECTED[Path(shown).name]}".replace("{dir}", str(folder.resolve()))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_corpus_file_has_one_expectation():
    assert sorted(EXPECTED) == sorted(p.name for p in BAD.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_library_raises_located_error(name):
    path = BAD / name
    with pytest.raises(RoutineError) as raised:
        routine = load_routine(str(path))
        compile_routine(routine, Options(), estimate(160), cuesounds.length_seconds)
    assert raised.value.line() == expected_line(str(path), BAD)


@pytest.mark.parametrize("command", ["check", "plan"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_prints_one_line_and_writes_nothing(name, command, tmp_path):
    shutil.copytree(BAD, tmp_path, dirs_exist_ok=True)
    before = snapshot(tmp_path)
    done = subprocess.run([sys.executable, "-m", "coach", command, name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stdout + done.stderr
    assert (done.returncode, done.stdout, done.stderr) == (1, "", expected_line(name, tmp_path) + "\n")
    assert snapshot(tmp_path) == before


THREE_MISTAKES = """\
title: Three mistakes
sections:
  - name: Warm up
    steps:
      - name: Calf stretch
        duration: 30s
        sidez: both
      - name: Quad stretch
        duration: 1m70s
  - name: Main
    halfway: maybe
    steps:
      - {name: Plank, duration: 45s}
"""
THREE_LINES = [
    "three.yaml:7:9: error: unknown key 'sidez' in a hold step; did you mean 'sides'?",
    "three.yaml:9:19: error: '1m70s' has 70s after the minutes; write 2m10s (up to 59 of each unit)",
    "three.yaml:11:14: error: 'halfway' must be true or false, not 'maybe'",
]


def test_mistakes_in_different_places_are_reported_together_in_file_order():
    with pytest.raises(RoutineError) as raised:
        load_text(THREE_MISTAKES, "three.yaml")
    assert raised.value.line().splitlines() == THREE_LINES


@pytest.mark.parametrize("command", [["check"], ["plan"], ["render"], ["export", "--to", "out"],
                                     ["speak", "--device", "null"]])
def test_every_command_that_loads_a_routine_prints_every_error(command, tmp_path):
    (tmp_path / "three.yaml").write_text(THREE_MISTAKES)
    done = subprocess.run([sys.executable, "-m", "coach", command[0], "three.yaml", *command[1:]], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (1, "", THREE_LINES)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["three.yaml"]


def test_past_twenty_errors_one_line_says_how_many_more():
    steps = "".join(f"      - {{name: Step {number}, duration: {number} sekunds}}\n" for number in range(1, 26))
    with pytest.raises(RoutineError) as raised:
        load_text(f"title: Many\nsections:\n  - name: All\n    steps:\n{steps}", "many.yaml")
    lines = raised.value.line().splitlines()
    assert len(lines) == 21
    assert lines[0] == "many.yaml:5:34: error: '1 sekunds' is not a duration (try 45s, 1m30s or 1:30)"
    assert lines[19].startswith("many.yaml:24:")
    assert lines[20] == "many.yaml: and 5 more errors; fix these first"


def test_a_yaml_syntax_error_is_the_only_error_reported():
    """Past a syntax error nothing can be trusted: the mistakes after it wait for the next run."""
    broken = THREE_MISTAKES.replace("name: Main", "name: [Main")
    with pytest.raises(RoutineError) as raised:
        load_text(broken, "three.yaml")
    assert len(raised.value.line().splitlines()) == 1
    assert "invalid YAML" in raised.value.line()


def test_a_mistake_hides_only_what_cannot_be_read_without_it():
    """Every key, step and cue is read on its own; an unknown key hides the rest of its mapping
    (it may be a misspelt key that is needed), and a YAML error hides everything."""
    text = """\
title: [not, text]
length: soon
voice: {rate: 9, volume: 2}
sections:
  - name: Header
    rounds: two
    halfway: maybe
    steps:
      - {name: Plank, duration: never, rounds: 0, say: "Hold {sdie}."}
  - name: Cues
    steps:
      - name: Wall sit
        duration: 30s
        cues:
          - {at: soon, say: One.}
          - {every: 5s, at: 10s, say: Two.}
  - name: cues
    steps:
      - say: Fine.
  - name: Misspelt
    stpes:
      - {name: Hidden, duration: never}
"""
    with pytest.raises(RoutineError) as raised:
        load_text(text, "parts.yaml")
    assert [line.split(": error: ")[0] for line in raised.value.line().splitlines()] == [
        "parts.yaml:1:8", "parts.yaml:2:9", "parts.yaml:3:15", "parts.yaml:3:26", "parts.yaml:6:13",
        "parts.yaml:7:14", "parts.yaml:9:33", "parts.yaml:9:48", "parts.yaml:9:56", "parts.yaml:15:18",
        "parts.yaml:16:21", "parts.yaml:17:5", "parts.yaml:21:5"]
