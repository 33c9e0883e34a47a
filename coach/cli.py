"""The `coach` command: turns options into library calls, prints, maps errors to exit codes.

Heavy modules are imported inside the commands so `coach --help` stays instant.
"""

from __future__ import annotations

import sys

import click

from coach.errors import EXIT_USAGE, CoachError, UsageError

ROUTINE = click.argument("routine", required=False)
LENGTH = click.option("--length", "length", metavar="T", help="Target length (e.g. 22m); ranges are fitted to it.")
WITH = click.option("--with", "include", multiple=True, metavar="SECTION", help="Include an optional section.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.version_option(package_name="coach")
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """Voice-guided audio coach: routines in YAML, spoken with exact timing.

    ROUTINE is a YAML file or a built-in routine name (see `coach list`);
    without one, the built-in runner recovery routine is used.
    """
    context.obj = {"debug": debug}


@cli.command()
@ROUTINE
@click.option("--json", "as_json", is_flag=True, help="Print the coach-timeline/1 JSON document.")
@LENGTH
@WITH
def plan(routine: str | None, as_json: bool, length: str | None, include: tuple[str, ...]) -> None:
    """Print the timeline: when every word and sound happens."""
    from coach.timeline import to_json, to_table

    timeline = _compile(routine, length, include)
    click.echo(to_json(timeline) if as_json else to_table(timeline), nl=False)


@cli.command()
@click.argument("routines", nargs=-1, required=True)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check(routines: tuple[str, ...], strict: bool) -> None:
    """Validate routines (all sections, optional ones too) and print their warnings."""
    from coach.durations import format_seconds
    from coach.library import load_routine
    from coach.limits import SAMPLE_RATE

    failed = False
    for name in routines:
        try:
            routine = load_routine(name)
            timeline = _compile_loaded(routine, None, ())
            optional = tuple(section.name for section in routine.sections if section.optional)
            # Optional sections are checked too, but at their shortest: adding one is
            # expected to take a session past its target length.
            extra = _compile_loaded(routine, None, optional, fit=False).warnings if optional else ()
        except CoachError as error:
            click.echo(error.line(), err=True)
            failed = True
            continue
        warnings = dict.fromkeys(timeline.warnings + extra)
        kind = "error" if strict else "warning"
        for warning in warnings:
            click.echo(f"{routine.path}:{warning.line or 1}:1: {kind}: {warning.message}", err=True)
        failed = failed or (strict and bool(warnings))
        length = format_seconds(timeline.duration / SAMPLE_RATE)
        more = f" (+{len(optional)} optional)" if optional else ""
        click.echo(f"{routine.path}: ok, {length} in {len(timeline.chapters)} sections{more}")
    if failed:
        sys.exit(1)


@cli.command(name="list")
def list_routines() -> None:
    """List the built-in routines."""
    from coach.durations import format_seconds
    from coach.library import builtin_names, load_routine
    from coach.limits import SAMPLE_RATE

    for name in builtin_names():
        routine = load_routine(name)
        timeline = _compile_loaded(routine, None, ())
        click.echo(f"{name:20}  {format_seconds(timeline.duration / SAMPLE_RATE):>8}  {routine.title}")


def _compile(routine_name: str | None, length: str | None, include: tuple[str, ...]):
    from coach.library import load_routine

    return _compile_loaded(load_routine(routine_name), length, include)


def _compile_loaded(routine, length: str | None, include: tuple[str, ...], fit: bool = True):
    from coach import cuesounds
    from coach.compiler import Options, compile_routine
    from coach.durations import parse_duration
    from coach.estimate import estimate

    target = None
    if length is not None:
        try:
            target = parse_duration(length)
        except ValueError as problem:
            raise UsageError(f"--length: {problem}") from None
    options = Options(length=target, include=include, fit=fit)
    return compile_routine(routine, options, estimate(routine.voice.rate), cuesounds.length_seconds)


def main() -> None:
    """Entry point: one line per error, the exit code from the error, no traceback unless --debug."""
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as problem:
        problem.show()
        sys.exit(problem.exit_code if problem.exit_code else EXIT_USAGE)
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        sys.exit(130)
    except CoachError as error:
        if debug:
            raise
        click.echo(error.line(), err=True)
        sys.exit(error.exit_code)
