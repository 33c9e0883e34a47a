"""The MP3's chapters: each section, and inside it each step occurrence a listener may want to skip.

Steps are read off the timeline's events, which carry their section, step,
side and round: a step occurrence ("Hamstring stretch, left, round 2") is
a run of events with the same step, side and round. Its chapter starts at
the words that lead into it (a section's opening, an announcement before
it) and ends where the next one starts, so a section's steps tile it.
"""

from __future__ import annotations

from coach.audio.id3 import ChapterMark
from coach.limits import MAX_SECTIONS, SAMPLE_RATE
from coach.timeline import Chapter, Timeline

def chapter_marks(timeline: Timeline, mode: str = "steps", start: int = 0, stop: int | None = None) -> list[ChapterMark]:
    """The sections within [start, stop) as chapters in that window's own time, each with its steps
    (mode 'steps') or as one chapter (mode 'sections')."""
    stop = timeline.duration if stop is None else stop
    marks = []
    for section in timeline.chapters:
        if section.start < start or section.start >= stop:
            continue
        steps = step_chapters(timeline, section) if mode == "steps" else []
        if len(steps) > MAX_SECTIONS:  # beyond what one ID3 table of contents can list
            steps = []
        marks.append(ChapterMark(section.title, _ms(section.start - start), _ms(min(section.end, stop) - start),
                                 tuple(ChapterMark(title, _ms(first - start), _ms(last - start))
                                       for title, first, last in steps)))
    return marks


def step_chapters(timeline: Timeline, section: Chapter) -> list[tuple[str, int, int]]:
    """(title, start, end) in samples for each step occurrence of `section`; empty when it has none."""
    inside = [event for event in timeline.events if section.start <= event.start < section.end]
    runs: list[tuple[tuple, int]] = []  # ((step, side, round), start)
    lead_in = None
    for event in inside:
        if event.step is None:
            lead_in = event.start if lead_in is None else lead_in
            continue
        occurrence = (event.step, event.side, event.round)
        if not runs or runs[-1][0] != occurrence:
            runs.append((occurrence, event.start if lead_in is None else lead_in))
        lead_in = None
    if not runs:
        return []
    starts = [section.start] + [start for _, start in runs[1:]]
    ends = starts[1:] + [section.end]
    repeated = {step for (step, _, number), _ in runs if number and number > 1}
    return [(_title(occurrence, repeated), first, last)
            for (occurrence, _), first, last in zip(runs, starts, ends)]


def _title(occurrence: tuple, repeated: set[str]) -> str:
    step, side, number = occurrence
    details = [side] if side else []
    if step in repeated:
        details.append(f"round {number}")
    return f"{step} — {', '.join(details)}" if details else step


def _ms(samples: int) -> int:
    return round(samples * 1000 / SAMPLE_RATE)
