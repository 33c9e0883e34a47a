"""Domain errors carry what the CLI needs to print one line and pick an exit code."""

from __future__ import annotations

from coach.wording import plural

EXIT_ROUTINE = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3

QUOTED_CHARS = 60
"""Echoed user text longer than this is cut: a message stays one readable line."""


def quoted(text: str) -> str:
    """`text` in single quotes for a message: line breaks and other invisible characters escaped, long text cut."""
    if len(text) > QUOTED_CHARS:
        text = text[:QUOTED_CHARS - 3] + "..."
    return "'" + "".join(char if char.isprintable() else repr(char)[1:-1] for char in text) + "'"


class CoachError(Exception):
    """Base of every error `coach` reports to a user without a traceback."""

    exit_code = EXIT_ROUTINE

    def line(self) -> str:
        return str(self)


class RoutineError(CoachError):
    """The routine is wrong at a known place: printed as `FILE:LINE:COL: error: MESSAGE`."""

    def __init__(self, path: str, line: int, col: int, message: str):
        super().__init__(message)
        self.path, self.lineno, self.col, self.message = path, line, col, message

    def line(self) -> str:
        return f"{self.path}:{self.lineno}:{self.col}: error: {self.message}"


class RoutineErrors(RoutineError):
    """Every independent mistake found in one routine, in file order: it reads as the first,
    and prints up to `shown` located lines, then how many more there are."""

    def __init__(self, errors: list[RoutineError], shown: int):
        first = errors[0]
        super().__init__(first.path, first.lineno, first.col, first.message)
        self.errors, self.shown = tuple(errors), shown

    def line(self) -> str:
        lines = [error.line() for error in self.errors[:self.shown]]
        hidden = len(self.errors) - self.shown
        if hidden > 0:
            lines.append(f"{self.path}: and {plural(hidden, 'more error')}; fix these first")
        return "\n".join(lines)


class UsageError(CoachError):
    """A command-line option is wrong (not the routine)."""

    exit_code = EXIT_USAGE

    def line(self) -> str:
        return f"error: {self}"


class EnvironmentProblem(CoachError):
    """The machine lacks something (engine, encoder, writable dir); `fix` says how to get it."""

    exit_code = EXIT_ENVIRONMENT

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.fix = fix

    def line(self) -> str:
        return f"error: {self} (fix: {self.fix})"
