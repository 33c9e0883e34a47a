"""Synthesis workers asked ahead: a cold render keeps them busy while the ranges are fitted and measures
each chapter as it is placed (real espeak-ng)."""

import numpy as np
import pytest

from coach.audio.level import EventLevels, LevelsAhead
from coach.compiler import Options
from coach.exact import ChapterByChapter, clips_of, exact_timeline
from coach.library import builtin_names, load_routine
from coach.speech.cache import ClipCache
from coach.speech.engines import choose
from coach.speech.synthesis import Workers, _keys, ask, clips_for


def every_phrase(chapters: ChapterByChapter) -> list[str]:
    return [text for phrases in chapters.phrases for text in phrases]


def asked(workers: Workers, texts: list[str], spec) -> list[bool]:
    keys = _keys(texts, spec)
    return [workers.asked(keys[text]) for text in texts]


def test_a_cold_start_asks_for_every_chapter_before_any_is_placed(tmp_path):
    routine = load_routine("runner-recovery")
    spec = choose(routine.voice, "espeak-ng")
    with Workers() as workers:
        chapters = ChapterByChapter(routine, Options(), spec, ClipCache(tmp_path), workers=workers)
        first = chapters.phrases[0]
        assert len(set(every_phrase(chapters)) - set(first)) > 40  # the other chapters' own phrases
        assert all(asked(workers, every_phrase(chapters), spec))
        placed = chapters.place_next()
        while not chapters.finished:
            placed = chapters.place_next()
    assert placed.events and set(every_phrase(chapters)) <= set(chapters.speech)

    with Workers() as workers:  # every clip cached now: nothing is asked for, no worker started
        again = ChapterByChapter(routine, Options(), spec, ClipCache(tmp_path), workers=workers)
        while not again.finished:
            again.place_next()
        assert not any(asked(workers, every_phrase(again), spec))


def test_a_phrase_not_asked_for_ahead_is_made_when_wanted(tmp_path):
    spec = choose(load_routine("breathing-4-6").voice, "espeak-ng")
    cache = ClipCache(tmp_path)
    with Workers() as workers:
        assert ask(["Breathe in."], spec, cache, workers) == {}
        assert asked(workers, ["Breathe in.", "Breathe out."], spec) == [True, False]
        clips = clips_for(["Breathe in.", "Breathe out."], spec, cache, workers=workers)
        assert asked(workers, ["Breathe out."], spec) == [True]
    assert set(clips) == {"Breathe in.", "Breathe out."}
    assert all(len(samples) > 0.2 * 22050 for samples in clips.values())
    assert ask(["Breathe in.", "Breathe out."], spec, cache, Workers()).keys() == clips.keys()  # cached now


def test_workers_keep_the_same_words_in_two_voices_apart(tmp_path):
    voice = load_routine("breathing-4-6").voice
    cache = ClipCache(tmp_path)
    with Workers() as workers:
        slow = clips_for(["Switch sides."], choose(voice, "espeak-ng", rate=110), cache, workers=workers)
        fast = clips_for(["Switch sides."], choose(voice, "espeak-ng", rate=220), cache, workers=workers)
    assert len(slow["Switch sides."]) > 1.3 * len(fast["Switch sides."])


@pytest.mark.parametrize("name", builtin_names())
def test_chapters_measured_while_clips_are_made_have_the_levels_of_the_finished_timeline(tmp_path, name):
    routine = load_routine(name)
    spec, cache = choose(routine.voice, "espeak-ng"), ClipCache(tmp_path)
    ahead = LevelsAhead()
    cold = exact_timeline(routine, Options(), spec, cache, while_waiting=ahead)
    if len(cold.timeline.chapters) > 1:
        assert 0 in ahead.measured  # the first chapter at least: the workers make the rest meanwhile
    finished = EventLevels(cold.timeline, clips_of(cold.timeline, cold.speech))
    for chapter in ahead.measured.values():
        assert chapter and all(finished[event] == level for event, level in chapter.items())

    again = LevelsAhead()
    warm = exact_timeline(routine, Options(), spec, cache, while_waiting=again)
    assert warm.timeline == cold.timeline and again.measured == {}  # nothing to wait for: measured when mixed
    assert np.array_equal(list(EventLevels(warm.timeline, clips_of(warm.timeline, warm.speech))),
                          list(EventLevels(cold.timeline, clips_of(cold.timeline, cold.speech), ahead)))


def test_clips_asked_for_and_never_wanted_still_end_their_progress(tmp_path):
    spec = choose(load_routine("breathing-4-6").voice, "espeak-ng")
    cache, totals, advanced = ClipCache(tmp_path), [], []

    def stage(label: str, total: int):
        totals.append(total)
        return advanced.append

    with Workers(size=1) as workers:  # one process: the clips come in the order asked
        ask(["In.", "Out.", "Hold."], spec, cache, workers, stage)
        clips_for(["In."], spec, cache, workers=workers)
        assert workers.pending and advanced == [1]
        workers.forget_unwanted()
        assert not workers.pending
    assert totals == [3] and sum(advanced) == 3
