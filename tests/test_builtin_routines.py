"""The built-in routines give what they promise: the seed article's doses, at any length asked for.

The runner-recovery routine follows a runners' recovery article: mobility
5-7 min, static stretches 8-10 min in 2 rounds per side, foam roller and
ball 1-2 min per muscle group, breathing 3-5 min at 4 in / 6 out with a
feet-to-jaw body scan, all inside 20-25 min.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.test_cli import plan_json, run

MINUTE = 60
SEED_SECTION_SPANS = {"Mobility flow": (5 * MINUTE, 7 * MINUTE), "Static stretches": (8 * MINUTE, 10 * MINUTE)}
STRETCHES = {"Hamstring stretch": "hamstrings", "Outer hip stretch": "outer hip", "Hip flexor stretch": "hip flexor",
             "Calf stretch": "calf and Achilles", "Achilles stretch": "calf and Achilles"}
"""The article's four stretches; its "calf and Achilles stretch" is one straight-knee and one bent-knee round."""
SAFETY_WORDS = ("never to pain", "breathing calm", "no forcing", "Quality over range",
                "bones, joints and the front of your neck")


def chapter_lengths(plan: dict) -> dict[str, float]:
    return {chapter["title"]: chapter["end"] - chapter["start"] for chapter in plan["chapters"]}


def step_spans(plan: dict, section: str) -> dict[str, float]:
    """Each step's time in `section`: from its first event to the next step's first event (or the section's end)."""
    firsts = {}
    for event in plan["events"]:
        if event["section"] == section and event["step"]:
            firsts.setdefault(event["step"], event["start"])
    end = next(chapter["end"] for chapter in plan["chapters"] if chapter["title"] == section)
    starts = list(firsts.values()) + [end]
    return {step: starts[index + 1] - start for index, (step, start) in enumerate(firsts.items())}


def breathing_seconds(plan: dict) -> float:
    """From the first in-breath to the end cue."""
    events = [event for event in plan["events"] if event["step"] == "Belly breathing"]
    first = min(event["start"] for event in events if event["role"] == "inhale")
    return next(event["start"] for event in events if event["role"] == "end" and event["kind"] == "sound") - first


@pytest.fixture(params=[[], ["--length", "20m"], ["--length", "25m"]], ids=["default", "20m", "25m"])
def plan(request):
    return plan_json(*request.param)


def test_the_session_lasts_20_to_25_minutes(plan):
    assert 20 * MINUTE <= plan["duration"] <= 25 * MINUTE


def test_mobility_and_stretches_last_what_the_seed_says(plan):
    lengths = chapter_lengths(plan)
    for section, (shortest, longest) in SEED_SECTION_SPANS.items():
        assert shortest <= lengths[section] <= longest, section


def test_every_stretch_gets_two_rounds_per_side(plan):
    holds = Counter((STRETCHES[event["step"]], event["side"]) for event in plan["events"]
                    if event["section"] == "Static stretches" and event["role"] == "start" and event["kind"] == "sound")
    assert set(holds) == {(stretch, side) for stretch in STRETCHES.values() for side in ("right", "left")}
    assert min(holds.values()) >= 2


def test_soft_tissue_spends_one_to_two_minutes_per_muscle_group(plan):
    spans = step_spans(plan, "Foam roller and massage ball")
    assert len(spans) == 6
    assert all(MINUTE <= span <= 2 * MINUTE for span in spans.values()), spans


def test_breathing_is_3_to_5_minutes_at_4_in_6_out_with_a_body_scan_from_feet_to_jaw(plan):
    assert 3 * MINUTE <= breathing_seconds(plan) <= 5 * MINUTE
    inhales = [event["start"] for event in plan["events"] if event["step"] == "Belly breathing"
               and event["role"] == "inhale"]
    exhales = [event["start"] for event in plan["events"] if event["step"] == "Belly breathing"
               and event["role"] == "exhale"]
    assert {round(b - a, 3) for a, b in zip(inhales, inhales[1:])} == {10.0}
    assert {round(b - a, 3) for a, b in zip(inhales, exhales)} == {4.0}
    scan = " ".join(event["text"] for event in plan["events"]
                    if event["step"] == "Belly breathing" and event["role"] == "cue").lower()
    assert 0 <= scan.index("feet") < scan.index("jaw")


def test_the_seed_safety_cues_stay():
    texts = " ".join(event.get("text", "") for event in plan_json("--with", "Massage gun")["events"])
    assert [words for words in SAFETY_WORDS if words not in texts] == []


def test_the_massage_gun_fits_25_minutes_or_says_what_it_needs():
    result = run("plan", "--json", "--with", "Massage gun", "--length", "25m")
    assert result.exit_code == 0
    if __import__("json").loads(result.stdout)["duration"] > 25 * MINUTE:
        assert "target length 25m is outside what this routine can reach: it lasts " in result.stderr


@pytest.mark.parametrize("name", ["runner-recovery", "breathing-4-6", "post-run-stretch"])
def test_every_builtin_passes_a_strict_check(name):
    result = run("check", "--strict", name)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["runner-recovery", "breathing-4-6", "post-run-stretch"])
def test_every_builtin_lasts_its_own_length_with_the_default_voice(name):
    """A note on a missed length would name a file the user never wrote: each built-in reaches its own."""
    result = run("plan", "--exact", name)
    assert result.exit_code == 0 and "note:" not in result.stderr, result.stderr
