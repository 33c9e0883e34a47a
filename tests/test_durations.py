"""Durations as people write them: accepted and rejected forms, ranges, and `format_seconds`."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from coach.durations import Span, format_seconds, parse_duration, parse_span
from coach.errors import RoutineError
from coach.loader import load_text

ACCEPTED = [
    ("45", 45),
    ("45s", 45),
    ("1m", 60),
    ("1m30s", 90),
    ("90 s", 90),
    ("1:30", 90),
    ("0:45", 45),
    ("00:45", 45),
    ("1:00:00", 3600),
    ("1h", 3600),
    ("2.5s", Fraction(5, 2)),
    ("1.5m", 90),
    ("90sec", 90),
    ("2 minutes", 120),
    ("1 m 30 s", 90),
    ("  45s  ", 45),
]

REJECTED = ["", "s", "abc", "-5s", "5x", "1:75", "1:5", "1.5.5", "1e3", "1m1h", "1s1s", "30-45s", ".5s", "1:"]

SPANS = [
    ("30-45s", 30, 45),
    ("30s-45s", 30, 45),
    ("1m-2m", 60, 120),
    ("1-2m", 60, 120),
    ("30 - 45 s", 30, 45),
    ("1:00-1:30", 60, 90),
    ("45s", 45, 45),
    ("2.5-4s", Fraction(5, 2), 4),
]

REJECTED_SPANS = ["45-30s", "1m-30", "30-", "-30s", "30--45", "a-b", "30-45x"]


@pytest.mark.parametrize("text, seconds", ACCEPTED)
def test_accepted_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", REJECTED)
def test_rejected_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_negative_only_where_allowed():
    assert parse_duration("-10s", allow_negative=True) == -10
    assert parse_duration("-1:30", allow_negative=True) == -90


@pytest.mark.parametrize("text, lo, hi", SPANS)
def test_spans(text, lo, hi):
    span = parse_span(text)
    assert (span.lo, span.hi) == (lo, hi)
    assert span.is_range == (lo != hi)


@pytest.mark.parametrize("text", REJECTED_SPANS)
def test_rejected_spans(text):
    with pytest.raises(ValueError):
        parse_span(text)


def test_span_at_takes_whole_seconds_of_the_width():
    span = Span(Fraction(30), Fraction(45))
    assert span.at(Fraction(0)) == 30
    assert span.at(Fraction(1)) == 45
    assert span.at(Fraction(1, 2)) == 37  # 30 + floor(7.5)
    assert span.at(Fraction(14, 15)) == 44
    assert span.at(Fraction(14, 15) - Fraction(1, 10**9)) == 43
    fractional = Span(Fraction(5, 2), Fraction(4))
    assert fractional.at(Fraction(1)) == Fraction(7, 2)  # whole seconds past lo: never reaches hi


# Durations as they arrive through YAML: the source text is parsed, never YAML 1.1's own reading.

def _hold_duration(value: str) -> Span:
    text = f"title: T\nsections:\n  - name: S\n    steps:\n      - name: Hold\n        duration: {value}\n"
    return load_text(text, "d.yaml").sections[0].steps[0].duration


@pytest.mark.parametrize("yaml_value, lo, hi", [
    ("1:30", 90, 90),        # YAML 1.1 would read base 60 -> 90 as well, but from the int, not the text
    ("0:45", 45, 45),
    ("'1:30'", 90, 90),
    ("45", 45, 45),
    ("2.5", Fraction(5, 2), Fraction(5, 2)),
    ("2.5s", Fraction(5, 2), Fraction(5, 2)),
    ("1m30s", 90, 90),
    ("90 s", 90, 90),
    ("1h", 3600, 3600),
    ("30-45s", 30, 45),
    ("1-2m", 60, 120),
    ("1:00-1:30", 60, 90),
])
def test_durations_through_yaml(yaml_value, lo, hi):
    span = _hold_duration(yaml_value)
    assert (span.lo, span.hi) == (lo, hi)


@pytest.mark.parametrize("yaml_value, message", [
    ("0", "longer than zero"),
    ("0s", "longer than zero"),
    ("0:00", "longer than zero"),
    ("-5s", "not a duration|longer than zero"),
    ("fast", "not a duration"),
    ("45-30s", "ends before it starts"),
    ("[45]", "needs a value"),
    ("", "needs a value"),
    ("7h", "6 h limit"),
    ("300000000000000", "6 h limit"),
    ("9" * 300, "not a duration"),
    ("1:" + "9" * 300, "not a duration"),
    ("1e100000000", "not a duration"),
])
def test_rejected_durations_through_yaml(yaml_value, message):
    with pytest.raises(RoutineError) as caught:
        _hold_duration(yaml_value)
    assert re.search(message, caught.value.message)
    assert caught.value.lineno == 6


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"),
    (45, "45s"),
    (60, "1m"),
    (90, "1m30s"),
    (Fraction(5, 2), "2.5s"),
    (3600, "1h00m"),
    (3720, "1h02m"),
    (3661, "1h01m1s"),
    (59.96, "1m"),          # rounds to a tenth first, then carries into the minutes
    (3599.96, "1h00m"),
    (0.04, "0s"),
    (Fraction(1381, 2), "11m30.5s"),
])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


@pytest.mark.parametrize("text", ["45s", "1m30s", "2.5s", "1h02m", "11m30.5s"])
def test_format_seconds_reads_back(text):
    assert format_seconds(parse_duration(text)) == text


@pytest.mark.parametrize("text", ["1" * 21, "0." + "1" * 20, "1" * 21 + ":00", "1-" + "1" * 21 + "s"])
def test_numbers_too_long_for_a_duration_are_refused_before_arithmetic(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_span(text)


@pytest.mark.parametrize("text, message", [
    ("1m70s", "'1m70s' has 70s after the minutes; write 2m10s (up to 59 of each unit)"),
    ("1h60m", "'1h60m' has 60m after the hours; write 2h00m (up to 59 of each unit)"),
    ("2m60", "'2m60' has 60s after the minutes; write 3m (up to 59 of each unit)"),
])
def test_a_component_past_59_after_a_larger_unit_is_refused_with_what_was_meant(text, message):
    with pytest.raises(ValueError) as raised:
        parse_duration(text)
    assert str(raised.value) == message
    assert parse_duration("90s") == 90 and parse_duration("1m59.5s") == Fraction(239, 2)
