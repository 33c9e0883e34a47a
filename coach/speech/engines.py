"""Speech engines: which one to use, what it is called in the cache, and how to speak a file.

An engine runs inside a synthesis worker process (pyttsx3 must be created
and driven in one thread, and may hang); the parent only ever handles an
`EngineSpec`, which is plain data and cheap to send to a worker.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import functools
import io
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from coach.errors import EnvironmentProblem, quoted
from coach.routine import Voice
from coach.speech import piper
from coach.speech.espeak import EspeakSpeaker, espeak_version
from coach.timeline import CompileWarning

ENGINE_NAMES = ("pyttsx3", "espeak-ng", "piper")
AUTO_ORDER = ("espeak-ng", "pyttsx3") if sys.platform.startswith("linux") else ("pyttsx3", "espeak-ng")
"""On Linux pyttsx3 drives the same espeak-ng, but through an asynchronous callback that was
measured here to return clips that differ by a few samples from call to call and, under
load, empty or another phrase's audio; espeak-ng itself is deterministic. Elsewhere pyttsx3
reaches the system voices (NSSpeechSynthesizer, SAPI5), so it comes first. Piper, when it is
installed and has a voice, comes before both (see `choose`)."""
PYTTSX3_ATTEMPTS = 3
PLAUSIBLE_FRACTION = 0.3
"""A pyttsx3 clip shorter than this share of the rate estimate is a known driver glitch: retry."""
INSTALL_ESPEAK = "install espeak-ng (Debian/Ubuntu: apt-get install espeak-ng; macOS: brew install espeak-ng)"


@dataclass(frozen=True)
class EngineSpec:
    """An engine with its settings: everything that decides how a clip sounds."""

    engine: str
    voice: str | None
    rate: int
    volume: float
    language: str | None

    def identity(self) -> str:
        """Names the exact engine build, so a new engine version never reuses old clips.
        A Piper voice is named by its model's content, not its path."""
        if self.engine == "piper":
            return piper.model_identity(Path(self.voice))
        return f"{self.engine} {_engine_version(self.engine)} voice={self.voice} lang={self.language}"


def choose(voice: Voice, engine: str | None = None, voice_name: str | None = None,
           rate: int | None = None) -> EngineSpec:
    """The engine to use: the one asked for (CLI overrides the routine), or the first that works."""
    wanted = engine or voice.engine
    voice_name = voice_name or voice.voice
    if wanted == "auto":
        found = next((name for name in AUTO_ORDER if available(name)), None)
        if _piper_fits(voice_name):
            found = "piper"
        if found is None:
            raise EnvironmentProblem("no speech engine found", INSTALL_ESPEAK)
        wanted = found
    elif wanted not in ENGINE_NAMES:
        raise EnvironmentProblem(f"speech engine '{wanted}' is not available here",
                                 f"use one of: {', '.join(ENGINE_NAMES)} (see `coach voices`)")
    elif not available(wanted):
        raise EnvironmentProblem(f"speech engine '{wanted}' is not installed", _fix_for(wanted))
    if wanted == "piper":  # the model is found here, once, so a wrong name fails before any work
        return EngineSpec(wanted, str(piper.find_model(voice_name)), rate or voice.rate, voice.volume, None)
    if wanted == "espeak-ng" and (voice_name or voice.language):
        _check_espeak_voice(voice_name or voice.language)
    return EngineSpec(wanted, voice_name, rate or voice.rate, voice.volume, voice.language)


