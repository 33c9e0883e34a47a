"""Fuzzing the routine contract: whatever a file holds, `coach` answers in bounded time with
exit 0, or exit 1 and one `FILE:LINE:COL: error: ...` line per mistake; never an internal error.

A seeded mutator edits the golden and built-in routines (lines deleted, duplicated, swapped
or re-indented; values swapped for odd scalars, odd text, tags, lists or mappings; keys
swapped; control bytes, line separators and deep nesting inserted; limits pushed) and runs
every case through the library (`check`, a fitted `plan` and its printed forms), and every
CLI_EVERY-th case through `python -m coach check`.

The suite runs 400 cases, the same ones every time. A longer run prints its counts
(runs accepted, located errors, failures) at the end:

    COACH_FUZZ_CASES=2000 COACH_FUZZ_SEED=7 ./scripts/test tests/test_fuzz.py -s -q

Every failure found and fixed lives on as a file in tests/bad with its expected line.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from fractions import Fraction
from importlib import resources
from pathlib import Path

import pytest

from coach import cuesounds
from coach.compiler import Options, check_routine, compile_routine
from coach.errors import RoutineError
from coach.estimate import estimate
from coach.library import load_routine
from coach.limits import MAX_ERRORS_SHOWN
from coach.loader import BREATHE_KEYS, SECTION_KEYS, STEP_KEYS, TOP_KEYS
from coach.routine import SOUND_ROLES
from coach.timeline import to_json, to_table

CASES = int(os.environ.get("COACH_FUZZ_CASES", "400"))
SEED = int(os.environ.get("COACH_FUZZ_SEED", "2026"))
CLI_EVERY = 15
SECONDS_PER_CASE = 10  # generous: a busy 2-core machine must not make this flaky; the slow cases took minutes

SEEDS = [path.read_text("utf-8") for path in sorted((Path(__file__).parent / "golden").glob("*.yaml"))] + [
    item.read_text("utf-8") for item in sorted(resources.files("coach.routines").iterdir(), key=lambda i: i.name)
    if item.name.endswith(".yaml")]

ODD_SCALARS = [
    "2024-13-45", "2024-01-01", "0x_", "0x10", "0o17", "0b101", "1_000", "1:30:00", "190:20:30", "-0", "+5",
    "1" * 5000, "9" * 300, "300000000000000", "1e100000000", "1e100000000-6", ".inf", "-.inf", ".nan",
    "0.0002s", "0.0000001", "-5s", "-7h", "7h", "6h", "0", "00:00", "1-", "-", "30-", "45-30s", "1/2",
    "~", "null", "yes", "no", "on", "maybe", "''", '""', "[]", "{}", "[1, 2]", "{a: 1}", "- x",
    "!!int abc", "!!float abc", "!!bool maybe", "!!timestamp x", "!!merge x", "!!str 5", "!!int 5",
    "!!null x", "!!binary aGk=", "!!set {a}", "!!omap [a: 1]", "!!python/object/apply:os.system [ls]",
    "!custom x", "!<tag:x%0Ay> z", "&a x", "*a", "*nope", "&a [*a]", "|\n  block", ">-\n  folded",
    '"a\\nb"', '"a\\rb"', '"\\u2028"', '"\\x85"', '"\\t"', '"\\0"', '"\\a"', '"\\ud800"', '"\\uFFFE"', '"\\e"',
    "x\n---\ny: 1", "x\n...\n", "'it''s'", '"{side}"', '"{sdie}"', "'{name}'",
    "both", "bot", "[left, left]", "[1, 2, 3]", "all", "10001", "101", "11", "4-x", "4-7-8", "4-4-4-4",
    "0-6", "4-0", "x" * 700, "espeak", "chime", "chme", "x.wav", "/dev/zero.wav", "../x.mp3",
]
ODD_TEXTS = [
    '"\\0"', '"a\\a"', '"\\ud800"', '"\\udfff x"', '"\\uFFFE"', '"\\uFFFF"', '"\\e["', '"\\x7f"', '"\\x9b"',
    '"a\\nb"', '"a\\u2028b"', '"\\x85"', '"a\\tb"', '"\\N\\_\\L\\P"', "Überdehnung", "伸展", "مرحبا",
    "🙂 emoji", "a\u200bb", "x\ufeffy", "2024-13-45", "0x_", "12", "1.5", "yes", "'{side}'", "'{{side}}'",
    "'{name}'", "'{'", "'}'", "'%s %d'", "'\\'", "x" * 600, "x " * 299, "[a, '', b]",
]
CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x9b", "\ufffe", "\ud800"]
BREAKS = ["\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\t", " "]
KEYS = ["rounds: 100", "rounds: 80", "sides: both", "every: 0.0002s", "optional: true", "cues: [{every: 0.001s, say: x}]",
        "countdown: 10", "pattern: 1-1", "cycles: 10000", "count: all", "<<: *a", "<<: {x: 1}", "duration: 6h",
        "length: 6h", "rest: 5h59m", "say: [a, b]", "name: Same", "titel: T", "stpes: []"]

FORMAT_KEYS = sorted(set(TOP_KEYS + SECTION_KEYS + STEP_KEYS + BREATHE_KEYS + SOUND_ROLES
                         + ("engine", "voice", "rate", "volume", "language", "at", "every", "begin", "next", "done")))

OUTCOMES: Counter = Counter()


def mutate(text: str, rng: random.Random) -> str:
    """`text` with one to three random edits."""
    for _ in range(rng.choice([1, 1, 2, 3])):
        text = rng.choice(MUTATIONS)(text, rng)
    return text


def _lines_edit(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    at, other = rng.randrange(len(lines)), rng.randrange(len(lines))
    kind = rng.choice(["delete", "duplicate", "swap", "indent", "dedent", "truncate"])
    if kind == "delete":
        del lines[at]
    elif kind == "duplicate":
        lines.insert(other, lines[at])
    elif kind == "swap":
        lines[at], lines[other] = lines[other], lines[at]
    elif kind == "indent":
        lines[at] = " " * rng.choice([1, 2, 4]) + lines[at]
    elif kind == "dedent":
        lines[at] = lines[at][rng.choice([1, 2, 4]):]
    else:
        return text[:rng.randrange(len(text) + 1)]
    return "\n".join(lines)


VALUE = r"(?m): ([^\n]+)$"


def _replace_one(text: str, rng: random.Random, pattern: str, new) -> str:
    """`text` with group 1 of one random match of `pattern` replaced by `new(old)`."""
    found = list(re.finditer(pattern, text))
    if not found:
        return text
    match = rng.choice(found)
    return text[:match.start(1)] + new(match.group(1)) + text[match.end(1):]


def _value_swap(text: str, rng: random.Random) -> str:
    """A value after `key:` becomes an odd scalar, a list of itself or a mapping."""
    return _replace_one(text, rng, VALUE, lambda value: rng.choice([
        rng.choice(ODD_SCALARS), rng.choice(ODD_SCALARS), f"[{value}]", f"{{x: {value}}}",
        f"!!str {value}", f"!!int {value}", f"{value}{value}", value.upper()]))


def _text_swap(text: str, rng: random.Random) -> str:
    """A title, name or say becomes odd text: escapes, separators, braces, other scripts, numbers."""
    return _replace_one(text, rng, r"(?m)(?:title|name|say): ([^\n]+)$", lambda _: rng.choice(ODD_TEXTS))


def _key_swap(text: str, rng: random.Random) -> str:
    """A key becomes another key of the format: a number where a word belongs, a list where a duration does."""
    return _replace_one(text, rng, r"(?m)^[ -]*([a-z_]+):", lambda _: rng.choice(FORMAT_KEYS))


def _nest(text: str, rng: random.Random) -> str:
    """Deep nesting, flow or block, at a value."""
    depth = rng.choice([60, 66, 200, 490, 1000, 5000])
    return _replace_one(text, rng, VALUE, lambda _: rng.choice([
        "[" * depth + "]" * depth, "{a: " * depth + "1" + "}" * depth,
        "\n" + "".join(" " * (level + 1) + "- \n" for level in range(depth))]))


def _insert(text: str, rng: random.Random) -> str:
    """A control byte, a line break of any kind, or an extra key, somewhere."""
    at = rng.randrange(len(text) + 1)
    kind = rng.choice(["control", "break", "key"])
    if kind == "control":
        piece = rng.choice(CONTROL)
    elif kind == "break":
        piece = rng.choice(BREAKS)
    else:
        line_start = text.rfind("\n", 0, at) + 1
        indent = len(text[line_start:]) - len(text[line_start:].lstrip(" "))
        piece, at = " " * indent + rng.choice(KEYS) + "\n", line_start
    return text[:at] + piece + text[at:]


def _limits(text: str, rng: random.Random) -> str:
    """Multiply the work: more rounds and sides, and cues every instant."""
    text = re.sub(r"(?m)^(\s+)- name: (.*)$", lambda m: f"{m.group(1)}- name: {m.group(2)}\n"
                  f"{m.group(1)}  rounds: {rng.choice([10, 80, 100])}", text, count=rng.randint(1, 3))
    return re.sub(r"(?m)^(\s+)(every|at): [^\n]*$", lambda m: f"{m.group(1)}every: {rng.choice(['0.0002s', '0.001', '1s'])}", text)


MUTATIONS = [_lines_edit, _lines_edit, _value_swap, _value_swap, _value_swap, _text_swap, _text_swap, _key_swap,
             _insert, _insert, _nest, _limits]


def case_text(case: int) -> str:
    rng = random.Random(f"{SEED}-{case}")
    return mutate(rng.choice(SEEDS), rng)


def write_case(folder: Path, case: int) -> Path:
    path = folder / f"case-{case}.yaml"
    path.write_bytes(case_text(case).encode("utf-8", "surrogatepass"))
    return path


ERROR_LINE = re.compile(r"(?P<path>.+?):(?P<line>[0-9]+):(?P<col>[0-9]+): error: (?P<message>.+)")


MORE_LINE = re.compile(r"(?P<path>.+?): and [0-9]+ more errors?; fix these first")


def assert_located_lines(text: str, path: str) -> None:
    """One located line per error, in file order, at most MAX_ERRORS_SHOWN (then how many more)."""
    lines = text.splitlines()
    if len(lines) > MAX_ERRORS_SHOWN:
        assert len(lines) == MAX_ERRORS_SHOWN + 1 and MORE_LINE.fullmatch(lines.pop()), f"too many lines: {text!r}"
    places = []
    for line in lines:
        match = ERROR_LINE.fullmatch(line)
        assert match and match["path"] == path, f"not FILE:LINE:COL: error: {line!r}"
        assert int(match["line"]) >= 1 and int(match["col"]) >= 1, line
        places.append((int(match["line"]), int(match["col"])))
    assert places and places == sorted(places), f"not in file order: {text!r}"


def run_library(path: Path) -> str:
    """What `check` and a fitted `plan` do, in-process: 'ok' or 'error'; anything else fails."""
    try:
        routine = load_routine(str(path))
        measure = estimate(routine.voice.rate)
        check_routine(routine, measure, cuesounds.length_seconds)
        timeline = compile_routine(routine, Options(length=Fraction(20 * 60)), measure, cuesounds.length_seconds)
    except RoutineError as error:
        assert_located_lines(error.line(), str(path))
        return "error"
    (to_json(timeline) + to_table(timeline)).encode("utf-8")  # as `plan` prints them
    return "ok"


def run_cli(path: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "coach", "check", path.name], cwd=path.parent,
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stdout + done.stderr and "internal error" not in done.stderr
    if done.returncode == 0:
        return "ok"
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert_located_lines(done.stderr.rstrip("\n"), path.name)
    return "error"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    yield tmp_path_factory.mktemp("fuzz")
    if OUTCOMES:
        print(f"\nfuzz seed {SEED}: {sum(OUTCOMES.values())} runs, " + ", ".join(f"{n} {k}" for k, n in sorted(OUTCOMES.items())))


@pytest.mark.parametrize("case", range(CASES))
def test_contract_holds(case, folder):
    path = write_case(folder, case)
    started = time.monotonic()
    try:
        OUTCOMES["library " + run_library(path)] += 1
        if case % CLI_EVERY == 0:
            OUTCOMES["cli " + run_cli(path)] += 1
    except BaseException:
        OUTCOMES["failed"] += 1
        raise
    assert time.monotonic() - started < SECONDS_PER_CASE, f"case {case} took too long"


def test_the_mutator_reaches_both_outcomes(folder):
    """A mutator that only ever breaks (or never breaks) the routines would test little."""
    outcomes = {run_library(write_case(folder, case)) for case in range(40)}
    assert outcomes == {"ok", "error"}
