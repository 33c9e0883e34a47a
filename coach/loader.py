"""Load a routine file: YAML text to a validated, resolved `Routine`.

Everything a user can get wrong is caught here, with its line and column,
so the compiler only ever sees a routine that makes sense.
"""

from __future__ import annotations

import re
from dataclasses import fields as dataclass_fields, replace
from pathlib import Path

from coach import cuesounds
from coach.durations import Span, parse_duration
from coach.errors import quoted
from coach.fields import Fields, Source, did_you_mean, too_long
from coach.limits import MAX_COUNTDOWN, MAX_EVENTS, MAX_ROUNDS, MAX_SECTIONS, MAX_TRACK_SECONDS, RATE_RANGE
from coach.routine import (ENGINES, NO_SOUND, SOUND_ROLES, Announcement, Breath, Breathing, Cue, Hold,
                           Phrases, Rest, Routine, Section, Sounds, Timing, Voice)
from coach.routinefile import read_routine_text
from coach.yamlsource import Map, Scalar, Seq, load_source

TIMING_KEYS = ("prepare", "switch", "rest", "countdown", "count_in", "halfway")
TOP_KEYS = ("title", "description", "author", "album", "length", "voice", "defaults", "phrases", "sounds", "sections")
SECTION_KEYS = ("name", "say", "optional", "rounds", "steps", "sound") + TIMING_KEYS
HOLD_KEYS = ("name", "say", "duration", "sides", "rounds", "cues", "sound") + TIMING_KEYS
BREATHING_KEYS = ("name", "say", "breathe", "cues", "prepare", "rest", "sound")
ANNOUNCEMENT_KEYS = ("say", "pause")
REST_KEYS = ("rest", "say")
STEP_KEYS = tuple(dict.fromkeys(HOLD_KEYS + BREATHING_KEYS + ANNOUNCEMENT_KEYS + REST_KEYS))
BREATHE_KEYS = ("pattern", "inhale", "hold", "exhale", "hold_after", "duration", "cycles", "count")
CUE_KEYS = ("at", "every", "say")
VOICE_KEYS = ("engine", "voice", "rate", "volume", "language")
PHRASE_KEYS = tuple(field.name for field in dataclass_fields(Phrases))
SOUND_KEYS = SOUND_ROLES
PHASES = ("inhale", "hold", "exhale", "hold_after")
NUMBER_PHRASES = ("numbers", "countdown", "count")
PHRASE_PLACEHOLDERS = {"step": ("name",), "next": ("name",), "side": ("side",), "switch": ("side",),
                       "round": ("round", "rounds"), "set": ("round", "rounds")}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def load_file(path: str | Path, display: str | None = None) -> Routine:
    """Read and validate the routine at `path` (`display` is the name used in messages)."""
    path = Path(path)
    shown = display or str(path)
    return load_text(read_routine_text(path, shown), shown, base_dir=path.parent)


def load_text(text: str, path: str, base_dir: Path = Path(".")) -> Routine:
    """Validate routine `text`; user sound paths are relative to `base_dir`."""
    root = load_source(text, path)
    return _Loader(Source(path), base_dir).routine(root)


