"""The `coach` command: turns options into library calls, prints, maps errors to exit codes.

Heavy modules are imported inside the commands so `coach --help` stays instant.
"""

from __future__ import annotations

import sys

import click

from coach.audio.encoder import BITRATES_KBPS
from coach.errors import EXIT_ROUTINE, EXIT_USAGE, CoachError, UsageError
from coach.limits import MAX_TRACK_SECONDS, RATE_RANGE, SAMPLE_RATE
from coach.speech.engines import ENGINE_NAMES

def _complete_routine(context, parameter, incomplete):
    from coach.completion import for_shell, routines

    return for_shell(routines(incomplete))


def _complete_section(context, parameter, incomplete):
    from coach.completion import for_shell, optional_sections, routines_on_line

    return for_shell(optional_sections(routines_on_line(), incomplete))


ROUTINE = click.argument("routine", required=False, shell_complete=_complete_routine)
ROUTINES = click.argument("routines", nargs=-1, shell_complete=_complete_routine)
LENGTH = click.option("--length", "length", metavar="T", help="Target length (e.g. 22m); ranges are fitted to it.")
WITH = click.option("--with", "include", multiple=True, metavar="SECTION", help="Include an optional section.",
                    shell_complete=_complete_section)
# A free name, not a choice: an engine this machine lacks is an environment problem (exit 3, with the fix).
ENGINE = click.option("--engine", metavar="E", help=f"Speech engine: auto, {', '.join(ENGINE_NAMES)}.")
VOICE = click.option("--voice", metavar="V", help="Voice id, or part of its name (see `coach voices`).")
RATE = click.option("--rate", type=click.IntRange(*RATE_RANGE), metavar="WPM", help="Speaking rate in words per minute.")
OUTPUT = click.option("-o", "--output", metavar="FILE", help="MP3 file to write [default: ROUTINE.mp3].")
BITRATE = click.option("--bitrate", type=click.Choice([str(k) for k in BITRATES_KBPS[SAMPLE_RATE]]), default="64",
                       show_default=True, help="MP3 bitrate in kbps (constant bitrate, mono).")


CHAPTERS = click.option("--chapters", type=click.Choice(["steps", "sections"]), default="steps", show_default=True,
                        help="A chapter per step inside each section, or per section only.")


def mp3_options(command):
    """The options `render` and `watch` share: where to write, what to play, how it sounds."""
    for option in reversed((OUTPUT, LENGTH, WITH, ENGINE, VOICE, RATE, BITRATE, CHAPTERS)):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.version_option(package_name="coach")
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """Voice-guided audio coach: routines in YAML, spoken with exact timing.

    ROUTINE is a YAML file or a built-in routine name (see `coach list`);
    without one, the built-in runner recovery routine is used.
    """
    context.obj = {"debug": debug}
    if context.invoked_subcommand is None:
        click.echo(context.get_help())


@cli.command()
@ROUTINE
@click.option("--json", "as_json", is_flag=True, help="Print the coach-timeline/1 JSON document.")
@click.option("--exact", is_flag=True, help="Place speech by the real clips' lengths (synthesizes them).")
@LENGTH
@WITH
@ENGINE
@VOICE
@RATE
def plan(routine: str | None, as_json: bool, exact: bool, length: str | None, include: tuple[str, ...],
         engine: str | None, voice: str | None, rate: int | None) -> None:
    """Print the timeline: when every word and sound happens.

    Phrases already in the clip cache (after a render, say) are placed by their real length, so the
    plan is the MP3 to the millisecond; the others by the speaking rate, and a line says how many.
    """
    from coach.timeline import to_json, to_table
    from coach.wording import plural

    estimated = 0
    if exact:
        timeline = _exact(routine, length, include, engine, voice, rate).timeline
    else:
        timeline, estimated = _planned(routine, length, include, engine, voice, rate)
    click.echo(to_json(timeline) if as_json else to_table(timeline), nl=False)
    _warn(timeline.path, timeline.warnings)
    if estimated:
        phrases = "every phrase" if estimated < 0 else plural(estimated, "phrase")
        click.echo(f"times estimated for {phrases} from the speaking rate; --exact synthesizes them", err=True)


