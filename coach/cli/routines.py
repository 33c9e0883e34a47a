"""Commands about routines themselves: plan, check, list, new, schema, voices."""

from __future__ import annotations

import sys

import click

from coach.cli.shared import (ENGINE, LENGTH, RATE, ROUTINE, ROUTINES, VOICE, WITH, cli, compile_loaded,
                              complete_builtin, exact_plan, options_from, warn, warn_about)
from coach.errors import EXIT_ROUTINE, CoachError
from coach.limits import SAMPLE_RATE


@cli.command()
@ROUTINE
@click.option("--json", "as_json", is_flag=True, help="Print the coach-timeline/1 JSON document.")
@click.option("--exact", is_flag=True, help="Place speech by the real clips' lengths (synthesizes them).")
@click.option("--stats", is_flag=True, help="Print, per section, how much is said and the longest silence.")
@LENGTH
@WITH
@ENGINE
@VOICE
@RATE
def plan(routine: str | None, as_json: bool, exact: bool, stats: bool, length: str | None, include: tuple[str, ...],
         engine: str | None, voice: str | None, rate: int | None) -> None:
    """Print the timeline: when every word and sound happens.

    Phrases already in the clip cache (after a render, say) are placed by their real length, so the
    plan is the MP3 to the millisecond; the others by the speaking rate, and a line says how many.
    """
    from coach.stats import to_stats_table
    from coach.timeline import to_json, to_table
    from coach.wording import plural

    estimated = 0
    if exact:
        timeline = exact_plan(routine, length, include, engine, voice, rate).timeline
    else:
        timeline, estimated = _planned(routine, length, include, engine, voice, rate)
    shown = to_json(timeline) if as_json else to_stats_table(timeline) if stats else to_table(timeline)
    click.echo(shown, nl=False)
    warn_about(timeline)
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
        return compile_loaded(routine, length, include), -1
    return cached_timeline(routine, options_from(length, include), spec, ClipCache(default_dir()))


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
        warn(routine.path, warnings, "error" if strict else "warning")
        if strict and warnings:
            exit_code = max(exit_code, EXIT_ROUTINE)
            continue
        length = format_seconds(timeline.duration / SAMPLE_RATE)
        optional = sum(section.optional for section in routine.sections)
        more = f" (+{optional} optional)" if optional else ""
        click.echo(f"{routine.path}: ok, {length} in {plural(len(timeline.chapters), 'section')}{more}")
        warn(routine.path, timeline.notes, "note")  # still heard, only later: never an error
    sys.exit(exit_code)


@cli.command()
@click.argument("name", required=False)
@click.option("--from", "builtin", metavar="BUILTIN", shell_complete=complete_builtin,
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
        timeline = compile_loaded(routine, None, ())
        click.echo(f"{name:20}  {format_seconds(timeline.duration / SAMPLE_RATE):>8}  {routine.title}")


@cli.command()
@click.option("--language", metavar="LANG", help="Only voices for this language (en also lists en-gb, en-us, ...).")
def voices(language: str | None) -> None:
    """List each speech engine's voices once, with languages; * marks the one `auto` uses."""
    from coach.speech.voicelist import describe

    for line in describe(language):
        click.echo(line)
