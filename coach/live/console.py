"""Runs a session in a terminal: keys in, screen out, until the session ends or the user quits.

Without a terminal there are no keys, and each step gets one line with its time.
The loop waits on the keyboard (or on the session's end) with a timeout, so
the screen follows the device's clock without any sleeping of its own.
"""

from __future__ import annotations

import sys
from typing import Callable

from coach.live.display import Screen, screen, step_line
from coach.live.keys import keyboard, read_action
from coach.live.session import Session

REFRESH_SECONDS = 0.1


def coach_on_terminal(session: Session, title: str) -> None:
    drawing = Screen(sys.stdout)
    with keyboard() as fd:
        session.play()
        while not session.wait(0):
            action = read_action(fd, REFRESH_SECONDS)
            if action == "quit":
                break
            if action == "pause" and session.paused:
                session.resume()
            elif action:
                getattr(session, action)()
            drawing.draw(_screen(session, title))
        drawing.draw(_screen(session, title))


def coach_in_lines(session: Session, echo: Callable[[str], None]) -> None:
    session.play()
    shown = None
    while not session.wait(REFRESH_SECONDS):
        now = session.now()
        if now is not None and now.step != shown:
            echo(step_line(now))
            shown = now.step


def _screen(session: Session, title: str) -> list[str]:
    placed = session.placed
    duration = placed.timeline.duration if placed else 0
    return screen(title, session.now(), session.position, duration, session.paused, bool(placed and placed.complete))
