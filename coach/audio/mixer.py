"""Renders a timeline to PCM, block by block, for an encoder or an audio player.

Only one block and the clips themselves are ever in memory, so a two-hour
session costs what a five-minute one does. A cue sound under speech is
ducked so the voice stays clear and the sum keeps its headroom.
"""

from __future__ import annotations

import bisect
from typing import Iterator, Mapping, Sequence

import numpy as np

from coach.limits import SAMPLE_RATE
from coach.timeline import Event, Timeline

BLOCK_SAMPLES = SAMPLE_RATE
DUCK_UNDER_SPEECH = 10 ** (-12 / 20)

ClipKey = tuple[str, str]
"""(event kind, content): speech text and sound names live in separate namespaces."""


def clip_key(event: Event) -> ClipKey:
    return event.kind, event.content


def mix(timeline: Timeline, clips: Mapping[ClipKey, np.ndarray], chapter_gains: Sequence[float],
        start: int = 0, stop: int | None = None, block: int = BLOCK_SAMPLES) -> Iterator[np.ndarray]:
    """16-bit mono blocks covering samples `start` to `stop` (default: the end), each event scaled by its chapter's gain.

    Every sample depends only on the events sounding there, so any stretch of
    the track (a live session resuming at a step) matches the whole render.
    """
    stop = timeline.duration if stop is None else stop
    events = timeline.events
    # Each event's gain is looked up when it first sounds: `chapter_gains` may measure a chapter
    # only once the mix reaches it (see `audio.level.ChapterGains`).
    chapter_of, ducks = chapters_of(timeline), event_gains(timeline)
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
                gains[index] = chapter_gains[chapter_of[index]] * ducks[index]
            first, last = max(event.start, block_start), min(clip_end, block_end)
            if first < last:
                out[first - block_start:last - block_start] += gains[index] * clip[first - event.start:last - event.start]
        active = still
        yield np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def chapters_of(timeline: Timeline) -> list[int]:
    """The index of the chapter each event starts in."""
    starts = [chapter.start for chapter in timeline.chapters]
    return [max(0, bisect.bisect_right(starts, event.start) - 1) for event in timeline.events]


def event_gains(timeline: Timeline) -> list[float]:
    """1 for speech and for sounds in the clear; ducked for a sound under speech or running into the next chapter.

    A sound reaching past its chapter is ducked whatever follows, so a chapter's
    mix never waits for the next chapter's clips (a live session plays a chapter
    while the next one is still being synthesized).
    """
    events = timeline.events
    ends = [timeline.chapters[chapter].end for chapter in chapters_of(timeline)]
    speech = [(event.start, event.end) for event in events if event.kind == "speech"]
    gains, cursor = [], 0
    for event, chapter_end in zip(events, ends):
        if event.kind == "speech":
            gains.append(1.0)
            continue
        while cursor < len(speech) and speech[cursor][1] <= event.start:
            cursor += 1
        overlaps = cursor < len(speech) and speech[cursor][0] < event.end
        gains.append(DUCK_UNDER_SPEECH if overlaps or event.end > chapter_end else 1.0)
    return gains
