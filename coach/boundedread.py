"""Reading a file we did not write: a regular file only, and never more than a limit.

A path may name a FIFO (an open that never returns), a device (`/dev/zero`
never ends), a directory, or a huge sparse file. Each must fail at once,
not hang the run or fill memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnsafeFile(ValueError):
    """The path is not a regular file of at most the allowed size; the message says which."""


def read_bounded(path: Path | str, limit: int) -> bytes:
    """The whole file, read only after it proved to be a regular file of at most `limit` bytes.

    OSError (missing, unreadable) passes through; anything else unsafe is UnsafeFile.
    """
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        check_regular(os.fstat(handle), limit)  # before fdopen, which refuses a folder with its own error
    except UnsafeFile:
        os.close(handle)
        raise
    with os.fdopen(handle, "rb") as file:
        data = file.read(limit + 1)  # the size may have grown since fstat
    if len(data) > limit:
        raise UnsafeFile(f"is larger than {limit:,} bytes")
    return data


def check_regular(info: os.stat_result, limit: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise UnsafeFile("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFile("is not a regular file (a device, FIFO or socket)")
    if info.st_size > limit:
        raise UnsafeFile(f"is larger than {limit:,} bytes")
