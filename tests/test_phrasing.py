"""What a listener with the screen off hears: the step, side and round at every turn, previews,
count-ins, localized words, and user cues that are never lost quietly.

The properties run over the golden routines and the built-ins, placed with the estimate (as
`plan` does) and with the real espeak-ng clip lengths (as `render` does). Expected words are
filled in here from the routine's own phrases, not by the code under test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach import cuesounds
from coach.cli import cli
from coach.compiler import Options, compile_routine, fit
from coach.estimate import estimate
from coach.exact import ChapterByChapter
from coach.library import builtin_names, load_routine
from coach.limits import SAMPLE_RATE as SR
from coach.loader import load_file, load_text
from coach.routine import Hold, Phrases, TimedStep
from coach.speech.cache import ClipCache
from coach.speech.engines import choose

GOLDEN = Path(__file__).parent / "golden"
ROUTINES = sorted(str(path) for path in GOLDEN.glob("*.yaml")) + builtin_names()


def load(name: str):
    return load_file(name) if name.endswith(".yaml") else load_routine(name)


def estimated(routine):
    """(timeline, fraction) as `plan` places it."""
    options = Options()
    fraction = fit(routine, options, estimate(routine.voice.rate), cuesounds.length_seconds).fraction
    return compile_routine(routine, options, estimate(routine.voice.rate), cuesounds.length_seconds), fraction


def real(routine, cache: Path):
    """(timeline, fraction) placed by the real espeak-ng clips, as `render` places it."""
    spec = choose(routine.voice, "espeak-ng")
    chapters = ChapterByChapter(routine, Options(), spec, ClipCache(cache))
    timeline = chapters.place_next()
    while not chapters.finished:
        timeline = chapters.place_next()
    return timeline, chapters.fitted.fraction


def occurrences(timeline):
    """(first utterance, its events) of each turn: a run of speech with the same section, step,
    side and round, cut wherever something outside any step is said."""
    turns, key = [], None
    for event in timeline.events:
        if event.kind != "speech":
            continue
        if event.step is None:
            key = None
            continue
        if (event.section, event.step, event.side, event.round) != key:
            key = (event.section, event.step, event.side, event.round)
            turns.append((event, []))
        turns[-1][1].append(event)
    return turns


def words_of(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def says(text: str, words: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(words.rstrip(' .').casefold())}(?!\w)", text.casefold()) is not None


def check_listener_knows_where(routine, timeline, fraction) -> None:
    steps = {(section.name, step.name): step for section in routine.sections for step in section.steps
             if isinstance(step, TimedStep)}
    phrases = routine.phrases
    sides = dict(phrases.sides)
    for first, events in occurrences(timeline):
        step = steps[(first.section, first.step)]
        assert first.role in ("instruction", "switch"), (first.step, first.content)
        if first.role == "instruction":
            assert says(first.content, step.name), first.content
        if first.side:
            assert says(first.content, sides.get(first.side, first.side)), first.content
        if isinstance(step, Hold) and step.rounds > 1:
            announced = phrases.round.replace("{round}", phrases.numbers[(first.round - 1) % step.rounds]) \
                .replace("{rounds}", phrases.numbers[step.rounds - 1])
            starts_round = first.role == "instruction" or first.side == step.sides[0]
            assert (announced.casefold() in first.content.casefold()) == starts_round, first.content
    played = {chapter.title for chapter in timeline.chapters}
    for section in routine.sections:
        if section.rounds > 1 and section.name in played:
            said = [event for event in timeline.events if event.kind == "speech" and event.section == section.name
                    and event.step is None and event.round is not None]
            assert [event.round for event in said] == list(range(1, section.rounds + 1)), section.name
            assert all(says(event.content, phrases.numbers[event.round - 1]) for event in said)


def check_holds_and_count_ins(routine, timeline, fraction) -> None:
    """Every turn lasts its duration to the sample; a count-in's last word ends exactly at the start."""
    for section in routine.sections:
        for step in section.steps:
            if not isinstance(step, Hold):
                continue
            duration = round(step.duration.at(fraction) * SR)
            ends = [e for e in timeline.events if e.step == step.name and e.section == section.name
                    and e.role == "end" and e.kind == "speech"]
            starts = [e for e in timeline.events if e.step == step.name and e.section == section.name
                      and e.role == "start" and e.kind == "sound"]
            assert not starts or [e.start for e in starts] == [e.start - duration for e in ends]
            for end in ends:
                start = end.start - duration
                count_in = [e for e in timeline.events if e.role == "countin" and e.step == step.name
                            and (e.side, e.round) == (end.side, end.round) and start - 15 * SR < e.start < start]
                if step.timing.count_in:
                    assert count_in[-1].end == start and count_in[-1].content == routine.phrases.go
                    assert [e.content for e in count_in[:-1]] == [
                        routine.phrases.countdown[n - 1].capitalize() for n in range(step.timing.count_in, 0, -1)]
                else:
                    assert not count_in


