"""Words stay clear of cue sounds: on real renders (espeak-ng clips, bundled sounds, the levels the mixer
plays), wherever a sound overlaps a phrase, the phrase is at least 15 dB louder (K-weighted) in every
100 ms stretch in which it is speaking, and a sound with nothing said over it keeps its chapter's level."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coach.audio.ducking import SPEAKING_WITHIN_DB, WINDOW_S
from coach.audio.level import EventLevels
from coach.audio.loudness import k_weighted
from coach.audio.mixer import chapters_of, clip_key
from coach.compiler import Options
from coach.exact import clips_of, exact_timeline
from coach.library import load_routine
from coach.limits import SAMPLE_RATE
from coach.speech.cache import ClipCache
from coach.speech.engines import choose

CLEAR_DB = 15.0
"""The rule this project chose (docs/timeline.md), pinned here: the module's constant may not drift under it."""
ROUTINES = [Path(__file__).parent / "render" / "onsets.yaml", Path(__file__).parent / "golden" / "breathing-478.yaml"]


def as_mixed(event, clips, level) -> tuple[int, np.ndarray]:
    """(start, K-weighted samples) of an event as the mixer plays it."""
    return event.start, k_weighted(clips[clip_key(event)] * level / 32768.0, SAMPLE_RATE)


def window_energies(start: int, weighted: np.ndarray, first: int, last: int) -> np.ndarray:
    """Energy in each 100 ms stretch from the overlap's start; a last stretch under half that joins the one before."""
    width = round(WINDOW_S * SAMPLE_RATE)
    part = weighted[first - start:last - start]
    cuts = list(range(width, len(part), width))
    if cuts and len(part) - cuts[-1] < width // 2:
        cuts.pop()
    return np.array([np.sum(piece ** 2) for piece in np.split(part, cuts)])


@pytest.mark.parametrize("routine", ROUTINES, ids=lambda path: path.stem)
def test_every_phrase_is_15_db_over_any_sound_under_it(tmp_path, routine):
    loaded = load_routine(str(routine))
    exact = exact_timeline(loaded, Options(), choose(loaded.voice), ClipCache(tmp_path / "cache"))
    timeline = exact.timeline
    clips = clips_of(timeline, exact.speech)
    levels = EventLevels(timeline, clips)
    events = list(enumerate(timeline.events))
    checked, margins = 0, []
    for s, sound in events:
        if sound.kind != "sound":
            continue
        s_start, s_weighted = as_mixed(sound, clips, levels[s])
        for p, phrase in events:
            p_start, p_weighted = as_mixed(phrase, clips, levels[p]) if phrase.kind == "speech" else (0, None)
            if p_weighted is None:
                continue
            first, last = max(s_start, p_start), min(s_start + len(s_weighted), p_start + len(p_weighted))
            if first >= last:
                continue
            said = window_energies(p_start, p_weighted, first, last)
            heard = window_energies(s_start, s_weighted, first, last)
            speaking = said >= said.max() * 10 ** (-SPEAKING_WITHIN_DB / 10)
            margin = float(np.min(10 * np.log10(said[speaking] / heard[speaking])))
            margins.append((sound.content, phrase.content, round(margin, 2)))
            checked += 1
    assert checked >= 3, margins
    assert all(margin >= CLEAR_DB - 0.05 for _, _, margin in margins), margins


def test_a_sound_with_nothing_said_over_it_plays_at_its_chapters_level(tmp_path):
    loaded = load_routine(str(ROUTINES[1]))
    exact = exact_timeline(loaded, Options(), choose(loaded.voice), ClipCache(tmp_path / "cache"))
    timeline = exact.timeline
    clips = clips_of(timeline, exact.speech)
    levels = EventLevels(timeline, clips)
    chapter_of = chapters_of(timeline)
    said = [(event.start, event.start + len(clips[clip_key(event)])) for event in timeline.events if event.kind == "speech"]
    clear = [index for index, event in enumerate(timeline.events) if event.kind == "sound"
             and not any(a < event.start + len(clips[clip_key(event)]) and event.start < b for a, b in said)
             and event.start + len(clips[clip_key(event)]) <= timeline.chapters[chapter_of[index]].end]
    speech = {chapter_of[index]: levels[index] for index, event in enumerate(timeline.events) if event.kind == "speech"}
    assert clear
    assert all(levels[index] == speech[chapter_of[index]] for index in clear)
