"""`compile_routine`: routine + options + measure -> Timeline.

Chooses which sections play (`--with` adds optional ones) and fits every
range to the target length with one shared fraction, then lets
`coach.placement` place each event.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable

from coach.durations import Span, format_seconds
from coach.errors import CoachError, RoutineError, UsageError, quoted
from coach.fields import did_you_mean
from coach.limits import LENGTH_NOTE_SECONDS, SAMPLE_RATE
from coach.placement import Measure, build
from coach.routine import Announcement, Breathing, Hold, Routine, Section, Step
from coach.timeline import CompileWarning, Timeline

MAX_FIT_STEPS = 64


@dataclass(frozen=True)
class Options:
    length: Fraction | None = None
    """Target length in seconds; None uses the routine's own `length:`, if any."""
    include: tuple[str, ...] = ()
    """Optional sections to play, by name."""
    fit: bool = True
    """False ignores every target length: each range takes its lower bound."""


_ENDS = {"shortest": "it lasts {} with every range at its lower end",
         "longest": "it lasts {} with every range at its upper end",
         "only": "it has no ranges and lasts {}"}
"""What a routine plays when the target is out of its reach, by the end it takes."""


@dataclass(frozen=True)
class Fitted:
    """Which sections play and the fraction of every range, chosen before anything is placed for good.

    `render` and `speak` fit with an estimate, so the fitted ranges are known before most clips exist;
    what is said about the length (`warned`, `noted`) is said about the timeline as finally placed.
    """

    sections: tuple[Section, ...]
    fraction: Fraction
    timeline: Timeline
    """The timeline at `fraction`, placed with the measure the ranges were fitted with."""
    target: Fraction | None = None
    end: str | None = None
    """When the target is out of reach, the end the routine plays (a key of `_ENDS`)."""
    step_up: Fraction | None = None
    """When the target is within reach: the next fraction up, where some range moves a second more."""
    line: int | None = None
    col: int | None = None
    """Where the routine's `length:` is written, when the target is that (None: --length)."""

    def warned(self, timeline: Timeline) -> Timeline:
        """`timeline` with the warning that the target was out of reach, if it was; only a note when it is
        the routine's own `length:` that optional sections asked for (--with) take the session past."""
        if self.end is None:
            return timeline
        length, target = _length(timeline.duration), format_seconds(self.target)
        added = [quoted(section.name) for section in self.sections if section.optional]
        if self.line is not None and added and self.end == "shortest":
            note = CompileWarning(self.line, self.col, f"with {', '.join(added)} the session lasts {length} "
                                                       f"at its shortest, past the routine's length ({target})")
            return replace(timeline, notes=(note,) + timeline.notes)
        warning = CompileWarning(self.line, self.col, f"target length {target} is outside what this routine "
                                                      f"can reach: {_ENDS[self.end].format(length)}")
        return replace(timeline, warnings=(warning,) + timeline.warnings)

    def noted(self, timeline: Timeline, place_at: Callable[[Fraction], Timeline]) -> Timeline:
        """`timeline` with a note when it misses a target within reach by LENGTH_NOTE_SECONDS or more, saying
        by how much and why; `place_at` places the session at another fraction as `timeline` was placed."""
        if self.target is None or self.end is not None:
            return timeline
        missed = Fraction(timeline.duration, SAMPLE_RATE) - self.target
        if abs(missed) < LENGTH_NOTE_SECONDS:
            return timeline
        length, target = _length(timeline.duration), format_seconds(self.target)
        estimated = "the ranges are fitted before every phrase is spoken, with some speech lengths estimated"
        if missed > 0:
            why = f"{length} is {format_seconds(missed)} over {target}: {estimated}"
        elif self.step_up is None:
            why = f"{length} is {format_seconds(-missed)} short of {target}: every range is at its upper end"
        else:
            following = place_at(self.step_up).duration
            reason = "ranges move in whole seconds" if following > self.target * SAMPLE_RATE else estimated
            why = (f"{length} is {format_seconds(-missed)} short of {target}: {reason}, "
                   f"and the next step up would give {_length(following)}")
        return replace(timeline, notes=timeline.notes + (CompileWarning(self.line, self.col, why),))


def compile_routine(routine: Routine, options: Options, measure: Measure, sound_length: Measure) -> Timeline:
    """Fits the ranges and places every event with `measure`."""
    fitted = fit(routine, options, measure, sound_length)
    return fitted.noted(fitted.warned(fitted.timeline),
                        lambda fraction: build(routine, fitted.sections, fraction, measure, sound_length))


