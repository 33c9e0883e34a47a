"""The content key of a render: a hash of everything that decides the MP3's bytes, and nothing else.

The key is stored in the MP3's tag, so `coach render` can tell that a file
is already what it would write and leave it alone (its bytes and mtime,
so sync tools copy nothing). The routine counts as parsed: comments,
whitespace, key order and where the file lives do not change the key;
a cue sound counts by its content, not its path.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from fractions import Fraction
from pathlib import Path

from coach import __version__
from coach.boundedread import read_bounded
from coach.compiler import Options
from coach.limits import MAX_SOUND_BYTES
from coach.routine import Routine, Sounds
from coach.speech.engines import EngineSpec

NOT_HEARD = ("path", "line", "col", "length_line", "length_col")
"""Routine fields that only locate error messages."""


def render_key(routine: Routine, options: Options, spec: EngineSpec, bitrate_kbps: int, chapters: str = "steps") -> str:
    from coach.audio.clips import PROCESSING

    document = {
        "coach": __version__,
        "routine": heard(routine),
        "length": str(options.length), "include": sorted(options.include),
        "speech": [spec.identity(), spec.rate, spec.volume, PROCESSING],
        "bitrate": bitrate_kbps, "chapters": chapters,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode("utf-8")).hexdigest()


def heard(value):
    """The parsed routine (or a part of it) as JSON-ready data, keeping only what can be heard;
    each dataclass tagged with its kind (a Hold, a Rest...)."""
    if isinstance(value, Sounds):
        return {role.name: _sound(getattr(value, role.name)) for role in fields(value)}
    if is_dataclass(value):
        return {"kind": type(value).__name__,
                **{field.name: heard(getattr(value, field.name)) for field in fields(value)
                   if field.name not in NOT_HEARD}}
    if isinstance(value, (tuple, list)):
        return [heard(item) for item in value]
    if isinstance(value, Fraction):
        return str(value)
    return value


def _sound(sound: str) -> str:
    """A bundled sound by name (it ships with this version), a user file by its content."""
    if not Path(sound).is_absolute():
        return sound
    return hashlib.sha256(read_bounded(sound, MAX_SOUND_BYTES)).hexdigest()
