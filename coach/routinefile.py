"""Reading a routine file without trusting it: a regular file, at most the size limit, UTF-8.

`coach.boundedread` checks the kind and size before reading, so a sparse 1 GB
file is refused at once and a FIFO or device named as a routine is refused,
not waited on.
"""

from __future__ import annotations

from pathlib import Path

from coach.boundedread import UnsafeFile, read_bounded
from coach.errors import RoutineError
from coach.limits import MAX_FILE_BYTES


def read_routine_text(path: Path, shown: str) -> str:
    """The text of the routine file at `path` (`shown` names it in messages)."""
    try:
        data = read_bounded(path, MAX_FILE_BYTES)
    except UnsafeFile as problem:
        raise RoutineError(shown, 1, 1, f"the routine {problem}") from None
    except OSError as problem:
        raise RoutineError(shown, 1, 1, f"cannot read the file: {problem.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as problem:
        before = data[:problem.start].decode("utf-8", "replace").split("\n")
        raise RoutineError(shown, len(before), len(before[-1]) + 1,
                           "the file is not UTF-8 text; save it as UTF-8") from None
