"""`coach watch`: render again each time the routine, or one of its sound files, is saved.

A burst of saves (an editor writing a temp file and renaming it, or
several quick saves) renders once; saves made during a render are
collected and render once after it. A broken edit yields its error and
leaves the last good MP3 as it was.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from coach import cuesounds
from coach.errors import CoachError
from coach.export.renderfile import Rendered
from coach.export.renderkey import heard
from coach.loader import load_file
from coach.routine import Routine

QUIET_MS = 200
"""A save counts as finished when no file changed for this long."""
LONGEST_BURST_MS = 2000
RECHECK_MS = 500
"""How often files are also compared with what the last render read (a save the watcher missed)."""


@dataclass(frozen=True)
class Outcome:
    """One render (or failed load) after a save."""

    rendered: Rendered | None
    error: CoachError | None
    changed: tuple[str, ...]
    """What changed since the last good load: 'added X', 'removed Y', section names."""
    seconds: float


def watch(path: Path, render: Callable[[Routine], Rendered], stop_event=None) -> Iterator[Outcome]:
    """Render now, then after every save, until `stop_event` is set or Ctrl-C."""
    last_good: Routine | None = None
    watched = {path.resolve()}
    while True:
        seen = _stamps(watched)
        outcome, routine = _render_once(path, render, last_good)
        yield outcome
        if routine is not None:
            last_good = routine
            watched = {path.resolve(), *(file.resolve() for file in routine.input_files())}
        if not _wait_for_save(watched, seen, stop_event):
            return


def _wait_for_save(watched: set[Path], seen: dict[Path, tuple], stop_event) -> bool:
    """True once a watched file is saved, or was saved since `seen` (during the last render, or
    before the watcher started); False when stopped."""
    import watchfiles

    saves = watchfiles.watch(*{file.parent for file in watched},
                             watch_filter=lambda _, name: Path(name).resolve() in watched,
                             debounce=LONGEST_BURST_MS, step=QUIET_MS, rust_timeout=RECHECK_MS,
                             yield_on_timeout=True, stop_event=stop_event, recursive=False)
    with contextlib.closing(saves):
        for changes in saves:
            if changes or _stamps(seen) != seen:
                return True
    return False


def _stamps(files) -> dict[Path, tuple]:
    stamps = {}
    for file in files:
        try:
            info = file.stat()
            stamps[file] = (info.st_mtime_ns, info.st_size, info.st_ino)
        except OSError:
            stamps[file] = None
    return stamps


def _render_once(path: Path, render, last_good: Routine | None) -> tuple[Outcome, Routine | None]:
    started = time.monotonic()
    # Sound files may have changed under the same name: measure and prepare them again.
    cuesounds.prepared.cache_clear()
    cuesounds.length_seconds.cache_clear()
    try:
        routine = load_file(path)
        rendered = render(routine)
    except CoachError as error:
        return Outcome(None, error, (), time.monotonic() - started), None
    return Outcome(rendered, None, _changes(last_good, routine), time.monotonic() - started), routine


def _changes(before: Routine | None, after: Routine) -> tuple[str, ...]:
    if before is None:
        return ()
    old = {section.name: heard(section) for section in before.sections}
    new = {section.name: heard(section) for section in after.sections}
    changes = [f"removed {name}" for name in old if name not in new]
    changes += [f"added {name}" if name not in old else name for name in new if old.get(name) != new[name]]
    if heard(before) != heard(after) and not changes:
        changes.append("order, title, voice or defaults")
    return tuple(changes)
