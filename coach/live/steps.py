"""Where a session is, read from its timeline: step boundaries, the current phase, what comes next.

A step here is one turn of a routine step (each side and each round on its
own), or a section's opening; it starts at its first event. Skip and back
jump between these starts, and the display names them.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from coach.limits import SAMPLE_RATE
from coach.timeline import Timeline

PHASES = {"start": "hold", "inhale": "breathe in", "hold": "hold", "exhale": "breathe out", "end": None}
"""Event roles that begin a phase worth a countdown, and what the display calls it (None: the turn is over)."""
GET_READY = "get ready"


@dataclass(frozen=True)
class Step:
    section: str
    step: str | None
    side: str | None
    round: int | None

    def title(self) -> str:
        if self.step is None:
            return self.section
        side = f" ({self.side} side)" if self.side else ""
        return f"{self.section} › {self.step}{side}"


@dataclass(frozen=True)
class Now:
    step: Step
    began: int
    """Where this step starts."""
    rounds: int
    """How many rounds the step has (1 for a section's opening)."""
    phase: str | None
    """`hold`, `breathe in`, ... or `get ready` before a hold or breathing begins; None otherwise."""
    phase_left: int
    """Samples until the phase ends."""
    next: Step | None


def starts(timeline: Timeline) -> list[tuple[int, Step]]:
    """(sample, step) for every step's start, in time order: chapter openings and every turn."""
    found = {Step(chapter.title, None, None, None): chapter.start for chapter in timeline.chapters}
    for event in timeline.events:
        if event.step is not None:
            found.setdefault(Step(event.section, event.step, event.side, event.round), event.start)
    return sorted(((start, step) for step, start in found.items()), key=lambda item: item[0])


def step_at(marks: list[tuple[int, Step]], position: int) -> int:
    """Index in `marks` of the step playing at `position`."""
    return max(0, bisect.bisect_right([start for start, _ in marks], position) - 1)


def now(timeline: Timeline, marks: list[tuple[int, Step]], position: int) -> Now:
    index = step_at(marks, position)
    began, step = marks[index]
    following = marks[index + 1][1] if index + 1 < len(marks) else None
    rounds = max(mark.round or 1 for _, mark in marks if (mark.section, mark.step) == (step.section, step.step))
    if step.step is None:
        return Now(step, began, rounds, None, 0, following)
    onsets = sorted({(event.start, PHASES[event.role]) for event in timeline.events
                     if event.role in PHASES and (event.section, event.step, event.side, event.round)
                     == (step.section, step.step, step.side, step.round)}, key=lambda item: item[0])
    phase, until = GET_READY, onsets[0][0] if onsets else position
    for onset, name in onsets:
        if onset > position:
            until = onset
            break
        phase, until = name, position
    if phase is None or until <= position:
        return Now(step, began, rounds, None, 0, following)
    return Now(step, began, rounds, phase, until - position, following)


def seconds_left(samples: int) -> int:
    return math.ceil(samples / SAMPLE_RATE)