def _planned(routine_name, length, include, engine, voice, rate):
    """The timeline from cached clip lengths where there are some, and how many phrases were estimated
    (-1: all of them, as no speech engine is here to name the cached clips)."""
    from coach.exact import cached_timeline
    from coach.library import load_routine
    from coach.speech.cache import ClipCache, default_dir
    from coach.speech.engines import choose

    routine = load_routine(routine_name)
    try:
        spec = choose(routine.voice, engine, voice, rate)
    except CoachError:
        return _compile_loaded(routine, length, include), -1
    return cached_timeline(routine, _options(length, include), spec, ClipCache(default_dir()))


def _warn(path: str, warnings, kind: str = "warning") -> None:
    """Warnings go to stderr, one located line each, whatever the command: stdout stays the result."""
    from coach.timeline import warning_line

    for warning in warnings:
        click.echo(warning_line(path, warning, kind), err=True)


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
    done = render_file(loaded, Path(output) if output else default_output(loaded), _options(length, include), spec,
                       int(bitrate), ClipCache(default_dir()), _stage(), force, chapters)
    _report(done)


@cli.command()
@click.argument("routine", shell_complete=_complete_routine)
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
    options, cache = _options(length, include), ClipCache(default_dir())

    def render_one(loaded):
        spec = choose(loaded.voice, engine, voice, rate)
        target = Path(output) if output else default_output(loaded)
        return render_file(loaded, target, options, spec, int(bitrate), cache, _stage(), chapters=chapters)

    click.echo(f"watching {path} (Ctrl-C to stop)", err=True)
    for outcome in render_on_save(path, render_one):
        if outcome.error is not None:
            click.echo(outcome.error.line(), err=True)
            continue
        changed = f"; changed: {', '.join(outcome.changed)}" if outcome.changed else ""
        _report(outcome.rendered, f" ({outcome.seconds:.1f} s{changed})")


@cli.command()
@click.argument("routines", nargs=-1, required=True, shell_complete=_complete_routine)
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

    target, options, cache = Path(folder), _options(length, include), ClipCache(default_dir())
    entries, changed = [], 0
    for name in routines:
        loaded = load_routine(name)
        spec = choose(loaded.voice, engine, voice, rate)
        written, listed = export_routine(loaded, options, spec, int(bitrate), cache, target, split is not None,
                                         _stage(), chapters)
        entries += listed
        for item in written:
            changed += item.changed
            click.echo(f"{item.path}: {'written' if item.changed else 'unchanged'}")
    playlist_name = Path(load_routine(routines[0]).path).stem if len(routines) == 1 else "coach"
    item = write_playlist(target, playlist_name, entries)
    click.echo(f"{item.path}: {'written' if item.changed else 'unchanged'}")


def _report(done, detail: str = "") -> None:
    from coach.durations import format_seconds
    from coach.wording import plural

    if done.timeline is None:
        click.echo(f"{done.output}: up to date{detail}")
        return
    timeline = done.timeline
    click.echo(f"{done.output}: {format_seconds(timeline.duration / SAMPLE_RATE)}, "
               f"{plural(len(timeline.chapters), 'section')}{detail}")
    _warn(timeline.path, timeline.warnings)


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
    chapters = ChapterByChapter(loaded, _options(length, include), spec, ClipCache(default_dir()))
    session = Session(chapters, Output(device), start_at)
    try:
        if sys.stdin.isatty() and sys.stdout.isatty():
            coach_on_terminal(session, loaded.title)
        else:
            coach_in_lines(session, click.echo)
    finally:
        session.close()


@cli.command()
@click.option("--language", metavar="LANG", help="Only voices for this language (en also lists en-gb, en-us, ...).")
def voices(language: str | None) -> None:
    """List each speech engine's voices once, with languages; * marks the one `auto` uses."""
    from coach.speech.voicelist import describe

    for line in describe(language):
        click.echo(line)


@cli.command()
@ROUTINES
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check(routines: tuple[str, ...], strict: bool) -> None:
    """Validate routines (all sections, optional ones too) and print their warnings; none: the built-in one."""
    from coach import cuesounds
    from coach.compiler import check_routine
    from coach.durations import format_seconds
    from coach.estimate import estimate
    from coach.library import load_routine
    from coach.speech.engines import voice_warnings
    from coach.wording import plural

    exit_code = 0
    for name in routines or (None,):
        try:
            routine = load_routine(name)
            timeline, warnings = check_routine(routine, estimate(routine.voice.rate), cuesounds.length_seconds)
            warnings += voice_warnings(routine.voice)
        except CoachError as error:
            click.echo(error.line(), err=True)
            exit_code = max(exit_code, error.exit_code)
            continue
        _warn(routine.path, warnings, "error" if strict else "warning")
        if strict and warnings:
            exit_code = max(exit_code, EXIT_ROUTINE)
            continue
        length = format_seconds(timeline.duration / SAMPLE_RATE)
        optional = sum(section.optional for section in routine.sections)
        more = f" (+{optional} optional)" if optional else ""
        click.echo(f"{routine.path}: ok, {length} in {plural(len(timeline.chapters), 'section')}{more}")
    sys.exit(exit_code)


