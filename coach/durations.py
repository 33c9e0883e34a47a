"""Durations as people write them (`45`, `1m30s`, `1:30`, `30-45s`) parsed to exact seconds.

Parsed from the source text, never from YAML's own reading, so an unquoted
`1:30` is 90 seconds whatever YAML version a parser follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from coach.errors import quoted
from coach.limits import MAX_NUMBER_CHARS

_UNITS = {"h": 3600, "m": 60, "s": 1}
_SMALLER = {"h": "m", "m": "s", "s": None}
_PLURAL = {"h": "hours", "m": "minutes"}
_UNIT_WORDS = {
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
}
_NUMBER = r"\d+(?:\.\d+)?"
_PART = re.compile(rf"\s*({_NUMBER})\s*([a-z]*)\s*")
_CLOCK = re.compile(rf"^(\d+):([0-5]\d(?:\.\d+)?)(?::([0-5]\d(?:\.\d+)?))?$")
_TOO_LONG = re.compile(rf"[\d.]{{{MAX_NUMBER_CHARS + 1}}}")


@dataclass(frozen=True)
class Span:
    """A duration that may be a range: `lo == hi` for a fixed duration."""

    lo: Fraction
    hi: Fraction

    @property
    def is_range(self) -> bool:
        return self.hi > self.lo

    def at(self, fraction: Fraction) -> Fraction:
        """The value this span takes at `fraction` of its width, in whole seconds past `lo`."""
        whole = int((self.hi - self.lo) * fraction)
        return self.lo + whole


def parse_duration(text: str, *, allow_negative: bool = False) -> Fraction:
    """Seconds in `text`; ValueError with a readable reason otherwise."""
    body = text.strip().lower()
    sign = 1
    if allow_negative and body.startswith("-"):
        sign, body = -1, body[1:].strip()
    seconds = _parse_unsigned(body, default_unit="s")
    if seconds is None:
        raise ValueError(f"{quoted(text)} is not a duration (try 45s, 1m30s or 1:30)")
    return sign * seconds


def parse_span(text: str) -> Span:
    """A duration or a range `30-45s` / `1m-2m`; the lower end may borrow the upper's unit."""
    body = text.strip().lower()
    if "-" not in body:
        value = parse_duration(body)
        return Span(value, value)
    left, _, right = body.partition("-")
    hi = _parse_unsigned(right.strip(), default_unit="s")
    unit = _first_unit(right)
    lo = _parse_unsigned(left.strip(), default_unit=unit)
    if lo is None or hi is None:
        raise ValueError(f"{quoted(text)} is not a duration range (try 30-45s or 1m-2m)")
    if hi < lo:
        raise ValueError(f"range {quoted(text)} ends before it starts")
    return Span(lo, hi)


def format_seconds(seconds: float | Fraction) -> str:
    """Short human form for messages and tables: `45s`, `1m30s`, `1h02m`."""
    if seconds < 0:
        return "-" + format_seconds(-seconds)
    total = round(float(seconds), 1)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(int(minutes), 60)
    secs_text = f"{secs:g}s" if secs else ""
    if hours:
        return f"{hours}h{minutes:02d}m{secs_text}"
    if minutes:
        return f"{minutes}m{secs_text}"
    return f"{secs:g}s"


def _parse_unsigned(body: str, default_unit: str) -> Fraction | None:
    if _TOO_LONG.search(body):  # no arithmetic on numbers no duration needs
        return None
    clock = _CLOCK.match(body)
    if clock:
        first, second, third = clock.groups()
        if third is None:
            return Fraction(first) * 60 + Fraction(second)
        if "." in second:
            return None
        return Fraction(first) * 3600 + Fraction(second) * 60 + Fraction(third)
    total, position, used, too_big = Fraction(0), 0, [], None
    while position < len(body):
        part = _PART.match(body, position)
        if not part or part.end() == position:
            return None
        number, word = part.groups()
        # A bare number after a unit counts in the next smaller unit: 1h30 is 1h30m, 1m30 is 1m30s.
        bare_unit = _SMALLER[used[-1]] if used else default_unit
        unit = _UNIT_WORDS.get(word) if word else bare_unit
        if unit is None or unit in used:
            return None
        if used and Fraction(number) >= 60 and too_big is None:  # 1m70s: a typo more often than 2m10s
            too_big = f"{number}{unit} after the {_PLURAL[used[-1]]}"
        used.append(unit)
        total += Fraction(number) * _UNITS[unit]
        position = part.end()
    if not used or (len(used) > 1 and not _descending(used)):
        return None
    if too_big is not None:
        raise ValueError(f"{quoted(body)} has {too_big}; write {format_seconds(total)} (up to 59 of each unit)")
    return total


def _descending(units: list[str]) -> bool:
    order = [_UNITS[u] for u in units]
    return order == sorted(order, reverse=True)


def _first_unit(text: str) -> str:
    part = _PART.match(text.strip())
    word = part.group(2) if part else ""
    return _UNIT_WORDS.get(word, "s")


def text_pattern(*, signed: bool = False, ranged: bool = False) -> str:
    """The spellings above as a JSON Schema (ECMA-262) pattern, so an editor flags `45 sekunds` as you type.

    A loose superset: unit order, repeated units and `hi < lo` are left to the loader's messages.
    """
    words = "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
    unit = "(?:" + "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in words) + ")"
    clock = rf"\d+:[0-5]\d(?:\.\d+)?(?::[0-5]\d(?:\.\d+)?)?"
    parts = rf"{_NUMBER}\s*{unit}?(?:\s*{_NUMBER}\s*{unit}?)*"
    one = rf"(?:{clock}|{parts})"
    body = rf"{one}(?:\s*-\s*{one})?" if ranged else one
    sign = r"-?\s*" if signed else ""
    return rf"^\s*{sign}{body}\s*$"
