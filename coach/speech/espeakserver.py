"""A small process that holds the espeak-ng library and says each phrase in a fork of itself.

Run by `coach.speech.espeak` as a script (standard library only, so it
starts in milliseconds and stays small, which keeps each fork cheap). It
starts the library once, as the `espeak-ng` program starts it when it writes
a file; the library then keeps state from one phrase to the next (pitch
flutter, noise, filter memories), so each phrase is said by a fork taken
before anything was said, and sounds sample for sample as the program says it.
(The library starts a thread of its own for playing sound, idle in the
synchronous mode used here: the forks, which do not inherit it, never need it.)

Protocol, on stdin and stdout: first a greeting, then per request
(4-byte length, then UTF-8 JSON {"voice", "rate", "amplitude", "text"}) one
answer. Greeting and answers are a status byte, a 4-byte count and that many
bytes: the sample rate as text in the greeting, 16-bit mono samples in an
answer. Status 0 is success; otherwise the client runs the program instead,
which says what is wrong.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import signal
import struct
import sys

OK, NO_LIBRARY, REFUSED = 0, 1, 2
_SYNCHRONOUS = 2
"""espeak_AUDIO_OUTPUT: samples handed to a callback, as the program does when it writes a file."""
_DONT_EXIT = 0x8000
"""espeakINITIALIZE_DONT_EXIT: a missing data folder is an error code, not the end of the process."""
_PROGRAM_FLAGS = 0x100 | 0x1000
"""espeakPHONEMES | espeakENDPAUSE (with espeakCHARS_AUTO, 0): how the program says its text."""
_RATE, _VOLUME = 1, 2
_PR_SET_PDEATHSIG = 1
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _VoiceSpec(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


class Library:
    """The started library, with the settings it was last given."""

    def __init__(self, library, sample_rate: int):
        self.espeak, self.sample_rate = library, sample_rate
        self.settings: tuple | None = None
        self._chunks: list[bytes] = []
        self._callback = _CALLBACK(self._take)  # kept: the library calls it until the process ends
        library.espeak_SetSynthCallback(self._callback)

    def set(self, voice: str | None, rate: int, amplitude: int) -> bool:
        """Speak so from now on; False for a voice the library cannot find (by name, nor as a language)."""
        if (voice, rate, amplitude) != self.settings:
            self.settings = None
            name = (voice or "en").encode()
            if self.espeak.espeak_SetVoiceByName(name) != 0 and \
                    self.espeak.espeak_SetVoiceByProperties(ctypes.byref(_VoiceSpec(languages=name))) != 0:
                return False
            self.espeak.espeak_SetParameter(_RATE, rate, 0)
            self.espeak.espeak_SetParameter(_VOLUME, amplitude, 0)
            self.settings = (voice, rate, amplitude)
        return True

    def say(self, text: bytes) -> bytes | None:
        """The samples of `text` (UTF-8); None when the library refuses it."""
        self._chunks.clear()
        encoded = text + b"\0"
        if self.espeak.espeak_Synth(encoded, len(encoded), 0, 0, 0, _PROGRAM_FLAGS, None, None) != 0:
            return None
        self.espeak.espeak_Synchronize()
        return b"".join(self._chunks)

    def _take(self, samples, count, _events) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(samples, 2 * count))
        return 0


def started(version: str) -> Library | None:
    """The library if it is the program's `version` (e.g. '1.51'), started; else None."""
    name = ctypes.util.find_library("espeak-ng")
    if name is None:  # (no `fork` is found by the client, which then starts no server)
        return None
    library = ctypes.CDLL(name)
    library.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    library.espeak_Info.restype = ctypes.c_char_p
    library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    if library.espeak_Info(None).decode() != version:
        return None
    sample_rate = library.espeak_Initialize(_SYNCHRONOUS, 0, None, _DONT_EXIT)
    return Library(library, sample_rate) if sample_rate > 0 else None


def serve(library: Library | None, requests, answers) -> None:
    """Answer requests until stdin closes."""
    if library is None:
        _answer(answers, NO_LIBRARY, b"")
        return
    _answer(answers, OK, str(library.sample_rate).encode())
    while header := requests.read(4):
        request = json.loads(requests.read(struct.unpack(">I", header)[0]))
        try:
            text = request["text"].encode("utf-8")
            child = os.fork() if library.set(request["voice"], request["rate"], request["amplitude"]) else None
        except (UnicodeEncodeError, OSError):  # text the program must refuse itself; no fork to be had
            child = None
        if child is None:
            _answer(answers, REFUSED, b"")
        elif child == 0:  # never returns: the fork ends here, whatever happens
            status = 1
            try:
                samples = library.say(text)
                _answer(answers, REFUSED if samples is None else OK, samples or b"")
                status = 0
            finally:
                os._exit(status)
        elif os.waitpid(child, 0)[1] != 0:  # it may have answered in part: nothing more can be trusted
            return


def _answer(answers, status: int, payload: bytes) -> None:
    answers.write(struct.pack(">BI", status, len(payload)) + payload)
    answers.flush()


def _die_with_parent() -> None:
    """The worker that started this may be killed at any moment: go with it (Linux), not wait for EOF.
    The signal comes when the thread that started this ends: workers start it from their main thread."""
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError):
        pass


if __name__ == "__main__":
    _die_with_parent()
    serve(started(sys.argv[1]), sys.stdin.buffer, sys.stdout.buffer)
