"""Cue sounds: the bundled set in `audio_cues/` and user files a routine points at.

The compiler needs each sound's length to place its event; the mixer needs
its samples. A user file is prepared exactly as the mixer will play it when
the routine loads, within the same bounds, so `check`, `plan` and `render`
agree: a missing, huge, silent or undecodable file is reported at the line
that names it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import wave
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from coach.boundedread import UnsafeFile, check_regular, read_bounded
from coach.errors import EnvironmentProblem, RoutineError
from coach.limits import MAX_SOUND_BYTES, SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np

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
    try:
        check_regular(os.stat(path), MAX_SOUND_BYTES)
    except FileNotFoundError:
        raise error(f"sound file '{text}' not found (looked for {path})") from None
    except OSError as problem:
        raise error(f"sound file '{text}' cannot be read ({problem.strerror})") from None
    except UnsafeFile as problem:
        raise error(f"sound file '{text}' {problem}") from None
    try:
        prepared(str(path))
    except EnvironmentProblem:
        raise
    except ValueError as problem:
        raise error(f"sound file '{text}' cannot be used: {problem}") from None
    except Exception:  # any decoder failure means the same thing to the user
        raise error(f"sound file '{text}' cannot be decoded as audio") from None
    return str(path)


@functools.lru_cache(maxsize=None)
def prepared(sound: str) -> np.ndarray:
    """The samples the mixer plays for a sound: trimmed and levelled (see `audio.clips`). Kept in the
    clip cache by the file's content, so a run prepares no sound it has prepared before (the bundled
    ones took 29 ms of every render's start, with loading pydub)."""
    from coach.audio.clips import PROCESSING
    from coach.speech.cache import ClipCache, clip_key, default_dir

    path = sound_path(sound)
    content = read_bounded(path, MAX_SOUND_BYTES)
    # A sound's clip key: the speech key's fields, with the file's digest where the words would be.
    key = clip_key(f"sound | {PROCESSING}", SAMPLE_RATE, 1.0, hashlib.sha256(content).hexdigest())
    cache = ClipCache(default_dir())
    samples = cache.get(key)
    if samples is None:
        if path.suffix.lower() in (".mp3", ".ogg", ".flac"):
            _need_ffmpeg(path)
        from coach.audio.clips import prepare_sound

        samples = prepare_sound(path)
        with contextlib.suppress(EnvironmentProblem):  # a cache that cannot be written: made each run
            cache.put(key, samples)
    return samples


def prepared_length(sound: str) -> float:
    """Seconds the sound plays for: what exact plans and renders place."""
    return len(prepared(sound)) / SAMPLE_RATE


@functools.lru_cache(maxsize=None)
def length_seconds(sound: str) -> float:
    """Seconds for estimated plans: a bundled sound's file length (cheap, from its header);
    a user file's prepared length (it was prepared when the routine loaded)."""
    if Path(sound).is_absolute():
        return prepared_length(sound)
    with wave.open(str(sound_path(sound)), "rb") as reader:
        return reader.getnframes() / reader.getframerate()


def _need_ffmpeg(path: Path) -> None:
    from pydub.utils import which

    if not (which("ffmpeg") or which("avconv")):
        raise EnvironmentProblem(f"decoding '{path.name}' needs ffmpeg", "install ffmpeg (apt-get install ffmpeg)")
