"""From routine to exact timeline to MP3: measure real clips, mix, encode.

`exact_timeline` is what `coach plan --exact` prints and what `render_mp3`
renders, so the plan shown is the track heard.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from coach import cuesounds
from coach.compiler import Options, compile_routine
from coach.estimate import estimate
from coach.limits import SAMPLE_RATE
from coach.progress import Stage, quiet
from coach.routine import Routine
from coach.speech.cache import ClipCache
from coach.speech.engines import EngineSpec
from coach.speech.synthesis import clips_for
from coach.timeline import Timeline


@dataclass(frozen=True)
class Exact:
    """A timeline placed with real clip lengths, and the clips it was placed with."""

    timeline: Timeline
    speech: dict[str, np.ndarray]


def exact_timeline(routine: Routine, options: Options, spec: EngineSpec, cache: ClipCache,
                   stage: Stage = quiet) -> Exact:
    """Synthesize (or reuse) every phrase the routine can say, then place events with true lengths."""
    cache.check_writable()
    texts: dict[str, None] = {}
    rough = estimate(spec.rate)

    def record(text: str) -> float:
        texts[text] = None
        return rough(text)

    # One pass at the shortest ranges finds the phrases; fitting only changes where they go.
    compile_routine(routine, replace(options, fit=False), record, cuesounds.prepared_length)
    speech = clips_for(list(texts), spec, cache, stage)

    def measure(text: str) -> float:
        if text not in speech:  # a phrase only reachable with exact lengths (a new preview, say)
            speech.update(clips_for([text], spec, cache))
        return len(speech[text]) / SAMPLE_RATE

    return Exact(compile_routine(routine, options, measure, cuesounds.prepared_length), speech)


def render_mp3(exact: Exact, output: Path, bitrate_kbps: int, stage: Stage = quiet, key: str | None = None,
               chapters: str = "steps") -> None:
    """Mix and encode to `output`, with a chapter per section and (`chapters` 'steps') per step inside it;
    `key` (see `coach.export.renderkey`) goes into the tag."""
    from coach.audio.encoder import encode_mp3
    from coach.audio.id3 import Tags
    from coach.audio.level import track_gain
    from coach.audio.mixer import mix
    from coach.chapters import chapter_marks

    timeline = exact.timeline
    clips = mix_clips(exact)
    tags = Tags(title=timeline.title, artist=timeline.author or "coach", album=timeline.album,
                genre="Fitness", comment=timeline.description, key=key)
    marks = chapter_marks(timeline, chapters)
    advance = stage("encode", timeline.duration)

    def blocks():
        # Runs once ffmpeg has started, so its start-up overlaps this work.
        for block in mix(timeline, clips, track_gain(timeline, clips)):
            yield block.tobytes()

    encode_mp3(blocks(), output, rate=SAMPLE_RATE, tags=tags, chapters=marks, bitrate_kbps=bitrate_kbps,
               on_block=lambda nbytes: advance(nbytes // 2))


def mix_clips(exact: Exact) -> dict[tuple[str, str], np.ndarray]:
    """Every clip the mixer needs for the timeline: its speech, and its cue sounds prepared."""
    clips = {("speech", text): samples for text, samples in exact.speech.items()}
    clips.update({("sound", event.content): cuesounds.prepared(event.content)
                  for event in exact.timeline.events if event.kind == "sound"})
    return clips
