"""From exact timeline to MP3: mix and encode.

`exact.exact_timeline` is what `coach plan --exact` prints and what `render_mp3`
renders, so the plan shown is the track heard.
"""

from __future__ import annotations

from pathlib import Path

from coach.exact import Exact, clips_of
from coach.limits import SAMPLE_RATE
from coach.progress import Stage, quiet


def render_mp3(exact: Exact, output: Path, bitrate_kbps: int, stage: Stage = quiet, key: str | None = None,
               chapters: str = "steps") -> None:
    """Mix and encode to `output`, with a chapter per section and (`chapters` 'steps') per step inside it;
    `key` (see `coach.export.renderkey`) goes into the tag."""
    from coach.audio.encoder import encode_mp3
    from coach.audio.id3 import Tags
    from coach.audio.level import ChapterGains
    from coach.audio.mixer import mix
    from coach.chapters import chapter_marks

    timeline = exact.timeline
    clips = clips_of(timeline, exact.speech)
    tags = Tags(title=timeline.title, artist=timeline.author or "coach", album=timeline.album,
                genre="Fitness", comment=timeline.description, key=key)
    marks = chapter_marks(timeline, chapters)
    advance = stage("encode", timeline.duration)

    def blocks():
        # Runs once ffmpeg has started, so its start-up overlaps this work.
        for block in mix(timeline, clips, ChapterGains(timeline, clips)):
            yield block.tobytes()

    encode_mp3(blocks(), output, rate=SAMPLE_RATE, tags=tags, chapters=marks, bitrate_kbps=bitrate_kbps,
               on_block=lambda nbytes: advance(nbytes // 2))
