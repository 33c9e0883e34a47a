"""Cue sounds: the bundled set in `audio_cues/` and user files a routine points at.

The compiler needs each sound's length to place its event; the mixer needs
its samples. A user file is checked when the routine loads, so a missing or
undecodable file is reported at the line that names it.
"""

from __future__ import annotations

import functools
import wave
from importlib import resources
from pathlib import Path
from typing import Callable

from coach.errors import EnvironmentProblem, RoutineError

USER_SOUND_SUFFIXES = (".wav", ".mp3", ".ogg", ".flac")


def bundled_names() -> list[str]:
    return sorted(item.name[:-4] for item in resources.files("coach.audio_cues").iterdir()
                  if item.name.endswith(".wav"))


def sound_path(sound: str) -> Path:
    """The file of a sound as the routine holds it: an absolute user path, or a bundled name."""
    if Path(sound).is_absolute():
        return Path(sound)
    return Path(str(resources.files("coach.audio_cues") / f"{sound}.wav"))


def resolve(text: str, base_dir: Path, error: Callable[[str], RoutineError]) -> str:
    """A bundled sound name, or the absolute path of a readable user sound file."""
    names = bundled_names()
    if text in names:
        return text
    if Path(text).suffix.lower() not in USER_SOUND_SUFFIXES:
        from coach.fields import did_you_mean
        raise error(f"'{text}' is neither a bundled sound ({', '.join(names)}) nor a "
                    f"{'/'.join(USER_SOUND_SUFFIXES)} file{did_you_mean(text, names)}")
    path = (base_dir / text).resolve()
    if not path.is_file():
        raise error(f"sound file '{text}' not found (looked for {path})")
    try:
        length_seconds(str(path))
    except EnvironmentProblem:
        raise
    except Exception as problem:  # any decoder failure means the same thing to the user
        raise error(f"sound file '{text}' cannot be decoded as audio") from None
    return str(path)


@functools.lru_cache(maxsize=None)
def length_seconds(sound: str) -> float:
    """Length of a bundled sound (by name) or user file (by absolute path)."""
    path = sound_path(sound)
    if path.suffix.lower() == ".wav":
        with wave.open(str(path), "rb") as reader:
            return reader.getnframes() / reader.getframerate()
    return _decoded_length(path)


def _decoded_length(path: Path) -> float:
    from pydub import AudioSegment
    from pydub.utils import which

    if not (which("ffmpeg") or which("avconv")):
        raise EnvironmentProblem(f"decoding '{path.name}' needs ffmpeg", "install ffmpeg (apt-get install ffmpeg)")
    return len(AudioSegment.from_file(str(path))) / 1000
