"""YAML text to plain values that remember where they were written.

Untrusted routines must not run code or exhaust the machine: scalars are
read by our own rules (`coach.scalars`), only the plain YAML tags are
accepted, duplicate keys are errors, nesting is refused before the parser
recurses, and alias expansion is bounded by a node budget (a "billion
laughs" file is refused, not expanded).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Union

import yaml
from yaml.composer import Composer
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from coach.errors import RoutineError, quoted
from coach.limits import MAX_FILE_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES
from coach.scalars import SCALAR_TAGS, plain_value, tagged_value

_YAML_TAG = "tag:yaml.org,2002:"
_NOT_PRINTABLE = re.compile(r"[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
"""What YAML forbids in a stream (PyYAML's own test, which reports it without a line)."""


@dataclass(frozen=True)
class Scalar:
    """A scalar with its YAML value and its source text (durations are parsed from `text`)."""

    value: object
    text: str
    line: int
    col: int


@dataclass(frozen=True)
class Seq:
    items: tuple["Node", ...]
    line: int
    col: int


@dataclass(frozen=True)
class Map:
    items: tuple[tuple[Scalar, "Node"], ...]
    line: int
    col: int

    def keys(self) -> list[str]:
        return [key.text for key, _ in self.items]

    def get(self, key: str) -> "Node | None":
        for name, value in self.items:
            if name.text == key:
                return value
        return None

    def key_node(self, key: str) -> Scalar:
        return next(name for name, _ in self.items if name.text == key)


Node = Union[Scalar, Seq, Map]


def load_source(text: str, path: str) -> Node:
    """Parse `text` (from `path`, used in messages) into located nodes."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise RoutineError(path, 1, 1, f"the routine is larger than {MAX_FILE_BYTES:,} bytes")
    _refuse_unprintable(text, path)
    try:
        root = _RoutineComposer(text, path).get_single_node()
    except yaml.MarkedYAMLError as error:
        line, col, message = _yaml_problem(error)
        raise RoutineError(path, line, col, f"invalid YAML: {message}") from None
    if root is None:
        raise RoutineError(path, 1, 1, "the file is empty; a routine needs a title and sections")
    return _Converter(path).convert(root, depth=0)


def _refuse_unprintable(text: str, path: str) -> None:
    found = _NOT_PRINTABLE.search(text)
    if found:
        # Count lines as YAML does (\n, \r\n, \r, U+0085, U+2028, U+2029), so every location agrees.
        rows = (text[:found.start()] + "x").splitlines()
        raise RoutineError(path, len(rows), len(rows[-1]), _control_character(found.group()))


def _control_character(char: str) -> str:
    kind = "control character" if unicodedata.category(char) == "Cc" else "character"
    return f"{kind} U+{ord(char):04X} is not allowed in a routine; remove it"


class _RoutineComposer(Reader, Scanner, Parser, Composer, BaseResolver):
    """PyYAML's parser and composer without its implicit typing, refusing deep nesting as it goes.

    A plain scalar keeps the tag None (no one can write that), so `coach.scalars` reads it.
    PyYAML composes recursively: the depth is checked before each level, well short of
    Python's recursion limit, and the count of values before each one, so a huge flat
    file stops early too.
    """

    def __init__(self, text: str, path: str):
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)
        self.path, self.depth, self.nodes = path, 0, 0

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0]:
            return None
        return super().resolve(kind, value, implicit)

    def compose_node(self, parent, index):
        self.nodes += 1
        if self.depth > MAX_YAML_DEPTH:
            self.refuse(f"nesting deeper than {MAX_YAML_DEPTH} levels")
        if self.nodes > MAX_YAML_NODES:
            self.refuse(f"the file has more than {MAX_YAML_NODES} values")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def refuse(self, message: str):
        mark = self.peek_event().start_mark
        raise RoutineError(self.path, mark.line + 1, mark.column + 1, message)


_UNCLOSED = {
    "while parsing a flow sequence": "this '[' is never closed with ']'",
    "while parsing a flow mapping": "this '{' is never closed with '}'",
}


_MISALIGNED = "this does not line up with the lines above it; check its indentation"
_PLAIN_WORDS = {
    "expected <block end>": _MISALIGNED,
    "expected '<document start>'": _MISALIGNED,
    "sequence entries are not allowed here": "a '- ' item cannot start here; check its indentation",
    "mapping values are not allowed here": "a ':' cannot follow here; check the indentation, or quote text holding ': '",
    "expected ',' or ']'": "items in [ ] are separated by commas",
    "expected ',' or '}'": "entries in { } are separated by commas",
}
"""PyYAML's wording of the mistakes people make most, in the words of a routine's author."""


def _yaml_problem(error: yaml.MarkedYAMLError) -> tuple[int, int, str]:
    """Line, column and one clear sentence for a PyYAML error."""
    context, problem = error.context or "", error.problem or "not valid YAML"
    mark = error.problem_mark or error.context_mark
    if "<stream end>" in problem and context in _UNCLOSED:
        mark, problem = error.context_mark, _UNCLOSED[context]
    elif context.startswith("found duplicate anchor"):
        anchor = _quoted_name(context)
        problem = f"anchor '&{anchor}' is defined twice (first on line {error.context_mark.line + 1})"
    elif context.startswith("expected a single document"):
        problem = "a routine is one YAML document; remove this second one"
    elif problem.startswith("found undefined alias"):
        anchor = _quoted_name(problem)
        problem = f"alias '*{anchor}' has no anchor '&{anchor}' before it"
    elif "'\\t'" in problem:
        problem = "a tab cannot be used here; indent with spaces"
    elif problem.startswith("could not find expected ':'"):  # PyYAML points past the line at fault
        mark, problem = error.context_mark or mark, "this line is neither 'key: value' nor a '- ' item"
    elif problem.startswith(tuple(_PLAIN_WORDS)):
        problem = next(words for start, words in _PLAIN_WORDS.items() if problem.startswith(start))
    elif context and "while" not in context:
        problem = f"{context}: {problem}"
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return line, col, " ".join(problem.split())


def _quoted_name(text: str) -> str:
    """The anchor name PyYAML quoted in its message (anchor names are plain word characters)."""
    return text.split("'")[1]


class _Converter:
    """Walks the composed node graph once, charging every visit to a budget."""

    def __init__(self, path: str):
        self.path = path
        self.budget = MAX_YAML_NODES

    def convert(self, node: yaml.Node, depth: int) -> Node:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        self.budget -= 1
        if self.budget < 0:
            self.fail(node, f"the document expands to more than {MAX_YAML_NODES} values (aliases?)")
        if depth > MAX_YAML_DEPTH:
            self.fail(node, f"nesting deeper than {MAX_YAML_DEPTH} levels")
        if isinstance(node, yaml.ScalarNode):
            return Scalar(self.scalar_value(node), node.value, line, col)
        self.expect_tag(node, "seq" if isinstance(node, yaml.SequenceNode) else "map")
        if isinstance(node, yaml.SequenceNode):
            return Seq(tuple(self.convert(item, depth + 1) for item in node.value), line, col)
        return Map(self.mapping_items(node, depth), line, col)

    def scalar_value(self, node: yaml.ScalarNode) -> object:
        # A quoted "\0" or "\ud800" is not in the file as such, but is just as unusable.
        hidden = _NOT_PRINTABLE.search(node.value)
        if hidden:
            self.fail(node, _control_character(hidden.group()))
        if node.tag is None:
            return plain_value(node.value)
        self.expect_tag(node, *SCALAR_TAGS)
        try:
            return tagged_value(node.tag.removeprefix(_YAML_TAG), node.value)
        except ValueError as problem:
            self.fail(node, str(problem))

    def expect_tag(self, node: yaml.Node, *names: str) -> None:
        if node.tag not in {_YAML_TAG + name for name in names}:
            tag = node.tag.replace(_YAML_TAG, "!!")
            self.fail(node, f"tag {quoted(tag)} is not allowed in a routine")

    def mapping_items(self, node: yaml.MappingNode, depth: int) -> tuple:
        items: dict[str, tuple[Scalar, Node]] = {}
        merged: dict[str, tuple[Scalar, Node]] = {}
        for key_node, value_node in node.value:
            if _is_merge_key(key_node):
                for source in self.merge_sources(value_node, depth):
                    for key, value in source.items:
                        merged.setdefault(key.text, (key, value))
                continue
            key = self.convert(key_node, depth + 1)
            if not isinstance(key, Scalar):
                self.fail(key_node, "a key must be a plain word, not a list or mapping")
            if key.text in items:
                first = items[key.text][0]
                self.fail(key_node, f"duplicate key {quoted(key.text)} (first set on line {first.line})")
            items[key.text] = (key, self.convert(value_node, depth + 1))
        for name, pair in merged.items():
            items.setdefault(name, pair)
        return tuple(items.values())

    def merge_sources(self, value_node: yaml.Node, depth: int) -> list[Map]:
        value = self.convert(value_node, depth + 1)
        sources = value.items if isinstance(value, Seq) else (value,)
        if not all(isinstance(source, Map) for source in sources):
            self.fail(value_node, "'<<' must merge a mapping or a list of mappings")
        return list(sources)

    def fail(self, node: yaml.Node, message: str):
        mark = node.start_mark
        raise RoutineError(self.path, mark.line + 1, mark.column + 1, message)


def _is_merge_key(node: yaml.Node) -> bool:
    """`<<: *base` merges a mapping in (written plain, or tagged `!!merge`)."""
    plain_merge = node.tag is None and node.value == "<<"
    return isinstance(node, yaml.ScalarNode) and (plain_merge or node.tag == _YAML_TAG + "merge")
