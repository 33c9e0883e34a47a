"""Single key presses from the terminal, and a terminal that is always given back as it was found.

cbreak mode (no echo, no line buffering) keeps Ctrl-C a signal, so it stops
the session like anywhere else. The previous settings and the cursor come
back on every way out: the end, `q`, an error, or a stop signal (Ctrl-C,
SIGTERM and SIGHUP raise, see `coach.interrupts`, so `finally` runs).
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from typing import Iterator

ACTIONS = {" ": "pause", "n": "skip", "\x1b[C": "skip", "p": "back", "\x1b[D": "back", "q": "quit"}
HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"


@contextlib.contextmanager
def keyboard() -> Iterator[int]:
    """The terminal in cbreak mode with the cursor hidden; yields stdin's descriptor."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        sys.stdout.write(HIDE_CURSOR)
        sys.stdout.flush()
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        sys.stdout.write(SHOW_CURSOR)
        sys.stdout.flush()


def read_action(fd: int, timeout: float) -> str | None:
    """The action of the next key pressed within `timeout` seconds, or None."""
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return None
    pressed = os.read(fd, 16).decode(errors="replace")
    return ACTIONS.get(pressed) or ACTIONS.get(pressed[:1].lower())
