"""What a YAML scalar means, by our rules rather than PyYAML's YAML 1.1 resolver.

PyYAML reads `2024-13-45` as a date (and fails), `0x_` or `1:30` as odd
integers and a 5,000-digit number as a giant int; a routine needs none of
that. A plain scalar is null, true/false, a short whole or decimal number,
or else text; a quoted scalar is always text; an explicit tag must fit its text.
"""

from __future__ import annotations

import re

from coach.errors import quoted
from coach.limits import MAX_NUMBER_CHARS

_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {spelling: value
          for value, words in ((True, ("yes", "true", "on")), (False, ("no", "false", "off")))
          for word in words for spelling in (word, word.capitalize(), word.upper())}
_WHOLE = re.compile(r"[-+]?[0-9]+")
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")
_TAGGED = {"null": (type(None), "null"), "bool": (bool, "true or false"),
           "int": (int, "a whole number"), "float": ((int, float), "a number")}
SCALAR_TAGS = ("str", *_TAGGED)


def plain_value(text: str) -> object:
    """The value of an untagged, unquoted scalar."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if len(text) <= MAX_NUMBER_CHARS:
        if _WHOLE.fullmatch(text):
            return int(text)
        if _DECIMAL.fullmatch(text):
            return float(text)
    return text


def tagged_value(tag: str, text: str) -> object:
    """The value of `!!tag text` (`tag` one of SCALAR_TAGS); ValueError when the text is not what the tag says."""
    if tag == "str":
        return text
    value = plain_value(text)
    kinds, kind_name = _TAGGED[tag]
    if not isinstance(value, kinds) or isinstance(value, bool) and tag != "bool":
        raise ValueError(f"{quoted(text)} is not {kind_name}, as its tag '!!{tag}' says")
    return float(value) if tag == "float" else value