def _complete_builtin(context, parameter, incomplete):
    from coach.completion import builtins

    return builtins(incomplete)


@cli.command()
@click.argument("name", required=False)
@click.option("--from", "builtin", metavar="BUILTIN", shell_complete=_complete_builtin,
              help="Copy this built-in routine (see `coach list`) instead of the starter.")
def new(name: str | None, builtin: str | None) -> None:
    """Write a commented starter routine to NAME [default: my-routine.yaml]; never over a file."""
    from coach.starter import write_new

    path = write_new(name, builtin)
    click.echo(f"{path}: written; edit it, then: coach plan {path}")


@cli.command()
def schema() -> None:
    """Print the routine format as a JSON Schema, for editor completion (see docs/routines.md)."""
    from coach.schema import schema_text

    click.echo(schema_text(), nl=False)


@cli.command(name="list")
def list_routines() -> None:
    """List the built-in routines."""
    from coach.durations import format_seconds
    from coach.library import builtin_names, load_routine

    for name in builtin_names():
        routine = load_routine(name)
        timeline = _compile_loaded(routine, None, ())
        click.echo(f"{name:20}  {format_seconds(timeline.duration / SAMPLE_RATE):>8}  {routine.title}")


def _stage():
    from coach.progress import quiet, terminal_stage

    return terminal_stage if sys.stderr.isatty() else quiet


def _exact(routine_name, length, include, engine, voice, rate):
    from coach.library import load_routine
    from coach.exact import exact_timeline
    from coach.speech.cache import ClipCache, default_dir
    from coach.speech.engines import choose

    routine = load_routine(routine_name)
    spec = choose(routine.voice, engine, voice, rate)
    return exact_timeline(routine, _options(length, include), spec, ClipCache(default_dir()), _stage())


def _compile(routine_name: str | None, length: str | None, include: tuple[str, ...]):
    from coach.library import load_routine

    return _compile_loaded(load_routine(routine_name), length, include)


def _compile_loaded(routine, length: str | None, include: tuple[str, ...]):
    from coach import cuesounds
    from coach.compiler import compile_routine
    from coach.estimate import estimate

    options = _options(length, include)
    return compile_routine(routine, options, estimate(routine.voice.rate), cuesounds.length_seconds)


def _options(length: str | None, include: tuple[str, ...]):
    from coach.compiler import Options
    from coach.durations import parse_duration

    target = None
    if length is not None:
        try:
            target = parse_duration(length)
        except ValueError as problem:
            raise UsageError(f"--length: {problem}") from None
        if target <= 0:
            raise UsageError("--length must be longer than zero")
        if target > MAX_TRACK_SECONDS:
            raise UsageError(f"--length is longer than the {MAX_TRACK_SECONDS // 3600} h limit")
    return Options(length=target, include=include)


def main() -> None:
    """Entry point: one line per error, the exit code from the error, no traceback unless --debug.

    A stop signal (Ctrl-C, SIGTERM, SIGHUP) ends the run like an error does: every scratch file is
    removed, and the exit code is 128 + the signal's number, as a shell reports a killed command.
    """
    from coach.interrupts import Stopped, remove_leftovers, stop_on_signals

    stop_on_signals()
    try:
        _run()
    except KeyboardInterrupt:
        remove_leftovers()
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Stopped as stop:
        remove_leftovers()
        click.echo(f"stopped by {stop}", err=True)
        sys.exit(128 + stop.signum)


def _run() -> None:
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:  # click's own word for Ctrl-C at a prompt
        raise KeyboardInterrupt from None
    except click.ClickException as problem:
        problem.show()
        sys.exit(problem.exit_code if problem.exit_code else EXIT_USAGE)
    except CoachError as error:
        if debug:
            raise
        click.echo(error.line(), err=True)
        sys.exit(error.exit_code)
    except Exception as error:  # a bug of ours: still one line, and how to see more
        if debug:
            raise
        click.echo(f"error: internal error: {type(error).__name__}: {error} (rerun with --debug for details)", err=True)
        sys.exit(EXIT_ROUTINE)
