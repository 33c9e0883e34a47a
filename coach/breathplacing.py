"""Places a breathing step: phases on exact cycle times, counted words or tones, cues on out-breaths.

Cycle k's phases start at t0 + k·period + the phase's offset, computed from k
(never accumulated), so a long session does not drift. A user cue is never
lost quietly: it rides on the first free, uncounted out-breath at or after its
time; a move of more than a second is a note, and only a cue that fits no
out-breath at all is a warning.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING

from coach import phrasing
from coach.durations import format_seconds
from coach.limits import SAMPLE_RATE
from coach.steptime import Where, at_cue, cue_times, samples
from coach.routine import Breath, Breathing, Section

if TYPE_CHECKING:
    from coach.placement import Placing

NOTED_MOVE = SAMPLE_RATE
"""A cue said more than this later than written gets a note."""


def place_breathing(placing: Placing, step: Breathing, section: Section) -> None:
    placing.previewed = False
    breath, where = step.breath, Where(section.name, step.name, None, placing.occurrence(1, 1), step.line, step.col)
    t0 = placing.say(phrasing.instruction(placing.phrases, step), "instruction", where) + samples(step.timing.prepare)
    cycles = breath.cycles or int(breath.length.at(placing.fraction) / breath.period)
    quiet_exhales = []  # (onset, end) of each out-breath that carries no counted words
    for cycle in range(cycles):
        counted = breath.counted is None or cycle < breath.counted
        for role, offset, length in _phases(breath):
            onset = t0 + samples(cycle * breath.period + offset)  # from k: no drift
            if role == "exhale" and not counted:
                quiet_exhales.append((onset, onset + samples(length)))
            _phase(placing, step, role, onset, length, counted, where)
    end = t0 + samples(cycles * breath.period)
    _cues(placing, step, t0, end, quiet_exhales, where)
    placing.sound(end, "end", step.sounds.end, where)
    placing.fixed_speech(end, placing.phrases.end, "end", where)
    placing.after(end)


def _phase(placing: Placing, step: Breathing, role: str, onset: int, length: Fraction, counted: bool,
           where: Where) -> None:
    word_role = "hold" if role == "hold_after" else role
    if not counted:
        sound = {"inhale": step.sounds.inhale, "exhale": step.sounds.exhale}.get(role, step.sounds.tick)
        placing.sound(onset, word_role, sound, where)
        return
    placing.fixed_speech(onset, getattr(placing.phrases, word_role), word_role, where)
    for second in range(1, min(math.floor(length), len(placing.phrases.count))):
        placing.fixed_speech(onset + second * SAMPLE_RATE, placing.phrases.count[second], "count", where)


def _cues(placing: Placing, step: Breathing, t0: int, end: int, exhales: list, where: Where) -> None:
    """Each cue on the first uncounted out-breath at or after its time that it fits in, untalked over."""
    seconds = Fraction(end - t0, SAMPLE_RATE)
    for cue, offset, text in cue_times(step.cues, seconds):
        due = t0 + samples(offset)
        length = placing.speech_length(text)
        index = bisect.bisect_left(exhales, (due,))
        fits = next((onset for onset, stop in exhales[index:]
                     if onset + length <= stop and not placing.lane.clash(onset, onset + length)), None)
        if fits is None:
            placing.warn(cue, f"cue '{text}' at {format_seconds(offset)} in '{step.name}' is left out: "
                              f"{_why_not(placing, exhales[index:], length)}")
            continue
        if fits - due > NOTED_MOVE:
            moved = format_seconds(Fraction(round(Fraction(fits - due, SAMPLE_RATE) * 10), 10))
            placing.note(cue, f"cue '{text}' at {format_seconds(offset)} in '{step.name}' is said "
                              f"{moved} later, on the next free out-breath")
        placing.add_speech(fits, text, "cue", at_cue(where, cue))


def _why_not(placing: Placing, exhales: list, length: int) -> str:
    if not exhales:
        return "no uncounted out-breath comes after it"
    if all(onset + length > stop for onset, stop in exhales):
        return "it is longer than the out-breath"
    return "every out-breath after it is taken by other cues"


def _phases(breath: Breath) -> list[tuple[str, Fraction, Fraction]]:
    """(role, offset in the cycle, length) of each phase that lasts longer than zero."""
    phases, offset = [], Fraction(0)
    for role in ("inhale", "hold", "exhale", "hold_after"):
        length = getattr(breath, role)
        if length > 0:
            phases.append((role, offset, length))
        offset += length
    return phases
