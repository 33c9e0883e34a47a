"""How errors echo user text: one line, readable, whatever the text holds."""

import pytest

from coach.errors import QUOTED_CHARS, quoted


@pytest.mark.parametrize("text, shown", [
    ("Cat-cow", "'Cat-cow'"),
    ("a\nb\rc\td", "'a\\nb\\rc\\td'"),
    ("a\x85b\u2028c\u2029d", "'a\\x85b\\u2028c\\u2029d'"),
    ("it's", "'it's'"),
    ("Überdehnung", "'Überdehnung'"),
])
def test_quoted_escapes_what_would_split_a_line(text, shown):
    assert quoted(text) == shown
    assert len(quoted(text).splitlines()) == 1


def test_quoted_cuts_long_text():
    shown = quoted("1" * 5000)
    assert len(shown) == QUOTED_CHARS + 2 and shown.endswith("...'")
