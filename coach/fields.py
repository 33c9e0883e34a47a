"""Typed, located reads from a YAML mapping: each bad value becomes one `RoutineError`.

The loader asks for `fields.duration("prepare")` and gets a checked value or
an error that points at the exact key or value, with a did-you-mean.
"""

from __future__ import annotations

import difflib
from fractions import Fraction
from typing import Callable, Iterable, TypeVar

from coach.durations import Span, parse_duration, parse_span
from coach.errors import RoutineError, RoutineErrors, quoted
from coach.limits import MAX_ERRORS_SHOWN, MAX_PHRASE_CHARS, MAX_TRACK_SECONDS
from coach.yamlsource import Map, Node, Scalar, Seq

T = TypeVar("T")


def too_long(key: str) -> str:
    """The message for a duration past the track limit: nothing in a routine can be longer."""
    return f"'{key}' is longer than the {MAX_TRACK_SECONDS // 3600} h limit"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for a close match, else empty."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


class Source:
    """The file being loaded: where errors point, and the errors found so far.

    The loader reads each independent part of a routine (a key, a section, a
    step, a cue) through `read`: a part with a mistake is noted and skipped,
    the next part is read, and `raise_errors` then reports them all.
    """

    def __init__(self, path: str):
        self.path = path
        self.errors: list[RoutineError] = []

    def note(self, node: Node | None, message: str) -> None:
        """An error that leaves the part around it readable."""
        self.errors.append(self.error(node, message))

    def read(self, part: Callable[..., T], *args, fallback: T | None = None, **kwargs) -> T | None:
        """`part(*args, **kwargs)`, or `fallback` once its error is noted.

        A value read after an error is never used (`raise_errors` comes before the routine is
        built): `fallback` only has to keep the reading of the other parts going.
        """
        try:
            return part(*args, **kwargs)
        except RoutineError as error:
            self.errors.append(error)
            return fallback

    def raise_errors(self) -> None:
        """Every error noted, in file order, as one (nothing when the routine is sound)."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise RoutineErrors(sorted(self.errors, key=lambda error: (error.lineno, error.col)), MAX_ERRORS_SHOWN)

    def error(self, node: Node | None, message: str) -> RoutineError:
        line, col = (node.line, node.col) if node is not None else (1, 1)
        return RoutineError(self.path, line, col, message)

    def mapping(self, node: Node, what: str, allowed: Iterable[str]) -> "Fields":
        if not isinstance(node, Map):
            raise self.error(node, f"{what} must be a mapping of keys (like 'name: ...')")
        return Fields(self, node, what, tuple(allowed))


class Fields:
    """One mapping, checked for unknown keys up front, read key by key."""

    def __init__(self, source: Source, node: Map, what: str, allowed: tuple[str, ...]):
        self.source, self.node, self.what = source, node, what
        for key, _ in node.items:
            if key.text not in allowed:
                hint = did_you_mean(key.text, allowed) or f"; the keys here are {', '.join(allowed)}"
                raise source.error(key, f"unknown key {quoted(key.text)} in {what}{hint}")

    def has(self, key: str) -> bool:
        return self.node.get(key) is not None

    def raw(self, key: str) -> Node | None:
        return self.node.get(key)

    def error(self, key: str, message: str) -> RoutineError:
        node = self.node.get(key)
        return self.source.error(node if node is not None else self.node, message)

    def require(self, key: str) -> Node:
        value = self.node.get(key)
        if value is None:
            raise self.source.error(self.node, f"{self.what} needs '{key}'")
        return value

    def text(self, key: str, default: str | None = None, *, empty_ok: bool = False) -> str | None:
        node = self.node.get(key)
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return default
        return self.text_of(node, key, empty_ok=empty_ok)

    def text_of(self, node: Node, key: str, *, empty_ok: bool = False) -> str:
        if not isinstance(node, Scalar):
            raise self.source.error(node, f"'{key}' must be text")
        text = " ".join(node.text.split())
        if not text and not empty_ok:
            raise self.source.error(node, f"'{key}' is empty")
        if len(text) > MAX_PHRASE_CHARS:
            raise self.source.error(node, f"'{key}' is longer than {MAX_PHRASE_CHARS} characters")
        return text

    def lines(self, key: str) -> tuple[str, ...]:
        """A text or a non-empty list of texts."""
        node = self.require(key)
        if isinstance(node, Seq):
            if not node.items:
                raise self.source.error(node, f"'{key}' is an empty list")
            return tuple(self.text_of(item, key) for item in node.items)
        return (self.text_of(node, key),)

    def span(self, key: str, default: Span | None = None, *, zero_ok: bool = False) -> Span | None:
        node = self.node.get(key)
        if node is None:
            return default
        self._not_negative(node, key, zero_ok)
        try:
            span = parse_span(self._scalar_text(node, key))
        except ValueError as problem:
            raise self.source.error(node, str(problem)) from None
        if span.lo < 0 or (span.lo == 0 and not zero_ok):
            raise self.source.error(node, f"'{key}' must be longer than zero")
        if span.hi > MAX_TRACK_SECONDS:
            raise self.source.error(node, too_long(key))
        return span

    def duration(self, key: str, default: Fraction | None = None, *, zero_ok: bool = False,
                 negative_ok: bool = False) -> Fraction | None:
        node = self.node.get(key)
        if node is None:
            return default
        if not negative_ok:
            self._not_negative(node, key, zero_ok)
        try:
            value = parse_duration(self._scalar_text(node, key), allow_negative=negative_ok)
        except ValueError as problem:
            raise self.source.error(node, str(problem)) from None
        if value == 0 and not zero_ok or value < 0 and not negative_ok:
            raise self.source.error(node, f"'{key}' must be longer than zero")
        if abs(value) > MAX_TRACK_SECONDS:
            raise self.source.error(node, too_long(key))
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        return self._number(key, default, low, high, (int,), "a whole number")

    def number(self, key: str, default: float, low: float, high: float) -> float:
        return self._number(key, default, low, high, (int, float), "a number")

    def _number(self, key: str, default, low, high, kinds: tuple[type, ...], kind_name: str):
        node = self.node.get(key)
        if node is None:
            return default
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
            shown = quoted(node.text) if isinstance(node, Scalar) else "a list or mapping"
            raise self.source.error(node, f"'{key}' must be {kind_name} from {low:g} to {high:g}, not {shown}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        node = self.node.get(key)
        if node is None:
            return default
        if not isinstance(node, Scalar) or not isinstance(node.value, bool):
            shown = quoted(node.text) if isinstance(node, Scalar) else "a list or mapping"
            raise self.source.error(node, f"'{key}' must be true or false, not {shown}")
        return node.value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        node = self.node.get(key)
        if node is None:
            return default
        text = self._scalar_text(node, key)
        if text not in choices:
            raise self.source.error(node, f"'{key}' must be one of {', '.join(choices)}, not {quoted(text)}"
                                    + did_you_mean(text, choices))
        return text

    def _not_negative(self, node: Node, key: str, zero_ok: bool) -> None:
        if self._scalar_text(node, key).strip().startswith("-"):
            raise self.source.error(node, f"'{key}' cannot be negative" if zero_ok
                                    else f"'{key}' must be longer than zero")

    def _scalar_text(self, node: Node, key: str) -> str:
        if not isinstance(node, Scalar) or node.value is None:
            raise self.source.error(node, f"'{key}' needs a value")
        return node.text
