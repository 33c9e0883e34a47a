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
    # YAML 1.1 would read 1:30 as base-60 90 but 0:45 as a string; ours keeps both as text,
    # and durations are parsed from `text` anyway.
    root = load_source("a: 1:30\nb: Yes\nc: 0:45\nd: 2.50\n", "r.yaml")
    assert [(root.get(k).value, root.get(k).text) for k in "abcd"] == [
        ("1:30", "1:30"), (True, "Yes"), ("0:45", "0:45"), (2.5, "2.50")]


@pytest.mark.parametrize("text, value", [
    ("2024-13-45", "2024-13-45"),   # no implicit dates (PyYAML fails on this one)
    ("2024-01-01", "2024-01-01"),
    ("0x_", "0x_"),                 # no hex, octal, binary or base-60 integers
    ("0x10", "0x10"),
    ("010", 10),
    ("1_000", "1_000"),
    ("1" * 5000, "1" * 5000),       # a number too long to be one stays text
    ("-12", -12),
    (".5", 0.5),
    (".inf", ".inf"),
    ("1e3", "1e3"),
    ("~", None),
    ("off", False),
    ("'12'", "12"),
    ("!!str 12", "12"),
    ("!!int 12", 12),
    ("!!float 1", 1.0),
    ("!!bool yes", True),
    ("!!null ''", None),
])
def test_scalars_are_read_by_our_rules(text, value):
    assert load_source(f"a: {text}\n", "r.yaml").get("a").value == value


@pytest.mark.parametrize("text, message", [
    ("!!int abc", "'abc' is not a whole number, as its tag '!!int' says"),
    ("!!int yes", "'yes' is not a whole number, as its tag '!!int' says"),
    ("!!float abc", "'abc' is not a number, as its tag '!!float' says"),
    ("!!bool maybe", "'maybe' is not true or false, as its tag '!!bool' says"),
    ("!!null x", "'x' is not null, as its tag '!!null' says"),
    ("!!timestamp x", "tag '!!timestamp' is not allowed in a routine"),
    ("!!merge x", "tag '!!merge' is not allowed in a routine"),
    ("!!str [x]", "tag '!!str' is not allowed in a routine"),
    ("!!map [x]", "tag '!!map' is not allowed in a routine"),
])
def test_explicit_tags_must_fit(text, message):
    error = _error(f"a: {text}\n")
    assert (error.lineno, error.col, error.message) == (1, 4, message)


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


@pytest.mark.parametrize("title", ["2024-13-45", "2024-01-01 10:00:00", "0x_", "1:30:00", "12", "1" * 500])
def test_a_title_that_looks_like_a_date_or_number_is_just_a_title(title):
    routine = load_text(f"title: {title}\nsections:\n  - name: S\n    steps:\n      - say: Hi.\n", "r.yaml")
    assert routine.title == title


@pytest.mark.parametrize("text, where", [
    ("title: T\n  x\x01y\n", (2, 4)),
    ("a: b\r\nc: \x7f\n", (2, 4)),
    ("a: [b,\n\x00]\n", (2, 1)),
    ("a: b\u2028c: \x1b\n", (2, 4)),    # YAML counts U+2028 as a line break, and so do we
])
def test_control_character_located_in_one_line(text, where):
    error = _error(text)
    assert (error.lineno, error.col) == where
    assert error.message.startswith("control character U+") and "\n" not in error.message


@pytest.mark.parametrize("text, message", [
    ('a: "x\\0"\n', "control character U+0000 is not allowed in a routine; remove it"),
    ('"\\x1b": x\n', "control character U+001B is not allowed in a routine; remove it"),
    ('a: "\\ud800"\n', "character U+D800 is not allowed in a routine; remove it"),
    ('a: "\\uFFFE"\n', "character U+FFFE is not allowed in a routine; remove it"),
])
def test_escaped_control_characters_are_refused_at_their_scalar(text, message):
    # They never reach a title tag, a speech engine or the terminal, where they fail or do harm.
    error = _error(text)
    assert (error.lineno, error.message) == (1, message)


def test_escaped_line_breaks_and_tabs_are_text():
    assert load_source('a: "x\\ty\\nz\\u2028"\n', "r.yaml").get("a").value == "x\ty\nz\u2028"


@pytest.mark.parametrize("depth", [65, 489, 1000, 100_000])
def test_deep_nesting_refused_before_python_recursion_runs_out(depth):
    error = _error("a: " + "[" * depth + "]" * depth + "\n")
    assert error.message == "nesting deeper than 64 levels"


def test_deep_block_nesting_refused():
    error = _error("".join(" " * level + "k:\n" for level in range(1000)))
    assert error.message == "nesting deeper than 64 levels" and error.lineno == 65


def test_nesting_of_64_levels_is_fine():
    assert load_source("a: " + "[" * 63 + "]" * 63 + "\n", "r.yaml").get("a") is not None


@pytest.mark.parametrize("text, message", [
    ("a: &x 1\nb: &x 2\n", "invalid YAML: anchor '&x' is defined twice (first on line 1)"),
    ("a: *x\n", "invalid YAML: alias '*x' has no anchor '&x' before it"),
])
def test_anchor_mistakes_in_one_clear_line(text, message):
    assert _error(text).message == message


@pytest.mark.parametrize("text, where, words", [
    ("a:\n  b: 1\n c: 2\n", (3, 2), "does not line up with the lines above it"),
    ("- a\nb: 1\n", (2, 1), "does not line up with the lines above it"),
    ("a: 1\nloose words\nb: 2\n", (2, 1), "neither 'key: value' nor a '- ' item"),
    ("a: b: c\n", (1, 5), "quote text holding ': '"),
    ("a:\n  - x\n  - y\n - z\n", (4, 2), "check its indentation"),
    ("a: {x: 1, y: [1, {z: 2]}\n", (1, 23), "entries in { } are separated by commas"),
])
def test_common_yaml_mistakes_in_plain_words(text, where, words):
    error = _error(text)
    assert (error.lineno, error.col) == where and words in error.message and "<" not in error.message


@pytest.mark.parametrize("key", ["a\\nb", "a\\rb", "a\\x85b", "a\\u2028b", "a\\u2029b"])
def test_echoed_keys_are_escaped(key):
    error = _error(f'"{key}": 1\n"{key}": 2\n')
    assert error.message == f"duplicate key 'a{key[1:-1]}b' (first set on line 1)"


def test_a_huge_flat_file_stops_at_the_value_limit():
    error = _error("a: [" + "x, " * 60_000 + "x]\n")
    assert error.message == "the file has more than 50000 values"


def test_text_past_the_size_limit_is_refused():
    assert _error("#" * 1_000_001).message == "the routine is larger than 1,000,000 bytes"