def check_speech_and_cues(routine, timeline) -> None:
    speech = [e for e in timeline.events if e.kind == "speech"]
    for before, after in zip(speech, speech[1:]):
        assert before.end <= after.start, f"{before.content!r} overlaps {after.content!r}"
    said = {e.content for e in speech if e.role == "cue"}
    warned = {w.line for w in timeline.warnings}
    sides = dict(routine.phrases.sides)
    played = {chapter.title for chapter in timeline.chapters}
    for section in routine.sections:
        for step in section.steps if section.name in played else ():
            for cue in getattr(step, "cues", ()):
                texts = {" ".join(cue.lines)} if cue.at is not None else set(cue.lines)
                for side in getattr(step, "sides", ()) or (None,):
                    for text in texts:
                        heard = text.replace("{side}", sides.get(side, side)) if side else text
                        assert heard in said or cue.line in warned, (heard, cue.line)


def check_all(routine, timeline, fraction) -> None:
    check_listener_knows_where(routine, timeline, fraction)
    check_holds_and_count_ins(routine, timeline, fraction)
    check_speech_and_cues(routine, timeline)


@pytest.mark.parametrize("name", ROUTINES)
def test_a_listener_knows_where_they_are_in_the_plan(name):
    routine = load(name)
    check_all(routine, *estimated(routine))


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return tmp_path_factory.mktemp("espeak-clips")


@pytest.mark.parametrize("name", ROUTINES)
def test_a_listener_knows_where_they_are_with_real_clip_lengths(name, clips):
    routine = load(name)
    check_all(routine, *real(routine, clips))


def test_a_german_routine_says_no_english_word():
    routine = load_file(GOLDEN / "german-sides.yaml")
    timeline, _ = estimated(routine)
    english = set()
    for value in vars(Phrases()).values():
        for text in value if isinstance(value, tuple) else (value,):
            english |= words_of(str(text))
    english |= {"right", "left", "side", "round", "of"}
    heard = set().union(*(words_of(e.content) for e in timeline.events if e.kind == "speech"))
    assert heard and not heard & english, heard & english
    assert {"rechte", "linke", "zwei", "zwo", "los"} <= heard  # sides, rounds, counting, count-in


def plan(text: str, measure=lambda text: 0.05 * len(text) + 0.1):
    return compile_routine(load_text(text, "r.yaml"), Options(), measure, cuesounds.length_seconds)


HOLD = "title: T\nsections:\n  - name: S\n    steps:\n      - {name: Plank, duration: 20s, prepare: 2s%s}\n"


def test_a_count_in_ends_exactly_as_the_hold_starts_and_waits_for_room():
    timeline = plan(HOLD % ", count_in: 3")
    count_in = [e for e in timeline.events if e.role == "countin"]
    (start,) = [e for e in timeline.events if e.role == "start"]
    (instruction,) = [e for e in timeline.events if e.role == "instruction"]
    assert [e.content for e in count_in] == ["Three", "Two", "One", "Go."]
    assert count_in[-1].end == start.start and start.kind == "sound"  # no "Begin." on top of "Go."
    assert [count_in[-1].start - e.start for e in count_in[:-1]] == [3 * SR, 2 * SR, SR]
    # prepare (2 s) is shorter than the count-in: it starts 0.5 s after the instruction instead
    assert count_in[0].start == instruction.end + SR // 2


def test_a_sound_switched_off_has_no_event_and_moves_nothing():
    with_chime = plan(HOLD % "")
    without = plan((HOLD % "") + "sounds: {start: none}\n")
    assert [e for e in with_chime.events if e.kind == "sound" and e.role == "start"]
    assert without.events == tuple(e for e in with_chime.events if not (e.kind == "sound" and e.role == "start"))


