"""Finding a routine by path or built-in name (`coach list`)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from coach.errors import UsageError, quoted
from coach.fields import did_you_mean
from coach.loader import load_file, load_text
from coach.routine import Routine

DEFAULT_ROUTINE = "runner-recovery"


def builtin_names() -> list[str]:
    return sorted(item.name[:-5] for item in resources.files("coach.routines").iterdir()
                  if item.name.endswith(".yaml"))


def builtin_text(name: str) -> str:
    """The YAML of built-in routine `name`, comments and all."""
    return (resources.files("coach.routines") / f"{name}.yaml").read_text("utf-8")


def load_routine(name_or_path: str | None) -> Routine:
    """A routine file's path, or a built-in's name; None means the default built-in."""
    name = name_or_path or DEFAULT_ROUTINE
    path = Path(name)
    if path.is_file():
        return load_file(path)
    if name in builtin_names():
        return load_text(builtin_text(name), f"{name}.yaml")
    if path.exists():  # a folder, a pipe or a device: load_file says which
        return load_file(path)
    if path.suffix in (".yaml", ".yml") or "/" in name:
        raise UsageError(f"routine file {quoted(name)} not found")
    raise UsageError(f"{quoted(name)} is neither a routine file nor a built-in routine "
                     f"({', '.join(builtin_names())}){did_you_mean(name, builtin_names())}")
