"""`coach new`: a starter that passes `check --strict`, a built-in's copy, never over an existing file."""

from __future__ import annotations

from importlib import resources

import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.errors import EnvironmentProblem, UsageError
from coach.starter import new_path, write_new


def run(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("name, path", [(None, "my-routine.yaml"), ("hips", "hips.yaml"), ("hips.yml", "hips.yml"),
                                        ("sub/back.yaml", "sub/back.yaml")])
def test_where_the_routine_goes(name, path):
    assert str(new_path(name)) == path


def test_the_starter_passes_a_strict_check_and_names_its_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = run("new", "hips")
    assert made.exit_code == 0 and made.output == "hips.yaml: written; edit it, then: coach plan hips.yaml\n"
    text = (tmp_path / "hips.yaml").read_text("utf-8")
    assert "coach plan hips.yaml" in text and "my-routine" not in text
    checked = run("check", "--strict", "hips.yaml")
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("hips.yaml: ok, ")


def test_from_copies_a_builtin_with_its_comments(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("new", "--from", "runner-recovery").exit_code == 0
    original = (resources.files("coach.routines") / "runner-recovery.yaml").read_text("utf-8")
    assert (tmp_path / "my-routine.yaml").read_text("utf-8") == original
    assert run("check", "--strict", "my-routine.yaml").exit_code == 0


def test_an_unknown_builtin_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as raised:
        write_new(None, "runner-recovry")
    assert raised.value.exit_code == 2 and raised.value.line().endswith("did you mean 'runner-recovery'?")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("existing", ["file", "link"])
def test_an_existing_name_is_never_replaced(tmp_path, monkeypatch, existing):
    monkeypatch.chdir(tmp_path)
    if existing == "file":
        (tmp_path / "hips.yaml").write_text("mine")
    else:
        (tmp_path / "hips.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    with pytest.raises(EnvironmentProblem) as raised:
        write_new("hips")
    assert raised.value.exit_code == 3
    assert raised.value.line() == "error: 'hips.yaml' already exists (fix: choose another name, or delete it first)"
    assert not (tmp_path / "elsewhere.yaml").exists()
    if existing == "file":
        assert (tmp_path / "hips.yaml").read_text() == "mine"
