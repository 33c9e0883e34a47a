"""Every render lands at one loudness: -16 +- 0.5 LUFS integrated, true peak at most -1 dBTP, measured by
ffmpeg's `ebur128` on the decoded MP3 (an independent meter) for a holds routine, breathing-only routines
and the built-in default. The Piper voice gets the same check in test_piper."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_render import coach, environment, loudness

GOLDEN = Path(__file__).parent / "golden"
TARGET_LUFS = -16.0
LOUDNESS_TOLERANCE_LU = 0.5
PEAK_CEILING_DBTP = -1.0


def assert_delivery_loudness(mp3: Path) -> None:
    integrated, peak = loudness(mp3)
    assert abs(integrated - TARGET_LUFS) <= LOUDNESS_TOLERANCE_LU and peak <= PEAK_CEILING_DBTP, (integrated, peak)


@pytest.mark.parametrize("routine", [GOLDEN / "per-side-rounds.yaml", GOLDEN / "breathing-478.yaml",
                                     GOLDEN / "box-breathing.yaml", "runner-recovery"],
                         ids=["holds", "breathing-478", "box-breathing", "default"])
def test_every_kind_of_routine_renders_at_minus_16_lufs_under_minus_1_dbtp(tmp_path, routine):
    mp3 = tmp_path / "track.mp3"
    coach("render", routine, "-o", mp3, env=environment(tmp_path / "cache"))
    assert_delivery_loudness(mp3)
