"""Reading a routine file: regular files only, size checked before reading, never a hang."""

from __future__ import annotations

import os
import time

import pytest

from coach.errors import RoutineError
from coach.library import load_routine
from coach.limits import MAX_FILE_BYTES


def _refusal(path) -> str:
    started = time.monotonic()
    with pytest.raises(RoutineError) as caught:
        load_routine(str(path))
    assert time.monotonic() - started < 5
    assert (caught.value.lineno, caught.value.col) == (1, 1)
    return caught.value.message


def test_a_huge_sparse_file_is_refused_before_it_is_read(tmp_path):
    routine = tmp_path / "huge.yaml"
    with open(routine, "wb") as file:
        file.truncate(1 << 30)  # 1 GB of holes: 12.5 s and 3.1 GB when it was read first
    assert _refusal(routine) == "the routine is larger than 1,000,000 bytes"


def test_one_byte_past_the_limit_is_refused(tmp_path):
    routine = tmp_path / "big.yaml"
    routine.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    assert _refusal(routine) == "the routine is larger than 1,000,000 bytes"


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert _refusal(fifo) == "the routine is not a regular file (a device, FIFO or socket)"


def test_a_folder_is_refused(tmp_path):
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert _refusal(folder) == "the routine is a folder, not a file"


def test_a_device_is_refused():
    assert _refusal(os.devnull) == "the routine is not a regular file (a device, FIFO or socket)"
