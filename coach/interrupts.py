"""Stopping cleanly: SIGTERM and SIGHUP end a run the way Ctrl-C does, and scratch files never outlive it.

`timeout`, systemd and a closing terminal send SIGTERM or SIGHUP, whose
default action kills the process before any `finally` runs. Here each of
them (and SIGINT) raises instead, once: later signals are ignored, so the
cleanup the first one started cannot itself be cut short. Every scratch
file or folder is registered before it exists, so whatever a signal
landing mid-cleanup left is removed by `remove_leftovers` on the way out.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

_leftovers: set[Path] = set()


class Stopped(BaseException):
    """A signal other than SIGINT asked us to stop. A BaseException, like KeyboardInterrupt,
    so no `except Exception` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def stop_on_signals() -> None:
    """In the main process, before any work: the stop signals raise instead of killing."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)


def detach_worker() -> None:
    """In a worker process, first thing: out of the terminal's and `timeout`'s reach.

    Signals sent to the whole process group (Ctrl-C, `timeout`, a closing terminal) would kill
    workers while they hold the pool's queue lock, and the parent's cleanup would then wait for
    that lock forever. In a group of their own they hear only the parent, which stops them with
    SIGTERM. That kills at once (the default action): a Python handler could miss a signal that
    lands just before a blocking wait, and the worker would then wait forever.
    """
    if hasattr(os, "setpgrp"):
        os.setpgrp()
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Stop signals wait until the block ends: processes forked inside it start with them blocked,
    so none of them can run the parent's handler before resetting its own."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _stop(signum: int, frame) -> None:
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signum)


@contextlib.contextmanager
def scratch_path(folder: Path, prefix: str) -> Iterator[Path]:
    """An unused name in `folder` for the caller to create a file or folder at; removed when the block
    ends, however it ends."""
    path = folder / f"{prefix}{secrets.token_hex(8)}"
    _leftovers.add(path)
    try:
        yield path
    finally:
        _remove(path)
        _leftovers.discard(path)


def remove_leftovers() -> None:
    """Remove every registered scratch path still there: the last step of a stopped run."""
    for path in list(_leftovers):
        _remove(path)
        _leftovers.discard(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
