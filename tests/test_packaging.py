"""The wheel carries what a user installing `coach` needs: cue sounds, built-in routines, the starter routine."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_cue_sounds_and_routines(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("coach-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sounds = {f"coach/audio_cues/{p.name}" for p in (ROOT / "audio_cues").glob("*.wav")}
    assert len(sounds) == 7 and sounds <= names
    assert "coach/routines/runner-recovery.yaml" in names
    assert "coach/starter.yaml" in names
