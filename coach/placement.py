"""Places every word and sound of a routine on the timeline, for one choice of ranges.

Pure: no files, clocks or engines. Speech lengths come from `measure(text)`
(an estimate in `plan`, the real clip length in `render` and `speak`), so
the same code places the plan that is printed and the track that is played.
Times are integer samples; every fixed time is computed from exact values,
never by adding up floats.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable, Iterator

from coach.durations import format_seconds
from coach.errors import RoutineError
from coach.limits import (COUNTDOWN_MIN_SECONDS, HALFWAY_MIN_SECONDS, MAX_EVENTS, MAX_TRACK_SECONDS,
                          PREVIEW_MIN_REST_SECONDS, SAMPLE_RATE, TRACK_TAIL_SECONDS)
from coach.routine import Announcement, Breathing, Hold, Rest, Routine, Section, Step, TimedStep
from coach.speechlane import SpeechLane
from coach.timeline import Chapter, CompileWarning, Event, Timeline

Measure = Callable[[str], float]

PAUSE_AFTER_SPEECH = Fraction(1, 2)
"""Silence between two utterances that follow each other, so speech does not run on."""


@dataclass(frozen=True)
class Where:
    """Where one step occurrence sits in the session (fills the event context columns)."""

    section: str | None
    step: str | None = None
    side: str | None = None
    round: int | None = None
    line: int | None = 0


def samples(seconds: Fraction | float) -> int:
    return round(Fraction(seconds) * SAMPLE_RATE)


def build(routine: Routine, sections: tuple[Section, ...], fraction: Fraction,
          measure: Measure, sound_length: Measure) -> Timeline:
    """The timeline of `sections` with every range at `fraction` of its span."""
    placing = Placing(routine, fraction, measure, sound_length)
    return placing.timeline(tuple(placing.chapters(sections)))


class Placing:
    """Places a routine section by section, so a live session can play one while the next is measured."""

    def __init__(self, routine: Routine, fraction: Fraction, measure: Measure, sound_length: Measure):
        self.routine, self.phrases, self.fraction = routine, routine.phrases, fraction
        self.measure, self.sound_length = measure, sound_length
        self.events: list[Event] = []
        self.warnings: dict[tuple, CompileWarning] = {}
        self.lane = SpeechLane()
        self.cursor = 0
        self.asked = 0

    def chapters(self, sections: tuple[Section, ...]) -> Iterator[Chapter]:
        """Each section's chapter, yielded once every event in it is placed.

        A section's events depend only on where it starts and on its own phrases'
        lengths, so `measure` is first asked about a section's phrases while it is
        being placed. The last chapter holds the closing phrase and ends the track.
        """
        self.count_steps(sections)
        for index, section in enumerate(sections):
            start = self.cursor
            self.section_start(section)
            steps = [step for _ in range(section.rounds) for step in section.steps]
            following = sections[index + 1].steps[0] if index + 1 < len(sections) else None
            for position, step in enumerate(steps):
                self.step(step, section, steps[position + 1] if position + 1 < len(steps) else following)
            if index + 1 < len(sections):
                yield Chapter(section.name, start, self.cursor)
        self.say(self.phrases.done, "done", Where(None, line=None))
        duration = max(event.end for event in self.events) + samples(Fraction(TRACK_TAIL_SECONDS))
        self.check_length(duration, sections[-1].line)
        yield Chapter(sections[-1].name, start, duration)

    def timeline(self, chapters: tuple[Chapter, ...]) -> Timeline:
        """The timeline placed so far: complete once the last chapter has been yielded."""
        return Timeline(
            title=self.routine.title, description=self.routine.description, author=self.routine.author,
            album=self.routine.album or self.routine.title,
            path=self.routine.path, duration=chapters[-1].end, chapters=chapters,
            events=tuple(sorted(self.events, key=lambda event: event.start)),
            warnings=tuple(self.warnings.values()),
        )

    def count_steps(self, sections: tuple[Section, ...]) -> None:
        """Refuse before starting a session of more steps than events (a rest of 0 s has no event, but costs work)."""
        steps = 0
        for section in sections:
            steps += section.rounds * len(section.steps)
            if steps > MAX_EVENTS:
                raise self.past_limit(section.line, f"the routine would play more than {MAX_EVENTS} steps")

    def section_start(self, section: Section) -> None:
        where = Where(section.name, line=section.line)
        self.sound(self.cursor, "section", section.sounds.section, where)
        self.say(section.say, "section", where)

    def step(self, step: Step, section: Section, upcoming: Step | None) -> None:
        if isinstance(step, Hold):
            self.hold(step, section)
        elif isinstance(step, Breathing):
            self.breathing(step, section)
        elif isinstance(step, Announcement):
            for line in step.lines:
                self.say(line, "announcement", Where(section.name, line=step.line))
            self.cursor += samples(step.pause.at(self.fraction))
        if isinstance(step, Rest):
            self.rest(step.length.at(self.fraction), step.say, section, step.line, upcoming)
        else:
            self.rest(step.timing.rest.at(self.fraction), None, section, step.line, upcoming)

    def rest(self, length: Fraction, say: str | None, section: Section, line: int, upcoming: Step | None) -> None:
        start = self.cursor
        where = Where(section.name, line=line)
        if say:
            self.say(say, "announcement", where)
        elif length >= PREVIEW_MIN_REST_SECONDS and isinstance(upcoming, TimedStep):
            self.say(self.phrases.next.replace("{name}", upcoming.name), "preview", where)
        self.cursor = max(self.cursor, start + samples(length))

    def hold(self, step: Hold, section: Section) -> None:
        duration = samples(step.duration.at(self.fraction))
        turns = [(number, side) for number in range(1, step.rounds + 1) for side in (step.sides or (None,))]
        for index, (number, side) in enumerate(turns):
            where = Where(section.name, step.name, side, number, step.line)
            if index and len(step.sides) > 1:
                self.sound(self.cursor, "switch", step.sounds.switch, where)
                said_end = self.say(self.phrases.switch.replace("{side}", side), "switch", where)
                start = said_end + samples(step.timing.switch)
            else:
                said_end = self.say(_fill(step.say, side), "instruction", where)
                start = said_end + samples(step.timing.prepare)
            self.hold_turn(step, start, start + duration, where)

    def hold_turn(self, step: Hold, start: int, end: int, where: Where) -> None:
        """One hold: start and end cues exactly `duration` apart, then what is said inside."""
        self.sound(start, "start", step.sounds.start, where)
        self.sound(end, "end", step.sounds.end, where)
        # The end phrase first: on a hold too short for both, the user must hear when to stop
        # (the start is still marked by its sound).
        self.fixed_speech(end, self.phrases.end, "end", where)
        self.fixed_speech(start, self.phrases.begin, "start", where)
        seconds = Fraction(end - start, SAMPLE_RATE)
        fixed = [start, end]
        if step.timing.countdown and seconds >= COUNTDOWN_MIN_SECONDS:
            for count in range(min(step.timing.countdown, len(self.phrases.countdown)), 0, -1):
                onset = end - count * SAMPLE_RATE
                fixed.append(onset)
                self.fixed_speech(onset, self.phrases.countdown[count - 1].capitalize(), "countdown", where)
        movable = []  # (due, text, role, line), placed in time order so none jumps another's turn
        if step.timing.halfway and seconds >= HALFWAY_MIN_SECONDS:
            movable.append((start + (end - start) // 2, self.phrases.halfway, "halfway", where.line))
        for cue, offset, text in _cue_times(step.cues, seconds):
            if not 0 <= offset < seconds:
                self.warn(cue.line, f"cue '{text}' at {format_seconds(offset)} is outside "
                                    f"'{step.name}' ({format_seconds(seconds)}); it is left out")
                continue
            movable.append((start + samples(offset), _fill(text, where.side), "cue", cue.line))
        for due, text, role, line in sorted(movable, key=lambda item: item[0]):
            self.movable_speech(due, text, role, where, fixed, line)
        self.after(end)

    def breathing(self, step: Breathing, section: Section) -> None:
        breath, where = step.breath, Where(section.name, step.name, None, 1, step.line)
        t0 = self.say(step.say, "instruction", where) + samples(step.timing.prepare)
        cycles = breath.cycles or int(breath.length.at(self.fraction) / breath.period)
        phases = _phases(breath)
        exhale_onsets = []
        for cycle in range(cycles):
            counted = breath.counted is None or cycle < breath.counted
            for role, offset, length in phases:
                onset = t0 + samples(cycle * breath.period + offset)  # from k: no drift
                if role == "exhale":
                    exhale_onsets.append((onset, onset + samples(length)))
                self.breath_phase(step, role, onset, length, counted, where)
        end = t0 + samples(cycles * breath.period)
        self.breathing_cues(step, t0, end, exhale_onsets, where)
        self.sound(end, "end", step.sounds.end, where)
        self.fixed_speech(end, self.phrases.end, "end", where)
        self.after(end)

    def breath_phase(self, step: Breathing, role: str, onset: int, length: Fraction, counted: bool,
                     where: Where) -> None:
        word_role = "hold" if role == "hold_after" else role
        if not counted:
            sound = {"inhale": step.sounds.inhale, "exhale": step.sounds.exhale}.get(role, step.sounds.tick)
            self.sound(onset, word_role, sound, where)
            return
        self.fixed_speech(onset, getattr(self.phrases, word_role), word_role, where)
        for second in range(1, min(math.floor(length), len(self.phrases.countdown))):
            self.fixed_speech(onset + second * SAMPLE_RATE, self.phrases.countdown[second], "count", where)

    def breathing_cues(self, step: Breathing, t0: int, end: int, exhales: list, where: Where) -> None:
        """User cues ride on the out-breath: each moves to the next exhale onset and must fit in it."""
        seconds = Fraction(end - t0, SAMPLE_RATE)
        for cue, offset, text in _cue_times(step.cues, seconds):
            index = bisect.bisect_left(exhales, (t0 + samples(offset),))
            phase = exhales[index] if index < len(exhales) else None
            if phase is None:
                self.warn(cue.line, f"cue '{text}' at {format_seconds(offset)} comes after the last "
                                    f"out-breath of '{step.name}'; it is left out")
                continue
            length = self.speech_length(text)
            clash = self.lane.clash(phase[0], phase[0] + length)
            if phase[0] + length > phase[1] or clash:
                reason = f"it would talk over '{clash}'" if clash else "it is longer than the out-breath"
                self.warn(cue.line, f"cue '{text}' in '{step.name}' is left out: {reason}")
                continue
            self.add_speech(phase[0], text, "cue", replace(where, line=cue.line))

    def say(self, text: str, role: str, where: Where) -> int:
        """Speak `text` at the cursor (the next free moment) and move on; returns where it ends.

        An empty text (a phrase switched off) says nothing and ends where it would start.
        """
        if not text:
            return self.cursor
        start = self.lane.first_free(self.cursor, self.speech_length(text), 2 ** 62)
        end = self.add_speech(start, text, role, where)
        self.cursor = end
        self.rest_after_speech()
        return end

    def after(self, end: int) -> None:
        """Move on past a hold or breathing that ends at `end`, with the pause speech gets."""
        self.cursor = max(self.cursor, end + samples(PAUSE_AFTER_SPEECH))
        self.rest_after_speech()

    def rest_after_speech(self) -> None:
        last_end = self.lane.ends[-1] if self.lane.ends else 0
        self.cursor = max(self.cursor, last_end + samples(PAUSE_AFTER_SPEECH))

    def fixed_speech(self, start: int, text: str, role: str, where: Where) -> None:
        """Speech that must start exactly at `start`; dropped (with a warning) if the voice is busy."""
        if not text:
            return
        clash = self.lane.clash(start, start + self.speech_length(text))
        if clash:
            self.warn(where.line, f"'{text}' in '{where.step}' is left out: it would talk over '{clash}'")
            return
        self.add_speech(start, text, role, where)

    def movable_speech(self, start: int, text: str, role: str, where: Where, fixed: list[int], line: int) -> None:
        """Speech that may slide later, but only while it still ends before the next fixed cue."""
        if not text:
            return
        limit = min((onset for onset in fixed if onset > start), default=start)
        placed = self.lane.first_free(start, self.speech_length(text), limit)
        if placed is None:
            self.warn(line, f"'{text}' in '{where.step}' is left out: no room for it before the next fixed cue")
            return
        self.add_speech(placed, text, role, replace(where, line=line))

    def add_speech(self, start: int, text: str, role: str, where: Where) -> int:
        end = start + self.speech_length(text)
        self.lane.add(start, end, text)
        self.add(Event(start, end, "speech", role, text, where.section, where.step, where.side, where.round, where.line))
        return end

    def sound(self, start: int, role: str, sound: str, where: Where) -> None:
        end = start + samples(self.sound_length(sound))
        self.add(Event(start, end, "sound", role, sound, where.section, where.step, where.side, where.round, where.line))

    def add(self, event: Event) -> None:
        self.count_event(event.line)
        self.check_length(event.end, event.line)
        self.events.append(event)

    def count_event(self, line: int | None) -> None:
        """Count an event the routine asks for, placed or left out: past the limit, stop at once.

        Left-out cues count too, or a cue every 0.0002 s would cost minutes of work for nothing.
        """
        self.asked += 1
        if self.asked > MAX_EVENTS:
            raise self.past_limit(line, f"the routine would have more than {MAX_EVENTS} events")

    def check_length(self, at: int, line: int | None) -> None:
        if at > MAX_TRACK_SECONDS * SAMPLE_RATE:
            raise self.past_limit(line, f"the routine would last longer than {MAX_TRACK_SECONDS // 3600} hours")

    def past_limit(self, line: int | None, message: str) -> RoutineError:
        # The closing phrase belongs to no line; it is blamed on the top of the file.
        return RoutineError(self.routine.path, line or 1, 1, message)

    def speech_length(self, text: str) -> int:
        # A clip of n samples measures n / SAMPLE_RATE; the tolerance undoes float error there.
        return max(1, math.ceil(self.measure(text) * SAMPLE_RATE - 1e-6))

    def warn(self, line: int | None, message: str) -> None:
        """Note a cue or phrase that is left out (every warning is one)."""
        self.count_event(line)
        self.warnings.setdefault((line, message), CompileWarning(line, message))


def _fill(text: str, side: str | None) -> str:
    return text.replace("{side}", side) if side else text


def _phases(breath) -> list[tuple[str, Fraction, Fraction]]:
    """(role, offset in the cycle, length) of each phase that lasts longer than zero."""
    phases, offset = [], Fraction(0)
    for role in ("inhale", "hold", "exhale", "hold_after"):
        length = getattr(breath, role)
        if length > 0:
            phases.append((role, offset, length))
        offset += length
    return phases


def _cue_times(cues, seconds: Fraction):
    """(cue, offset from the start, text) for every time a cue speaks, in order."""
    for cue in cues:
        if cue.at is not None:
            offset = cue.at if cue.at >= 0 else seconds + cue.at
            yield cue, offset, " ".join(cue.lines)
        else:
            ticks = math.ceil(seconds / cue.every) - 1
            for tick in range(1, min(ticks, MAX_EVENTS) + 1):
                yield cue, cue.every * tick, cue.lines[(tick - 1) % len(cue.lines)]
