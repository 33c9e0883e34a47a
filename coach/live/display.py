"""What a session shows: a calm screen redrawn in place on a terminal, or one line per step elsewhere.

The screen fits 80 columns: where you are (section, step, side, round), a
large countdown of the hold or breath phase, what comes next, and the
progress of the whole session. It is drawn from the session's position, so
it follows the device's clock; drawing never touches the audio.
"""

from __future__ import annotations

import click

from coach.live.steps import Now, seconds_left
from coach.timeline import clock

WIDTH = 78
BAR = 40
DIGITS = {  # three rows per character, drawn with block elements
    "0": ("█▀█", "█ █", "▀▀▀"), "1": (" ▀█", "  █", "  ▀"), "2": ("▀▀█", "█▀▀", "▀▀▀"), "3": ("▀▀█", " ▀█", "▀▀▀"),
    "4": ("█ █", "▀▀█", "  ▀"), "5": ("█▀▀", "▀▀█", "▀▀▀"), "6": ("█▀▀", "█▀█", "▀▀▀"), "7": ("▀▀█", "  █", "  ▀"),
    "8": ("█▀█", "█▀█", "▀▀▀"), "9": ("█▀█", "▀▀█", "▀▀▀"), ":": (" ", "▀", "▀"),
}
KEYS_HELP = "space pause · n next · p back (twice: step before) · q quit"


def big(text: str) -> list[str]:
    return ["  ".join(DIGITS[char][row] for char in text) for row in range(3)]


def countdown_text(samples: int) -> str:
    seconds = seconds_left(samples)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else str(seconds)


def screen(title: str, now: Now | None, position: int, duration: int, paused: bool, complete: bool) -> list[str]:
    """The lines of the screen, styled, each at most `WIDTH` columns wide."""
    state = click.style("paused", fg="yellow", bold=True) if paused else click.style("playing", fg="green")
    lines = [_fit(title, WIDTH - len("  playing")) + "  " + state, ""]
    if now is None:
        lines += ["Getting the first words ready…", "", "", "", ""]
    else:
        rounds = _round(now)
        lines.append(click.style(_fit(now.step.title(), WIDTH - len(rounds)), bold=True) + rounds)
        if now.phase:
            lines.append(f"{now.phase}: {seconds_left(now.phase_left)} s")
            lines += ["    " + row for row in big(countdown_text(now.phase_left))]
        else:
            lines += ["", "", "", ""]
        coming = now.next.title() if now.next else "the end" if complete else "…"
        lines.append(click.style(_fit(f"Next: {coming}", WIDTH), dim=True))
    filled = BAR * position // duration if duration else 0
    total = clock(duration) if complete else "…"
    left = f"{clock(duration - position)} left" if complete else ""
    lines += ["", f"[{'#' * filled}{'-' * (BAR - filled)}] {clock(position)} / {total}  {left}",
              click.style(KEYS_HELP, dim=True)]
    return lines


def step_line(now: Now) -> str:
    """The line printed when a step begins, without a terminal: its start and its name."""
    return f"{clock(now.began)}  {now.step.title()}{_round(now)}"


def _round(now: Now) -> str:
    return f" · round {now.step.round} of {now.rounds}" if now.rounds > 1 else ""


def _fit(text: str, room: int) -> str:
    return text if len(text) <= room else text[:room - 1] + "…"


class Screen:
    """Redraws the same lines in place: moves back up over the last drawing and clears it."""

    def __init__(self, out):
        self.out, self.drawn = out, 0

    def draw(self, lines: list[str]) -> None:
        up = f"\x1b[{self.drawn}F" if self.drawn else ""
        self.out.write(up + "\x1b[J" + "\n".join(lines) + "\n")
        self.out.flush()
        self.drawn = len(lines)
