"""The PCM queued ahead of the device, and the playhead: which timeline sample the device takes next.

The device's audio thread calls `fill`; it only ever holds the lock to move
queued samples, never while anything is mixed, drawn or read from the keys,
so it cannot be held up by them. The playhead moves only when the device
takes frames, so the session's clock is the device's sample clock: it
cannot drift, and it stops while paused or while the next samples are not
mixed yet (the device then plays silence that is not part of the session).
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from coach.limits import SAMPLE_RATE

DRAIN_SAMPLES = SAMPLE_RATE // 5
"""Silence given after the last sample before the session counts as over, so the device's buffer plays out."""


class Stream:
    def __init__(self, end: int | None = None):
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: deque[np.ndarray] = deque()
        self._generation = 0
        self.position = 0
        """Timeline sample of the next frame the device takes."""
        self.queued_to = 0
        self.paused = False
        self.closed = False
        self.end = end
        """Where the session ends, once the whole timeline is placed."""
        self.finished = threading.Event()
        self._drained = 0

    def fill(self, count: int) -> bytes:
        """Audio thread: `count` frames, the queued samples first, silence for the rest."""
        out = np.zeros(count, dtype="<i2")
        with self._lock:
            taken = 0
            while not self.paused and taken < count and self._queue:
                head = self._queue[0]
                step = min(count - taken, len(head))
                out[taken:taken + step] = head[:step]
                taken += step
                if step == len(head):
                    self._queue.popleft()
                else:
                    self._queue[0] = head[step:]
            self.position += taken
            if self.end is not None and self.position >= self.end:
                self._drained += count - taken
                if self._drained >= DRAIN_SAMPLES:
                    self.finished.set()
            self._changed.notify_all()
        return out.tobytes()

    def room(self, ahead: int) -> tuple[int, int] | None:
        """Feeder: waits until less than `ahead` samples are queued; (where to feed from, generation), None once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed or self.queued_to - self.position < ahead)
            return None if self.closed else (self.queued_to, self._generation)

    def push(self, samples: np.ndarray, start: int, generation: int) -> None:
        """Feeder: queue samples mixed from `start`, unless the playhead has jumped since."""
        with self._lock:
            if generation == self._generation and start == self.queued_to:
                self._queue.append(samples)
                self.queued_to += len(samples)

    def seek(self, sample: int) -> None:
        """Drop what is queued and play from `sample` next."""
        with self._changed:
            self._queue.clear()
            self._generation += 1
            self.position = self.queued_to = sample
            self._changed.notify_all()

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self.paused = paused

    def set_end(self, end: int) -> None:
        with self._lock:
            self.end = end

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()
