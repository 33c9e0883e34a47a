"""The shell layer: commands, exit codes, and the built-in routine as a user runs it."""

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.durations import format_seconds

MINUTE = 60


def run(*args):
    return CliRunner().invoke(cli, list(args))


def plan_json(*args):
    result = run("plan", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_default_routine_lasts_20_to_25_minutes():
    document = plan_json()
    assert document["title"] == "Home recovery for runners"
    assert 20 * MINUTE <= document["duration"] <= 25 * MINUTE
    assert [c["title"] for c in document["chapters"]] == [
        "Set up", "Mobility flow", "Static stretches", "Foam roller and massage ball", "Breathing"]
    assert document["warnings"] == []


@pytest.mark.parametrize("target", [25, 26, 28])
def test_length_moves_the_default_routine_within_its_span(target):
    """Ranges move in whole seconds, together, so a fit lands at most a step short of the target."""
    document = plan_json("--length", f"{target}m")
    assert (target - 1) * MINUTE <= document["duration"] <= target * MINUTE
    assert document["warnings"] == []


def test_length_past_the_reach_warns_and_uses_the_nearest_end():
    longest = plan_json("--length", "3h")
    assert "outside what this routine can reach" in longest["warnings"][0]["message"]
    assert longest["duration"] == plan_json("--length", "4h")["duration"]


def test_plan_prints_its_warnings_on_stderr_as_located_lines_after_a_clean_table():
    """--length came from the command line, so the warning is about the session, not a line of the file."""
    result = run("plan", "--length", "3h")
    assert result.exit_code == 0
    assert "warning" not in result.stdout
    assert result.stderr.startswith("runner-recovery.yaml: warning: target length 3h00m is outside what this ")


def test_warnings_point_at_the_line_and_column_of_what_they_are_about(tmp_path):
    """The `length:` value, the step, the cue's `at`: an editor jumps to the word at fault."""
    routine = tmp_path / "cols.yaml"
    routine.write_text("title: Columns\nlength: 10s\ndefaults: {prepare: 0s, halfway: false}\n"
                       "phrases: {inhale: Breathe in slowly through your nose}\nsections:\n  - name: A\n    steps:\n"
                       "      - {name: Breath, breathe: {pattern: 2-2, cycles: 1, count: all}}\n"
                       "      - name: Plank\n        duration: 20s\n        cues: [{say: Too late., at: 30s}]\n")
    result = run("plan", "--json", str(routine))
    assert result.exit_code == 0
    length = format_seconds(json.loads(result.stdout)["duration"])
    assert [line for line in result.stderr.splitlines() if "warning:" in line] == [
        f"{routine}:2:9: warning: target length 10s is outside what this routine can reach: "
        f"it has no ranges and lasts {length}",
        *(f"{routine}:8:9: warning: '{word}' in 'Breath' is left out: it would talk over "
          "'Breathe in slowly through your nose'" for word in ("two", "Out")),
        f"{routine}:11:37: warning: cue 'Too late.' at 30s is outside 'Plank' (20s); it is left out"]


def test_a_target_missed_by_a_second_or_more_gets_a_note_saying_by_how_much_and_why():
    """25m is within reach but not to the second: ranges move in whole seconds (see routines.md)."""
    result = run("plan", "--length", "25m", "--json")
    duration = json.loads(result.stdout)["duration"]
    (note,) = [line for line in result.stderr.splitlines() if ": note: " in line]
    assert note.startswith(f"runner-recovery.yaml: note: {format_seconds(duration)} is "
                           f"{format_seconds(25 * MINUTE - duration)} short of 25m: ranges move in whole seconds, "
                           "and the next step up would give 25m")
    assert "warning" not in result.stderr


def test_with_an_optional_section_past_the_routines_own_length_is_a_note_not_a_warning(tmp_path):
    """The user gave no length: the routine's `length:` is not theirs to fix for asking --with."""
    routine = tmp_path / "gun.yaml"
    routine.write_text("title: Gun\nlength: 1m\nsections:\n  - name: Stretch\n    steps:\n"
                       "      - {name: Fold, duration: 30-50s}\n  - name: Massage gun\n    optional: true\n"
                       "    steps:\n      - {name: Calves, duration: 1m}\n")
    result = run("plan", str(routine), "--with", "massage gun")
    assert result.exit_code == 0
    (said,) = [line for line in result.stderr.splitlines() if "warning" in line or "note" in line]
    assert re.fullmatch(f"{re.escape(str(routine))}:2:9: note: with 'Massage gun' the session lasts 1m[45][0-9.]+s "
                        r"at its shortest, past the routine's length \(1m\)", said), said
    given = run("plan", str(routine), "--with", "massage gun", "--length", "1m")
    assert f"{routine}: warning: target length 1m is outside what this routine can reach" in given.stderr


def test_optional_section_only_with_its_name():
    assert "Massage gun" not in [c["title"] for c in plan_json()["chapters"]]
    with_gun = plan_json("--with", "massage gun", "--length", "30m")
    assert "Massage gun" in [c["title"] for c in with_gun["chapters"]]


def test_builtin_passes_strict_check():
    result = run("check", "--strict", "runner-recovery")
    assert result.exit_code == 0, result.output
    assert "runner-recovery.yaml: ok" in result.output


def test_list_names_the_builtin():
    result = run("list")
    assert result.exit_code == 0
    assert "runner-recovery" in result.output and "Home recovery for runners" in result.output


def test_table_shows_time_section_step_and_words():
    result = run("plan")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["time", "section", "step", "what"]
    assert any("Hamstring stretch (right)" in line for line in lines)
    assert "[chime]" in result.output and "Switch sides: left side." in result.output


@pytest.mark.parametrize("args, message", [
    (["plan", "runner-recovry"], "did you mean 'runner-recovery'"),
    (["plan", "missing.yaml"], "not found"),
    (["plan", "--with", "Massage gn"], "did you mean 'Massage gun'"),
    (["plan", "--length", "soon"], "--length"),
    (["plan", "--length", "9" * 300], "--length: '999"),
    (["plan", "--length", "7h"], "--length is longer than the 6 h limit"),
])
def test_usage_errors_exit_2_with_one_line(args, message):
    result = subprocess.run([sys.executable, "-m", "coach", *args], capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_warnings_fail_only_under_strict(tmp_path):
    routine = tmp_path / "crowded.yaml"
    routine.write_text(
        "title: Crowded\nsections:\n  - name: Only\n    steps:\n      - name: Short hold\n"
        "        duration: 10s\n        cues:\n          - at: 8s\n"
        "            say: This sentence is far too long to fit before the countdown starts.\n")
    relaxed = run("check", str(routine))
    strict = run("check", "--strict", str(routine))
    assert relaxed.exit_code == 0 and "warning:" in relaxed.output
    assert strict.exit_code == 1 and f"{routine}:8:17: error:" in strict.output


def test_help_does_not_import_heavy_modules():
    probe = "import sys, coach.cli; print(sorted(m for m in ('yaml', 'pydub', 'pyttsx3', 'numpy') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_bare_coach_shows_the_help_and_succeeds():
    result = subprocess.run([sys.executable, "-m", "coach"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage:") and "Commands:" in result.stdout


@pytest.mark.parametrize("closed, args, code", [("stdout", ["plan", "breathing-4-6"], 0),
                                                ("stderr", ["plan", "no-such-routine"], 2)])
def test_a_command_started_with_a_stream_closed_keeps_its_exit_code(closed, args, code):
    """The exit flushes what is open and skips what is not (`coach.cli._leave`)."""
    fd = {"stdout": 1, "stderr": 2}[closed]
    command = [sys.executable, "-m", "coach", *args]
    result = subprocess.run(["sh", "-c", f'"$@" {fd}>&-', "sh", *command], capture_output=True, text=True)
    assert result.returncode == code and "Traceback" not in result.stderr


def test_check_without_a_file_checks_the_builtin_routine():
    result = run("check")
    assert result.exit_code == 0
    assert result.output.startswith("runner-recovery.yaml: ok, ") and "in 5 sections (+1 optional)" in result.output


def test_one_section_and_one_chapter_are_singular(tmp_path):
    routine = tmp_path / "one.yaml"
    routine.write_text("title: One\nsections:\n  - name: Only\n    steps: [{name: Plank, duration: 30s}]\n")
    assert run("check", str(routine)).output == f"{routine}: ok, 42.7s in 1 section\n"
    assert "One: 0:42.7 in 1 chapter, " in run("plan", str(routine)).output
