"""docs/ cannot drift from the code: every key the loader accepts, every command and option, is documented.

docs/routines.md marks each key table with `<!-- keys: MAPPING -->` (the names of `coach.schema.MAPPINGS`);
docs/cli.md has a `## \\`coach NAME\\`` section per command.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from coach import cuesounds
from coach.cli import cli
from coach.compiler import check_routine
from coach.estimate import estimate
from coach.loader import load_text
from coach.schema import MAPPINGS

ROOT = Path(__file__).parent.parent
ROUTINES_DOC = (ROOT / "docs" / "routines.md").read_text("utf-8")
CLI_DOC = (ROOT / "docs" / "cli.md").read_text("utf-8")
KEY_TABLE = re.compile(r"<!-- keys: ([a-z ]+) -->\n((?:\|.*\n)+)")


def documented_keys() -> dict[str, list[str]]:
    """Mapping name -> the keys in the first column of its table."""
    tables = {}
    for name, table in KEY_TABLE.findall(ROUTINES_DOC):
        assert name not in tables, f"two tables for {name}"
        rows = table.splitlines()[2:]
        tables[name] = [re.fullmatch(r"\| `([a-z_]+)` \|.*", row).group(1) for row in rows]
    return tables


def test_every_mapping_has_a_key_table():
    assert sorted(documented_keys()) == sorted(MAPPINGS)


@pytest.mark.parametrize("name", sorted(MAPPINGS))
def test_a_table_documents_exactly_the_keys_the_loader_accepts(name):
    keys = documented_keys()[name]
    assert len(keys) == len(set(keys)), f"a key twice in the {name} table"
    assert set(keys) == set(MAPPINGS[name])


def test_the_documented_routine_checks_strictly():
    examples = [block for block in re.findall(r"```yaml\n(.*?)```", ROUTINES_DOC, re.S) if "sections:" in block]
    assert examples
    for text in examples:
        routine = load_text(text, "docs/routines.md")
        _, warnings = check_routine(routine, estimate(routine.voice.rate), cuesounds.length_seconds)
        assert warnings == ()


def test_bundled_sounds_are_all_named():
    for name in cuesounds.bundled_names():
        assert f"`{name}`" in ROUTINES_DOC


def command_sections() -> dict[str, str]:
    """Command name -> the text of its `## \\`coach NAME\\`` section."""
    parts = re.split(r"^## `coach (\w+)`\n", CLI_DOC, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def options_of(command: click.Command) -> list[str]:
    return [opt for param in command.params if isinstance(param, click.Option)
            for opt in param.opts + param.secondary_opts]


def test_every_command_has_a_section_and_no_more():
    assert sorted(command_sections()) == sorted(cli.commands)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_of_a_command_is_documented_in_its_section(name):
    section = command_sections()[name]
    missing = [opt for opt in options_of(cli.commands[name]) if f"`{opt}" not in section]
    assert missing == []


def test_the_group_options_are_documented():
    overview = CLI_DOC.split("\n## ")[0]
    assert [opt for opt in options_of(cli) + ["-h", "--help"] if f"`{opt}`" not in overview] == []


def test_every_exit_code_is_documented():
    for code in ("0", "1", "2", "3", "130", "143", "129"):
        assert re.search(rf"^\| {code} \|", CLI_DOC, re.M), code


def test_the_readme_links_the_docs_and_nothing_outside_the_repository():
    readme = (ROOT / "README.md").read_text("utf-8")
    for doc in ("docs/routines.md", "docs/timeline.md", "docs/cli.md"):
        assert f"]({doc}" in readme
    assert "../shared" not in readme
