"""A JSON Schema (draft 2020-12) of the routine format, for editors (`coach schema`).

The keys of every mapping come from the loader's own key tuples, so the
schema cannot offer a key the loader refuses or miss one it accepts. What
each key holds is said once in `KINDS`; the limits come from `coach.limits`.
The loader stays the judge: the schema is a strict-enough guide for
completion and for flagging typos and wrong types as you type.
"""

from __future__ import annotations

import json

from coach import cuesounds, loader
from coach.durations import text_pattern
from coach.limits import MAX_COUNTDOWN, MAX_EVENTS, MAX_PHRASE_CHARS, MAX_ROUNDS, MAX_SECTIONS, RATE_RANGE
from coach.routine import ENGINES

DIALECT = "https://json-schema.org/draft/2020-12/schema"

MAPPINGS = {
    "routine": loader.TOP_KEYS,
    "defaults": loader.TIMING_KEYS,
    "voice": loader.VOICE_KEYS,
    "phrases": loader.PHRASE_KEYS,
    "sounds": loader.SOUND_KEYS,
    "section": loader.SECTION_KEYS,
    "hold step": loader.HOLD_KEYS,
    "breathing step": loader.BREATHING_KEYS,
    "announcement": loader.ANNOUNCEMENT_KEYS,
    "rest step": loader.REST_KEYS,
    "breathe": loader.BREATHE_KEYS,
    "cue": loader.CUE_KEYS,
}
"""Every mapping a routine has, by the name docs/routines.md and the schema's `$defs` use."""

