"""Progress for long work (synthesis, encoding): a line on a terminal, nothing elsewhere.

Library code reports through a `Stage`: `stage(label, total)` returns
`advance(n)`. The CLI passes `terminal_stage` when stderr is a terminal.
"""

from __future__ import annotations

import sys
from typing import Callable

Stage = Callable[[str, int], Callable[[int], None]]


def quiet(label: str, total: int) -> Callable[[int], None]:
    return lambda done: None


def terminal_stage(label: str, total: int) -> Callable[[int], None]:
    """Redraws `label [#####     ]  42%` on stderr as work advances; ends the line when done."""
    done = 0
    shown = -1

    def advance(count: int) -> None:
        nonlocal done, shown
        done = min(total, done + count)
        percent = 100 * done // total if total else 100
        if percent != shown:
            shown = percent
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\r{label:<8} [{bar:<25}] {percent:3d}%")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return advance