def test_breath_counting_and_the_countdown_have_their_own_words():
    timeline = plan("title: T\nphrases: {count: [uno, dos, tres, cuatro]}\nsections:\n  - name: S\n    steps:\n"
                    "      - {name: Hold, duration: 30s}\n"
                    "      - {name: Breath, breathe: {pattern: 4-4, cycles: 1, count: all}}\n")
    assert [e.content for e in timeline.events if e.role == "countdown"] == ["Three", "Two", "One"]
    assert [e.content for e in timeline.events if e.role == "count"] == ["dos", "tres", "cuatro"] * 2


def test_short_holds_have_no_countdown():
    assert not [e for e in plan(HOLD % "").events if e.role == "countdown"]
    assert [e.content for e in plan(HOLD.replace("20s", "30s") % "").events if e.role == "countdown"] \
        == ["Three", "Two", "One"]


BREATHING = """\
title: T
sections:
  - name: S
    steps:
      - name: Belly
        breathe: {pattern: 4-6, cycles: 6, count: 2}
        cues:
          - {at: 3s, say: Soften.}
          - {at: 45s, say: Let go.}
"""


def test_a_cue_inside_counted_breaths_waits_for_the_first_uncounted_out_breath_with_a_note():
    timeline = plan(BREATHING)
    (instruction,) = [e for e in timeline.events if e.role == "instruction"]
    t0 = instruction.end + 5 * SR
    cues = {e.content: e.start - t0 for e in timeline.events if e.role == "cue"}
    assert cues == {"Soften.": 24 * SR, "Let go.": 54 * SR}  # cycle 3's out-breath; cycle 6's, 9 s late
    assert timeline.warnings == ()
    assert [(note.line, "21s later" in note.message) for note in timeline.notes] == [(8, True), (9, False)]


def test_notes_are_printed_but_never_fail_strict_check(tmp_path):
    routine = tmp_path / "breathing.yaml"
    routine.write_text(BREATHING, "utf-8")
    for command in (["plan"], ["check", "--strict"]):
        result = CliRunner().invoke(cli, [*command, str(routine)])
        assert result.exit_code == 0, result.output
        assert f"{routine}:8:18: note: cue 'Soften.' at 3s in 'Belly' is said 21s later" in result.stderr


def test_a_preview_fits_in_a_rest_or_pause_or_is_not_said_and_never_moves_time():
    name = "Slow single leg balance on the soft cushion with your eyes closed and arms wide please"
    text = ("title: T\nsections:\n  - name: S\n    steps:\n      - {say: Get your mat., pause: %s}\n"
            f"      - {{name: {name}, duration: 10s}}\n")
    long_pause, short_pause = plan(text % "8s"), plan(text % "5s")
    assert [e.content for e in long_pause.events if e.role == "preview"] == [f"Next: {name}."]
    assert not [e for e in short_pause.events if e.role == "preview"]  # 4.75 s and 0.5 s of quiet: past 5 s
    instruction = lambda timeline: next(e for e in timeline.events if e.role == "instruction")
    assert instruction(long_pause).start - instruction(short_pause).start == 3 * SR


def test_a_long_hold_previews_the_next_step_in_a_free_moment_before_its_countdown():
    timeline = plan("title: T\nsections:\n  - name: S\n    steps:\n"
                    "      - {name: Plank, duration: 40s, cues: [{at: -6s, say: Nearly there.}]}\n"
                    "      - {name: Side plank, duration: 20s}\n")
    (preview,) = [e for e in timeline.events if e.role == "preview"]
    (cue,) = [e for e in timeline.events if e.role == "cue"]
    (three,) = [e for e in timeline.events if e.content == "Three"]
    assert preview.step == "Plank" and preview.content == "Next: Side plank."
    assert three.start - 3 * SR == cue.start  # the cue keeps its time (6 s before the end)
    assert cue.end <= preview.start and preview.end == three.start - SR // 2  # the latest free moment


def test_the_first_side_is_named_when_say_does_not_name_it():
    timeline = plan("title: T\nsections:\n  - name: S\n    steps:\n"
                    "      - {name: Pigeon, say: Fold over the front shin., sides: both, duration: 20s}\n"
                    "      - {name: Lunge, say: 'Step the {side} foot forward.', sides: both, duration: 20s}\n")
    said = [e.content for e in timeline.events if e.kind == "speech" and e.role in ("instruction", "switch")]
    assert said == ["Pigeon. Right side. Fold over the front shin.", "Switch sides: left side.",
                    "Lunge. Step the right foot forward.", "Switch sides: left side."]
