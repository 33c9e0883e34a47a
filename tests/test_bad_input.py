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
