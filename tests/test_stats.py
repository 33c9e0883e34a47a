"""`coach plan --stats`: utterances, stock wording, hold time and the longest silence, per section."""

from __future__ import annotations

from coach import cuesounds
from coach.compiler import Options, compile_routine
from coach.estimate import estimate
from coach.limits import SAMPLE_RATE
from coach.loader import load_text
from coach.stats import section_stats, to_stats_table
from coach.timeline import Chapter, Event, Timeline
from tests.test_cli import run

S = SAMPLE_RATE


def speech(start, end, role, step=None):
    return Event(start * S, end * S, "speech", role, role, "A", step, None, 1, 1)


def sound(start, role, step):
    return Event(start * S, start * S + S // 2, "sound", role, "chime", "A", step, None, 1, 1)


def timeline(events, chapters):
    return Timeline("t", None, None, "t.yaml", chapters[-1].end, tuple(chapters), tuple(events), ())


def test_counts_stock_hold_time_and_the_longest_silence_per_section():
    events = [speech(0, 2, "section"), speech(3, 5, "instruction", "Hold"), sound(10, "start", "Hold"),
              speech(10, 11, "start", "Hold"), speech(37, 38, "countdown", "Hold"), sound(40, "end", "Hold"),
              speech(40, 41, "end", "Hold"), speech(50, 52, "section")]
    first, second = section_stats(timeline(events, [Chapter("A", 0, 50 * S), Chapter("B", 50 * S, 60 * S)]))
    assert (first.utterances, first.stock, first.hold) == (5, 3, 30 * S)
    assert first.longest_silence == 26 * S  # 11 s to 37 s: the start cue's sound does not break it
    assert first.stock_per_hold_minute == 6.0
    assert first.per_minute == 6.0
    assert (second.utterances, second.stock, second.longest_silence, second.stock_per_hold_minute) == (1, 0, 8 * S, None)


def test_breathing_counts_from_the_first_in_breath_to_its_end_cue():
    events = [speech(0, 1, "instruction", "Breathe"), Event(5 * S, 5 * S + 10, "sound", "inhale", "rise", "A",
                                                               "Breathe", None, 1, 1),
              sound(65, "end", "Breathe")]
    (stats,) = section_stats(timeline(events, [Chapter("A", 0, 70 * S)]))
    assert stats.hold == 60 * S and stats.longest_silence == 69 * S  # to the end of the section


def test_plan_stats_prints_a_row_per_section_and_the_whole_session():
    result = run("plan", "--stats")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["section", "length", "utterances"]
    assert lines[-1].startswith("whole session")
    sections = run("plan", "--json")
    assert len(lines) == 2 + len(__import__("json").loads(sections.stdout)["chapters"])


def test_the_table_lines_up_its_columns():
    table = to_stats_table(timeline([speech(0, 2, "section")], [Chapter("A long title", 0, 10 * S)]))
    header, row, whole = table.splitlines()
    assert len(row) == len(whole) == len(header)


def test_hold_time_counts_with_the_sounds_switched_off():
    routine = load_text("title: T\nsounds: {start: none, end: none}\nsections:\n  - name: A\n    steps:\n"
                        "      - {name: H, duration: 40s}\n", "quiet.yaml")
    (stats,) = section_stats(compile_routine(routine, Options(), estimate(160), cuesounds.length_seconds))
    assert stats.hold == 40 * S