REQUIRED = {
    "routine": ["title", "sections"], "section": ["name", "steps"], "hold step": ["name", "duration"],
    "breathing step": ["name", "breathe"], "announcement": ["say"], "rest step": ["rest"], "cue": ["say"],
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{_def_name(name)}"}


def _def_name(name: str) -> str:
    return name.replace(" ", "-")


def _duration(description: str, *, signed: bool = False, ranged: bool = False, zero_ok: bool = True) -> dict:
    """A duration is text (`1m30s`, `1:30`, `30-45s`) or a bare number of seconds."""
    number = {"type": "number"} if signed else {"type": "number", "minimum" if zero_ok else "exclusiveMinimum": 0}
    text = {"type": "string", "pattern": text_pattern(signed=signed, ranged=ranged)}
    return {"description": description, "anyOf": [number, text]}


def _whole(low: int, high: int) -> dict:
    return {"type": "integer", "minimum": low, "maximum": high}


_SUFFIXES = "|".join("".join(f"[{c}{c.upper()}]" for c in suffix[1:]) for suffix in cuesounds.USER_SOUND_SUFFIXES)
VALUES = {
    "text": {"description": "text (any plain value reads as its text)",
             "type": ["string", "number", "boolean"], "maxLength": MAX_PHRASE_CHARS},
    "lines": {"description": "a text, or a list of texts",
              "anyOf": [{"$ref": "#/$defs/text"}, {"type": "array", "items": {"$ref": "#/$defs/text"}, "minItems": 1}]},
    "duration": _duration("a duration: 45, 45s, 1m30s, 1:30"),
    "positive-duration": _duration("a duration longer than zero: 45, 45s, 1m30s, 1:30", zero_ok=False),
    "offset": _duration("a time from the start (negative: from the end): 10s, -8s", signed=True),
    "span": _duration("a duration or a range: 45s, 30-45s, 1m-2m", ranged=True),
    "positive-span": _duration("a duration or a range, longer than zero: 45s, 30-45s, 1m-2m",
                               ranged=True, zero_ok=False),
    "sound": {"description": "a bundled sound's name, or a sound file beside the routine",
              "anyOf": [{"enum": cuesounds.bundled_names()}, {"type": "string", "pattern": rf"\.(?:{_SUFFIXES})$"}]},
}
"""Value kinds many keys share, in `$defs` under these names."""
TEXT, LINES, SOUND = _ref("text"), _ref("lines"), _ref("sound")
FLAG = {"type": "boolean"}

KINDS = {
    "title": TEXT, "description": TEXT, "author": TEXT, "album": TEXT, "name": TEXT, "say": TEXT,
    "length": _ref("positive-duration"),
    "voice": _ref("voice"),
    "defaults": _ref("defaults"), "phrases": _ref("phrases"), "sounds": _ref("sounds"), "sound": _ref("sounds"),
    "sections": {"type": "array", "items": _ref("section"), "minItems": 1, "maxItems": MAX_SECTIONS},
    "steps": {"type": "array", "items": _ref("step"), "minItems": 1},
    "optional": FLAG, "halfway": FLAG,
    "rounds": _whole(1, MAX_ROUNDS), "countdown": _whole(0, MAX_COUNTDOWN),
    "count_in": _whole(0, MAX_COUNTDOWN), "cycles": _whole(1, MAX_EVENTS),
    "count": {"anyOf": [_whole(0, MAX_EVENTS), {"const": "all"}]},
    "prepare": _ref("duration"), "switch": _ref("duration"), "hold": _ref("duration"), "hold_after": _ref("duration"),
    "inhale": _ref("positive-duration"), "exhale": _ref("positive-duration"), "every": _ref("positive-duration"),
    "at": _ref("offset"),
    "rest": _ref("span"), "pause": _ref("span"), "duration": _ref("positive-span"),
    "sides": {"anyOf": [{"enum": ["both", "left", "right"]},
                        {"type": "array", "items": TEXT, "minItems": 1, "uniqueItems": True}]},
    "cues": {"type": "array", "items": _ref("cue")},
    "breathe": _ref("breathe"),
    "pattern": {"description": "seconds in-out, in-hold-out or in-hold-out-hold: 4-6, 4-7-8, 4-4-4-4",
                "type": "string", "pattern": r"^\s*\d+(?:\.\d+)?\s*[a-zA-Z]*(?:\s*-\s*\d+(?:\.\d+)?\s*[a-zA-Z]*){1,3}\s*$"},
    "engine": {"enum": list(ENGINES)}, "rate": _whole(*RATE_RANGE),
    "volume": {"type": "number", "minimum": 0, "maximum": 1}, "language": TEXT,
}
"""What each key holds wherever it appears; `phrases` and `sounds` hold one kind throughout (below)."""

OVERRIDES = {
    "voice": {"voice": TEXT},
    "phrases": {**{key: TEXT for key in loader.PHRASE_KEYS}, **{key: LINES for key in loader.NUMBER_PHRASES},
                "sides": {"description": "the word said for each side's name: {right: rechts, left: links}",
                          "type": "object", "additionalProperties": TEXT}},
    "sounds": {key: {"anyOf": [SOUND, {"const": "none"}]} for key in loader.SOUND_KEYS},
    "announcement": {"say": LINES},
    "cue": {"say": LINES},
}

EXTRA = {
    "breathe": {"allOf": [{"oneOf": [{"required": ["duration"]}, {"required": ["cycles"]}]},
                          {"anyOf": [{"required": ["pattern"]}, {"required": ["inhale", "exhale"]}]}]},
    "cue": {"oneOf": [{"required": ["at"]}, {"required": ["every"]}]},
}
"""Rules across keys that the loader enforces too: exactly one length, exactly one timing."""

STEP = {
    "type": "object",
    "if": {"required": ["breathe"]}, "then": _ref("breathing step"),
    "else": {"if": {"required": ["duration"]}, "then": _ref("hold step"),
             "else": {"if": {"required": ["rest"]}, "then": _ref("rest step"), "else": _ref("announcement")}},
}
"""A step's shape is decided by its keys in the loader's order: breathe, duration, rest, else say."""


def mapping_schema(name: str) -> dict:
    """One mapping: its keys (from the loader), what each holds, nothing else allowed."""
    keys = MAPPINGS[name]
    kinds = {**KINDS, **OVERRIDES.get(name, {})}
    schema = {"type": "object", "properties": {key: kinds[key] for key in keys}, "additionalProperties": False}
    if name in REQUIRED:
        schema["required"] = REQUIRED[name]
    return {**schema, **EXTRA.get(name, {})}


def routine_schema() -> dict:
    """The whole schema: the routine at the top, every other mapping in `$defs`."""
    definitions = {_def_name(name): mapping_schema(name) for name in MAPPINGS if name != "routine"}
    return {
        "$schema": DIALECT,
        "title": "coach routine",
        "description": "A routine for coach, the voice-guided audio coach (see docs/routines.md).",
        **mapping_schema("routine"),
        "$defs": {**definitions, "step": STEP, **VALUES},
    }


def schema_text() -> str:
    return json.dumps(routine_schema(), indent=2) + "\n"
