"""espeak-ng in a synthesis worker: through a small server holding its library, else its program.

Starting the `espeak-ng` program takes 8 ms, most of a short phrase's
synthesis. Each worker instead starts `espeakserver` once, which loads the
library and says each phrase in a fork of itself: the same samples as the
program, in under half the time (4 ms against 11 ms a phrase here). Where
the library cannot be used (not found, another version than the program, no
`fork`) the program is run per phrase, and so it is for a phrase the server
cannot say, so that the program says what is wrong.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import struct
import subprocess
import sys
import wave
from pathlib import Path

from coach.speech import espeakserver


class EspeakSpeaker:
    """Speaks with one voice, rate (wpm) and amplitude (0-200, the program's `-a`)."""

    def __init__(self, voice: str | None, rate: int, amplitude: int, use_library: bool = True):
        """`use_library` False: always run the program (as where the library cannot be used)."""
        self.voice, self.rate, self.amplitude = voice, rate, amplitude
        self._server = _server() if use_library else None

    def speak_to_file(self, text: str, path: Path) -> Path:
        samples = self._server.say(self.voice, self.rate, self.amplitude, text) if self._server else None
        if samples is None:
            return self._run_program(text, path)
        # The file first: a folder removed under a stopping render is then a plain OSError, where
        # wave.open(path) would leave a half-made writer complaining from its finalizer.
        with open(path, "wb") as file, wave.open(file, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self._server.sample_rate)
            out.writeframes(samples)
        return path

    def _run_program(self, text: str, path: Path) -> Path:
        command = ["espeak-ng", "-s", str(self.rate), "-a", str(self.amplitude), "-w", str(path)]
        if self.voice:
            command += ["-v", self.voice]
        done = subprocess.run(command + ["--", text], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip() or f"espeak-ng exited with {done.returncode}")
        return path


class _Server:
    """One per process, for every speaker: each request carries its own settings."""

    def __init__(self, process: subprocess.Popen, sample_rate: int):
        self.process, self.sample_rate = process, sample_rate

    @classmethod
    def start(cls) -> _Server | None:
        """A running server, or None where the library cannot be used."""
        if not shutil.which("espeak-ng") or not hasattr(os, "fork"):
            return None
        process = subprocess.Popen([sys.executable, "-I", "-S", espeakserver.__file__, espeak_version().split()[-1]],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            status, greeting = _read_answer(process.stdout)
        except EOFError:
            status = None
        if status != espeakserver.OK:
            process.stdin.close()
            process.wait()
            return None
        return cls(process, int(greeting))

    def say(self, voice: str | None, rate: int, amplitude: int, text: str) -> bytes | None:
        """The samples of `text`, or None when the server cannot say it (a voice it cannot find)."""
        request = json.dumps({"voice": voice, "rate": rate, "amplitude": amplitude, "text": text}).encode()
        try:
            self.process.stdin.write(struct.pack(">I", len(request)) + request)
            self.process.stdin.flush()
            status, samples = _read_answer(self.process.stdout)
        except (BrokenPipeError, EOFError) as problem:
            raise RuntimeError("espeak-ng's server stopped") from problem
        return samples if status == espeakserver.OK else None


_servers: dict[int, _Server | None] = {}


def _server() -> _Server | None:
    """This process's server: a forked process (a synthesis worker) starts its own, never talking
    over its parent's pipes."""
    if os.getpid() not in _servers:
        _servers[os.getpid()] = _Server.start()
    return _servers[os.getpid()]


def _read_answer(answers) -> tuple[int, bytes]:
    header = answers.read(5)
    if len(header) < 5:
        raise EOFError
    status, length = struct.unpack(">BI", header)
    payload = answers.read(length)
    if len(payload) < length:
        raise EOFError
    return status, payload


@functools.lru_cache(maxsize=None)
def espeak_version() -> str:
    """What `espeak-ng --version` says it is, e.g. 'eSpeak NG text-to-speech: 1.51'; 'unknown' without it."""
    if not shutil.which("espeak-ng"):
        return "unknown"
    done = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, timeout=30)
    return done.stdout.split("Data at")[0].strip()
