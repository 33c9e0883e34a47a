"""Speech length estimated from the speaking rate, for `coach plan` without `--exact`.

Only a stand-in until clips exist: render and speak measure the real clips.
"""

from __future__ import annotations

import re

from coach.placement import Measure

_SENTENCE_END = re.compile(r"[.!?:;]+(\s|$)")
_COMMA = re.compile(r",(\s|$)")
SENTENCE_PAUSE = 0.3
COMMA_PAUSE = 0.15


def estimate(rate_wpm: int) -> Measure:
    """A `measure` that turns words and punctuation into seconds at `rate_wpm`."""

    def measure(text: str) -> float:
        words = max(1, len(text.split()))
        pauses = SENTENCE_PAUSE * len(_SENTENCE_END.findall(text.strip()[:-1])) \
            + COMMA_PAUSE * len(_COMMA.findall(text))
        return words * 60 / rate_wpm + pauses

    return measure
