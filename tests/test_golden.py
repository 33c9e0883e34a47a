"""Golden plans: each routine in tests/golden compiles, via `coach plan --json`, to its checked-in JSON.

A routine's first lines may carry command-line options in a comment:
`# options: --length 4m --with Extras`. Run `pytest --update-golden` to
rewrite the JSON files after an intended change; the diff is the review.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach.cli import cli

GOLDEN = Path(__file__).parent / "golden"
ROUTINES = sorted(path.name for path in GOLDEN.glob("*.yaml"))


def options_of(routine: Path) -> list[str]:
    for line in routine.read_text("utf-8").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# options:"):
            return shlex.split(line.removeprefix("# options:"))
    return []


def plan_json(name: str) -> str:
    """`coach plan NAME --json OPTIONS`, run from tests/golden so paths and lines stay stable."""
    result = CliRunner().invoke(cli, ["plan", name, "--json", *options_of(GOLDEN / name)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def test_there_are_golden_routines():
    assert len(ROUTINES) >= 5


@pytest.mark.parametrize("name", ROUTINES)
def test_golden_plan(name, request, monkeypatch):
    monkeypatch.chdir(GOLDEN)
    produced = plan_json(name)
    expected_path = GOLDEN / name.replace(".yaml", ".json")
    if request.config.getoption("--update-golden"):
        expected_path.write_text(produced, "utf-8")
    assert expected_path.exists(), f"no {expected_path.name}: run pytest --update-golden and review it"
    document = json.loads(produced)
    assert document["format"] == "coach-timeline/1"
    assert produced == expected_path.read_text("utf-8")
