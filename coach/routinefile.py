"""Reading a routine file without trusting it: a regular file, at most the size limit, UTF-8.

The size is checked before reading and at most one byte past the limit is
read, so a sparse 1 GB file is refused at once; the file is opened without
blocking, so a FIFO or a device named as a routine is refused, not waited on.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from coach.errors import RoutineError
from coach.limits import MAX_FILE_BYTES
from coach.yamlsource import check_size

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def read_routine_text(path: Path, shown: str) -> str:
    """The text of the routine file at `path` (`shown` names it in messages)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(descriptor)
            _refuse_other_kinds(info.st_mode, shown)
            check_size(info.st_size, shown)
            data = _read_at_most(descriptor, MAX_FILE_BYTES + 1)
        finally:
            os.close(descriptor)
    except OSError as problem:
        raise RoutineError(shown, 1, 1, f"cannot read the file: {problem.strerror}") from None
    check_size(len(data), shown)  # the file may have grown since it was measured
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as problem:
        before = data[:problem.start].decode("utf-8", "replace").split("\n")
        raise RoutineError(shown, len(before), len(before[-1]) + 1,
                           "the file is not UTF-8 text; save it as UTF-8") from None


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(descriptor, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _refuse_other_kinds(mode: int, shown: str) -> None:
    for is_kind, kind in _KINDS:
        if is_kind(mode):
            raise RoutineError(shown, 1, 1, f"this is {kind}, not a routine file")
