"""Renders a timeline to PCM, block by block, for an encoder or an audio player.

Only one block and the clips themselves are ever in memory, so a two-hour
session costs what a five-minute one does. How loud each event plays
(its chapter's gain, a sound's duck under speech) is `audio.level`'s job.
"""

from __future__ import annotations

import bisect
from typing import Iterator, Mapping, Sequence

import numpy as np

from coach.limits import SAMPLE_RATE
from coach.timeline import Event, Timeline

BLOCK_SAMPLES = SAMPLE_RATE

ClipKey = tuple[str, str]
"""(event kind, content): speech text and sound names live in separate namespaces."""


def clip_key(event: Event) -> ClipKey:
    return event.kind, event.content


def mix(timeline: Timeline, clips: Mapping[ClipKey, np.ndarray], levels: Sequence[float],
        start: int = 0, stop: int | None = None, block: int = BLOCK_SAMPLES) -> Iterator[np.ndarray]:
    """16-bit mono blocks covering samples `start` to `stop` (default: the end), each event scaled by its level
    (`audio.level`).

    Every sample depends only on the events sounding there, so any stretch of
    the track (a live session resuming at a step) matches the whole render.
    """
    stop = timeline.duration if stop is None else stop
    events = timeline.events
    # Each event's level is looked up when it first sounds: `levels` may measure a chapter
    # only once the mix reaches it (see `audio.level.EventLevels`).
    gains: dict[int, float] = {}
    active: list[int] = []
    upcoming = 0
    for block_start in range(start, stop, block):
        block_end = min(block_start + block, stop)
        while upcoming < len(events) and events[upcoming].start < block_end:
            active.append(upcoming)
            upcoming += 1
        out = np.zeros(block_end - block_start, dtype=np.float32)
        still = []
        for index in active:
            event = events[index]
            clip = clips[clip_key(event)]
            clip_end = event.start + len(clip)
            if clip_end <= block_start:
                continue
            still.append(index)
            if index not in gains:
                gains[index] = levels[index]
            first, last = max(event.start, block_start), min(clip_end, block_end)
            if first < last:
                out[first - block_start:last - block_start] += gains[index] * clip[first - event.start:last - event.start]
        active = still
        yield np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def chapters_of(timeline: Timeline) -> list[int]:
    """The index of the chapter each event starts in."""
    starts = [chapter.start for chapter in timeline.chapters]
    return [max(0, bisect.bisect_right(starts, event.start) - 1) for event in timeline.events]
