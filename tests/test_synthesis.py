"""Synthesis workers asked ahead: a cold render keeps them busy while the ranges are fitted (real espeak-ng)."""

from coach.compiler import Options
from coach.exact import ChapterByChapter
from coach.library import load_routine
from coach.speech.cache import ClipCache
from coach.speech.engines import choose
from coach.speech.synthesis import Workers, ask, clips_for


def every_phrase(chapters: ChapterByChapter) -> list[str]:
    return [text for phrases in chapters.phrases for text in phrases]


def test_a_cold_start_asks_for_every_chapter_before_any_is_placed(tmp_path):
    routine = load_routine("runner-recovery")
    spec = choose(routine.voice, "espeak-ng")
    with Workers() as workers:
        chapters = ChapterByChapter(routine, Options(), spec, ClipCache(tmp_path), workers=workers)
        first = chapters.phrases[0]
        assert len(set(every_phrase(chapters)) - set(first)) > 40  # the other chapters' own phrases
        assert all(workers.asked(text) for text in every_phrase(chapters))
        placed = chapters.place_next()
        while not chapters.finished:
            placed = chapters.place_next()
    assert placed.events and set(every_phrase(chapters)) <= set(chapters.speech)

    with Workers() as workers:  # every clip cached now: nothing is asked for, no worker started
        again = ChapterByChapter(routine, Options(), spec, ClipCache(tmp_path), workers=workers)
        while not again.finished:
            again.place_next()
        assert not any(workers.asked(text) for text in every_phrase(again))


def test_a_phrase_not_asked_for_ahead_is_made_when_wanted(tmp_path):
    spec = choose(load_routine("breathing-4-6").voice, "espeak-ng")
    cache = ClipCache(tmp_path)
    with Workers() as workers:
        assert ask(["Breathe in."], spec, cache, workers) == {}
        assert not workers.asked("Breathe out.")
        clips = clips_for(["Breathe in.", "Breathe out."], spec, cache, workers=workers)
        assert workers.asked("Breathe out.")
    assert set(clips) == {"Breathe in.", "Breathe out."}
    assert all(len(samples) > 0.2 * 22050 for samples in clips.values())
    assert ask(["Breathe in.", "Breathe out."], spec, cache, Workers()).keys() == clips.keys()  # cached now


def test_chapters_measured_while_clips_are_made_have_the_levels_of_the_finished_timeline(tmp_path):
    from coach.audio.level import EventLevels
    from coach.exact import clips_of, exact_timeline

    routine = load_routine("runner-recovery")
    spec, cache = choose(routine.voice, "espeak-ng"), ClipCache(tmp_path)
    cold = exact_timeline(routine, Options(), spec, cache)
    assert 0 in cold.levels  # the first chapter at least: the workers make the rest meanwhile
    measured_afresh = EventLevels(cold.timeline, clips_of(cold.timeline, cold.speech))
    assert all(measured_afresh[event] == level for chapter in cold.levels.values() for event, level in chapter.items())

    warm = exact_timeline(routine, Options(), spec, cache)
    assert warm.timeline == cold.timeline and warm.levels == {}  # nothing to wait for: measured when mixed
