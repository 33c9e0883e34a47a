"""Which processes are still running: a test's way to see that nothing it started was left behind."""

from __future__ import annotations

from pathlib import Path


def processes_mentioning(text: str) -> list[list[str]]:
    """The command line (as words) of every process with `text` in one of its words."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(text in word for word in words):
            found.append(words)
    return found
