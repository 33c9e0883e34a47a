"""Shell completion: routine files and built-in names for ROUTINE, optional sections for --with, built-ins for --from."""

from __future__ import annotations

import os
import shlex

import pytest
from click.shell_completion import ShellComplete

from coach.cli import cli
from coach.completion import routines_on_line


def complete(*words: str) -> list[str]:
    """What the shell is offered for the last word, as click's bash, zsh and fish scripts ask it."""
    *args, incomplete = words
    os.environ["COMP_WORDS"] = shlex.join(["coach", *words])
    try:
        found = ShellComplete(cli, {}, "coach", "_COACH_COMPLETE").get_completions(args, incomplete)
    finally:
        del os.environ["COMP_WORDS"]
    return [item.value for item in found]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "hips.yaml").write_text("title: Hips\nsections:\n  - name: Only\n    steps: [{rest: 1s}]\n"
                                        "  - name: Foam roller\n    optional: true\n    steps: [{rest: 1s}]\n")
    (tmp_path / "notes.txt").write_text("not a routine")
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "back.yml").write_text("title: Back\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", ["plan", "render", "check", "export", "watch"])
def test_routine_completes_files_folders_and_builtins(folder, command):
    assert complete(command, "") == ["breathing-4-6", "post-run-stretch", "runner-recovery", "hips.yaml", "more/"]


def test_a_folder_completes_its_routines(folder):
    assert complete("plan", "more/") == ["more/back.yml"]
    assert complete("plan", "h") == ["hips.yaml"]


def test_with_completes_the_optional_sections_of_the_routine_on_the_line(folder):
    assert complete("plan", "hips.yaml", "--with", "") == ["Foam roller"]
    assert complete("plan", "--with", "mass") == ["Massage gun"]
    assert complete("export", "hips.yaml", "runner-recovery", "--with", "") == ["Foam roller", "Massage gun"]


def test_a_routine_that_does_not_load_completes_nothing(folder):
    (folder / "broken.yaml").write_text("title: [\n")
    assert complete("plan", "broken.yaml", "--with", "") == []


def test_the_routine_is_found_on_a_line_with_an_unclosed_quote(folder, monkeypatch):
    monkeypatch.setenv("COMP_WORDS", "coach plan hips.yaml --with 'Foam")
    assert routines_on_line() == ["hips.yaml"]


def test_bash_gets_spaces_escaped(folder, monkeypatch):
    monkeypatch.setenv("_COACH_COMPLETE", "bash_complete")
    assert complete("plan", "--with", "") == ["Massage\\\\ gun"]


def test_new_from_completes_builtins(folder):
    assert complete("new", "--from", "run") == ["runner-recovery"]
