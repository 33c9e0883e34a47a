"""Places every word and sound of a routine on the timeline, for one choice of ranges.

Pure: no files, clocks or engines. Speech lengths come from `measure(text)`
(an estimate in `plan`, the real clip length in `render` and `speak`), so
the same code places the plan that is printed and the track that is played.
Times are integer samples; every fixed time is computed from exact values,
never by adding up floats.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from typing import Callable, Iterator

from coach import phrasing
from coach.breathplacing import place_breathing
from coach.durations import format_seconds
from coach.errors import RoutineError
from coach.limits import (COUNTDOWN_MIN_SECONDS, HALFWAY_MIN_SECONDS, MAX_EVENTS, MAX_TRACK_SECONDS,
                          PREVIEW_MIN_HOLD_SECONDS, PREVIEW_MIN_REST_SECONDS, SAMPLE_RATE, TRACK_TAIL_SECONDS)
from coach.routine import Announcement, Breathing, Cue, Hold, Rest, Routine, Section, Step, TimedStep
from coach.speechlane import SpeechLane
from coach.steptime import Where, at_cue, cue_times, samples
from coach.timeline import Chapter, CompileWarning, Event, Timeline

Measure = Callable[[str], float]

PAUSE_AFTER_SPEECH = Fraction(1, 2)
"""Silence between two utterances that follow each other, so speech does not run on."""


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
        self.notes: dict[tuple, CompileWarning] = {}
        self.previewed = False
        """Whether the step coming up has been previewed already (by a hold's end, a pause or a rest)."""
        self.lane = SpeechLane()
        self.cursor = 0
        self.section_round = 1
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
            following = sections[index + 1].steps[0] if index + 1 < len(sections) else None
            for number in range(1, section.rounds + 1):
                self.section_round = number
                self.say(phrasing.set_phrase(self.phrases, number, section.rounds), "section",
                         Where(section.name, round=number, line=section.line))
                last_round = number == section.rounds
                for position, step in enumerate(section.steps):
                    upcoming = section.steps[(position + 1) % len(section.steps)] \
                        if position + 1 < len(section.steps) or not last_round else following
                    self.step(step, section, upcoming)
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
            warnings=tuple(self.warnings.values()), notes=tuple(self.notes.values()),
        )

    def occurrence(self, rounds: int, number: int) -> int:
        """Which time through a step of `rounds` rounds its round `number` is, counting the section's rounds."""
        return (self.section_round - 1) * rounds + number

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
            rest = step.timing.rest.at(self.fraction)
            # A rest long enough previews the next step itself; otherwise the hold's last seconds do.
            self.hold(step, section, upcoming if rest < PREVIEW_MIN_REST_SECONDS else None)
        elif isinstance(step, Breathing):
            place_breathing(self, step, section)
        elif isinstance(step, Announcement):
            for line in step.lines:
                self.say(line, "announcement", Where(section.name, line=step.line))
            self.rest(step.pause.at(self.fraction), None, section, step.line, upcoming)
        if isinstance(step, Rest):
            self.rest(step.length.at(self.fraction), step.say, section, step.line, upcoming)
        else:
            self.rest(step.timing.rest.at(self.fraction), None, section, step.line, upcoming)

    def rest(self, length: Fraction, say: str | None, section: Section, line: int, upcoming: Step | None) -> None:
        """Silence of `length` from the cursor, words included: `say`, or a preview that fits in it."""
        start = self.cursor
        where = Where(section.name, line=line)
        if say:
            self.say(say, "announcement", where)
        elif length >= PREVIEW_MIN_REST_SECONDS and isinstance(upcoming, TimedStep) and not self.previewed:
            text = phrasing.preview(self.phrases, upcoming)
            if text and self.speech_length(text) + samples(PAUSE_AFTER_SPEECH) <= samples(length):
                self.say(text, "preview", where)
                self.previewed = True
        self.cursor = max(self.cursor, start + samples(length))

    def hold(self, step: Hold, section: Section, upcoming: Step | None) -> None:
        """Every turn of a hold; the last one previews `upcoming` (None: no preview)."""
        self.previewed = False
        duration = samples(step.duration.at(self.fraction))
        sides = step.sides or (None,)
        turns = [(number, side) for number in range(1, step.rounds + 1) for side in sides]
        for index, (number, side) in enumerate(turns):
            # Events count every time through the step, the section's rounds included, so each
            # occurrence has its own chapter and live step; the words say the step's own round.
            where = Where(section.name, step.name, side, self.occurrence(step.rounds, number), step.line, step.col)
            if index and len(sides) > 1:
                self.sound(self.cursor, "switch", step.sounds.switch, where)
                text = phrasing.switch(self.phrases, side, number, step.rounds, new_round=side == sides[0])
                start = self.count_in(step, self.say(text, "switch", where), step.timing.switch, where)
            else:
                said_end = self.say(phrasing.instruction(self.phrases, step, side, number), "instruction", where)
                start = self.count_in(step, said_end, step.timing.prepare, where)
            last = index + 1 == len(turns)
            self.hold_turn(step, start, start + duration, where, upcoming if last else None)

    def count_in(self, step: Hold, said_end: int, gap: Fraction, where: Where) -> int:
        """Where the hold starts: `gap` after the words that lead into it, or later if its count-in
        ("Three, two, one, go") needs longer; the count-in's last word ends exactly there."""
        words = phrasing.countdown(self.phrases, step.timing.count_in)
        if not words:
            return said_end + samples(gap)
        go = self.speech_length(self.phrases.go) if self.phrases.go else 0
        start = max(said_end + samples(gap),
                    said_end + samples(PAUSE_AFTER_SPEECH) + words[0][0] * SAMPLE_RATE + go)
        for seconds, word in words:
            self.fixed_speech(start - go - seconds * SAMPLE_RATE, word, "countin", where)
        self.fixed_speech(start - go, self.phrases.go, "countin", where)
        return start

    def hold_turn(self, step: Hold, start: int, end: int, where: Where, upcoming: Step | None) -> None:
        """One hold: start and end cues exactly `duration` apart, then what is said inside."""
        self.sound(start, "start", step.sounds.start, where)
        self.sound(end, "end", step.sounds.end, where)
        # The end phrase first: on a hold too short for both, the user must hear when to stop
        # (the start is still marked by its sound).
        self.fixed_speech(end, self.phrases.end, "end", where)
        if not phrasing.countdown(self.phrases, step.timing.count_in):  # else the count-in's "Go." marks it
            self.fixed_speech(start, self.phrases.begin, "start", where)
        seconds = Fraction(end - start, SAMPLE_RATE)
        fixed = [start, end]
        if seconds >= COUNTDOWN_MIN_SECONDS:
            for count, word in phrasing.countdown(self.phrases, step.timing.countdown):
                onset = end - count * SAMPLE_RATE
                fixed.append(onset)
                self.fixed_speech(onset, word, "countdown", where)
        movable = []  # (due, text, role, where), placed in time order so none jumps another's turn
        if step.timing.halfway and seconds >= HALFWAY_MIN_SECONDS:
            movable.append((start + (end - start) // 2, self.phrases.halfway, "halfway", where))
        for cue, offset, text in cue_times(step.cues, seconds):
            if not 0 <= offset < seconds:
                self.warn(cue, f"cue '{text}' at {format_seconds(offset)} is outside "
                               f"'{step.name}' ({format_seconds(seconds)}); it is left out")
                continue
            movable.append((start + samples(offset), phrasing.fill(text, self.phrases, where.side), "cue",
                            at_cue(where, cue)))
        for due, text, role, said_where in sorted(movable, key=lambda item: item[0]):
            self.movable_speech(due, text, role, said_where, fixed)
        if isinstance(upcoming, TimedStep) and seconds >= PREVIEW_MIN_HOLD_SECONDS:
            self.preview_in_hold(upcoming, start, end, fixed, where)
        self.after(end)

    def preview_in_hold(self, upcoming: TimedStep, start: int, end: int, fixed: list[int], where: Where) -> None:
        """"Next: …" in a free moment of the hold's second half, ending before its countdown (or end).

        Said only where nothing else is: it never moves a cue and never talks over a fixed word.
        """
        text = phrasing.preview(self.phrases, upcoming)
        middle = start + (end - start) // 2
        before = min(onset for onset in fixed if onset > middle) - samples(PAUSE_AFTER_SPEECH)
        placed = self.lane.last_free(middle, before, self.speech_length(text)) if text else None
        if placed is not None:
            self.add_speech(placed, text, "preview", where)
            self.previewed = True

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
            self.warn(where, f"'{text}' in '{where.step}' is left out: it would talk over '{clash}'")
            return
        self.add_speech(start, text, role, where)

    def movable_speech(self, start: int, text: str, role: str, where: Where, fixed: list[int]) -> None:
        """Speech that may slide later, but only while it still ends before the next fixed cue."""
        if not text:
            return
        limit = min((onset for onset in fixed if onset > start), default=start)
        placed = self.lane.first_free(start, self.speech_length(text), limit)
        if placed is None:
            self.warn(where, f"'{text}' in '{where.step}' is left out: no room for it before the next fixed cue")
            return
        self.add_speech(placed, text, role, where)

    def add_speech(self, start: int, text: str, role: str, where: Where) -> int:
        end = start + self.speech_length(text)
        self.lane.add(start, end, text)
        self.add(Event(start, end, "speech", role, text, where.section, where.step, where.side, where.round, where.line))
        return end

    def sound(self, start: int, role: str, sound: str, where: Where) -> None:
        if not sound:  # the role is switched off (`none`)
            return
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

    def warn(self, about: Where | Cue, message: str) -> None:
        """Note a cue or phrase that is left out (every warning is one), at the step or cue it is about."""
        self.count_event(about.line)
        self.warnings.setdefault((about.line, about.col, message), CompileWarning(about.line, about.col, message))

    def note(self, about: Where | Cue, message: str) -> None:
        """Tell the author about a cue said later than written: milder than a warning, as it is still heard."""
        self.count_event(about.line)
        self.notes.setdefault((about.line, about.col, message), CompileWarning(about.line, about.col, message))
