"""Where a render may write: the one regular file asked for, never one of its inputs.

A render replaces its output by renaming a finished file over it, which
would just as happily replace the routine being rendered, a cue sound, a
folder's worth of name, or `/dev/null`. Those are refused before any work.
An output that is a symbolic link is written through: the file it points
to is replaced (atomically, in that file's folder) and the link stays.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from coach.boundedread import UnsafeFile, check_regular
from coach.errors import EnvironmentProblem, quoted

OTHER_FILE = "choose another file with -o"


def output_target(requested: Path, inputs: Mapping[Path, str]) -> Path:
    """The file to replace for `requested`: itself, or the file its symlink points to.

    `inputs` are the files the render reads, each with what it is to a user ("the routine").
    """
    try:
        target = requested.resolve()
        info = os.stat(target)
    except FileNotFoundError:
        return target  # a new file (or a dangling link's future target)
    except (OSError, RuntimeError) as problem:  # a symlink loop, an unreadable folder
        raise EnvironmentProblem(f"cannot write {quoted(str(requested))} ({_reason(problem)})", OTHER_FILE) from None
    try:
        check_regular(info, limit=info.st_size)
    except UnsafeFile as problem:
        raise EnvironmentProblem(f"refusing to write the MP3 to {quoted(str(requested))}: it {problem}", OTHER_FILE) from None
    for path, what in inputs.items():
        if _same_file(info, path):
            raise EnvironmentProblem(f"refusing to write the MP3 over {quoted(str(requested))}: it is {what}", OTHER_FILE)
    return target


def _same_file(info: os.stat_result, path: Path) -> bool:
    try:
        other = os.stat(path)
    except OSError:
        return False
    return (info.st_dev, info.st_ino) == (other.st_dev, other.st_ino)


def _reason(problem: BaseException) -> str:
    return getattr(problem, "strerror", None) or str(problem)
