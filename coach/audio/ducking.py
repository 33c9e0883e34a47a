"""How far each cue sound is turned down so the words over it stay clear.

The rule: wherever a sound and a phrase of its chapter overlap, the phrase is at least
`CLEAR_OF_SOUND_DB` louder than the sound (K-weighted energy, as loudness is measured) in every
`WINDOW_S` stretch of the overlap in which the phrase is speaking (within `SPEAKING_WITHIN_DB` of its
loudest stretch there). A sound turns down only as far as that needs, for its whole length; one with
nothing said over it keeps its level, and its onset always stays on the instant it marks.

A sound reaching past its chapter is turned down by `INTO_NEXT_CHAPTER` whatever follows, so a
chapter's mix never waits for the next chapter's clips (a live session plays a chapter while the next
one is still being synthesized).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from coach.audio.energy import ClipEnergy
from coach.limits import SAMPLE_RATE
from coach.timeline import Event, Timeline

CLEAR_OF_SOUND_DB = 15.0
WINDOW_S = 0.1
SPEAKING_WITHIN_DB = 10.0
INTO_NEXT_CHAPTER = 10 ** (-20 / 20)


def chapter_ducks(timeline: Timeline, clips: Mapping, energy: ClipEnergy, events: list[int], end: int) -> dict[int, float]:
    """The gain of each of a chapter's `events` (indexes into the timeline's events) ending at sample `end`:
    1 for speech and for sounds in the clear."""
    said = [timeline.events[index] for index in events if timeline.events[index].kind == "speech"]
    ducks = {}
    for index in events:
        event = timeline.events[index]
        gain = 1.0
        if event.kind == "sound":
            if event.start + len(clips[("sound", event.content)]) > end:
                gain = INTO_NEXT_CHAPTER
            for phrase in said:
                gain = min(gain, _clear_of(phrase, event, clips, energy))
        ducks[index] = gain
    return ducks


def _clear_of(phrase: Event, sound: Event, clips: Mapping, energy: ClipEnergy) -> float:
    """The sound's highest gain that keeps `phrase` clear of it (1 if they do not overlap)."""
    said, heard = ("speech", phrase.content), ("sound", sound.content)
    first = max(phrase.start, sound.start)
    last = min(phrase.start + len(clips[said]), sound.start + len(clips[heard]))
    if first >= last:
        return 1.0
    width = round(WINDOW_S * SAMPLE_RATE)
    edges = np.append(np.arange(first, last, width), last)
    if len(edges) > 2 and edges[-1] - edges[-2] < width // 2:  # a sliver joins the stretch before it
        edges = np.delete(edges, -2)
    speech = np.diff(energy(said)[edges - phrase.start])
    other = np.diff(energy(heard)[edges - sound.start])
    if speech.max() <= 0:
        return 1.0
    speaking = speech >= speech.max() * 10 ** (-SPEAKING_WITHIN_DB / 10)
    allowed = speech[speaking] / np.maximum(other[speaking], 1e-30) / 10 ** (CLEAR_OF_SOUND_DB / 10)
    return float(min(1.0, np.sqrt(allowed.min())))
