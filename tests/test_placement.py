"""Focused cases of placement the properties do not single out: rests that speak, phrases
switched off, targets beyond a limit."""

import time
from fractions import Fraction

import pytest

from coach import cuesounds
from coach.compiler import Options, compile_routine
from coach.errors import RoutineError
from coach.loader import load_text


def measure(text):
    return 0.05 * len(text) + 0.1


def plan(text, **options):
    return compile_routine(load_text(text, "r.yaml"), Options(**options), measure, cuesounds.length_seconds)


def test_a_rest_that_speaks_is_a_rest_of_its_own_length():
    timeline = plan("title: T\nsections:\n  - name: S\n    steps:\n      - {say: Fetch your roller., rest: 10s}\n"
                    "      - {name: Roll, duration: 30s}\n")
    said = next(e for e in timeline.events if e.content == "Fetch your roller.")
    instruction = next(e for e in timeline.events if e.role == "instruction")
    assert said.role == "announcement"
    assert instruction.start == said.start + 10 * 22050  # the rest counts from where it starts


def test_phrases_switched_off_are_never_said():
    timeline = plan("title: T\nphrases: {begin: '', end: '', done: '', switch: '', next: '', countdown: ''}\n"
                    "sections:\n  - name: S\n    steps:\n      - {name: Lunge, duration: 20s, sides: both, rest: 6s}\n"
                    "      - {name: Plank, duration: 20s}\n")
    roles = {event.role for event in timeline.events if event.kind == "speech"}
    assert roles == {"section", "instruction", "halfway"}
    assert all(event.content for event in timeline.events)


def test_a_target_past_the_six_hour_limit_at_full_range_still_fits_without_a_warning():
    text = ("title: T\nsections:\n  - name: S\n    steps:\n      - {name: Long, duration: 1m-2h, rounds: 4,"
            " countdown: 0, halfway: false}\n")
    timeline = plan(text, length=Fraction(3600))
    assert timeline.duration <= 3600 * 22050 and timeline.duration > 3500 * 22050
    assert timeline.warnings == () and len(timeline.notes) == 1  # a note: 1.6 s short, and why


def _refused_quickly(text: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(RoutineError, match=message):
        plan(text)
    assert time.monotonic() - started < 5  # was 312 s for the first routine below: work must stop at the limit


def test_left_out_cues_count_toward_the_event_limit():
    _refused_quickly("title: T\nsections:\n  - name: S\n    rounds: 80\n    steps:\n"
                     "      - {name: H, duration: 30s, sides: both, rounds: 10, cues: [{every: 0.0002s, say: Hi.}]}\n",
                     "more than 10000 events")


def test_steps_without_events_still_count():
    _refused_quickly("title: T\nsections:\n  - name: S\n    rounds: 100\n    steps: [" + "{rest: 0s}, " * 101 + "]\n",
                     "more than 10000 steps")


def test_a_routine_of_optional_sections_plays_what_is_chosen():
    text = "title: T\nsections:\n  - {name: A, optional: true, steps: [{say: Hi.}]}\n  - {name: B, optional: true, steps: [{say: Ho.}]}\n"
    with pytest.raises(RoutineError, match="every section is optional"):
        plan(text)
    assert [chapter.title for chapter in plan(text, include=("b",)).chapters] == ["B"]
