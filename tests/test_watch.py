"""`coach watch` driven as a user does: edit the routine file, wait for the MP3, break it, fix it, Ctrl-C.

Waits have generous limits only so a hang fails instead of blocking.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

HANG_GUARD_S = 120
ROUTINE = """\
title: Watched
sections:
  - name: Warm up
    steps:
      - {name: Reach, say: Reach up., duration: 3s}
  - name: Cool down
    steps:
      - {name: Fold, say: Fold forward., duration: 3s}
"""


class Watcher:
    """`coach watch` in a subprocess, its output lines collected as they come."""

    def __init__(self, folder: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coach", "watch", "r.yaml", "-o", "r.mp3"], cwd=folder, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COACH_CACHE_DIR": str(folder / "cache")})
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.readers = [threading.Thread(target=self._collect, args=(name, stream), daemon=True)
                        for name, stream in (("out", self.process.stdout), ("err", self.process.stderr))]
        for reader in self.readers:
            reader.start()

    def _collect(self, name, stream):
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))

    def next_line(self, stream: str, timeout: float = HANG_GUARD_S) -> str:
        """The next line on `stream` ('out' or 'err'); lines on the other stream in between are skipped."""
        while True:
            name, line = self.lines.get(timeout=timeout)
            if name == stream:
                return line

    def stop(self) -> tuple[int, list[str]]:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=HANG_GUARD_S)
        for reader in self.readers:
            reader.join(timeout=HANG_GUARD_S)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return code, rest


def test_watch_renders_on_save_keeps_the_last_good_mp3_and_stops_cleanly(tmp_path):
    routine, mp3 = tmp_path / "r.yaml", tmp_path / "r.mp3"
    routine.write_text(ROUTINE)
    watcher = Watcher(tmp_path)
    try:
        assert watcher.next_line("err") == "watching r.yaml (Ctrl-C to stop)"
        assert watcher.next_line("out").startswith("r.mp3: ")
        first = mp3.read_bytes()

        routine.write_text(ROUTINE.replace("Fold forward.", "Fold forward slowly."))
        line = watcher.next_line("out")
        assert line.startswith("r.mp3: ") and line.endswith("; changed: Cool down)"), line
        edited = mp3.read_bytes()
        assert edited != first

        routine.write_text(ROUTINE.replace("duration: 3s}", "duration: soon}"))  # both steps: both errors
        assert watcher.next_line("err").startswith("r.yaml:5:")
        assert watcher.next_line("err").startswith("r.yaml:8:")
        routine.write_text(ROUTINE.replace("sections:", "sections: ["))
        assert watcher.next_line("err").startswith("r.yaml:")
        assert mp3.read_bytes() == edited

        routine.write_text("# a comment only changes nothing heard\n" + ROUTINE.replace("Fold forward.",
                                                                                         "Fold forward slowly."))
        assert watcher.next_line("out").startswith("r.mp3: up to date")
        assert mp3.read_bytes() == edited

        for seconds in range(4, 9):  # a burst of saves: one render, of the last one
            routine.write_text(ROUTINE.replace("duration: 3s}", f"duration: {seconds}s}}"))
        line = watcher.next_line("out")
        assert line.startswith("r.mp3: ") and "changed: Warm up, Cool down" in line, line
    finally:
        code, rest = watcher.stop()
    assert code == 130
    assert rest[-1] == ("err", "interrupted")
    assert not [line for name, line in rest if name == "out"], "the burst rendered more than once"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "r.mp3", "r.yaml"]
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(mp3), "-f", "s16le", "-ac", "1", "-ar", "22050", "-"],
                             capture_output=True, check=True).stdout
    plan = subprocess.run([sys.executable, "-m", "coach", "plan", "--exact", "--json", "r.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, check=True, env={**os.environ,
                                                                             "COACH_CACHE_DIR": str(tmp_path / "cache")})
    assert abs(len(decoded) / 2 / 22050 - json.loads(plan.stdout)["duration"]) < 0.05, "the MP3 is not the last save"
