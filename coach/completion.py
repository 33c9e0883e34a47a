"""What the shell offers while typing a command: routine files, built-in names, optional sections.

Completion runs on every Tab press, so a routine that does not load simply
offers nothing, and nothing is ever printed.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from coach.errors import CoachError

ROUTINE_SUFFIXES = (".yaml", ".yml")


def builtins(incomplete: str) -> list[str]:
    from coach.library import builtin_names

    return [name for name in builtin_names() if name.startswith(incomplete)]


def routines(incomplete: str) -> list[str]:
    """Built-in names, routine files and folders (to go on into) that start with `incomplete`."""
    folder, prefix = os.path.split(incomplete)
    try:
        entries = sorted(os.scandir(folder or "."), key=lambda entry: entry.name)
    except OSError:
        entries = []
    files = []
    for entry in entries:
        if not entry.name.startswith(prefix) or entry.name.startswith(".") and not prefix.startswith("."):
            continue
        path = os.path.join(folder, entry.name)
        if entry.is_dir():
            files.append(path + "/")
        elif Path(entry.name).suffix.lower() in ROUTINE_SUFFIXES:
            files.append(path)
    return builtins(incomplete) + files


def routines_on_line() -> list[str]:
    """The routine files and built-in names on the line being completed (in `COMP_WORDS`, as every shell sends it).

    Read from the words, not click's parse: click drops what it parsed when the line ends in an
    option still missing its value, as `--with` does while its value is being completed.
    """
    from coach.library import builtin_names

    line = os.environ.get("COMP_WORDS", "")
    try:
        words = shlex.split(line)
    except ValueError:  # an unclosed quote: the user is still typing it
        words = line.split()
    return [word for word in words[1:] if word in builtin_names()
            or Path(word).suffix.lower() in ROUTINE_SUFFIXES and Path(word).is_file()]


def optional_sections(routine_names: list[str], incomplete: str) -> list[str]:
    """The optional sections (what `--with` takes) of the routines named; none: the built-in one."""
    from coach.library import load_routine

    found = []
    for name in routine_names or [None]:
        try:
            routine = load_routine(name)
        except CoachError:
            continue
        found += [section.name for section in routine.sections
                  if section.optional and section.name.casefold().startswith(incomplete.casefold())]
    return list(dict.fromkeys(found))


def for_shell(words: list[str]) -> list[str]:
    """bash inserts a completion as it is, so a space is escaped there (zsh and fish quote for themselves).

    Click's bash script reads each line with `read` (no -r), which eats one level of backslashes.
    """
    if os.environ.get("_COACH_COMPLETE", "").startswith("bash"):
        return [word.replace(" ", "\\\\ ") for word in words]
    return words
