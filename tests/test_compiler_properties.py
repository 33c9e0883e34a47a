"""Timing invariants of the compiler, checked on generated routines (spec: timeline.md).

Routines are generated as plain data, dumped to YAML and loaded with
`load_text`, so every property is checked on what a user could write. Speech
is measured by a fake from the text length; a slow one makes speech collide.
Expected times are computed here from the generated numbers and the spec,
never by calling the placement code, except the length fitter's oracle,
which compiles at hand-picked fractions with `placement.build`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from coach import cuesounds
from coach.compiler import Options, chosen_sections, compile_routine, ranges_in
from coach.durations import Span, format_seconds
from coach.limits import COUNTDOWN_MIN_SECONDS, PREVIEW_MIN_HOLD_SECONDS, SAMPLE_RATE as SR
from coach.loader import load_text
from coach.placement import build
from coach.routine import NUMBER_WORDS, Breathing, Hold, Routine
from coach.timeline import to_json

# deadline=None: a busy 2-core CI machine must not turn slow examples into failures
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=60)
TAIL = round(Fraction(3, 2) * SR)


def fast_measure(text: str) -> float:
    return 0.05 * len(text) + 0.1


def slow_measure(text: str) -> float:
    """Slow enough that countdown words, breath counts and cues run into each other."""
    return 0.15 * len(text) + 0.3


def samples(seconds) -> int:
    return round(Fraction(seconds) * SR)


# ---------------------------------------------------------------- generators

WORDS = ("breathe", "slowly", "relax", "your", "shoulders", "keep", "the", "knee", "soft",
         "hips", "long", "spine", "gently", "press", "down", "and", "hold", "still")


@dataclass
class Truth:
    """What the generator meant, to check the loaded routine and the timeline against."""

    holds: dict[str, tuple[Fraction, Fraction]] = field(default_factory=dict)
    """hold name -> (lo, hi) seconds of its duration"""
    breaths: dict[str, tuple[Fraction, Fraction, Fraction, Fraction]] = field(default_factory=dict)
    """breathing name -> (inhale, hold, exhale, hold_after) seconds"""
    breath_lengths: dict[str, tuple[int, int] | int] = field(default_factory=dict)
    """breathing name -> (lo, hi) seconds of its `duration`, or its number of `cycles`"""


@dataclass
class Generated:
    text: str
    truth: Truth
    include: tuple[str, ...]


def sentence(max_words: int = 6):
    return st.lists(st.sampled_from(WORDS), min_size=1, max_size=max_words).map(
        lambda words: " ".join(words).capitalize() + ".")


def duration_text(seconds: int):
    """One of the ways people write a whole number of seconds."""
    forms = [seconds, f"{seconds}s", f"{seconds} s"]
    if seconds >= 60:
        forms += [f"{seconds // 60}m{seconds % 60}s" if seconds % 60 else f"{seconds // 60}m",
                  f"{seconds // 60}:{seconds % 60:02d}"]
    return st.sampled_from(forms)


def range_text(lo: int, hi: int):
    forms = [f"{lo}-{hi}s", f"{lo}s-{hi}s"]
    if lo % 60 == 0 and hi % 60 == 0:
        forms.append(f"{lo // 60}m-{hi // 60}m")
    return st.sampled_from(forms)


@st.composite
def span(draw, lo_min: int, lo_max: int, max_width: int):
    """(yaml value, lo, hi): a fixed duration or, one time in three, a range."""
    lo = draw(st.integers(lo_min, lo_max))
    if draw(st.integers(0, 2)) == 0:
        hi = lo + draw(st.integers(1, max_width))
        return draw(range_text(lo, hi)), lo, hi
    return draw(duration_text(lo)), lo, lo


@st.composite
def cues(draw, sides: bool):
    result = []
    for _ in range(draw(st.integers(0, 2))):
        say = draw(st.lists(sentence(4), min_size=1, max_size=3))
        if sides and draw(st.booleans()):
            say[0] = "Now the {side} side."
        kind = draw(st.sampled_from(["at", "at", "negative", "every"]))
        if kind == "at":
            cue = {"at": f"{draw(st.integers(0, 70))}s"}
        elif kind == "negative":
            cue = {"at": f"-{draw(st.integers(1, 30))}s"}
        else:
            cue = {"every": f"{draw(st.integers(5, 30))}s"}
        result.append({**cue, "say": say if len(say) > 1 or draw(st.booleans()) else say[0]})
    return result


TIMING = {
    "prepare": st.sampled_from(["0s", "1s", "2.5s", 3, "5s"]),
    "switch": st.sampled_from([0, "1s", "2.5s", 5]),
    "countdown": st.sampled_from([0, 3, 5]),
    "count_in": st.sampled_from([0, 2, 3]),
    "halfway": st.booleans(),
}


@st.composite
def timing_overrides(draw, keys=tuple(TIMING)):
    """Some of the timing keys a routine, section or step may override."""
    return {key: draw(TIMING[key]) for key in draw(st.lists(st.sampled_from(keys), unique=True))}


@st.composite
def quarter_span(draw):
    """(yaml value, lo, hi) in quarter seconds, like `2.25s` or `2.25-4s` (widths need not be whole)."""
    lo = Fraction(draw(st.integers(4, 480)), 4)
    hi = lo if draw(st.booleans()) else lo + Fraction(draw(st.integers(1, 160)), 4)
    text = lambda value: f"{float(value):g}"
    return (f"{text(lo)}s" if hi == lo else f"{text(lo)}-{text(hi)}s"), lo, hi


@st.composite
def hold_step(draw, name: str, truth: Truth):
    value, lo, hi = draw(quarter_span() if draw(st.integers(0, 4)) == 0 else span(1, 120, 40))
    truth.holds[name] = (lo, hi)
    sides = draw(st.sampled_from([None, "both", ["left", "right"], ["left"], "right"]))
    step = {"name": name, "duration": value}
    if sides:
        step["sides"] = sides
    if draw(st.integers(0, 4)):  # else the name is the instruction
        step["say"] = draw(sentence()) + (" Use the {side} leg." if sides and draw(st.booleans()) else "")
    if draw(st.booleans()):
        step["rounds"] = draw(st.integers(1, 3))
    step.update(draw(timing_overrides()))
    step_cues = draw(cues(bool(sides)))
    if step_cues:
        step["cues"] = step_cues
    return step


PATTERNS = {"4-6": (4, 0, 6, 0), "4-7-8": (4, 7, 8, 0), "4-4-4-4": (4, 4, 4, 4)}
QUARTERS = st.integers(4, 24).map(lambda quarters: Fraction(quarters, 4))  # 1 s to 6 s


@st.composite
def breathing_step(draw, name: str, truth: Truth):
    breathe = {}
    if draw(st.booleans()):
        pattern = draw(st.sampled_from(sorted(PATTERNS)))
        breathe["pattern"] = pattern
        phases = tuple(Fraction(p) for p in PATTERNS[pattern])
    else:
        inhale, exhale = draw(QUARTERS), draw(QUARTERS)
        hold = draw(st.one_of(st.just(Fraction(0)), QUARTERS))
        hold_after = draw(st.one_of(st.just(Fraction(0)), QUARTERS))
        phases = (inhale, hold, exhale, hold_after)
        for key, value in zip(("inhale", "hold", "exhale", "hold_after"), phases):
            if value or draw(st.booleans()):
                breathe[key] = float(value) if draw(st.booleans()) else f"{float(value)}s"
    truth.breaths[name] = phases
    if draw(st.booleans()):
        breathe["cycles"] = truth.breath_lengths[name] = draw(st.integers(1, 6))
    else:
        value, lo, hi = draw(span(math.ceil(sum(phases)), 90, 30))
        breathe["duration"], truth.breath_lengths[name] = value, (lo, hi)
    count = draw(st.sampled_from([None, 0, 1, 2, 3, "all"]))
    if count is not None:
        breathe["count"] = count
    step = {"name": name, "say": draw(sentence()), "breathe": breathe}
    step.update(draw(timing_overrides(("prepare",))))
    step_cues = draw(cues(False))
    if step_cues:
        step["cues"] = step_cues
    return step


@st.composite
def other_step(draw):
    if draw(st.booleans()):
        say = draw(st.lists(sentence(), min_size=1, max_size=2))
        step = {"say": say if len(say) > 1 else say[0]}
        if draw(st.booleans()):
            step["pause"] = draw(st.sampled_from([0, "2s", "1-3s", "0-4s"]))
        return step
    step = {"rest": draw(st.sampled_from([1, "5s", "10s", 20, "3-8s", "1-12s"]))}
    if draw(st.integers(0, 3)) == 0:
        step["say"] = draw(sentence())
    return step


@st.composite
def routines(draw, max_sections: int = 3, max_steps: int = 3) -> Generated:
    truth = Truth()
    sections, include = [], []
    for number in range(1, draw(st.integers(1, max_sections)) + 1):
        steps = []
        for index in range(1, draw(st.integers(1, max_steps)) + 1):
            name = f"Step {number}.{index}"
            kind = draw(st.sampled_from(["hold", "hold", "breathing", "other"]))
            step = draw({"hold": hold_step(name, truth), "breathing": breathing_step(name, truth),
                         "other": other_step()}[kind])
            if kind != "other" and draw(st.integers(0, 3)) == 0:
                step["rest"] = draw(st.sampled_from(["0s", "3s", 7, "0-10s", "2-20s"]))
            steps.append(step)
        section = {"name": f"Part {number}", "steps": steps}
        if draw(st.booleans()):
            section["say"] = draw(sentence())
        if draw(st.integers(0, 3)) == 0:
            section["optional"] = True
            if draw(st.booleans()):
                include.append(section["name"])
        if draw(st.integers(0, 4)) == 0:
            section["rounds"] = 2
        if draw(st.integers(0, 3)) == 0:
            section.update(draw(timing_overrides()))
        sections.append(section)
    if all(section.get("optional") and section["name"] not in include for section in sections):
        include.append(sections[0]["name"])  # playing nothing is not what these properties are about
    data = {"title": "Generated", "defaults": draw(timing_overrides()), "sections": sections}
    return Generated(yaml.safe_dump(data, sort_keys=False), truth, tuple(include))


# ---------------------------------------------------------------- helpers


def compile_text(generated: Generated, measure=fast_measure, length: Fraction | None = None):
    routine = load_text(generated.text, "generated.yaml")
    timeline = compile_routine(routine, Options(length=length, include=generated.include),
                               measure, cuesounds.length_seconds)
    return routine, timeline


def included_sections(routine: Routine, generated: Generated):
    return chosen_sections(routine, generated.include)


def steps_of(sections, kind):
    return [(section, step) for section in sections for step in section.steps if isinstance(step, kind)]


def of_step(timeline, name: str, **where):
    return [event for event in timeline.events
            if event.step == name and all(getattr(event, key) == value for key, value in where.items())]


def hold_occurrences(timeline, name: str):
    """(start sound, end sound) of each time the hold is played, in order."""
    starts = of_step(timeline, name, kind="sound", role="start")
    ends = of_step(timeline, name, kind="sound", role="end")
    assert len(starts) == len(ends)
    for start, end in zip(starts, ends):
        assert (start.side, start.round) == (end.side, end.round)
    return list(zip(starts, ends))


def warned_lines(timeline) -> Counter:
    return Counter(warning.line for warning in timeline.warnings)


def cue_times(cues, seconds: Fraction):
    """(cue, offset, text) of every tick, as the spec reads: `at` (negative from the end), `every`."""
    for cue in cues:
        if cue.at is not None:
            yield cue, (cue.at if cue.at >= 0 else seconds + cue.at), " ".join(cue.lines)
        else:
            tick = 1
            while cue.every * tick < seconds:
                yield cue, cue.every * tick, cue.lines[(tick - 1) % len(cue.lines)]
                tick += 1


def resolved(lo: Fraction, hi: Fraction, fraction: Fraction) -> Fraction:
    """The spec's resolved range: `fraction` of the span, in whole seconds past `lo`."""
    return lo + math.floor((hi - lo) * fraction)


