"""A live session: the exact timeline played through a device, with pause, skip and back.

Three threads keep the audio going: the device's own pulls queued samples
(`stream.Stream`); a preparer synthesizes and places chapter after chapter
(`exact.ChapterByChapter`), so playing starts as soon as the first chapter
exists; a feeder mixes ahead of the playhead with the same `mix` and levels
as `render`. Every method is safe to call from any thread: a keyboard, a
test or a GUI drives the same object.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from coach.audio.energy import ClipEnergy
from coach.audio.level import chapter_levels
from coach.audio.mixer import mix
from coach.errors import UsageError
from coach.exact import ChapterByChapter, clips_of
from coach.fields import did_you_mean
from coach.limits import SAMPLE_RATE
from coach.live.device import Output
from coach.live.steps import Now, Step, now, starts, step_at
from coach.live.stream import Stream
from coach.timeline import Timeline

AHEAD_SAMPLES = SAMPLE_RATE // 2
"""How much is mixed ahead of the playhead: enough to ride out a busy moment, little to drop on a skip."""
FEED_SAMPLES = SAMPLE_RATE // 20
BACK_TWICE_SECONDS = 1.5
"""A second `back` within this long goes to the step before, instead of restarting the same one again."""


@dataclass(frozen=True)
class Placed:
    """What is placed so far: the timeline up to the end of its last chapter, its clips and each event's level."""

    timeline: Timeline
    clips: dict
    levels: tuple[float, ...]
    marks: list[tuple[int, Step]]
    complete: bool


class Session:
    def __init__(self, chapters: ChapterByChapter, output: Output, start_at: str | None = None):
        self._chapters, self._output = chapters, output
        self._start_at = _find(chapters, start_at) if start_at else None
        self._stream = Stream()
        self._placed: Placed | None = None
        self._ready = threading.Condition()
        self._failure: BaseException | None = None
        self._last_back = -BACK_TWICE_SECONDS
        self._threads = [threading.Thread(target=self._reporting, args=(work,), name=f"coach-{name}", daemon=True)
                         for name, work in (("prepare", self._prepare), ("feed", self._feed))]

    # --- control -------------------------------------------------------------------------------

    def play(self) -> None:
        """Starts the device at once; sound follows as soon as the first chapter is placed."""
        for thread in self._threads:
            thread.start()
        if self._start_at is not None:
            self._stream.seek(self._wait_for(self._start_at))
        self._output.start(self._stream.fill)

    def pause(self) -> None:
        self._stream.set_paused(True)

    def resume(self) -> None:
        self._stream.set_paused(False)

    @property
    def paused(self) -> bool:
        return self._stream.paused

    def skip(self) -> None:
        """To the start of the next step (the end of the session after the last)."""
        placed = self._wait_placed()
        index = step_at(placed.marks, self.position)
        if index + 1 < len(placed.marks):
            self._stream.seek(placed.marks[index + 1][0])
        else:
            self._stream.seek(placed.timeline.duration if placed.complete else self._wait_for(placed.timeline.duration))

    def back(self) -> None:
        """To the start of this step; pressed again at once, to the start of the step before."""
        placed = self._wait_placed()
        index = step_at(placed.marks, self.position)
        again = time.monotonic() - self._last_back < BACK_TWICE_SECONDS
        self._last_back = time.monotonic()
        self._stream.seek(placed.marks[max(0, index - 1) if again else index][0])

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until the session has played to its end (True) or `timeout` seconds pass (False)."""
        finished = self._stream.finished.wait(timeout)
        if self._failure is not None:
            raise self._failure
        return finished

    def close(self) -> None:
        self._stream.close()
        self._output.close()
        with self._ready:
            self._ready.notify_all()

    # --- state ---------------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """The timeline sample the device plays next: frames it has taken, so the device's clock."""
        return self._stream.position

    @property
    def current(self) -> Step | None:
        """Section, step, side and round playing now (None before the first chapter is placed)."""
        placed = self._placed
        return placed.marks[step_at(placed.marks, self.position)][1] if placed else None

    def now(self) -> Now | None:
        placed = self._placed
        return now(placed.timeline, placed.marks, self.position) if placed else None

    @property
    def placed(self) -> Placed | None:
        return self._placed

    # --- threads -------------------------------------------------------------------------------

    def _reporting(self, work) -> None:
        try:
            work()
        except BaseException as problem:  # raised again by wait(), in the thread that drives the session
            self._failure = problem
            self._stream.finished.set()

    def _prepare(self) -> None:
        levels: tuple[float, ...] = ()
        while not self._chapters.finished and not self._stream.closed:
            timeline = self._chapters.place_next()
            clips = clips_of(timeline, self._chapters.speech)
            placed_now = chapter_levels(timeline, clips, len(timeline.chapters) - 1, ClipEnergy(clips))
            levels += tuple(placed_now[number] for number in sorted(placed_now))
            placed = Placed(timeline, clips, levels, starts(timeline), self._chapters.finished)
            with self._ready:
                self._placed = placed
                self._ready.notify_all()
        if self._chapters.finished:
            self._stream.set_end(self._placed.timeline.duration)

    def _feed(self) -> None:
        blocks, made_for = iter(()), None
        while True:
            room = self._stream.room(AHEAD_SAMPLES)
            if room is None:
                return
            start, generation = room
            block = next(blocks, None) if made_for == (start, generation) else None
            if block is None:
                placed = self._wait_placed(start + 1)
                if placed is None or start >= placed.timeline.duration:
                    return
                blocks = mix(placed.timeline, placed.clips, placed.levels, start, block=FEED_SAMPLES)
                block = next(blocks)
            self._stream.push(block, start, generation)
            made_for = (start + len(block), generation)

    def _wait_placed(self, covering: int = 0) -> Placed | None:
        """The placed timeline once it reaches past sample `covering` (or is complete); None once closed."""
        with self._ready:
            self._ready.wait_for(lambda: self._stream.closed or self._placed is not None and (
                self._placed.complete or self._placed.timeline.duration >= covering))
            return None if self._stream.closed else self._placed

    def _wait_for(self, where: int | tuple[int, str | None]) -> int:
        """A sample, or (chapter index, step name or None): where that step starts, once it is placed."""
        if isinstance(where, int):
            placed = self._wait_placed(where + 1)
            return min(where, placed.timeline.duration)
        chapter, step = where
        with self._ready:
            self._ready.wait_for(lambda: self._stream.closed or self._placed is not None
                                 and len(self._placed.timeline.chapters) > chapter)
            placed = self._placed
        title = placed.timeline.chapters[chapter].title
        return next(start for start, mark in placed.marks
                    if mark.section == title and (step is None or (mark.step or "").casefold() == step.casefold()))


def _find(chapters: ChapterByChapter, name: str) -> tuple[int, str | None]:
    """(chapter index, step name or None) of the section or step called `name`."""
    sections = chapters.fitted.sections
    for index, section in enumerate(sections):
        if section.name.casefold() == name.casefold():
            return index, None
    for index, section in enumerate(sections):
        for step in section.steps:
            if getattr(step, "name", None) and step.name.casefold() == name.casefold():
                return index, step.name
    names = [section.name for section in sections] + [step.name for section in sections for step in section.steps
                                                      if getattr(step, "name", None)]
    raise UsageError(f"--from '{name}': no such section or step{did_you_mean(name, names)}")
