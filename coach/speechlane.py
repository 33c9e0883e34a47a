"""One voice: the spoken intervals placed so far, so no utterance talks over another."""

from __future__ import annotations

import bisect


class SpeechLane:
    """Sorted, non-overlapping half-open intervals `[start, end)` in samples."""

    def __init__(self):
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.texts: list[str] = []

    def clash(self, start: int, end: int) -> str | None:
        """The text of an utterance overlapping `[start, end)`, or None if the slot is free."""
        index = bisect.bisect_left(self.starts, end)
        if index and self.ends[index - 1] > start:
            return self.texts[index - 1]
        return None

    def first_free(self, start: int, length: int, limit: int) -> int | None:
        """Earliest start >= `start` where `length` fits and ends by `limit`; None if none."""
        index = bisect.bisect_right(self.starts, start)
        if index and self.ends[index - 1] > start:
            start = self.ends[index - 1]
        while index < len(self.starts) and self.starts[index] < start + length:
            start = max(start, self.ends[index])
            index += 1
        return start if start + length <= limit else None

    def last_free(self, earliest: int, end_by: int, length: int) -> int | None:
        """Latest start >= `earliest` where `length` fits and ends by `end_by`; None if none."""
        start = end_by - length
        index = bisect.bisect_left(self.starts, end_by)
        while index and start >= earliest:
            if self.ends[index - 1] <= start:
                return start
            start = min(start, self.starts[index - 1] - length)
            index -= 1
        return start if start >= earliest else None

    def add(self, start: int, end: int, text: str) -> None:
        index = bisect.bisect_left(self.starts, start)
        self.starts.insert(index, start)
        self.ends.insert(index, end)
        self.texts.insert(index, text)