def fill(text: str, side: str | None) -> str:
    return text.replace("{side}", side) if side else text


# ---------------------------------------------------------------- the properties


def speech_samples(measure, text: str) -> int:
    """What the spec places for `text`: its measured length in whole samples (at least one)."""
    return max(1, math.ceil(measure(text) * SR - 1e-6))


def check_holds(routine, generated, timeline, fraction: Fraction, strict: bool, measure=None) -> None:
    """(a) start-to-end exactly the resolved duration; hold start after instruction + prepare (or its
    count-in); the instruction names the step, side and round; countdown, halfway, user cues and
    the preview inside the hold and never across a fixed cue."""
    measure = measure or fast_measure
    sections = included_sections(routine, generated)
    for section, step in steps_of(sections, Hold):
        lo, hi = generated.truth.holds[step.name]
        assert (step.duration.lo, step.duration.hi) == (lo, hi)
        seconds = resolved(lo, hi, fraction)
        duration = samples(seconds)
        occurrences = hold_occurrences(timeline, step.name)
        sides = step.sides or (None,)
        assert len(occurrences) == section.rounds * step.rounds * len(sides)
        for index, (start, end) in enumerate(occurrences):
            turn = index % (step.rounds * len(sides))
            # `round` counts every time through the step, the section's rounds included.
            assert (start.round, start.side) == (index // len(sides) + 1, sides[index % len(sides)])
            s, e = start.start, end.start
            assert e - s == duration
            events = [ev for ev in of_step(timeline, step.name, side=start.side, round=start.round)
                      if s <= ev.start <= e]
            # the hold starts `prepare` after the instruction (or `switch` after the switch phrase)
            lead = [ev for ev in of_step(timeline, step.name, side=start.side, round=start.round, kind="speech")
                    if ev.role in ("instruction", "switch") and ev.end <= s]
            assert lead, "no instruction before the hold"
            said = lead[-1]
            gap = step.timing.switch if said.role == "switch" else step.timing.prepare
            check_count_in(step, said, s, gap, timeline, measure, strict)
            if turn == 0 or not step.sides:
                assert said.role == "instruction"
            elif len(step.sides) > 1:
                assert said.role == "switch"
            check_where_said(step, said, start.side, turn // len(sides) + 1, sides)
            # one side played in rounds: see test_one_side_in_rounds_is_not_a_switch
            speech = {ev.role: ev for ev in events if ev.kind == "speech"}
            assert "end" in speech and speech["end"].start == e and speech["end"].content == routine.phrases.end
            if strict and not step.timing.count_in:
                assert speech["start"].start == s and speech["start"].content == routine.phrases.begin
            assert "start" not in speech or not step.timing.count_in  # "Go." marks the start instead
            fixed = [s, e]
            countdown = min(step.timing.countdown, len(NUMBER_WORDS))
            if countdown and seconds >= COUNTDOWN_MIN_SECONDS:
                fixed += [e - count * SR for count in range(1, countdown + 1)]
                words = {ev.start: ev.content for ev in events if ev.role == "countdown"}
                expected = {e - count * SR: NUMBER_WORDS[count - 1].capitalize()
                            for count in range(1, countdown + 1)}
                assert words.items() <= expected.items()
                if strict:
                    assert words == expected
            else:
                assert not [ev for ev in events if ev.role == "countdown"]
            for ev in events:
                if ev.role in ("halfway", "cue"):
                    assert s <= ev.start and ev.end <= e
                    assert not [onset for onset in fixed if ev.start < onset < ev.end], "moved across a fixed cue"
            halfway = [ev for ev in events if ev.role == "halfway"]
            if step.timing.halfway and seconds >= 20:
                assert len(halfway) == 1 or step.line in warned_lines(timeline)
                if strict:
                    assert halfway
                assert all(ev.start >= s + duration // 2 for ev in halfway)
            else:
                assert not halfway
            check_hold_cues(step, seconds, start.side, [ev for ev in events if ev.role == "cue"], timeline)
            for ev in events:
                if ev.role == "preview":  # in the second half, done 0.5 s before the next fixed onset
                    assert seconds >= PREVIEW_MIN_HOLD_SECONDS and s + duration // 2 <= ev.start
                    assert ev.end + SR // 2 <= min(onset for onset in fixed if onset > s + duration // 2)


def check_count_in(step, said, s, gap, timeline, measure, strict: bool) -> None:
    """The hold starts `gap` after the lead-in words, or later when its count-in needs longer;
    "Go." ends exactly at the start, each number a whole second before the next."""
    count = min(step.timing.count_in, len(NUMBER_WORDS))
    go = speech_samples(measure, "Go.") if count else 0
    assert s == max(said.end + samples(gap), said.end + SR // 2 + count * SR + go if count else 0)
    words = {(ev.start, ev.end, ev.content) for ev in of_step(timeline, step.name, role="countin")
             if said.end <= ev.start < s}
    expected = {(s - go - k * SR, s - go - k * SR + speech_samples(measure, NUMBER_WORDS[k - 1].capitalize()),
                 NUMBER_WORDS[k - 1].capitalize()) for k in range(1, count + 1)}
    if count:
        expected.add((s - go, s, "Go."))
    assert words <= expected
    if strict:
        assert words == expected
    elif words != expected:
        assert step.line in warned_lines(timeline)


def check_where_said(step, said, side, number: int, sides) -> None:
    """A turn's first words say where the listener is: the step (first turn), side and round."""
    text = said.content.casefold()
    if said.role == "instruction":
        assert text.startswith(step.name.casefold()) or step.name.casefold() in step.say.casefold()
    if side:  # named by the side phrase, or by `say` itself
        assert re.search(rf"\b{side}\b", text)
    starts_round = said.role == "instruction" or side == sides[0]
    announced = f"round {NUMBER_WORDS[number - 1]} of {NUMBER_WORDS[step.rounds - 1]}."
    assert (announced in text) == (step.rounds > 1 and starts_round)


def check_hold_cues(step, seconds, side, events, timeline) -> None:
    """Each user cue is said (maybe later) or left out with a warning at its line."""
    expected = Counter()
    cue_of_text = {}
    for cue, offset, text in cue_times(step.cues, seconds):
        if 0 <= offset < seconds:
            expected[fill(text, side)] += 1
            cue_of_text.setdefault(fill(text, side), []).append(cue)
        else:
            assert cue.line in warned_lines(timeline)
    said = Counter(ev.content for ev in events)
    assert said <= expected
    for text, count in expected.items():
        if said[text] < count:
            assert any(cue.line in warned_lines(timeline) for cue in cue_of_text[text])


def check_breathing(routine, generated, timeline, fraction: Fraction, strict: bool) -> None:
    """(c) phase onsets at t0 + k*P + offset exactly; counts on whole seconds; cues on exhales."""
    sections = included_sections(routine, generated)
    for section, step in steps_of(sections, Breathing):
        breath = step.breath
        phases = generated.truth.breaths[step.name]
        assert (breath.inhale, breath.hold, breath.exhale, breath.hold_after) == phases
        period = breath.period
        # (role, offset in seconds, length in seconds) of each phase that lasts
        offsets, at = [], Fraction(0)
        for role, length in zip(("inhale", "hold", "exhale", "hold"), phases):
            if length:
                offsets.append((role, at, length))
            at += length
        length = generated.truth.breath_lengths[step.name]
        if isinstance(length, int):
            cycles = length
        else:
            cycles = math.floor(resolved(*length, fraction) / sum(phases))
            assert (breath.length.lo, breath.length.hi) == length
        instructions = of_step(timeline, step.name, role="instruction")
        assert len(instructions) == section.rounds
        for number, instruction in enumerate(instructions):
            t0 = instruction.end + samples(step.timing.prepare)
            stop = instructions[number + 1].start if number + 1 < len(instructions) else math.inf
            events = [ev for ev in of_step(timeline, step.name) if instruction.start <= ev.start < stop]
            expected_phases, expected_counts, exhales = set(), set(), []
            for k in range(cycles):
                counted = breath.counted is None or k < breath.counted
                for role, offset, length in offsets:
                    onset = t0 + samples(k * period + offset)  # exact time, rounded once: no drift
                    expected_phases.add((role, onset, "speech" if counted else "sound"))
                    if role == "exhale" and not counted:
                        exhales.append((onset, onset + samples(length)))
                    if counted:
                        for second in range(1, min(math.floor(length), len(NUMBER_WORDS))):
                            expected_counts.add((onset + second * SR, NUMBER_WORDS[second]))
            phases_seen = {(ev.role, ev.start, ev.kind) for ev in events if ev.role in ("inhale", "hold", "exhale")}
            counts_seen = {(ev.start, ev.content) for ev in events if ev.role == "count"}
            inhale_onsets = sorted(start for role, start, _ in phases_seen if role == "inhale")
            assert set(inhale_onsets) <= {t0 + samples(k * period) for k in range(cycles)}
            assert phases_seen <= expected_phases and counts_seen <= expected_counts
            if strict:
                assert phases_seen == expected_phases and counts_seen == expected_counts
            else:  # sounds are never left out, only words
                assert {p for p in expected_phases if p[2] == "sound"} <= phases_seen
            end = [ev for ev in events if ev.role == "end" and ev.kind == "sound"]
            assert [ev.start for ev in end] == [t0 + samples(cycles * period)]
            check_breathing_cues(step, t0, t0 + samples(cycles * period), exhales,
                                 [ev for ev in events if ev.role == "cue"], timeline)


def check_breathing_cues(step, t0, end, exhales, events, timeline) -> None:
    """Cues start on an uncounted exhale onset at or after their time and end within that exhale;
    one not said is warned about, one said more than 1 s late gets a note."""
    due = {}  # text -> (due sample, cue) of each tick
    for cue, offset, text in cue_times(step.cues, Fraction(end - t0, SR)):
        due.setdefault(text, []).append((t0 + samples(offset), cue))
    said = Counter(ev.content for ev in events)
    for text, ticks in due.items():
        if said[text] < len(ticks):
            assert any(cue.line in warned_lines(timeline) for _, cue in ticks)
    noted = Counter(note.line for note in timeline.notes)
    for ev in events:
        assert any(onset == ev.start and ev.end <= stop for onset, stop in exhales)
        earlier = [(at, cue) for at, cue in due[ev.content] if at <= ev.start]
        assert earlier
        if all(ev.start - at > SR for at, _ in earlier):  # whichever cue it is, it moved: noted
            assert any(cue.line in noted for _, cue in earlier)
    assert said <= Counter({text: len(ticks) for text, ticks in due.items()})


def check_timeline(routine, generated, timeline) -> None:
    events = timeline.events
    # (e) sorted by start, sane intervals
    assert [ev.start for ev in events] == sorted(ev.start for ev in events)
    assert all(0 <= ev.start < ev.end for ev in events)
    # (b) speech never overlaps speech
    speech = [ev for ev in events if ev.kind == "speech"]
    for before, after in zip(speech, speech[1:]):
        assert before.end <= after.start, f"{before.content!r} overlaps {after.content!r}"
    # (h) the track ends 1.5 s after the last event ends
    assert timeline.duration == max(ev.end for ev in events) + TAIL
    # (d) one chapter per included section, in order, contiguous from 0 to the end
    names = [section.name for section in included_sections(routine, generated)]
    chapters = timeline.chapters
    assert [chapter.title for chapter in chapters] == names
    assert chapters[0].start == 0
    assert chapters[-1].end == timeline.duration
    for before, after in zip(chapters, chapters[1:]):
        assert before.end == after.start
        assert before.start < before.end
    for chapter in chapters:
        bells = [ev for ev in events if ev.role == "section" and ev.kind == "sound" and ev.section == chapter.title]
        assert [ev.start for ev in bells] == [chapter.start]
    # every event of a section lies in that section's chapter
    span_of = {chapter.title: chapter for chapter in chapters}
    for ev in events:
        if ev.section is not None:
            assert span_of[ev.section].start <= ev.start < span_of[ev.section].end


@SETTINGS
@given(routines(), st.booleans())
def test_timing_invariants(generated, slow):
    measure = slow_measure if slow else fast_measure
    routine, timeline = compile_text(generated, measure)
    check_timeline(routine, generated, timeline)
    check_holds(routine, generated, timeline, Fraction(0), strict=not slow, measure=measure)
    check_breathing(routine, generated, timeline, Fraction(0), strict=not slow)


@FEWER
@given(routines(), st.booleans())
def test_deterministic(generated, slow):
    """(f) the same routine compiles to the same timeline, and the same JSON, every time."""
    measure = slow_measure if slow else fast_measure
    _, first = compile_text(generated, measure)
    _, second = compile_text(generated, lambda text: measure(text))
    assert first == second
    assert to_json(first) == to_json(second)


# ---------------------------------------------------------------- fitting ranges to a target


def breakpoints(spans: list[Span]) -> list[Fraction]:
    """Every fraction where some range reaches its next whole second (and 0)."""
    points = {Fraction(0)}
    for span_ in spans:
        width = span_.hi - span_.lo
        points.update(Fraction(k) / width for k in range(1, math.floor(width) + 1))
    return sorted(points)


def fitted_fraction(routine, sections, goal: Fraction) -> tuple[Fraction, Fraction | None, dict]:
    """Oracle: the largest breakpoint whose timeline fits `goal` samples (0 if none does),
    the next breakpoint, and the durations it built (timeline length grows with the fraction)."""
    points = breakpoints(ranges_in(sections))
    built = {}

    def length(index):
        built[points[index]] = build(routine, sections, points[index], fast_measure, cuesounds.length_seconds)
        return built[points[index]].duration

    low, high = 0, len(points)  # points[low] fits (or low == 0), points[high] does not
    while high - low > 1:
        middle = (low + high) // 2
        if length(middle) <= goal:
            low = middle
        else:
            high = middle
    length(low)
    return points[low], (points[high] if high < len(points) else None), built


@FEWER
@given(routines(max_sections=2), st.floats(-0.2, 1.2), st.floats(0, 0.3))
def test_length_fitting(generated, where, further):
    """(g) with a target, every range takes the same fraction f, the largest that fits.

    The target is placed anywhere from below the shortest plan to above the longest; the
    oracle finds the largest breakpoint that fits by bisection (length grows with f).
    """
    routine = load_text(generated.text, "generated.yaml")
    sections = chosen_sections(routine, generated.include)
    spans = ranges_in(sections)
    shortest = build(routine, sections, Fraction(0), fast_measure, cuesounds.length_seconds).duration
    longest = build(routine, sections, Fraction(1), fast_measure, cuesounds.length_seconds).duration
    goal = shortest + round((longest - shortest + SR) * Fraction(where))
    target = Fraction(goal, SR)
    timeline = compile_routine(routine, Options(length=target, include=generated.include),
                               fast_measure, cuesounds.length_seconds)

    outside = [w for w in timeline.warnings if "outside what this routine can reach" in w.message]
    if spans:  # without ranges: see test_target_without_ranges_warns_when_out_of_reach
        assert bool(outside) == (not shortest <= goal <= longest)
    if goal >= shortest:
        assert timeline.duration <= goal
    if not spans:
        assert timeline.duration == shortest
        return
    fraction, following, built = fitted_fraction(routine, sections, goal)
    assert timeline.events == built[fraction].events
    assert timeline.duration == built[fraction].duration
    notes = [note.message for note in timeline.notes if note.line is None]  # the target's: no line in the file
    if following is not None:  # one more whole second on the next range would not fit
        next_up = build(routine, sections, following, fast_measure, cuesounds.length_seconds).duration
        assert next_up > goal
    if shortest <= goal <= longest and goal - timeline.duration >= SR:  # a second or more short: by how much, why
        assert notes == [f"{format_seconds(Fraction(timeline.duration, SR))} is "
                         f"{format_seconds(Fraction(goal - timeline.duration, SR))} short of {format_seconds(target)}: "
                         f"ranges move in whole seconds, and the next step up would give "
                         f"{format_seconds(Fraction(next_up, SR))}"]
    else:
        assert notes == []
    check_holds(routine, generated, timeline, fraction, strict=True)
    check_breathing(routine, generated, timeline, fraction, strict=True)
    check_timeline(routine, generated, timeline)

    # a longer target never gives a shorter session
    more = target + Fraction(round((longest - shortest + SR) * further), SR)
    longer = compile_routine(routine, Options(length=more, include=generated.include),
                             fast_measure, cuesounds.length_seconds)
    assert longer.duration >= timeline.duration


def test_fitting_example_every_range_takes_the_same_fraction():
    """Two ranges 30-45s and 20-60s with a target between their ends: same f for both."""
    text = """\
title: Fit
defaults: {prepare: 0s, countdown: 0, halfway: false}
sections:
  - name: S
    steps:
      - {name: A, duration: 30-45s}
      - {name: B, duration: 20-60s}
"""
    routine = load_text(text, "fit.yaml")
    shortest = compile_routine(routine, Options(), fast_measure, cuesounds.length_seconds)
    for extra in (0, 1, 7, 20, 54, 55, 60):
        target = Fraction(shortest.duration, SR) + extra
        timeline = compile_routine(routine, Options(length=target), fast_measure, cuesounds.length_seconds)
        held = {}
        for name in ("A", "B"):
            (start, end), = hold_occurrences(timeline, name)
            held[name] = Fraction(end.start - start.start, SR)
        # the same f for both: A = 30 + floor(15 f), B = 20 + floor(40 f); the largest f that fits
        best = max((f for f in breakpoints([Span(Fraction(30), Fraction(45)), Span(Fraction(20), Fraction(60))])
                    if 30 + math.floor(15 * f) + 20 + math.floor(40 * f) - 50 <= extra), default=Fraction(0))
        assert held == {"A": 30 + math.floor(15 * best), "B": 20 + math.floor(40 * best)}, extra


# ---------------------------------------------------------------- bugs found while writing these


def test_one_side_in_rounds_is_not_a_switch():
    """`sides: [left]` with `rounds: 2` never changes side: round 2 starts with the instruction
    (timeline.md rule 1: only the *second side* gets the switch phrase), after `prepare`."""
    text = """\
title: One side
sections:
  - name: S
    steps:
      - name: Lunge
        say: Lunge on the {side} side.
        sides: [left]
        rounds: 2
        prepare: 3s
        switch: 1s
        duration: 5s
"""
    routine = load_text(text, "one-side.yaml")
    timeline = compile_routine(routine, Options(), fast_measure, cuesounds.length_seconds)
    assert not [ev for ev in timeline.events if ev.role == "switch"]
    instructions = [ev for ev in timeline.events if ev.role == "instruction"]
    assert [(ev.round, ev.content) for ev in instructions] == [
        (1, "Round one of two. Lunge on the left side."), (2, "Round two of two. Lunge on the left side.")]
    for instruction, (start, _) in zip(instructions, hold_occurrences(timeline, "Lunge")):
        assert start.start == instruction.end + 3 * SR


def test_only_optional_sections_and_none_chosen_is_a_clear_error_or_an_empty_plan():
    """Every section optional and no `--with`: must not crash with an IndexError (a traceback)."""
    from coach.errors import CoachError

    text = "title: T\nsections:\n  - name: Extras\n    optional: true\n    steps:\n      - {name: Hold, duration: 5s}\n"
    routine = load_text(text, "optional.yaml")
    try:
        timeline = compile_routine(routine, Options(), fast_measure, cuesounds.length_seconds)
    except CoachError:
        return
    assert timeline.chapters == ()


def test_cue_events_carry_the_cue_line():
    """timeline.md: an event's `line` is the routine line that produced it. A placed cue should
    point at its cue entry, as the warning does when the same cue is left out."""
    text = """\
title: Lines
sections:
  - name: S
    steps:
      - name: Plank
        duration: 30s
        cues:
          - at: 5s
            say: Long spine.
"""
    routine = load_text(text, "lines.yaml")
    timeline = compile_routine(routine, Options(), fast_measure, cuesounds.length_seconds)
    (cue,) = [ev for ev in timeline.events if ev.role == "cue"]
    assert cue.line == 8


def test_target_without_ranges_warns_when_out_of_reach():
    """routine-format.md: a target outside what the routine can reach gets a warning with the
    reachable span. A routine with no ranges reaches exactly one length; 30m is not it."""
    text = "title: Fixed\nsections:\n  - name: S\n    steps:\n      - {name: Plank, duration: 30s}\n"
    routine = load_text(text, "fixed.yaml")
    for target in (Fraction(1800), Fraction(10)):
        timeline = compile_routine(routine, Options(length=target), fast_measure, cuesounds.length_seconds)
        assert [w for w in timeline.warnings if "outside what this routine can reach" in w.message], target
