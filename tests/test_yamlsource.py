"""Located YAML loading: positions kept, unsafe or ambiguous input refused with a location."""

from __future__ import annotations

import pytest

from coach.errors import RoutineError
from coach.loader import load_text
from coach.routine import Announcement, Hold
from coach.yamlsource import Map, Scalar, Seq, load_source


def _error(text: str) -> RoutineError:
    with pytest.raises(RoutineError) as caught:
        load_source(text, "r.yaml")
    return caught.value


def test_scalars_keep_line_and_column():
    root = load_source("title: T\nsections:\n  - name: S\n    steps:\n      - {say: hi,  pause: 2s}\n", "r.yaml")
    assert isinstance(root, Map) and (root.line, root.col) == (1, 1)
    title = root.get("title")
    assert isinstance(title, Scalar) and (title.value, title.text, title.line, title.col) == ("T", "T", 1, 8)
    sections = root.get("sections")
    assert isinstance(sections, Seq) and (sections.line, sections.col) == (3, 3)
    section = sections.items[0]
    assert (section.line, section.col) == (3, 5)
    assert (section.key_node("steps").line, section.key_node("steps").col) == (4, 5)
    step = section.get("steps").items[0]
    pause = step.get("pause")
    assert (pause.text, pause.line, pause.col) == ("2s", 5, 27)


def test_scalar_text_is_the_source_text():
    # YAML 1.1 reads 1:30 as base-60 90 but 0:45 as a string; durations use `text`, so both work.
    root = load_source("a: 1:30\nb: Yes\nc: 0:45\nd: 2.50\n", "r.yaml")
    assert [(root.get(k).value, root.get(k).text) for k in "abcd"] == [
        (90, "1:30"), (True, "Yes"), ("0:45", "0:45"), (2.5, "2.50")]


def test_loader_lines_point_at_the_step():
    text = "title: T\nsections:\n  - name: S\n    steps:\n      - say: Hello.\n      - name: Hold\n        duration: 5s\n"
    routine = load_text(text, "r.yaml")
    section = routine.sections[0]
    assert section.line == 3
    assert [step.line for step in section.steps] == [5, 6]


def test_duplicate_keys_rejected_with_both_lines():
    error = _error("title: A\nsections: []\ntitle: B\n")
    assert (error.lineno, error.col) == (3, 1)
    assert "duplicate key 'title'" in error.message and "line 1" in error.message


def test_duplicate_keys_rejected_in_nested_mappings():
    error = _error("a:\n  - name: x\n    name: y\n")
    assert error.lineno == 3 and "duplicate key 'name'" in error.message


def test_duplicate_key_through_the_loader_reports_file_line_col():
    text = "title: T\nsections:\n  - name: S\n    steps:\n      - name: Hold\n        duration: 5s\n        duration: 6s\n"
    with pytest.raises(RoutineError) as caught:
        load_text(text, "r.yaml")
    assert caught.value.line().startswith("r.yaml:7:9: error: duplicate key 'duration'")


BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_alias_bomb_rejected_quickly():
    error = _error(BILLION_LAUGHS)
    assert "expands to more than" in error.message


def test_small_aliases_are_fine():
    root = load_source("a: &x [1, 2]\nb: *x\n", "r.yaml")
    assert [item.value for item in root.get("b").items] == [1, 2]


def test_recursive_alias_rejected():
    error = _error("a: &a [*a]\n")
    assert error.lineno == 1


@pytest.mark.parametrize("text", [
    "a: !!python/object/apply:os.system ['echo hi']\n",
    "a: !!python/name:os.system\n",
    "a: !!python/object:collections.OrderedDict {}\n",
    "a: !custom x\n",
    "a: !!binary aGk=\n",
    "a: !!set {x}\n",
])
def test_unsafe_or_unknown_tags_rejected(text):
    error = _error(text)
    assert "is not allowed" in error.message
    assert (error.lineno, error.col) == (1, 4)


def test_merge_keys_work_and_explicit_keys_win():
    root = load_source("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "r.yaml")
    merged = root.get("c")
    assert {key: merged.get(key).value for key in merged.keys()} == {"x": 1, "y": 3}


def test_merge_keys_in_a_routine():
    text = """\
title: T
hold: &hold
  duration: 30s
  prepare: 2s
sections:
  - name: S
    steps:
      - <<: *hold
        name: Calf stretch
        sides: both
"""
    # 'hold' is not a routine key: merged templates live under a key the loader knows, so use defaults
    with pytest.raises(RoutineError) as caught:
        load_text(text, "r.yaml")
    assert "unknown key 'hold'" in caught.value.message
    text = text.replace("hold: &hold", "defaults: &hold").replace("  duration: 30s\n", "  countdown: 5\n")
    text = text.replace("        sides: both\n", "        sides: both\n        duration: 30s\n")
    step = load_text(text, "r.yaml").sections[0].steps[0]
    assert isinstance(step, Hold)
    assert step.timing.prepare == 2 and step.timing.countdown == 5 and step.duration.lo == 30


def test_merge_of_a_non_mapping_rejected():
    error = _error("a: &x [1]\nb:\n  <<: *x\n")
    assert "'<<' must merge" in error.message


def test_non_scalar_key_rejected():
    error = _error("? [a, b]\n: 1\n")
    assert "key must be a plain word" in error.message


def test_yes_stays_text_where_text_is_expected():
    text = "title: No\nsections:\n  - name: On\n    steps:\n      - say: Yes\n      - name: Off\n        duration: 5s\n        say: y\n"
    routine = load_text(text, "r.yaml")
    assert routine.title == "No"
    section = routine.sections[0]
    assert section.name == "On" and section.say == "On"
    announcement, hold = section.steps
    assert isinstance(announcement, Announcement) and announcement.lines == ("Yes",)
    assert hold.name == "Off" and hold.say == "y"


def test_numbers_and_times_stay_text_where_text_is_expected():
    text = "title: 1:30\nsections:\n  - name: 2.50\n    steps:\n      - say: [1e3, null thing, 0x10]\n"
    routine = load_text(text, "r.yaml")
    assert routine.title == "1:30"
    assert routine.sections[0].name == "2.50"
    assert routine.sections[0].steps[0].lines == ("1e3", "null thing", "0x10")


@pytest.mark.parametrize("text, where", [
    ("a: [1\n", (1, 4)),      # the '[' that is never closed
    ("a: b: c\n", (1, 5)),
    ("a:\n\t- x\n", (2, 1)),
])
def test_invalid_yaml_located(text, where):
    error = _error(text)
    assert error.message.startswith("invalid YAML")
    assert (error.lineno, error.col) == where


def test_empty_file_rejected():
    assert "empty" in _error("").message
    assert "empty" in _error("# only a comment\n").message
