"""The sound output: a miniaudio playback device that pulls 16-bit mono frames from a callback.

Probing a machine without sound makes ALSA print dozens of lines straight to
file descriptor 2; none of them may reach the user, so every call into the
backends runs with fd 2 pointed at /dev/null. `null` is miniaudio's NULL
backend: it consumes frames at real time and plays nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Callable, Iterator

from coach.errors import EnvironmentProblem
from coach.limits import SAMPLE_RATE

NULL_DEVICE = "null"
PERIOD_MS = 20
PERIODS = 4
"""The device buffers PERIODS callbacks of PERIOD_MS: 80 ms, so a pause is heard within 100 ms, and a
busy moment on the machine (the callback runs Python) seldom leaves the device without samples."""
NO_DEVICE_FIX = "run silently with --device null, or pick one from --list-devices"

Fill = Callable[[int], bytes]
"""Called on the audio thread with a frame count; returns exactly that many frames of 16-bit PCM."""


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Sends what C libraries write on fd 2 to /dev/null for the duration."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def device_names() -> list[str]:
    """What `--device` accepts: the playback devices of the default backend, then `null`."""
    import miniaudio

    with quiet_stderr():
        try:
            names = [info["name"] for info in miniaudio.Devices().get_playbacks()]
        except miniaudio.MiniaudioError:
            names = []
    return names + [NULL_DEVICE]


class Output:
    """An open playback device; `start(fill)` begins pulling frames, `close()` ends it."""

    def __init__(self, name: str | None):
        import miniaudio

        options = dict(output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=SAMPLE_RATE,
                       buffersize_msec=PERIOD_MS, callback_periods=PERIODS, app_name="coach")
        with quiet_stderr():
            try:
                if name == NULL_DEVICE:
                    self._device = miniaudio.PlaybackDevice(backends=[miniaudio.Backend.NULL], **options)
                elif name is None:
                    self._device = miniaudio.PlaybackDevice(**options)
                else:
                    self._device = _named(miniaudio, name, options)
            except miniaudio.MiniaudioError:
                what = "no audio output device found" if name is None else f"cannot open audio device '{name}'"
                raise EnvironmentProblem(what, NO_DEVICE_FIX) from None
        self.backend = self._device.backend

    def start(self, fill: Fill) -> None:
        def frames():
            count = yield b""
            while True:
                count = yield fill(count)

        generator = frames()
        next(generator)
        with quiet_stderr():
            self._device.start(generator)

    def close(self) -> None:
        with quiet_stderr():
            self._device.close()


def _named(miniaudio, name: str, options: dict):
    """The device called `name`, else the only one whose name contains it, on the default backend."""
    devices = miniaudio.Devices()
    playbacks = devices.get_playbacks()
    exact = [device for device in playbacks if device["name"] == name]
    partial = [device for device in playbacks if name.casefold() in device["name"].casefold()]
    if not exact and len(partial) != 1:
        raise EnvironmentProblem(f"no audio device called '{name}'", NO_DEVICE_FIX)
    backend = [b for b in miniaudio.Backend if b.name.casefold() == devices.backend.replace(" ", "").casefold()]
    return miniaudio.PlaybackDevice(device_id=(exact or partial)[0]["id"], backends=backend, **options)
