"""Where a step occurrence sits in the session and when its cues speak: what hold and breathing
placement share (`coach.placement`, `coach.breathplacing`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

from coach.limits import MAX_EVENTS, SAMPLE_RATE
from coach.routine import Cue


@dataclass(frozen=True)
class Where:
    """Where one step occurrence sits in the session (fills the event context columns)."""

    section: str | None
    step: str | None = None
    side: str | None = None
    round: int | None = None
    line: int | None = 0
    col: int = 1
    """Where warnings about it point (events keep only the line)."""


def at_cue(where: Where, cue: Cue) -> Where:
    """`where`, pointing at the cue's `at` or `every`."""
    return replace(where, line=cue.line, col=cue.col)


def samples(seconds: Fraction | float) -> int:
    return round(Fraction(seconds) * SAMPLE_RATE)


def cue_times(cues, seconds: Fraction):
    """(cue, offset from the start, text) for every time a cue speaks, in order."""
    for cue in cues:
        if cue.at is not None:
            offset = cue.at if cue.at >= 0 else seconds + cue.at
            yield cue, offset, " ".join(cue.lines)
        else:
            ticks = math.ceil(seconds / cue.every) - 1
            for tick in range(1, min(ticks, MAX_EVENTS) + 1):
                yield cue, cue.every * tick, cue.lines[(tick - 1) % len(cue.lines)]
