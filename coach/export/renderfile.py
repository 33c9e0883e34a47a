"""One render as a user asks for it: a safe output, and no work at all when the MP3 is up to date.

`coach render` and `coach watch` both go through `render_file`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coach.audio.id3 import stored_key
from coach.audio.level import LevelsAhead
from coach.compiler import Options
from coach.exact import exact_timeline
from coach.export.renderkey import render_key
from coach.outputpath import output_target
from coach.progress import Stage, quiet
from coach.render import render_mp3, started_encoders
from coach.routine import Routine
from coach.speech.cache import ClipCache
from coach.speech.engines import EngineSpec
from coach.timeline import Timeline


@dataclass(frozen=True)
class Rendered:
    output: Path
    """As the user named it (a symlink stays a symlink; its target was replaced)."""
    timeline: Timeline | None
    """What was rendered; None when the file was already up to date and left alone."""


def default_output(routine: Routine) -> Path:
    """ROUTINE.mp3 in the current folder."""
    return Path(f"{Path(routine.path).stem}.mp3")


def render_file(routine: Routine, output: Path, options: Options, spec: EngineSpec, bitrate_kbps: int,
                cache: ClipCache, stage: Stage = quiet, force: bool = False, chapters: str = "steps") -> Rendered:
    target = output_target(output, routine.input_files())
    key = render_key(routine, options, spec, bitrate_kbps, chapters)
    if not force and stored_key(target) == key:
        return Rendered(output, None)
    ahead = LevelsAhead()
    with started_encoders(target, bitrate_kbps) as encoders:
        exact = exact_timeline(routine, options, spec, cache, stage, while_waiting=ahead)
        render_mp3(exact, target, bitrate_kbps, stage, key, chapters, ahead, encoders)
    return Rendered(output, exact.timeline)
