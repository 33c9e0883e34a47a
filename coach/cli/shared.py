"""What every command shares: the command group, its options, and the small steps between
options and library calls (an Options from --length and --with, a progress stage, warnings).

Heavy modules are imported inside the functions so `coach --help` stays instant.
"""

from __future__ import annotations

import sys

import click

from coach.audio.encoder import BITRATES_KBPS
from coach.errors import UsageError
from coach.limits import MAX_TRACK_SECONDS, RATE_RANGE, SAMPLE_RATE
from coach.speech.engines import ENGINE_NAMES


def complete_routine(context, parameter, incomplete):
    from coach.completion import for_shell, routines

    return for_shell(routines(incomplete))


def _complete_section(context, parameter, incomplete):
    from coach.completion import for_shell, optional_sections, routines_on_line

    return for_shell(optional_sections(routines_on_line(), incomplete))


ROUTINE = click.argument("routine", required=False, shell_complete=complete_routine)


ROUTINES = click.argument("routines", nargs=-1, shell_complete=complete_routine)


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


def warn(path: str, warnings, kind: str = "warning") -> None:
    """Warnings go to stderr, one located line each, whatever the command: stdout stays the result."""
    from coach.timeline import warning_line

    for warning in warnings:
        click.echo(warning_line(path, warning, kind), err=True)


def warn_about(timeline) -> None:
    """A compiled session's warnings, then its notes: what every command that makes one prints."""
    warn(timeline.path, timeline.warnings)
    warn(timeline.path, timeline.notes, "note")


def report(done, detail: str = "") -> None:
    from coach.durations import format_seconds
    from coach.wording import plural

    if done.timeline is None:
        click.echo(f"{done.output}: up to date{detail}")
        return
    timeline = done.timeline
    click.echo(f"{done.output}: {format_seconds(timeline.duration / SAMPLE_RATE)}, "
               f"{plural(len(timeline.chapters), 'section')}{detail}")
    warn_about(timeline)


def complete_builtin(context, parameter, incomplete):
    from coach.completion import builtins

    return builtins(incomplete)


def stage():
    from coach.progress import quiet, terminal_stage

    return terminal_stage if sys.stderr.isatty() else quiet


def exact_plan(routine_name, length, include, engine, voice, rate):
    from coach.library import load_routine
    from coach.exact import exact_timeline
    from coach.speech.cache import ClipCache, default_dir
    from coach.speech.engines import choose

    routine = load_routine(routine_name)
    spec = choose(routine.voice, engine, voice, rate)
    return exact_timeline(routine, options_from(length, include), spec, ClipCache(default_dir()), stage())


def compile_named(routine_name: str | None, length: str | None, include: tuple[str, ...]):
    from coach.library import load_routine

    return compile_loaded(load_routine(routine_name), length, include)


def compile_loaded(routine, length: str | None, include: tuple[str, ...]):
    from coach import cuesounds
    from coach.compiler import compile_routine
    from coach.estimate import estimate

    options = options_from(length, include)
    return compile_routine(routine, options, estimate(routine.voice.rate), cuesounds.length_seconds)


def options_from(length: str | None, include: tuple[str, ...]):
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