def fit(routine: Routine, options: Options, measure: Measure, sound_length: Measure) -> Fitted:
    """The sections to play and the fraction that brings them closest to the target length."""
    sections = chosen_sections(routine, options.include)
    cached = functools.lru_cache(maxsize=None)(measure)
    timeline_at = functools.lru_cache(maxsize=None)(
        lambda fraction: build(routine, sections, fraction, cached, sound_length))
    target = options.length if options.length is not None else routine.length
    if target is None or not options.fit:
        return Fitted(sections, Fraction(0), timeline_at(Fraction(0)))
    spans = ranges_in(sections)
    fraction, step_up = _fit(spans, timeline_at, target)
    shortest, longest = timeline_at(Fraction(0)).duration, _duration_or_none(timeline_at, Fraction(1))
    end = None
    if not spans and shortest != target * SAMPLE_RATE:
        end = "only"
    elif shortest > target * SAMPLE_RATE:
        end = "shortest"
    elif longest is not None and longest < target * SAMPLE_RATE:
        end = "longest"
    place = (routine.length_line, routine.length_col) if options.length is None else (None, None)
    return Fitted(sections, fraction, timeline_at(fraction), target, end, step_up, *place)


def check_routine(routine: Routine, measure: Measure, sound_length: Measure) -> tuple[Timeline, tuple[CompileWarning, ...]]:
    """The default plan, and its warnings together with those of every optional section.

    Optional sections are checked at their shortest, without the target length:
    adding one is expected to take a session past its target.
    """
    timeline = compile_routine(routine, Options(), measure, sound_length)
    optional = tuple(section.name for section in routine.sections if section.optional)
    extra = compile_routine(routine, Options(include=optional, fit=False), measure, sound_length).warnings \
        if optional else ()
    return timeline, tuple(dict.fromkeys(timeline.warnings + extra))


def _length(samples: int) -> str:
    return format_seconds(Fraction(samples, SAMPLE_RATE))


def chosen_sections(routine: Routine, include: tuple[str, ...]) -> tuple[Section, ...]:
    names = {section.name.casefold(): section for section in routine.sections}
    for name in include:
        if name.casefold() not in names:
            raise UsageError(f"--with {quoted(name)}: no such section{did_you_mean(name, [s.name for s in routine.sections])}")
    wanted = {name.casefold() for name in include}
    chosen = tuple(section for section in routine.sections
                   if not section.optional or section.name.casefold() in wanted)
    if not chosen:  # only when nothing is asked for: every --with name is a section that plays
        names = ", ".join(quoted(section.name) for section in routine.sections)
        raise RoutineError(routine.path, routine.sections[0].line, 1, "every section is optional, so nothing "
                           f"would play; make one not optional, or choose some with --with ({names})")
    return chosen



def _fit(spans, timeline_at, target: Fraction) -> tuple[Fraction, Fraction | None]:
    """The largest fraction whose timeline is no longer than `target` (bisection on breakpoints), and the
    one just above it, where the ranges move to their next whole seconds (None: the first is 1).

    Each range's value only changes where f * width crosses a whole second,
    so the search stops as soon as one such breakpoint separates the bounds.
    """
    goal = target * SAMPLE_RATE
    if _fits(timeline_at, Fraction(1), goal):
        return Fraction(1), None
    low, high = Fraction(0), Fraction(1)
    for _ in range(MAX_FIT_STEPS):
        if len(_breakpoints(spans, low, high)) <= 1:
            break
        middle = (low + high) / 2
        if _fits(timeline_at, middle, goal):
            low = middle
        else:
            high = middle
    return low, high


def _breakpoints(spans, low: Fraction, high: Fraction) -> set[Fraction]:
    """Fractions in (low, high] where some range moves to its next whole second (at most 2 listed)."""
    found = set()
    for span in spans:
        width = span.hi - span.lo
        step = Fraction(int(low * width) + 1) / width
        if step <= high:
            found.update((step, high) if span.at(high) - span.at(low) > 1 else (step,))
        if len(found) > 1:
            break
    return found


def _fits(timeline_at, fraction: Fraction, goal: Fraction) -> bool:
    duration = _duration_or_none(timeline_at, fraction)
    return duration is not None and duration <= goal


def _duration_or_none(timeline_at, fraction: Fraction) -> int | None:
    """Timeline length at `fraction`, or None where the routine grows past a limit there."""
    try:
        return timeline_at(fraction).duration
    except CoachError:
        if fraction == 0:
            raise
        return None


def ranges_in(sections: tuple[Section, ...]) -> list[Span]:
    """Every range in `sections`, in order: the spans the length fitter moves together."""
    return [span for section in sections for step in section.steps
            for span in _step_spans(step) if span.is_range]


def _step_spans(step: Step) -> list[Span]:
    """Every duration of `step` that a target length can stretch."""
    if isinstance(step, Hold):
        return [step.duration, step.timing.rest]
    if isinstance(step, Breathing):
        return [step.breath.length, step.timing.rest] if step.breath.length else [step.timing.rest]
    if isinstance(step, Announcement):
        return [step.pause, step.timing.rest]
    return [step.length]
