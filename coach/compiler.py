"""`compile_routine`: routine + options + measure -> Timeline.

Chooses which sections play (`--with` adds optional ones) and fits every
range to the target length with one shared fraction, then lets
`coach.placement` place each event.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from fractions import Fraction

from coach.durations import Span, format_seconds
from coach.errors import CoachError, RoutineError, UsageError, quoted
from coach.fields import did_you_mean
from coach.limits import SAMPLE_RATE
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


@dataclass(frozen=True)
class Fitted:
    """Which sections play and the fraction of every range, chosen before anything is placed for good."""

    sections: tuple[Section, ...]
    fraction: Fraction
    timeline: Timeline
    """The timeline at `fraction`, placed with the measure the ranges were fitted with."""
    reach: str | None = None
    """What the routine can reach, when the target length lies outside it."""
    target: Fraction | None = None
    line: int | None = None

    def warned(self, timeline: Timeline) -> Timeline:
        """`timeline` with the warning that the target was out of reach, if it was."""
        if self.reach is None:
            return timeline
        using = format_seconds(Fraction(timeline.duration, SAMPLE_RATE))
        warning = CompileWarning(self.line, f"target length {format_seconds(self.target)} is outside what this "
                                            f"routine can reach ({self.reach}); using {using}")
        return replace(timeline, warnings=(warning,) + timeline.warnings)


def compile_routine(routine: Routine, options: Options, measure: Measure, sound_length: Measure,
                    fit_measure: Measure | None = None) -> Timeline:
    """Places every event with `measure`, after fitting the ranges with `fit_measure` (default: `measure`).

    `render` and `speak` fit with an estimate, so the fitted ranges are known
    before most clips exist and a live session can start on its first section.
    """
    fitted = fit(routine, options, fit_measure or measure, sound_length)
    if fit_measure is None:
        return fitted.warned(fitted.timeline)
    return fitted.warned(build(routine, fitted.sections, fitted.fraction, measure, sound_length))


def fit(routine: Routine, options: Options, measure: Measure, sound_length: Measure) -> Fitted:
    """The sections to play and the fraction that brings them closest to the target length."""
    sections = chosen_sections(routine, options.include)
    cached = functools.lru_cache(maxsize=None)(measure)
    timeline_at = functools.lru_cache(maxsize=None)(
        lambda fraction: build(routine, sections, fraction, cached, sound_length))
    target = options.length if options.length is not None else routine.length
    if target is None or not options.fit:
        return Fitted(sections, Fraction(0), timeline_at(Fraction(0)))
    fraction = _fit(ranges_in(sections), timeline_at, target)
    shortest, longest = timeline_at(Fraction(0)).duration, _duration_or_none(timeline_at, Fraction(1))
    if shortest <= target * SAMPLE_RATE and (longest is None or target * SAMPLE_RATE <= longest):
        return Fitted(sections, fraction, timeline_at(fraction))
    reach = format_seconds(Fraction(shortest, SAMPLE_RATE))
    if longest != shortest:
        reach += f" to {format_seconds(Fraction(longest, SAMPLE_RATE))}" if longest else " and more"
    return Fitted(sections, fraction, timeline_at(fraction), reach, target,
                  routine.length_line if options.length is None else None)


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



def _fit(spans, timeline_at, target: Fraction) -> Fraction:
    """The largest fraction whose timeline is no longer than `target` (bisection on breakpoints).

    Each range's value only changes where f * width crosses a whole second,
    so the search stops as soon as one such breakpoint separates the bounds.
    """
    goal = target * SAMPLE_RATE
    if _fits(timeline_at, Fraction(1), goal):
        return Fraction(1)
    low, high = Fraction(0), Fraction(1)
    for _ in range(MAX_FIT_STEPS):
        if len(_breakpoints(spans, low, high)) <= 1:
            break
        middle = (low + high) / 2
        if _fits(timeline_at, middle, goal):
            low = middle
        else:
            high = middle
    return low


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
