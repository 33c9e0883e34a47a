"""How a session sounds, per section: how much is said, how much of it is stock, how long the quiet gets.

Routine authors tune chattiness with these numbers (`coach plan --stats`):
a good guided class speaks a few words per minute of hold and never leaves
the listener wondering, in a long silence, whether the session is still on.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.limits import SAMPLE_RATE
from coach.timeline import Chapter, Timeline, clock

AUTHORED_ROLES = frozenset({"section", "instruction", "cue", "announcement"})
"""Speech whose words the routine wrote; every other utterance is the coach's stock wording."""


@dataclass(frozen=True)
class SectionStats:
    title: str
    length: int
    utterances: int
    stock: int
    """Utterances in the coach's stock wording (begin, countdown, switch, preview, …)."""
    hold: int
    """Samples spent holding or breathing: from each start cue (or first in-breath) to its end cue."""
    longest_silence: int
    """The longest stretch without a word (cue sounds do not break a silence)."""

    @property
    def per_minute(self) -> float:
        return _per_minute(self.utterances, self.length)

    @property
    def stock_per_hold_minute(self) -> float | None:
        return _per_minute(self.stock, self.hold) if self.hold else None


def section_stats(timeline: Timeline) -> list[SectionStats]:
    """One `SectionStats` per chapter, in order."""
    return [_chapter_stats(timeline, chapter) for chapter in timeline.chapters]


def _chapter_stats(timeline: Timeline, chapter: Chapter) -> SectionStats:
    inside = [event for event in timeline.events if chapter.start <= event.start < chapter.end]
    speech = [event for event in inside if event.kind == "speech"]
    return SectionStats(
        title=chapter.title, length=chapter.end - chapter.start, utterances=len(speech),
        stock=sum(event.role not in AUTHORED_ROLES for event in speech),
        hold=_hold_samples(inside),
        longest_silence=_longest_gap(speech, chapter.start, chapter.end))


def _hold_samples(events) -> int:
    """Total time from each occurrence's first start cue or in-breath to its end cue (sound or words)."""
    starts, total = {}, 0
    for event in events:
        occurrence = (event.step, event.side, event.round)
        if event.role in ("start", "inhale"):
            starts.setdefault(occurrence, event.start)
        elif event.role == "end" and occurrence in starts:  # the end sound or "And release.": either may be off
            total += event.start - starts.pop(occurrence)
    return total


def _longest_gap(speech, start: int, end: int) -> int:
    longest, quiet_from = 0, start
    for event in sorted(speech, key=lambda event: event.start):
        longest = max(longest, event.start - quiet_from)
        quiet_from = max(quiet_from, event.end)
    return max(longest, end - quiet_from)


def _per_minute(count: int, samples: int) -> float:
    return count * 60 * SAMPLE_RATE / samples if samples else 0.0


def to_stats_table(timeline: Timeline) -> str:
    """The per-section table of `coach plan --stats`, with a line for the whole session."""
    whole = _chapter_stats(timeline, Chapter("whole session", 0, timeline.duration))
    rows = [("section", "length", "utterances", "per min", "stock per hold min", "longest silence")]
    for item in section_stats(timeline) + [whole]:
        stock = f"{item.stock_per_hold_minute:.1f}" if item.stock_per_hold_minute is not None else "-"
        rows.append((item.title, clock(item.length), str(item.utterances), f"{item.per_minute:.1f}", stock,
                     clock(item.longest_silence)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                       for i, (cell, width) in enumerate(zip(row, widths))).rstrip()
             for row in rows]
    return "\n".join(lines) + "\n"
