"""The exact timeline: placed by the real clips' lengths, chapter by chapter.

`render` asks the synthesis workers for every phrase at once and places
each chapter as soon as its phrases are made. `speak` synthesizes and places
the first chapter, starts playing, and places the rest ahead of the
playhead. Both end with the same timeline and the same samples, because
- the ranges are fitted to the target length once, before any chapter is
  placed, by the real clips of the first chapter and of the stock words said
  again and again, and the estimate scaled by them for the rest (these clips
  are made first in both cases);
- a chapter's events depend only on where it starts and its own clips
  (`placement.Placing.chapters`);
- a chapter's gain and ducking depend only on its own events (`audio.level`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from coach import cuesounds
from coach.audio.mixer import ClipKey
from coach.compiler import Fitted, Options, fit
from coach.estimate import estimate
from coach.limits import SAMPLE_RATE
from coach.placement import Measure, Placing, build
from coach.progress import Stage, quiet
from coach.routine import Routine
from coach.speech.cache import ClipCache
from coach.speech.engines import EngineSpec
from coach.speech.synthesis import Workers, ask, cached_clips, clips_for
from coach.timeline import Chapter, Timeline


@dataclass(frozen=True)
class Exact:
    """A timeline placed with real clip lengths, and the clips it was placed with."""

    timeline: Timeline
    speech: dict[str, np.ndarray]


FREQUENT_USES = 4
ClipMap = dict[ClipKey, np.ndarray]
"""Clips by (event kind, content), as the mixer wants them (`audio.mixer.clip_key`)."""


class ChapterByChapter:
    """Places the exact timeline one chapter at a time, synthesizing each chapter's phrases first.

    With `synthesize` False nothing is made: a phrase whose clip is not in the cache is placed by
    the estimate and counted in `estimated` (a plan that is exact wherever it can be, at no cost).
    """

    def __init__(self, routine: Routine, options: Options, spec: EngineSpec, cache: ClipCache,
                 synthesize: bool = True, workers: Workers | None = None, stage: Stage = quiet):
        """`workers` given (kept for the whole run), they also make the other chapters' phrases while
        the first ones are measured and the ranges fitted."""
        if synthesize:
            cache.check_writable()
        self.routine, self.spec, self.cache, self.making, self.workers = routine, spec, cache, synthesize, workers
        self.speech: dict[str, np.ndarray] = {}
        self.estimated: set[str] = set()
        rough = self._estimate = estimate(spec.rate)
        # The first chapter's phrases and the stock words said again and again, at the shortest ranges
        # (one placement, no fitting), are made first: the ranges are fitted with their real lengths,
        # and the estimate scaled by them for the rest.
        shortest = fit(routine, replace(options, fit=False), rough, cuesounds.prepared_length)
        first = _phrases_by_chapter(routine, shortest, rough)[0] + _frequent(shortest.timeline)
        if synthesize and workers is not None:
            self._ask_ahead(first, options, stage)
        self.synthesize(first)
        measure = self._estimate = _calibrated(rough, {text: self._measure(text) for text in first})
        self.fitted = fit(routine, options, measure, cuesounds.prepared_length)
        self.phrases = _phrases_by_chapter(routine, self.fitted, measure)
        self._placing = Placing(routine, self.fitted.fraction, self._measure, cuesounds.prepared_length)
        self._chapters = self._placing.chapters(self.fitted.sections)
        self.placed: tuple[Chapter, ...] = ()

    def _ask_ahead(self, first: list[str], options: Options, stage: Stage) -> None:
        """Start the workers on `first` and, if any of them had to be made (a new routine or voice:
        the rest most likely too), on every phrase the rough estimate places, chapter by chapter. They
        are made while the ranges are fitted, and the fitted ranges almost always say the same words
        (all of them, in the built-in routines); a phrase they do not say is made when measured."""
        self.ask(first)
        if all(text in self.speech for text in first):
            return
        guess = fit(self.routine, options, self._estimate, cuesounds.prepared_length)
        self.ask([text for phrases in _phrases_by_chapter(self.routine, guess, self._estimate) for text in phrases],
                 stage)

    @property
    def finished(self) -> bool:
        return len(self.placed) == len(self.phrases)

    def ask(self, texts: list[str], stage: Stage = quiet) -> None:
        """Start the run's workers (if it has some) on the texts not at hand, without waiting:
        `synthesize` collects them."""
        if self.workers is not None:
            self.speech.update(ask([text for text in texts if text not in self.speech], self.spec, self.cache,
                                   self.workers, stage))

    def synthesize(self, texts: list[str], stage: Stage = quiet) -> None:
        missing = [text for text in dict.fromkeys(texts) if text not in self.speech and text not in self.estimated]
        if not missing:
            return
        if self.making:
            self.speech.update(clips_for(missing, self.spec, self.cache, stage, self.workers))
            return
        self.speech.update(cached_clips(missing, self.spec, self.cache))
        self.estimated.update(text for text in missing if text not in self.speech)

    def place_next(self) -> Timeline:
        """Synthesizes the next chapter's phrases and places it; returns the timeline so far (once
        finished, with the note on its length, if it missed the target)."""
        self.synthesize(self.phrases[len(self.placed)])
        self.placed += (next(self._chapters),)
        timeline = self.fitted.warned(self._placing.timeline(self.placed))
        return self.fitted.noted(timeline, self.placed_at) if self.finished else timeline

    def placed_at(self, fraction: Fraction) -> Timeline:
        """The whole session at another `fraction`, placed by the clips at hand and the estimate for the
        rest: what a note about the length compares with; nothing is synthesized or counted."""
        def known(text: str) -> float:
            return len(self.speech[text]) / SAMPLE_RATE if text in self.speech else self._estimate(text)

        return build(self.routine, self.fitted.sections, fraction, known, cuesounds.prepared_length)

    def _measure(self, text: str) -> float:
        if text not in self.speech:  # a phrase only reachable with exact lengths (a new preview, say)
            self.synthesize([text])
        if text in self.estimated:
            return self._estimate(text)
        return len(self.speech[text]) / SAMPLE_RATE


def exact_timeline(routine: Routine, options: Options, spec: EngineSpec, cache: ClipCache,
                   stage: Stage = quiet, while_waiting: Callable[[Timeline, ClipMap], None] | None = None) -> Exact:
    """Every phrase asked of the same workers at once (the fastest way to all of them); each chapter is
    placed once its phrases are made. `while_waiting` is called with the timeline so far and its clips
    (see `clips_of`) after each chapter placed while later clips are still being made: work on that
    chapter (a render measures its levels) then runs where this process would only wait."""
    with Workers() as workers:
        chapters = ChapterByChapter(routine, options, spec, cache, workers=workers, stage=stage)
        chapters.ask([text for phrases in chapters.phrases for text in phrases], stage)
        for timeline in _placed(chapters):
            if while_waiting is not None and workers.pending:
                while_waiting(timeline, clips_of(timeline, chapters.speech))
        workers.forget_unwanted()
        return Exact(timeline, chapters.speech)


def cached_timeline(routine: Routine, options: Options, spec: EngineSpec, cache: ClipCache) -> tuple[Timeline, int]:
    """The exact timeline as far as the cache knows it: the same as `exact_timeline` once every phrase
    is cached (after a render), else with the missing phrases estimated; and how many were."""
    chapters = ChapterByChapter(routine, options, spec, cache, synthesize=False)
    *_, timeline = _placed(chapters)
    return timeline, len(chapters.estimated)


def _placed(chapters: ChapterByChapter) -> Iterator[Timeline]:
    """The timeline after each chapter is placed (the last one with the note on its length, if any)."""
    yield chapters.place_next()
    while not chapters.finished:
        yield chapters.place_next()


def _calibrated(rough: Measure, real: dict[str, float]) -> Measure:
    """`real`'s lengths where known, else the estimate scaled so it gives `real`'s phrases their true
    total length: the rest shares the voice."""
    estimated = sum(rough(text) for text in real)
    scale = sum(real.values()) / estimated if estimated else 1.0
    return lambda text: real[text] if text in real else rough(text) * scale


def _frequent(timeline: Timeline) -> list[str]:
    """Phrases said at least `FREQUENT_USES` times: stock words, whose estimate errors would add up."""
    uses = Counter(event.content for event in timeline.events if event.kind == "speech")
    return [text for text, count in uses.items() if count >= FREQUENT_USES]


def _phrases_by_chapter(routine: Routine, fitted: Fitted, rough: Measure) -> list[list[str]]:
    """Every phrase each chapter measures, found by placing it with the estimate."""
    asked: list[str] = []

    def record(text: str) -> float:
        asked.append(text)
        return rough(text)

    phrases = []
    for _ in Placing(routine, fitted.fraction, record, cuesounds.prepared_length).chapters(fitted.sections):
        phrases.append(list(dict.fromkeys(asked)))
        asked.clear()
    return phrases


def clips_of(timeline: Timeline, speech: dict[str, np.ndarray]) -> ClipMap:
    """Every clip the mixer needs for `timeline`, keyed as `audio.mixer.clip_key` keys them."""
    clips = {("speech", text): samples for text, samples in speech.items()}
    clips.update({("sound", event.content): cuesounds.prepared(event.content)
                  for event in timeline.events if event.kind == "sound"})
    return clips
