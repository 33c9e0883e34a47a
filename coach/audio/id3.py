"""The ID3v2.3 tag we write at the front of every MP3, and the one field we read back.

We build the tag ourselves: ffmpeg 5.1 writes CTOC/CHAP well but the
comment only as a user-defined text frame (no COMM), and mutagen's save()
sorts CHAP frames by size. Reading is limited to our own render key, so a
render can tell that the file it would write is already there.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from coach.limits import MAX_SECTIONS

KEY_DESCRIPTION = "coach-key"
"""The TXXX frame's description under which a render's content key is stored."""
HEADER_BYTES = 10
MAX_TAG_BYTES = 16_000_000


@dataclass(frozen=True)
class Tags:
    """What a phone's music app shows for the track; `comment` holds the routine's description."""

    title: str
    artist: str | None
    album: str | None
    genre: str | None
    comment: str | None
    key: str | None = None
    """The render's content key (see `coach.export.renderkey`), as a TXXX frame."""
    track: str | None = None
    """"3/7" when a routine is split into one track per section."""
    cover: bytes | None = None
    """Front cover art, a PNG image."""


@dataclass(frozen=True)
class ChapterMark:
    """A chapter in milliseconds of decoded audio: a section, or a step inside one."""

    title: str
    start_ms: int
    end_ms: int
    steps: tuple[ChapterMark, ...] = ()
    """A section's step chapters, which tile it; none: the section is one chapter."""


def id3_tag(tags: Tags, chapters: Sequence[ChapterMark]) -> bytes:
    """The whole ID3v2.3 tag: text frames, COMM, cover, key, then the table of contents and chapters.

    Sections without steps are CHAP frames listed by the top-level CTOC. A section with steps is a
    CTOC of its own (titled, listed by the top level) whose CHAP frames are its steps: a player
    that lists flat chapters lets the user skip one exercise, one that reads the tree shows sections.
    """
    if max(len(chapters), *(len(mark.steps) for mark in chapters), 0) > MAX_SECTIONS:
        raise ValueError(f"more than {MAX_SECTIONS} chapters in one table of contents; ID3 allows no more")
    frames = [_text_frame("TIT2", tags.title)]
    frames += [_text_frame(frame_id, value) for frame_id, value in
               (("TPE1", tags.artist), ("TALB", tags.album), ("TCON", tags.genre), ("TRCK", tags.track))
               if value]
    if tags.comment:
        encoding = _encoding(tags.comment)
        frames.append(_frame("COMM", bytes([encoding]) + b"eng" + _string(encoding, "")
                             + _string(encoding, tags.comment)))
    if tags.cover:
        front_cover = 3
        frames.append(_frame("APIC", b"\0image/png\0" + bytes([front_cover]) + b"\0" + tags.cover))
    if tags.key:
        frames.append(_frame("TXXX", b"\0" + _string(0, KEY_DESCRIPTION) + _string(0, tags.key)))
    if chapters:
        ids = [f"toc{index}" if mark.steps else f"ch{index}" for index, mark in enumerate(chapters)]
        frames.append(_toc("toc", ids, top_level=True))
        for section, mark in zip(ids, chapters):
            if not mark.steps:
                frames.append(_chapter(section, mark))
                continue
            steps = [f"ch{section[3:]}.{index}" for index in range(len(mark.steps))]
            frames.append(_toc(section, steps, top_level=False, title=mark.title))
            frames += [_chapter(element, step) for element, step in zip(steps, mark.steps)]
    body = b"".join(frames)
    syncsafe = bytes((len(body) >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x03\x00\x00" + syncsafe + body


def _toc(element: str, children: list[str], top_level: bool, title: str | None = None) -> bytes:
    ordered = 0b01
    flags = ordered | (0b10 if top_level else 0)
    content = element.encode() + b"\0" + bytes([flags, len(children)]) + b"".join(f"{child}\0".encode() for child in children)
    return _frame("CTOC", content + (_text_frame("TIT2", title) if title else b""))


def _chapter(element: str, mark: ChapterMark) -> bytes:
    no_offset = 0xFFFFFFFF  # times, not byte offsets, locate the chapter
    return _frame("CHAP", element.encode() + b"\0" + struct.pack(">4I", mark.start_ms, mark.end_ms, no_offset, no_offset)
                  + _text_frame("TIT2", mark.title))


def _frame(frame_id: str, content: bytes) -> bytes:
    return frame_id.encode() + struct.pack(">IH", len(content), 0) + content


def _text_frame(frame_id: str, text: str) -> bytes:
    encoding = _encoding(text)
    return _frame(frame_id, bytes([encoding]) + _string(encoding, text))


def _encoding(text: str) -> int:
    """0 (Latin-1) when it fits, else 1 (UTF-16 with BOM): v2.3 has no UTF-8."""
    try:
        text.encode("latin-1")
        return 0
    except UnicodeEncodeError:
        return 1


def _string(encoding: int, text: str) -> bytes:
    """Terminated; each UTF-16 string carries its own BOM (ffmpeg's reader insists, even on empty ones)."""
    if encoding == 0:
        return text.encode("latin-1") + b"\0"
    return b"\xff\xfe" + text.encode("utf-16-le") + b"\0\0"


def tag_length(header: bytes) -> int:
    """Bytes the tag whose 10-byte header this is takes at the start of the file, header included.
    The size field is 'syncsafe': four bytes of seven bits each."""
    size = 0
    for byte in header[6:10]:
        size = size << 7 | byte & 0x7F
    return HEADER_BYTES + size


def stored_key(path: Path) -> str | None:
    """The render key in the tag at the start of `path`, or None (no tag, no key, not our kind of tag)."""
    try:
        with open(path, "rb") as mp3:
            header = mp3.read(HEADER_BYTES)
            if len(header) < HEADER_BYTES or header[:5] != b"ID3\x03\x00":
                return None
            body = mp3.read(min(tag_length(header) - HEADER_BYTES, MAX_TAG_BYTES))
    except OSError:
        return None
    wanted = b"\0" + _string(0, KEY_DESCRIPTION)
    at = 0
    while at + HEADER_BYTES <= len(body) and body[at:at + 4].strip(b"\0"):
        frame_id, length = body[at:at + 4], int.from_bytes(body[at + 4:at + 8], "big")
        content = body[at + HEADER_BYTES:at + HEADER_BYTES + length]
        if frame_id == b"TXXX" and content.startswith(wanted):
            return content[len(wanted):].rstrip(b"\0").decode("latin-1")
        at += HEADER_BYTES + length
    return None
