"""The `coach` command: turns options into library calls, prints, maps errors to exit codes.

One module per group of commands (`routines`, `sessions`) on the group and options of `shared`;
here only the entry point, which turns every error into one line and an exit code.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import NoReturn

import click

from coach.cli import routines, sessions  # noqa: F401  (importing them registers their commands)
from coach.cli.shared import cli
from coach.errors import EXIT_ROUTINE, EXIT_USAGE, CoachError

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point: one line per error, the exit code from the error, no traceback unless --debug.

    A stop signal (Ctrl-C, SIGTERM, SIGHUP) ends the run like an error does: every scratch file is
    removed, and the exit code is 128 + the signal's number, as a shell reports a killed command.
    """
    try:
        _main()
    except SystemExit as done:
        _leave(done.code)
    _leave(0)


def _leave(code: int | str | None) -> NoReturn:
    """Exit without finalizing the interpreter, which collects every object left (40 ms after a render,
    a thirtieth of it) to free memory the system takes back anyway. Exit handlers run (CPython's own
    entry to them) and output is flushed first; threads still running are not waited for, so every
    command ends its own (they all do)."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None: started with the stream closed
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nobody is reading any more
                stream.flush()
    os._exit(code or 0)


def _main() -> None:
    from coach import runtime
    from coach.interrupts import Stopped, remove_leftovers, stop_on_signals

    runtime.prepare()
    stop_on_signals()
    try:
        _run()
    except KeyboardInterrupt:
        remove_leftovers()
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Stopped as stop:
        remove_leftovers()
        click.echo(f"stopped by {stop}", err=True)
        sys.exit(128 + stop.signum)


def _run() -> None:
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:  # click's own word for Ctrl-C at a prompt
        raise KeyboardInterrupt from None
    except click.ClickException as problem:
        problem.show()
        sys.exit(problem.exit_code if problem.exit_code else EXIT_USAGE)
    except CoachError as error:
        if debug:
            raise
        click.echo(error.line(), err=True)
        sys.exit(error.exit_code)
    except Exception as error:  # a bug of ours: still one line, and how to see more
        if debug:
            raise
        click.echo(f"error: internal error: {type(error).__name__}: {error} (rerun with --debug for details)", err=True)
        sys.exit(EXIT_ROUTINE)
