"""Where a live session is (steps, phases, what is next), the screen drawn from it, and the playhead's queue."""

from __future__ import annotations

import re

import click
import numpy as np

from coach import cuesounds
from coach.compiler import Options, compile_routine
from coach.estimate import estimate
from coach.limits import SAMPLE_RATE
from coach.live.display import WIDTH, screen, step_line
from coach.live.steps import GET_READY, now, starts
from coach.live.stream import DRAIN_SAMPLES, Stream
from coach.loader import load_text

ROUTINE = """
title: Steps
defaults: {prepare: 3s, switch: 3s, countdown: 3}
sections:
  - name: Stretch
    say: Stretching.
    steps:
      - name: A very long stretch name that goes on and on well past the width of any terminal
        say: Reach, {side}.
        sides: both
        rounds: 2
        duration: 20s
  - name: Breathe
    steps:
      - name: Box
        say: Breathe.
        breathe: {pattern: 4-4-4-4, cycles: 2}
"""


def timeline():
    return compile_routine(load_text(ROUTINE, "steps.yaml"), Options(), estimate(160), cuesounds.length_seconds)


def first(events, **where):
    return next(e for e in events if all(getattr(e, key) == value for key, value in where.items()))


def test_every_turn_and_chapter_starts_a_step_in_time_order():
    plan = timeline()
    marks = starts(plan)
    assert [start for start, _ in marks] == sorted(start for start, _ in marks)
    names = [(step.section, step.step, step.side, step.round) for _, step in marks]
    long = first(plan.events, role="instruction").step
    assert names == [("Stretch", None, None, None), ("Stretch", long, "right", 1), ("Stretch", long, "left", 1),
                     ("Stretch", long, "right", 2), ("Stretch", long, "left", 2),
                     ("Breathe", None, None, None), ("Breathe", "Box", None, 1)]
    assert marks[2][0] == first(plan.events, side="left", round=1).start


def test_a_section_of_two_rounds_has_a_step_for_every_time_through():
    routine = "title: R\nsections:\n  - name: Hips\n    rounds: 2\n    steps:\n" \
              "      - {name: Pigeon, say: 'Pigeon, {side} knee forward.', sides: both, duration: 20s}\n"
    plan = compile_routine(load_text(routine, "r.yaml"), Options(), estimate(160), cuesounds.length_seconds)
    names = [(step.step, step.side, step.round) for _, step in starts(plan)]
    assert names == [(None, None, None), ("Pigeon", "right", 1), ("Pigeon", "left", 1),
                     ("Pigeon", "right", 2), ("Pigeon", "left", 2)]
    assert [e.content for e in plan.events if e.role == "section" and e.kind == "speech"] == [
        "Hips", "Set one of two.", "Set two of two."]


def test_phases_count_down_to_the_next_onset():
    plan = timeline()
    marks = starts(plan)
    hold = first(plan.events, role="start", side="right", round=1)
    ready = now(plan, marks, hold.start - SAMPLE_RATE)
    assert (ready.phase, ready.phase_left, ready.rounds) == (GET_READY, SAMPLE_RATE, 2)
    holding = now(plan, marks, hold.start + SAMPLE_RATE)
    assert holding.phase == "hold" and holding.phase_left == 19 * SAMPLE_RATE
    assert holding.next.side == "left"
    inhale = first(plan.events, role="inhale")
    breathing = now(plan, marks, inhale.start + SAMPLE_RATE)
    assert (breathing.phase, breathing.phase_left) == ("breathe in", 3 * SAMPLE_RATE)
    exhale = first(plan.events, role="exhale")
    assert now(plan, marks, exhale.start).phase == "breathe out"
    assert now(plan, marks, plan.duration - 1).phase is None and now(plan, marks, plan.duration - 1).next is None


def test_screen_fits_80_columns_and_says_what_is_going_on():
    plan = timeline()
    marks = starts(plan)
    hold = first(plan.events, role="start", side="left", round=2)
    shown = screen(plan.title, now(plan, marks, hold.start + SAMPLE_RATE // 2), hold.start, plan.duration,
                   paused=True, complete=True)
    plain = [click.unstyle(line) for line in shown]
    assert all(len(line) <= 80 for line in plain), plain
    text = "\n".join(plain)
    assert "paused" in text and "round 2 of 2" in text and "hold: 20 s" in text and "Next: Breathe" in text
    assert re.search(r"\] \d:\d\d\.\d / \d:\d\d\.\d +\d:\d\d\.\d left", text), text
    assert max(len(line) for line in plain) <= WIDTH


def test_screen_before_the_rest_is_placed_does_not_promise_the_end():
    plan = timeline()
    marks = starts(plan)[:2]
    shown = "\n".join(click.unstyle(line) for line in screen(plan.title, now(plan, marks, marks[1][0]), marks[1][0],
                                                                plan.duration, paused=False, complete=False))
    assert "Next: …" in shown and "left" not in shown.splitlines()[-2]


def test_step_line_gives_the_steps_start():
    plan = timeline()
    marks = starts(plan)
    assert step_line(now(plan, marks, marks[1][0] + 5 * SAMPLE_RATE)).startswith("0:")
    assert step_line(now(plan, marks, marks[-1][0] + 1)).endswith("Breathe › Box")


def test_stream_moves_only_when_frames_are_taken_and_never_while_paused():
    stream = Stream()
    stream.push(np.arange(1, 101, dtype=np.int16), 0, 0)
    assert np.frombuffer(stream.fill(30), "<i2").tolist() == list(range(1, 31)) and stream.position == 30
    stream.set_paused(True)
    assert not np.frombuffer(stream.fill(30), "<i2").any() and stream.position == 30
    stream.set_paused(False)
    taken = np.frombuffer(stream.fill(100), "<i2")
    assert taken[:70].tolist() == list(range(31, 101)) and not taken[70:].any() and stream.position == 100


def test_a_seek_drops_what_was_queued_for_the_old_place():
    stream = Stream()
    stream.push(np.ones(50, dtype=np.int16), 0, 0)
    stream.seek(1000)
    stream.push(np.ones(50, dtype=np.int16), 50, 0)  # mixed before the seek: dropped
    assert stream.room(10) == (1000, 1)
    stream.push(np.full(5, 7, dtype=np.int16), 1000, 1)
    assert np.frombuffer(stream.fill(5), "<i2").tolist() == [7] * 5 and stream.position == 1005


def test_the_session_ends_once_the_device_has_played_out_the_last_sample():
    stream = Stream()
    stream.push(np.ones(10, dtype=np.int16), 0, 0)
    stream.set_end(10)
    stream.fill(10)
    assert not stream.finished.is_set()
    stream.fill(DRAIN_SAMPLES)
    assert stream.finished.is_set()