def _check_espeak_voice(name: str) -> None:
    """espeak-ng itself says whether it has a voice (8 ms): a wrong name fails here, before any work,
    not in the middle of synthesis."""
    done = subprocess.run(["espeak-ng", "-q", "-v", name, "--", "x"], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise EnvironmentProblem(f"espeak-ng has no voice {quoted(name)}",
                                 "choose one from `coach voices` (e.g. en-gb, en-us, de)")


def voice_warnings(voice: Voice) -> tuple[CompileWarning, ...]:
    """What `render` would refuse about the routine's voice (an engine or a Piper voice that cannot be
    found here), as a warning for `check`: the routine is fine, this machine lacks something."""
    try:
        choose(voice)
    except EnvironmentProblem as problem:
        return (CompileWarning(voice.line or None, voice.col or None, f"{problem} (fix: {problem.fix})"),)
    return ()


def _piper_fits(voice_name: str | None) -> bool:
    """`auto` picks Piper when it is installed and the voice asked for is a Piper voice, or, with no
    voice asked for, when a Piper voice is installed."""
    if not piper.installed():
        return False
    if voice_name is None:
        return bool(piper.installed_voices())
    return voice_name.endswith(".onnx") or voice_name in piper.installed_voices()


def available(engine: str) -> bool:
    if engine == "espeak-ng":
        return shutil.which("espeak-ng") is not None
    if engine == "piper":
        return piper.installed()
    try:
        metadata.version("pyttsx3")
    except metadata.PackageNotFoundError:
        return False
    if sys.platform.startswith("linux"):
        return bool(ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak"))
    return True


def _fix_for(engine: str) -> str:
    if engine == "piper":
        return piper.INSTALL_PIPER
    return INSTALL_ESPEAK if engine == "espeak-ng" or sys.platform.startswith("linux") else "pip install pyttsx3"


@functools.lru_cache(maxsize=None)
def _engine_version(engine: str) -> str:
    espeak = espeak_version()
    if engine == "espeak-ng":
        return espeak
    return f"{metadata.version('pyttsx3')} {sys.platform} {espeak if sys.platform.startswith('linux') else ''}".strip()


class Speaker:
    """Worker side: speaks texts into audio files with one engine instance."""

    def __init__(self, spec: EngineSpec, threads: int = 1):
        """`threads`: how many cores a neural engine (Piper) may use for one phrase."""
        self.spec, self.threads = spec, threads
        self.pyttsx3 = self.piper = self.espeak = None
        if spec.engine == "espeak-ng":
            self.espeak = EspeakSpeaker(spec.voice or spec.language, spec.rate, round(spec.volume * 100))
        if spec.engine == "piper":
            self.piper = piper.PiperSpeaker(Path(spec.voice), spec.rate, spec.volume, threads)
        if spec.engine == "pyttsx3":
            self.pyttsx3 = pyttsx3_engine()
            self.finished = threading.Event()
            self.pyttsx3.connect("finished-utterance", lambda name=None, completed=True: self.finished.set())
            self._configure_pyttsx3()

    def speak_to_file(self, text: str, path: Path) -> Path:
        """Write `text` as speech into an audio file at (or next to) `path`; returns the file."""
        if self.piper is not None:
            return self.piper.speak_to_file(text, path)
        if self.espeak is not None:
            return self.espeak.speak_to_file(text, path)
        for _ in range(PYTTSX3_ATTEMPTS):
            path.unlink(missing_ok=True)
            self.finished.clear()
            # The espeak driver prints "Audio saved to ..." on stdout; keep our output clean.
            with contextlib.redirect_stdout(io.StringIO()):
                self.pyttsx3.save_to_file(text, str(path))
                self.pyttsx3.runAndWait()
            # runAndWait may return before the file is complete; the callback marks the end.
            if self.finished.is_set() and path.exists() and self._plausible(text, path):
                return path
        raise RuntimeError(f"pyttsx3 did not finish saying '{text}'")

    def _plausible(self, text: str, path: Path) -> bool:
        """Not empty, not silent, and not far shorter than its words take to say."""
        from pydub import AudioSegment

        from coach.estimate import estimate

        clip = AudioSegment.from_file(str(path))
        expected = estimate(self.spec.rate)(text)
        return clip.max > 0 and clip.duration_seconds >= PLAUSIBLE_FRACTION * expected

    def _configure_pyttsx3(self) -> None:
        engine = self.pyttsx3
        engine.setProperty("rate", self.spec.rate)
        engine.setProperty("volume", self.spec.volume)
        wanted = self.spec.voice or self.spec.language
        if wanted:
            engine.setProperty("voice", find_voice(engine.getProperty("voices"), wanted))


def find_voice(voices, wanted: str) -> str:
    """A voice id matching `wanted` exactly, or by a substring of its name or language."""
    needle = wanted.casefold()
    for matches in (lambda v: v.id == wanted, lambda v: needle in (v.name or "").casefold(),
                    lambda v: any(needle in str(lang).casefold() for lang in (v.languages or []))):
        found = next((voice.id for voice in voices if matches(voice)), None)
        if found:
            return found
    raise RuntimeError(f"voice '{wanted}' not found (see `coach voices`)")


def pyttsx3_engine():
    import pyttsx3

    driver = "espeak" if sys.platform.startswith("linux") else None
    return pyttsx3.init(driverName=driver)
