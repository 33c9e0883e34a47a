"""YAML text to plain values that remember where they were written.

Untrusted routines must not run code or exhaust memory: only the safe YAML
tags are accepted, duplicate keys are errors, and alias expansion is
bounded by a node budget (a "billion laughs" file is refused, not expanded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import yaml
from yaml.constructor import SafeConstructor

from coach.errors import RoutineError
from coach.limits import MAX_FILE_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES

_SAFE_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("null", "bool", "int", "float", "str", "timestamp", "seq", "map", "merge")
}


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
        raise RoutineError(path, 1, 1, f"file is larger than {MAX_FILE_BYTES // 1000} kB")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        unclosed = _UNCLOSED.get(error.context) if "<stream end>" in (error.problem or "") else None
        mark = error.context_mark if unclosed else error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RoutineError(path, line, col, f"invalid YAML: {unclosed or _yaml_problem(error)}") from None
    except yaml.YAMLError as error:
        raise RoutineError(path, 1, 1, f"not valid YAML: {error}") from None
    if root is None:
        raise RoutineError(path, 1, 1, "the file is empty; a routine needs a title and sections")
    return _Converter(path).convert(root, depth=0)


_UNCLOSED = {
    "while parsing a flow sequence": "this '[' is never closed with ']'",
    "while parsing a flow mapping": "this '{' is never closed with '}'",
}


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    problem = error.problem or "not valid YAML"
    if "'\\t'" in problem:
        return "a tab cannot be used here; indent with spaces"
    if error.context and "while" not in error.context:
        problem = f"{error.context}: {problem}"
    return problem


class _Converter:
    """Walks the composed node graph once, charging every visit to a budget."""

    def __init__(self, path: str):
        self.path = path
        self.budget = MAX_YAML_NODES
        self.constructor = SafeConstructor()

    def convert(self, node: yaml.Node, depth: int) -> Node:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        self.budget -= 1
        if self.budget < 0:
            self.fail(node, f"the document expands to more than {MAX_YAML_NODES} values (aliases?)")
        if depth > MAX_YAML_DEPTH:
            self.fail(node, f"nesting deeper than {MAX_YAML_DEPTH} levels")
        if node.tag not in _SAFE_TAGS:
            self.fail(node, f"tag '{node.tag.replace('tag:yaml.org,2002:', '!!')}' is not allowed in a routine")
        if isinstance(node, yaml.ScalarNode):
            return Scalar(self.constructor.construct_object(node), node.value, line, col)
        if isinstance(node, yaml.SequenceNode):
            return Seq(tuple(self.convert(item, depth + 1) for item in node.value), line, col)
        return Map(self.mapping_items(node, depth), line, col)

    def mapping_items(self, node: yaml.MappingNode, depth: int) -> tuple:
        items: dict[str, tuple[Scalar, Node]] = {}
        merged: dict[str, tuple[Scalar, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                for source in self.merge_sources(value_node, depth):
                    for key, value in source.items:
                        merged.setdefault(key.text, (key, value))
                continue
            key = self.convert(key_node, depth + 1)
            if not isinstance(key, Scalar):
                self.fail(key_node, "a key must be a plain word, not a list or mapping")
            if key.text in items:
                first = items[key.text][0]
                self.fail(key_node, f"duplicate key '{key.text}' (first set on line {first.line})")
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
