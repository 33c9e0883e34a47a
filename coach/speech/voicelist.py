"""`coach voices`: every engine's voices once, with their languages and the one `auto` speaks with.

On Linux pyttsx3 drives espeak-ng, so listing both would show the same
voices twice; pyttsx3 then names espeak-ng instead of repeating its list.
The mark comes from `engines.choose` itself, so it cannot disagree with a render.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass

from coach.errors import EnvironmentProblem
from coach.routine import Voice
from coach.speech import piper
from coach.speech.engines import ENGINE_NAMES, available, choose, pyttsx3_engine
from coach.wording import plural

ESPEAK_DEFAULT_LANGUAGE = "en"
"""The voice espeak-ng speaks with when given no `-v`: its best voice for this language."""
_OTHER_LANGUAGE = re.compile(r"\(([^ ()]+) (\d+)\)")


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    """What `--voice` and `voice:` take."""
    name: str
    languages: tuple[str, ...]
    """Primary language first, lowercase, `-` between parts (`en-gb`)."""


@dataclass(frozen=True)
class EngineVoices:
    engine: str
    installed: bool
    same_as: str | None
    """The engine whose voices these are, when this one only drives it (pyttsx3 on Linux)."""
    voices: tuple[VoiceInfo, ...]
    default: str | None
    """The id of the voice the engine speaks with when none is chosen."""


def engine_voices(engine: str) -> EngineVoices:
    if not available(engine):
        return EngineVoices(engine, False, None, (), None)
    if engine == "pyttsx3" and sys.platform.startswith("linux"):
        return EngineVoices(engine, True, "espeak-ng", (), None)
    if engine == "espeak-ng":
        return EngineVoices(engine, True, None, *_espeak_voices())
    if engine == "piper":
        voices = tuple(VoiceInfo(name, piper.describe(model), (_language(name.split("-")[0]),))
                       for name, model in piper.installed_voices().items())
        return EngineVoices(engine, True, None, voices, voices[0].id if voices else None)
    driver = pyttsx3_engine()
    voices = tuple(VoiceInfo(voice.id, voice.name or voice.id, tuple(_language(str(lang)) for lang in voice.languages or ()))
                   for voice in driver.getProperty("voices"))
    return EngineVoices(engine, True, None, voices, driver.getProperty("voice"))


def _espeak_voices() -> tuple[tuple[VoiceInfo, ...], str | None]:
    """espeak-ng's voices by language code (its file name when two share a code), and its default."""
    done = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, timeout=30, check=True)
    voices, seen, best = [], set(), (sys.maxsize, None)
    for row in done.stdout.splitlines()[1:]:
        columns = row.split(maxsplit=5)
        if len(columns) < 5:
            continue
        priority, language, _, name, file = columns[:5]
        others = _OTHER_LANGUAGE.findall(columns[5] if len(columns) > 5 else "")
        voice_id = file if language in seen else language
        seen.add(language)
        voices.append(VoiceInfo(voice_id, name.replace("_", " "), (language, *(code for code, _ in others))))
        for code, rank in ((language, priority), *others):
            if code == ESPEAK_DEFAULT_LANGUAGE and int(rank) < best[0]:
                best = (int(rank), voice_id)
    return tuple(voices), best[1]


def _language(code: str) -> str:
    return code.lower().replace("_", "-")


def speaks(voice: VoiceInfo, language: str) -> bool:
    """True when one of the voice's languages is `language` or a variant of it (`en` covers `en-gb`)."""
    wanted = _language(language)
    return any(code == wanted or code.startswith(wanted + "-") for code in voice.languages)


def describe(language: str | None = None) -> list[str]:
    """The lines of `coach voices`: per engine a heading, then its voices; `*` marks what `auto` uses."""
    auto = _auto_engine()
    lines = []
    for name in ENGINE_NAMES:
        found = engine_voices(name)
        if not found.installed:
            lines.append(f"{name}: not installed")
            continue
        if found.same_as:
            lines.append(f"{name}: drives {found.same_as} here, so its voices are {found.same_as}'s")
            continue
        shown = [voice for voice in found.voices if language is None or speaks(voice, language)]
        count = plural(len(shown), "voice") + (f" for '{language}'" if language else "")
        lines.append(f"{name}: {count}" + (" (* = the voice engine 'auto' uses)" if name == auto else ""))
        if name == "piper" and not found.voices:
            lines.append(f"  none installed; get one with: {piper.download_fix()}")
        for voice in shown:
            mark = "*" if name == auto and voice.id == found.default else " "
            lines.append(f"  {mark} {voice.id:24}  {voice.name:40}  {', '.join(voice.languages)}")
    return lines


def _auto_engine() -> str | None:
    """The engine a routine with `engine: auto` and no voice speaks with here, as a render chooses it."""
    try:
        return choose(Voice()).engine
    except EnvironmentProblem:
        return None
