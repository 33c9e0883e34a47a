"""`coach new`: a commented starter routine, or a built-in's copy to adapt, written where asked.

It never replaces a file: the new routine is created exclusively, so even a
file that appears meanwhile is left alone.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from coach.errors import EnvironmentProblem, UsageError, quoted
from coach.fields import did_you_mean
from coach.library import builtin_names, builtin_text

DEFAULT_NAME = "my-routine.yaml"
_STARTER_STEM = Path(DEFAULT_NAME).stem
"""The starter's comments name this file; the copy names the one written."""


def new_path(name: str | None) -> Path:
    """Where `coach new NAME` writes: `.yaml` is added to a name without an ending."""
    path = Path(name or DEFAULT_NAME)
    return path if path.suffix else path.with_name(path.name + ".yaml")


def routine_text(path: Path, builtin: str | None) -> str:
    """The starter routine (its commands naming `path`), or the text of built-in `builtin`."""
    if builtin is None:
        starter = (resources.files("coach") / "starter.yaml").read_text("utf-8")
        return starter.replace(_STARTER_STEM, path.stem)
    if builtin not in builtin_names():
        raise UsageError(f"--from {quoted(builtin)}: no such built-in routine "
                         f"({', '.join(builtin_names())}){did_you_mean(builtin, builtin_names())}")
    return builtin_text(builtin)


def write_new(name: str | None, builtin: str | None = None) -> Path:
    """Write the new routine; an existing file (or link) of that name is an environment problem, never replaced."""
    path = new_path(name)
    text = routine_text(path, builtin)
    try:
        with open(path, "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise EnvironmentProblem(f"{quoted(str(path))} already exists", "choose another name, or delete it first") from None
    except OSError as problem:
        raise EnvironmentProblem(f"cannot write {quoted(str(path))}: {problem.strerror}",
                                 "choose a folder that exists and that you can write to") from None
    return path
