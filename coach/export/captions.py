"""What was said, when: synced lyrics (LRC) for a phone's lock screen and WebVTT captions.

Both are made from the timeline's speech events, so every line appears on
the sample its words start on (rounded to the format's precision: LRC has
hundredths of a second, WebVTT milliseconds). A window of the timeline
(one section's track) is shown in that track's own time.
"""

from __future__ import annotations

from coach.limits import SAMPLE_RATE
from coach.timeline import Event, Timeline


def spoken(timeline: Timeline, start: int = 0, stop: int | None = None) -> list[Event]:
    """Speech events that begin in [start, stop)."""
    stop = timeline.duration if stop is None else stop
    return [event for event in timeline.events if event.kind == "speech" and start <= event.start < stop]


def to_lrc(timeline: Timeline, title: str, album: str, artist: str, start: int = 0, stop: int | None = None) -> str:
    stop = timeline.duration if stop is None else stop
    lines = [f"[ti:{_one_line(title)}]", f"[al:{_one_line(album)}]", f"[ar:{_one_line(artist)}]",
             f"[length:{_lrc_time(stop - start)[:5]}]"]
    lines += [f"[{_lrc_time(event.start - start)}]{_one_line(event.content)}" for event in spoken(timeline, start, stop)]
    return "\n".join(lines) + "\n"


def to_vtt(timeline: Timeline, start: int = 0, stop: int | None = None) -> str:
    stop = timeline.duration if stop is None else stop
    cues = [f"{_vtt_time(event.start - start)} --> {_vtt_time(min(event.end, stop) - start)}\n"
            f"{_one_line(event.content).replace('-->', '->')}"
            for event in spoken(timeline, start, stop)]
    return "WEBVTT\n\n" + "".join(cue + "\n\n" for cue in cues)


def _lrc_time(samples: int) -> str:
    hundredths = samples * 100 // SAMPLE_RATE  # never early: a line shows once its words have begun
    minutes, hundredths = divmod(hundredths, 6000)
    return f"{minutes:02d}:{hundredths // 100:02d}.{hundredths % 100:02d}"


def _vtt_time(samples: int) -> str:
    milliseconds = round(samples * 1000 / SAMPLE_RATE)
    hours, milliseconds = divmod(milliseconds, 3_600_000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    return f"{hours:02d}:{minutes:02d}:{milliseconds // 1000:02d}.{milliseconds % 1000:03d}"


def _one_line(text: str) -> str:
    """Both formats are line based: a line break inside a phrase would end it."""
    return " ".join(text.split())
