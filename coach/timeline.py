"""The compiled timeline: every utterance and sound with an absolute start, and its exports.

Times are integer samples at `SAMPLE_RATE`; exports show seconds rounded to
the millisecond. The mixer, the live player and the exporters all read the
same immutable `Timeline`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from coach.limits import SAMPLE_RATE
from coach.wording import plural

FORMAT = "coach-timeline/1"


@dataclass(frozen=True)
class Event:
    start: int
    end: int
    kind: str  # "speech" or "sound"
    role: str
    content: str  # the words for speech, the sound name or path for a sound
    section: str | None
    step: str | None
    side: str | None
    round: int | None
    line: int | None


@dataclass(frozen=True)
class Chapter:
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class CompileWarning:
    line: int | None
    col: int | None
    message: str


@dataclass(frozen=True)
class Timeline:
    title: str
    description: str | None
    author: str | None
    path: str
    duration: int
    chapters: tuple[Chapter, ...]
    events: tuple[Event, ...]
    warnings: tuple[CompileWarning, ...]
    album: str | None = None
    """For the MP3's tag only; not part of the coach-timeline/1 JSON."""
    notes: tuple[CompileWarning, ...] = ()
    """What only informs, never an error: cues said later than written (more than a second), how far a
    fitted session lands from its target and why; heard, so milder than warnings."""


def seconds(samples: int) -> float:
    return round(samples / SAMPLE_RATE, 3)


def to_json(timeline: Timeline) -> str:
    """The `coach-timeline/1` document of `coach plan --json`."""
    document = {
        "format": FORMAT,
        "title": timeline.title,
        "duration": seconds(timeline.duration),
        "chapters": [{"title": c.title, "start": seconds(c.start), "end": seconds(c.end)}
                     for c in timeline.chapters],
        "events": [_event_json(event) for event in timeline.events],
        "warnings": [_said_json(warning) for warning in timeline.warnings],
        "notes": [_said_json(note) for note in timeline.notes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _said_json(warning: CompileWarning) -> dict:
    return {"line": warning.line, "column": warning.col, "message": warning.message}


def _event_json(event: Event) -> dict:
    content_key = "text" if event.kind == "speech" else "sound"
    return {
        "start": seconds(event.start), "end": seconds(event.end), "kind": event.kind,
        "role": event.role, content_key: event.content, "section": event.section,
        "step": event.step, "side": event.side, "round": event.round, "line": event.line,
    }


def clock(samples: int) -> str:
    """`m:ss.s` (or `h:mm:ss.s`) for tables."""
    tenths = round(samples * 10 / SAMPLE_RATE)
    minutes, tenth_seconds = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    secs = f"{tenth_seconds // 10:02d}.{tenth_seconds % 10}"
    return f"{hours}:{minutes:02d}:{secs}" if hours else f"{minutes}:{secs}"


def to_table(timeline: Timeline) -> str:
    """A table for people: time, section, step, what is heard (sounds in brackets)."""
    rows = [("time", "section", "step", "what")]
    last_section = last_step = None
    for event in timeline.events:
        step = event.step or ""
        if event.side:
            step += f" ({event.side})"
        shown_section = event.section if event.section != last_section else ""
        shown_step = step if (step, event.section) != (last_step, last_section) else ""
        last_section, last_step = event.section, step
        what = event.content if event.kind == "speech" else f"[{_sound_label(event.content)}]"
        rows.append((clock(event.start), shown_section or "", shown_step, what))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3]
             for row in rows]
    lines.append("")
    lines.append(f"{timeline.title}: {clock(timeline.duration)} in {plural(len(timeline.chapters), 'chapter')}, "
                 f"{plural(len(timeline.events), 'event')}")
    return "\n".join(lines) + "\n"


def warning_line(path: str, warning: CompileWarning, kind: str = "warning") -> str:
    """`FILE:LINE:COL: warning: MESSAGE`, like an error; `FILE: warning: ...` for a warning about the whole session."""
    where = f"{path}:{warning.line}:{warning.col}" if warning.line else path
    return f"{where}: {kind}: {warning.message}"


def _sound_label(sound: str) -> str:
    return sound.rsplit("/", 1)[-1]
