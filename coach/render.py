"""From exact timeline to MP3: mix and encode.

`exact.exact_timeline` is what `coach plan --exact` prints and what `render_mp3`
renders, so the plan shown is the track heard.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from coach.exact import Exact, clips_of
from coach.limits import SAMPLE_RATE
from coach.progress import Stage, quiet
from coach.timeline import Timeline

if TYPE_CHECKING:
    from coach.audio.encoder import Encoders
    from coach.audio.id3 import Tags
    from coach.audio.level import LevelsAhead


def render_mp3(exact: Exact, output: Path, bitrate_kbps: int, stage: Stage = quiet, key: str | None = None,
               chapters: str = "steps", ahead: LevelsAhead | None = None, encoders: Encoders | None = None) -> None:
    """Mix and encode to `output`, with a chapter per section and (`chapters` 'steps') per step inside it;
    `key` (see `coach.export.renderkey`) goes into the tag, `ahead` holds what was measured while the
    timeline was placed, and `encoders` were started for it (`started_encoders`)."""
    from coach.audio.encoder import encode_mp3_parts
    from coach.audio.level import EventLevels
    from coach.chapters import chapter_marks

    timeline = exact.timeline
    clips = clips_of(timeline, exact.speech)
    tags = track_tags(timeline, key=key)
    marks = chapter_marks(timeline, chapters)
    advance = stage("encode", timeline.duration)
    parts = mixed_parts(timeline, clips, EventLevels(timeline, clips, ahead), 0, timeline.duration)
    encode_mp3_parts(parts, output, rate=SAMPLE_RATE, tags=tags, chapters=marks, bitrate_kbps=bitrate_kbps,
                     on_block=lambda nbytes: advance(nbytes // 2), started=encoders)


def started_encoders(output: Path, bitrate_kbps: int) -> Encoders:
    """Encoders for a render of `output`, to start before its timeline is ready: as many as a track
    long enough has parts (a shorter one stops the one it does not need)."""
    from coach.audio.encoder import Encoders
    from coach.audio.joins import MAX_PARTS

    return Encoders(output, SAMPLE_RATE, bitrate_kbps, MAX_PARTS)


def mixed_parts(timeline: Timeline, clips: dict, levels, start: int, stop: int) -> list[Iterator[bytes]]:
    """The mix of samples `start` to `stop` as parts cut in silences, which encode side by side."""
    from coach.audio.joins import join_points
    from coach.audio.lametag import samples_per_frame
    from coach.audio.mixer import clip_key, mix

    clip_ends = [event.start + len(clips[clip_key(event)]) for event in timeline.events]
    sounding = [(event.start - start, end - start) for event, end in zip(timeline.events, clip_ends)
                if event.start < stop and end > start]
    cuts = [start + cut for cut in join_points(sounding, stop - start, samples_per_frame(SAMPLE_RATE))]
    bounds = [start, *cuts, stop]
    # Generators: each part is mixed only once its encoder has started, so start-up overlaps this work.
    return [(block.tobytes() for block in mix(timeline, clips, levels, start=first, stop=last))
            for first, last in zip(bounds, bounds[1:])]


def track_tags(timeline: Timeline, **changes) -> Tags:
    """What a phone's library shows for a render of `timeline`; `changes` for one track of it."""
    from coach.audio.id3 import Tags

    tags = Tags(title=timeline.title, artist=timeline.author or "coach", album=timeline.album, genre="Fitness",
                comment=timeline.description)
    return replace(tags, **changes)