class _Loader:
    def __init__(self, source: Source, base_dir: Path):
        self.source, self.base_dir = source, base_dir

    def routine(self, root) -> Routine:
        """The routine, once every part of it reads without an error; else all its errors at once."""
        top = self.source.mapping(root, "the routine", TOP_KEYS)
        read = self.source.read
        description, author, album = (read(top.text, key) for key in ("description", "author", "album"))
        timing = read(self.defaults, top, fallback=Timing())
        sounds = read(self.sounds, top.raw("sounds"), Sounds(), "sounds", fallback=Sounds())
        routine = Routine(
            path=self.source.path, title=read(self.title, top), description=description, author=author, album=album,
            length=read(top.duration, "length"), length_line=top.raw("length").line if top.has("length") else 0,
            length_col=top.raw("length").col if top.has("length") else 0,
            voice=read(self.voice, top.raw("voice")), phrases=read(self.phrases, top.raw("phrases")),
            sections=read(self.sections, top, timing, sounds),
        )
        self.source.raise_errors()
        return routine

    def title(self, top: Fields) -> str:
        title = top.text("title")
        if title is None:
            raise top.error("title", "the routine needs a 'title'")
        return title

    def defaults(self, top: Fields) -> Timing:
        return self.timing(self.source.mapping(top.raw("defaults") or Map((), 1, 1), "defaults", TIMING_KEYS), Timing())

    def sections(self, top: Fields, timing: Timing, sounds: Sounds) -> tuple[Section, ...]:
        node = top.raw("sections")
        if node is None:
            raise self.source.error(top.node, "the routine needs 'sections' (a list of sections)")
        if not isinstance(node, Seq) or not node.items:
            raise self.source.error(node, "'sections' must be a non-empty list of sections")
        if len(node.items) > MAX_SECTIONS:
            raise self.source.error(node.items[MAX_SECTIONS], f"more than {MAX_SECTIONS} sections")
        sections, seen = [], {}
        for number, item in enumerate(node.items, 1):
            section = self.source.read(self.section, item, number, timing, sounds)
            if section is None:
                continue
            first = seen.setdefault(section.name.casefold(), section.line)
            if first != section.line:
                self.source.note(item, f"a second section named {quoted(section.name)} (first on line {first})")
            sections.append(section)
        return tuple(sections)

    def section(self, node, number: int, timing: Timing, sounds: Sounds) -> Section:
        """A section, each key and step read on its own (see `Source.read`); none without a name and steps."""
        named = node.get("name") if isinstance(node, Map) else None
        what = f"section {quoted(named.text)}" if isinstance(named, Scalar) and named.text else f"section {number}"
        fields = self.source.mapping(node, what, SECTION_KEYS)
        name = fields.text("name")
        if name is None:
            raise fields.error("name", f"section {number} needs a 'name'")
        read = self.source.read
        timing = self.timing(fields, timing)
        sounds = read(self.sounds, fields.raw("sound"), sounds, f"section {quoted(name)} sound", fallback=sounds)
        header = dict(say=read(self.said, fields, "say", name), optional=read(fields.boolean, "optional", False),
                      rounds=read(fields.integer, "rounds", 1, 1, MAX_ROUNDS))
        steps_node = fields.require("steps")
        if not isinstance(steps_node, Seq) or not steps_node.items:
            raise self.source.error(steps_node, f"'steps' of section {quoted(name)} must be a non-empty list")
        return Section(name=name, steps=tuple(read(self.step, item, timing, sounds) for item in steps_node.items),
                       sounds=sounds, line=node.line, **header)

    def step(self, node, timing: Timing, sounds: Sounds):
        if isinstance(node, Scalar) and isinstance(node.value, str):
            raise self.source.error(node, "a step must be a mapping; to say something, write 'say: ...'")
        if not isinstance(node, Map):
            raise self.source.error(node, "a step must be a mapping (like 'name: ...' and 'duration: ...')")
        keys = set(node.keys())
        if {"duration", "breathe"} <= keys:
            raise self.source.error(node.key_node("breathe"),
                                    "a step has 'duration' (a hold) or 'breathe' (breathing), not both")
        if "breathe" in keys:
            return self.breathing(self.source.mapping(node, "a breathing step", BREATHING_KEYS), timing, sounds)
        if "duration" in keys:
            return self.hold(self.source.mapping(node, "a hold step", HOLD_KEYS), timing, sounds)
        self.source.mapping(node, "a step", STEP_KEYS)
        if "name" in keys:
            raise self.source.error(node.key_node("name"),
                                    "this step has a 'name' but no 'duration' (a hold) or 'breathe' (breathing)")
        if "say" in keys and "rest" not in keys:
            fields = self.source.mapping(node, "an announcement", ANNOUNCEMENT_KEYS)
            return Announcement(lines=self.source.read(self.said_lines, fields),
                                pause=self.source.read(fields.span, "pause", Span(0, 0), zero_ok=True),
                                timing=self.timing(fields, timing), line=node.line)
        if "rest" in keys:
            fields = self.source.mapping(node, "a rest step", REST_KEYS)
            return Rest(length=self.source.read(fields.span, "rest", zero_ok=True),
                        say=self.source.read(self.said, fields, "say"), line=node.line)
        raise self.source.error(node, "a step needs 'duration' (a hold), 'breathe' (breathing), "
                                      "'say' (an announcement) or 'rest' (a pause)")

    def hold(self, fields: Fields, timing: Timing, sounds: Sounds) -> Hold:
        name, read = self.step_name(fields), self.source.read
        sides = read(self.sides, fields)
        placeholders = () if sides == () else ("side",)  # wrong 'sides' are sides still: '{side}' is not blamed too
        return Hold(
            name=name, say=read(self.said, fields, "say", name, placeholders), duration=read(fields.span, "duration"),
            sides=sides, rounds=read(fields.integer, "rounds", 1, 1, MAX_ROUNDS),
            cues=read(self.cues, fields, placeholders), timing=self.timing(fields, timing),
            sounds=read(self.sounds, fields.raw("sound"), sounds, f"step {quoted(name)} sound"),
            line=fields.node.line, col=fields.node.col,
        )

    def breathing(self, fields: Fields, timing: Timing, sounds: Sounds) -> Breathing:
        name, read = self.step_name(fields), self.source.read
        return Breathing(
            name=name, say=read(self.said, fields, "say", name),
            breath=read(self.breath, fields),
            cues=read(self.cues, fields, ()), timing=self.timing(fields, timing),
            sounds=read(self.sounds, fields.raw("sound"), sounds, f"step {quoted(name)} sound"),
            line=fields.node.line, col=fields.node.col,
        )

    def step_name(self, fields: Fields) -> str:
        name = fields.text("name")
        if name is None:
            raise fields.error("name", "a timed step needs a 'name' (used in previews and the plan)")
        fields.what = f"step {quoted(name)}"
        return name

    def breath(self, step: Fields) -> Breath:
        fields = self.source.mapping(step.raw("breathe"), "'breathe'", BREATHE_KEYS)
        phases = self.pattern(fields) if fields.has("pattern") else {}
        for phase in PHASES:
            if fields.has(phase):
                phases[phase] = fields.duration(phase, zero_ok=phase.startswith("hold"))
        for phase in ("inhale", "exhale"):
            if phase not in phases:
                raise fields.error("pattern", f"'breathe' needs a 'pattern' (like 4-6) or '{phase}'")
        if fields.has("duration") and fields.has("cycles"):
            raise fields.error("cycles", "'breathe' has 'duration' or 'cycles', not both")
        if not fields.has("duration") and not fields.has("cycles"):
            raise fields.error("cycles", "'breathe' needs 'duration' or 'cycles'")
        counted = self.counted(fields)
        breath = Breath(inhale=phases["inhale"], hold=phases.get("hold", 0), exhale=phases["exhale"],
                        hold_after=phases.get("hold_after", 0), length=fields.span("duration"),
                        cycles=fields.integer("cycles", 0, 1, MAX_EVENTS) or None, counted=counted)
        if breath.length and breath.length.lo < breath.period:
            raise fields.error("duration", "'duration' is shorter than one breathing cycle")
        return breath

    def pattern(self, fields: Fields) -> dict:
        text = fields.raw("pattern").text if isinstance(fields.raw("pattern"), Scalar) else ""
        parts = text.split("-")
        names = {2: ("inhale", "exhale"), 3: ("inhale", "hold", "exhale"), 4: PHASES}.get(len(parts))
        try:
            values = [parse_duration(part) for part in parts]
        except ValueError:
            values = []
        if names is None or not values or values[0] == 0 or values[names.index("exhale")] == 0:
            raise fields.error("pattern", f"'pattern' must be like 4-6, 4-7-8 or 4-4-4-4 (seconds), not {quoted(text)}")
        if max(values) > MAX_TRACK_SECONDS:
            raise fields.error("pattern", too_long("pattern"))
        return dict(zip(names, values))

    def counted(self, fields: Fields) -> int | None:
        node = fields.raw("count")
        if isinstance(node, Scalar) and node.text == "all":
            return None
        return fields.integer("count", 0, 0, MAX_EVENTS)

    def sides(self, fields: Fields) -> tuple[str, ...]:
        node = fields.raw("sides")
        if node is None:
            return ()
        if isinstance(node, Seq) and node.items:
            sides = tuple(fields.text_of(item, "sides") for item in node.items)
            if len(set(sides)) != len(sides):
                raise self.source.error(node, "'sides' lists a side twice")
            return sides
        choice = fields.choice("sides", "both", ("both", "left", "right"))
        return ("right", "left") if choice == "both" else (choice,)

    def cues(self, fields: Fields, placeholders: tuple[str, ...]) -> tuple[Cue, ...]:
        node = fields.raw("cues")
        if node is None:
            return ()
        if not isinstance(node, Seq):
            raise self.source.error(node, "'cues' must be a list (each with 'at' or 'every', and 'say')")
        return tuple(self.source.read(self.cue, item, placeholders) for item in node.items)

    def cue(self, node, placeholders: tuple[str, ...]) -> Cue:
        cue = self.source.mapping(node, "a cue", CUE_KEYS)
        if cue.has("at") and cue.has("every"):
            raise cue.error("every", "a cue has 'at' or 'every', not both")
        if not cue.has("at") and not cue.has("every"):
            raise self.source.error(node, "a cue needs 'at' (once) or 'every' (repeating)")
        lines = tuple(self.checked(cue, "say", line, placeholders) for line in cue.lines("say"))
        when = cue.raw("at") or cue.raw("every")
        return Cue(lines=lines, at=cue.duration("at", zero_ok=True, negative_ok=True),
                   every=cue.duration("every"), line=when.line, col=when.col)

    def timing(self, fields: Fields, inherited: Timing) -> Timing:
        """`inherited` with whatever timing keys `fields` sets, each read on its own."""
        read = self.source.read
        return Timing(
            prepare=read(fields.duration, "prepare", inherited.prepare, zero_ok=True),
            switch=read(fields.duration, "switch", inherited.switch, zero_ok=True),
            rest=read(fields.span, "rest", inherited.rest, zero_ok=True),
            countdown=read(fields.integer, "countdown", inherited.countdown, 0, MAX_COUNTDOWN),
            halfway=read(fields.boolean, "halfway", inherited.halfway),
            count_in=read(fields.integer, "count_in", inherited.count_in, 0, MAX_COUNTDOWN),
        )

    def sounds(self, node, inherited: Sounds, what: str) -> Sounds:
        if node is None:
            return inherited
        fields = self.source.mapping(node, what, SOUND_KEYS)
        return replace(inherited, **{role: self.source.read(self.sound, fields, role)
                                     for role in SOUND_ROLES if fields.has(role)})

    def sound(self, fields: Fields, role: str) -> str:
        name = fields.text(role)
        if name is None:
            raise fields.error(role, f"'{role}' needs a sound name or file")
        return NO_SOUND if name == "none" else cuesounds.resolve(name, self.base_dir,
                                                                 lambda message: fields.error(role, message))

    def voice(self, node) -> Voice:
        if node is None:
            return Voice()
        fields = self.source.mapping(node, "voice", VOICE_KEYS)
        named = fields.raw("voice") or fields.raw("engine") or node  # what a voice this machine lacks is about
        read = self.source.read
        return Voice(engine=read(fields.choice, "engine", "auto", ENGINES), voice=read(fields.text, "voice"),
                     rate=read(fields.integer, "rate", 160, *RATE_RANGE),
                     volume=read(fields.number, "volume", 1.0, 0, 1),
                     language=read(fields.text, "language"), line=named.line, col=named.col)

    def phrases(self, node) -> Phrases:
        if node is None:
            return Phrases()
        fields = self.source.mapping(node, "phrases", PHRASE_KEYS)
        chosen = {key: self.source.read(self.phrase, fields, key) for key in PHRASE_KEYS if fields.has(key)}
        numbers = chosen.get("numbers", Phrases.numbers)
        # The countdown and breath counting say the routine's numbers unless each is set on its own.
        return Phrases(**{"countdown": numbers, "count": numbers, **chosen})

    def phrase(self, fields: Fields, key: str) -> str | tuple[str, ...]:
        if key in NUMBER_PHRASES:
            return self.number_words(fields, key)
        if key == "sides":
            return self.side_words(fields)
        return self.checked(fields, key, fields.text(key, "", empty_ok=True), PHRASE_PLACEHOLDERS.get(key, ()))

    def number_words(self, fields: Fields, key: str) -> tuple[str, ...]:
        node = fields.raw(key)
        if isinstance(node, Seq):
            return tuple(fields.text_of(item, key) for item in node.items)
        return tuple(word.strip() for word in (fields.text(key, empty_ok=True) or "").split(",") if word.strip())

    def side_words(self, fields: Fields) -> tuple[tuple[str, str], ...]:
        """`sides: {right: rechts, left: links}`: the word said for each side's name."""
        node = fields.raw("sides")
        if not isinstance(node, Map):
            raise self.source.error(node, "'sides' in phrases must be a mapping like {right: rechts, left: links}")
        return tuple((key.text, fields.text_of(value, key.text)) for key, value in node.items)

    def said(self, fields: Fields, key: str, default: str | None = None,
             placeholders: tuple[str, ...] = ()) -> str | None:
        """The text of `key` (`default` without one), its placeholders checked."""
        return self.checked(fields, key, fields.text(key, default), placeholders)

    def said_lines(self, fields: Fields) -> tuple[str, ...]:
        return tuple(self.checked(fields, "say", line) for line in fields.lines("say"))

    def checked(self, fields: Fields, key: str, text: str | None, placeholders: tuple[str, ...] = ()) -> str | None:
        """`text` after checking its `{placeholders}` are ones that can be filled in here."""
        for found in PLACEHOLDER.finditer(text or ""):
            name = found.group(1)
            if name not in placeholders:
                if name == "side":
                    raise fields.error(key, "'{side}' is used but this step has no 'sides'")
                hint = did_you_mean(name, placeholders)
                raise fields.error(key, f"unknown placeholder {quoted('{' + name + '}')} in '{key}'{hint}")
        return text
