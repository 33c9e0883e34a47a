"""`coach export`: a folder a phone's player reads well, rewritten only where something changed.

Per routine: its MP3 with cover art (or, split, one numbered track per
section of the same album, whose lengths add up exactly to the whole), a
synced-lyrics `.lrc` and a `.vtt` caption file beside each track; for all
the routines of one call, one `.m3u8` playlist. A track whose tag already
carries its key is not encoded again (only retagged when just its tag
changed), and a text file whose content is unchanged is not written, so
its date stays and a sync tool copies nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from coach import __version__
from coach.audio.encoder import encode_mp3_parts, find_ffmpeg, retag_mp3
from coach.audio.id3 import Tags, stored_key
from coach.audio.level import EventLevels, LevelsAhead
from coach.audio.mixer import clip_key
from coach.chapters import chapter_marks
from coach.compiler import Options
from coach.errors import EnvironmentProblem, quoted
from coach.exact import clips_of, exact_timeline
from coach.render import mixed_parts, track_tags
from coach.export.captions import to_lrc, to_vtt
from coach.export.cover import cover_png
from coach.export.playlist import Entry, to_m3u8
from coach.interrupts import scratch_path
from coach.limits import SAMPLE_RATE
from coach.outputpath import output_target
from coach.progress import Stage, quiet
from coach.routine import Routine
from coach.speech.cache import ClipCache
from coach.speech.engines import EngineSpec
from coach.timeline import Timeline

UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
"""Characters a file name may not hold on Windows, Android's FAT/exFAT cards or macOS."""


@dataclass(frozen=True)
class Track:
    name: str
    """Path of the MP3 relative to the export folder, without the suffix ('/'-separated)."""
    title: str
    start: int
    stop: int
    number: str | None


@dataclass(frozen=True)
class Written:
    path: Path
    changed: bool


def tracks_of(timeline: Timeline, stem: str, split: bool) -> list[Track]:
    if not split:
        return [Track(stem, timeline.title, 0, timeline.duration, None)]
    total = len(timeline.chapters)
    return [Track(f"{stem}/{number:02d} {safe_name(chapter.title)}", chapter.title, chapter.start, chapter.end,
                  f"{number}/{total}") for number, chapter in enumerate(timeline.chapters, 1)]


def safe_name(text: str) -> str:
    return UNSAFE_IN_NAMES.sub("-", text).strip(" .") or "track"


def export_routine(routine: Routine, options: Options, spec: EngineSpec, bitrate_kbps: int, cache: ClipCache,
                   folder: Path, split: bool, stage: Stage = quiet, chapters: str = "steps"
                   ) -> tuple[list[Written], list[Entry]]:
    """Write the routine's tracks and captions into `folder`; return what was written and its playlist entries."""
    find_ffmpeg(SAMPLE_RATE, bitrate_kbps)  # before any clip is made for nothing
    ahead = LevelsAhead()
    exact = exact_timeline(routine, options, spec, cache, stage, while_waiting=ahead)
    timeline = exact.timeline
    clips = clips_of(timeline, exact.speech)
    levels = EventLevels(timeline, clips, ahead)
    cover = cover_png(timeline)
    sounding = _sounding(timeline, clips, levels)
    inputs = routine.input_files()
    written, entries = [], []
    for track in tracks_of(timeline, safe_name(Path(routine.path).stem), split):
        tags = track_tags(timeline, title=track.title, track=track.number, cover=cover)
        marks = chapter_marks(timeline, chapters, track.start, track.stop)
        audio_key = _audio_key(track, sounding, bitrate_kbps)
        key = f"{audio_key}-{_tags_key(tags, marks)}"
        mp3 = output_target(folder / f"{track.name}.mp3", inputs)
        stored = stored_key(mp3)
        changed = stored != key
        if changed and stored is not None and stored.split("-")[0] == audio_key:
            retag_mp3(mp3, replace(tags, key=key), marks)  # same sound, new tag (a cover, a title)
        elif changed:
            _make_folder(mp3.parent)
            encode_mp3_parts(mixed_parts(timeline, clips, levels, track.start, track.stop), mp3, rate=SAMPLE_RATE,
                             tags=replace(tags, key=key), chapters=marks, bitrate_kbps=bitrate_kbps)
        written.append(Written(folder / f"{track.name}.mp3", changed))
        lyrics = to_lrc(timeline, track.title, tags.album, tags.artist, track.start, track.stop)
        written.append(write_if_changed(folder / f"{track.name}.lrc", lyrics, inputs))
        written.append(write_if_changed(folder / f"{track.name}.vtt", to_vtt(timeline, track.start, track.stop), inputs))
        entries.append(Entry(f"{track.name}.mp3", round((track.stop - track.start) / SAMPLE_RATE), tags.artist,
                             track.title))
    return written, entries


def _sounding(timeline: Timeline, clips: dict, levels: Sequence[float]) -> list[tuple[int, int, str, str]]:
    """(start, end, clip digest, level) of every event as the mixer plays it, once for all tracks."""
    digests = {name: hashlib.sha256(samples.tobytes()).hexdigest() for name, samples in clips.items()}
    return [(event.start, event.start + len(clips[clip_key(event)]), digests[clip_key(event)], repr(level))
            for event, level in zip(timeline.events, levels)]


def _audio_key(track: Track, sounding: list[tuple[int, int, str, str]], bitrate_kbps: int) -> str:
    """Everything that decides a track's audio frames: what sounds in its window and how loud (an edit
    elsewhere in the routine leaves it alone unless it changes the level of a chapter heard here)."""
    heard = [(start - track.start, digest, level) for start, end, digest, level in sounding
             if start < track.stop and end > track.start]
    return _digest([__version__, bitrate_kbps, track.stop - track.start, heard])


def _tags_key(tags: Tags, chapters: list) -> str:
    return _digest([repr(replace(tags, cover=hashlib.sha256(tags.cover or b"").hexdigest())), repr(chapters)])


def _digest(document: list) -> str:
    return hashlib.sha256(json.dumps(document).encode("utf-8")).hexdigest()


def write_playlist(folder: Path, name: str, entries: list[Entry]) -> Written:
    return write_if_changed(folder / f"{safe_name(name)}.m3u8", to_m3u8(entries), {})


def write_if_changed(requested: Path, text: str, inputs: dict[Path, str]) -> Written:
    """Replace the file atomically, and only when its content differs."""
    path = output_target(requested, inputs)
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return Written(requested, False)
    except OSError:
        pass
    try:
        _make_folder(path.parent)
        with scratch_path(path.parent, f".{path.name}.partial-") as temporary:
            temporary.write_bytes(data)
            os.replace(temporary, path)
    except OSError as problem:
        raise EnvironmentProblem(f"cannot write {quoted(str(path))} ({problem.strerror})", "choose another folder with --to") \
            from None
    return Written(requested, True)


def _make_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise EnvironmentProblem(f"cannot make the folder {quoted(str(path))} ({problem.strerror})",
                                 "choose another folder with --to") from None
