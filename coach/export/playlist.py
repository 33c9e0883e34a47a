"""An extended M3U playlist (UTF-8, `.m3u8`) with paths relative to the playlist's folder.

Relative paths with forward slashes keep working when the whole folder is
copied to a phone or a sync folder, on every system.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    path: str
    """Relative to the playlist, '/'-separated."""
    seconds: int
    artist: str
    title: str


def to_m3u8(entries: list[Entry]) -> str:
    lines = ["#EXTM3U"]
    for entry in entries:
        label = " ".join(f"{entry.artist} - {entry.title}".split())
        lines += [f"#EXTINF:{entry.seconds},{label}", entry.path]
    return "\n".join(lines) + "\n"
