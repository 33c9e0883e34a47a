"""The routine as validated, immutable data: what is said and how long each part lasts.

Built by `coach.loader` from a YAML file; read by the compiler. Every value
here is already checked, resolved (defaults inherited, `both` sides
expanded, sounds looked up) and remembers the line it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction
from pathlib import Path

from coach.durations import Span

NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
SOUND_ROLES = ("start", "end", "switch", "tick", "inhale", "exhale", "section")
NO_SOUND = ""
"""A sound role switched off (`sounds: {start: none}`): no sound event at all."""
ENGINES = ("auto", "pyttsx3", "espeak-ng", "piper")


@dataclass(frozen=True)
class Phrases:
    """Stock wording; an empty text is not spoken. `{side}`, `{name}`, `{round}` and `{rounds}` are filled in."""

    step: str = "{name}."
    """Said first in a timed step's instruction, unless its `say` names the step already."""
    side: str = "{side} side."
    """Names the first side in a sided step's instruction."""
    round: str = "Round {round} of {rounds}."
    """Starts each round of a step of several rounds."""
    set: str = "Set {round} of {rounds}."
    """Starts each round of a section of several rounds (a word apart from a step's rounds inside it)."""
    begin: str = "Begin."
    go: str = "Go."
    """Ends a count-in exactly as the hold starts (it replaces `begin` there)."""
    halfway: str = "Halfway."
    switch: str = "Switch sides: {side} side."
    end: str = "And release."
    next: str = "Next: {name}."
    numbers: tuple[str, ...] = NUMBER_WORDS
    """Number words from one upwards, for rounds; the default of `countdown` and `count`."""
    countdown: tuple[str, ...] = NUMBER_WORDS
    """A hold's countdown and count-in say these from N down to one. Empty: no countdown."""
    count: tuple[str, ...] = NUMBER_WORDS
    """Counted breaths count up with these ("In, two, three"). Empty: no counting."""
    sides: tuple[tuple[str, str], ...] = ()
    """(side name, word said for it) pairs; a side not listed is said by its name."""
    inhale: str = "In"
    exhale: str = "Out"
    hold: str = "Hold"
    done: str = "That is the end of the session. Well done."


@dataclass(frozen=True)
class Sounds:
    """Cue sound per role: a bundled name (`chime`), an absolute path to a user file, or `NO_SOUND`."""

    start: str = "chime"
    end: str = "gong"
    switch: str = "swish"
    tick: str = "tick"
    inhale: str = "rise"
    exhale: str = "fall"
    section: str = "bell"


@dataclass(frozen=True)
class Voice:
    engine: str = "auto"
    voice: str | None = None
    rate: int = 160
    volume: float = 1.0
    language: str | None = None
    line: int = 0
    col: int = 0
    """Where the voice (or else the engine) is named: a warning that this machine lacks it points there."""


@dataclass(frozen=True)
class Timing:
    """Defaults a routine, section or step may override, already inherited."""

    prepare: Fraction = Fraction(5)
    switch: Fraction = Fraction(5)
    rest: Span = Span(Fraction(0), Fraction(0))
    countdown: int = 3
    halfway: bool = True
    count_in: int = 0
    """Numbers said before a hold starts ("Three, two, one, go"), ending exactly at its start."""


@dataclass(frozen=True)
class Cue:
    """A user cue inside a hold or breathing: once `at` an offset, or `every` interval."""

    lines: tuple[str, ...]
    at: Fraction | None
    every: Fraction | None
    line: int
    col: int
    """Where its `at` or `every` is written: warnings about when it speaks point there."""


@dataclass(frozen=True)
class Breath:
    inhale: Fraction
    hold: Fraction
    exhale: Fraction
    hold_after: Fraction
    length: Span | None
    cycles: int | None
    counted: int | None
    """How many cycles are counted aloud; None means every cycle."""

    @property
    def period(self) -> Fraction:
        return self.inhale + self.hold + self.exhale + self.hold_after


@dataclass(frozen=True)
class TimedStep:
    """What holds and breathing share: a name to preview, an instruction, cues inside."""

    name: str
    say: str
    cues: tuple[Cue, ...]
    timing: Timing
    sounds: Sounds
    line: int
    col: int


@dataclass(frozen=True)
class Hold(TimedStep):
    duration: Span
    sides: tuple[str, ...]
    rounds: int


@dataclass(frozen=True)
class Breathing(TimedStep):
    breath: Breath


@dataclass(frozen=True)
class Announcement:
    lines: tuple[str, ...]
    pause: Span
    timing: Timing
    line: int


@dataclass(frozen=True)
class Rest:
    length: Span
    say: str | None
    line: int


Step = Hold | Breathing | Announcement | Rest


@dataclass(frozen=True)
class Section:
    name: str
    say: str
    optional: bool
    rounds: int
    steps: tuple[Step, ...]
    sounds: Sounds
    line: int


@dataclass(frozen=True)
class Routine:
    path: str
    title: str
    description: str | None
    author: str | None
    album: str | None
    """The album a phone's library files the MP3 under; None: the title."""
    length: Fraction | None
    length_line: int
    length_col: int
    voice: Voice
    phrases: Phrases
    sections: tuple[Section, ...]

    def input_files(self) -> dict[Path, str]:
        """Every file a render of this routine reads, and what it is to a user."""
        files = {Path(self.path): "the routine being rendered"}
        for section in self.sections:
            for sounds in (section.sounds, *(step.sounds for step in section.steps if isinstance(step, TimedStep))):
                for role in fields(sounds):
                    sound = getattr(sounds, role.name)
                    if sound and Path(sound).is_absolute():
                        files.setdefault(Path(sound), f"the routine's {role.name} sound")
        return files
