"""Commands that make a session: an MP3 (render, watch), a phone folder (export), or live (speak)."""

from __future__ import annotations

import sys

import click

from coach.cli.shared import (BITRATE, CHAPTERS, ENGINE, LENGTH, RATE, ROUTINE, VOICE, WITH, cli, complete_routine,
                              mp3_options, options_from, report, stage, warn_about)
from coach.errors import UsageError


@cli.command()
@ROUTINE
@mp3_options
@click.option("--force", is_flag=True, help="Render even when the MP3 is already up to date.")
def render(routine: str | None, output: str | None, length: str | None, include: tuple[str, ...],
           engine: str | None, voice: str | None, rate: int | None, bitrate: str, chapters: str, force: bool) -> None:
    """Render the routine to an MP3 with tags and chapters (sections and steps).

    An MP3 that this render would write byte for byte already is left alone
    ("up to date"). The MP3 never replaces the routine, a cue sound, a folder
    or a device; when -o is a symbolic link, the file it points to is replaced.
    """
    from pathlib import Path

    from coach.export.renderfile import default_output, render_file
    from coach.library import load_routine
    from coach.speech.cache import ClipCache, default_dir
    from coach.speech.engines import choose

    loaded = load_routine(routine)
    spec = choose(loaded.voice, engine, voice, rate)
    done = render_file(loaded, Path(output) if output else default_output(loaded), options_from(length, include), spec,
                       int(bitrate), ClipCache(default_dir()), stage(), force, chapters)
    report(done)


@cli.command()
@click.argument("routine", shell_complete=complete_routine)
@mp3_options
def watch(routine: str, output: str | None, length: str | None, include: tuple[str, ...], engine: str | None,
          voice: str | None, rate: int | None, bitrate: str, chapters: str) -> None:
    """Render ROUTINE now and again each time it (or a sound file it uses) is saved.

    A broken edit prints its error and leaves the last good MP3 as it was. Ctrl-C stops.
    """
    from pathlib import Path

    from coach.export.renderfile import default_output, render_file
    from coach.export.watch import watch as render_on_save
    from coach.speech.cache import ClipCache, default_dir
    from coach.speech.engines import choose

    path = Path(routine)
    if not path.is_file():
        raise UsageError(f"routine file '{routine}' not found (watch needs a file, not a built-in name)")
    options, cache = options_from(length, include), ClipCache(default_dir())

    def render_one(loaded):
        spec = choose(loaded.voice, engine, voice, rate)
        target = Path(output) if output else default_output(loaded)
        return render_file(loaded, target, options, spec, int(bitrate), cache, stage(), chapters=chapters)

    click.echo(f"watching {path} (Ctrl-C to stop)", err=True)
    for outcome in render_on_save(path, render_one):
        if outcome.error is not None:
            click.echo(outcome.error.line(), err=True)
            continue
        changed = f"; changed: {', '.join(outcome.changed)}" if outcome.changed else ""
        report(outcome.rendered, f" ({outcome.seconds:.1f} s{changed})")


@cli.command()
@click.argument("routines", nargs=-1, required=True, shell_complete=complete_routine)
@click.option("--to", "folder", required=True, metavar="DIR", help="Folder to fill (a phone's music folder, a sync folder).")
@click.option("--split", type=click.Choice(["sections"]), help="One numbered track per section instead of one MP3.")
@LENGTH
@WITH
@ENGINE
@VOICE
@RATE
@BITRATE
@CHAPTERS
def export(routines: tuple[str, ...], folder: str, split: str | None, length: str | None, include: tuple[str, ...],
           engine: str | None, voice: str | None, rate: int | None, bitrate: str, chapters: str) -> None:
    """Fill a folder for a phone: MP3s (or numbered tracks), synced lyrics, captions, a playlist.

    Only files whose content changed are written again.
    """
    from pathlib import Path

    from coach.export.folder import export_routine, write_playlist
    from coach.library import load_routine
    from coach.speech.cache import ClipCache, default_dir
    from coach.speech.engines import choose

    target, options, cache = Path(folder), options_from(length, include), ClipCache(default_dir())
    # Every routine and voice is checked before anything is written: a mistake in the last routine
    # must not leave the folder half exported.
    loaded_all = [load_routine(name) for name in routines]
    specs = [choose(loaded.voice, engine, voice, rate) for loaded in loaded_all]
    entries = []
    for loaded, spec in zip(loaded_all, specs):
        written, listed = export_routine(loaded, options, spec, int(bitrate), cache, target, split is not None,
                                         stage(), chapters)
        entries += listed
        for item in written:
            click.echo(f"{item.path}: {'written' if item.changed else 'unchanged'}")
    playlist_name = Path(loaded_all[0].path).stem if len(routines) == 1 else "coach"
    item = write_playlist(target, playlist_name, entries)
    click.echo(f"{item.path}: {'written' if item.changed else 'unchanged'}")


@cli.command()
@ROUTINE
@LENGTH
@WITH
@click.option("--from", "start_at", metavar="SECTION_OR_STEP", help="Start at this section or step.")
@ENGINE
@VOICE
@RATE
@click.option("--device", metavar="NAME", help="Output device (see --list-devices); 'null' plays silently.")
@click.option("--list-devices", is_flag=True, help="List the output devices and exit.")
def speak(routine: str | None, length: str | None, include: tuple[str, ...], start_at: str | None,
          engine: str | None, voice: str | None, rate: int | None, device: str | None, list_devices: bool) -> None:
    """Coach the routine live through the speakers: the same audio as `render`."""
    from coach.live.device import Output, device_names

    if list_devices:
        click.echo("\n".join(device_names()))
        return
    from coach.exact import ChapterByChapter
    from coach.library import load_routine
    from coach.live.console import coach_in_lines, coach_on_terminal
    from coach.live.session import Session
    from coach.speech.cache import ClipCache, default_dir
    from coach.speech.engines import choose

    loaded = load_routine(routine)
    spec = choose(loaded.voice, engine, voice, rate)
    chapters = ChapterByChapter(loaded, options_from(length, include), spec, ClipCache(default_dir()))
    session = Session(chapters, Output(device), start_at)
    try:
        if sys.stdin.isatty() and sys.stdout.isatty():
            coach_on_terminal(session, loaded.title)
        else:
            coach_in_lines(session, click.echo)
    finally:
        session.close()
    placed = session.placed  # the warnings of what was placed, once the screen is the terminal's again
    if placed is not None:
        warn_about(placed.timeline)
