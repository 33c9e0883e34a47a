"""Cover art for a routine: its title, its length, and a bar of its sections in proportion.

A phone's player shows it on the lock screen and in the library, where a
row of identical "coach" tracks would otherwise be hard to tell apart.
Drawn with Pillow's bundled font, so the same routine gives the same
PNG bytes on every machine with the same Pillow.
"""

from __future__ import annotations

import io
import textwrap

from coach.limits import SAMPLE_RATE
from coach.timeline import Timeline

SIZE = 600
MARGIN = 48
BACKGROUND = (22, 58, 64)
INK = (240, 236, 226)
MUTED = (160, 190, 186)
SECTION_COLOURS = ((236, 170, 84), (118, 196, 174), (226, 120, 104), (150, 170, 220))
TITLE_PX, DETAIL_PX, BAR_PX = 56, 30, 36
TITLE_LINES, TITLE_CHARS = 4, 16


def cover_png(timeline: Timeline) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    draw = ImageDraw.Draw(image)
    title_font, detail_font = ImageFont.load_default(TITLE_PX), ImageFont.load_default(DETAIL_PX)
    lines = textwrap.wrap(timeline.title, TITLE_CHARS)[:TITLE_LINES] or [""]
    for row, line in enumerate(lines):
        draw.text((MARGIN, MARGIN + row * TITLE_PX * 1.15), line, font=title_font, fill=INK)
    sections = len(timeline.chapters)
    minutes = max(1, round(timeline.duration / SAMPLE_RATE / 60))
    detail = f"{minutes} min · {sections} section{'s' * (sections != 1)}"
    bar_top = SIZE - MARGIN - BAR_PX
    draw.text((MARGIN, bar_top - DETAIL_PX * 1.6), detail, font=detail_font, fill=MUTED)
    width = SIZE - 2 * MARGIN
    for index, chapter in enumerate(timeline.chapters):
        left = MARGIN + width * chapter.start // max(timeline.duration, 1)
        right = MARGIN + width * chapter.end // max(timeline.duration, 1)
        draw.rectangle((left, bar_top, max(left, right - 2), bar_top + BAR_PX),
                       fill=SECTION_COLOURS[index % len(SECTION_COLOURS)])
    png = io.BytesIO()
    image.save(png, format="PNG", optimize=False)
    return png.getvalue()
