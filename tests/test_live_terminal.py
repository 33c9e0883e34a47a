"""`coach speak` in a real terminal (tmux): the screen, the keys, and the terminal given back afterwards.

Each test runs coach in a tmux pane on its own server, presses keys with `send-keys`, and reads the
screen with `capture-pane`. After coach exits, the pane's shell prints the exit code and whether
the terminal is back in canonical mode; tmux itself says whether the cursor is shown.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from running import processes_mentioning

from coach.compiler import Options
from coach.exact import exact_timeline
from coach.library import load_routine
from coach.speech.cache import ClipCache
from coach.speech.engines import choose

TINY = Path(__file__).parent / "live" / "tiny.yaml"
HANG_GUARD_S = 120
CLOCK = re.compile(r"\] (\d+:\d\d\.\d) / ")


class Pane:
    def __init__(self, command: str, env: dict[str, str], socket: str):
        self.socket, self.env = socket, env
        # The shell itself outlives Ctrl-C (a trap, which its children do not inherit) to report on the terminal.
        shell = (f"trap true INT; {command}; echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon; "
                 f"read _")
        self.tmux("new-session", "-d", "-s", "coach", "-x", "80", "-y", "24", shell)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], env=self.env, check=True, capture_output=True,
                              text=True, timeout=HANG_GUARD_S).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "coach")

    def until(self, condition, what: str) -> str:
        deadline = time.monotonic() + HANG_GUARD_S
        while True:
            shown = self.screen()
            if condition(shown):
                return shown
            assert time.monotonic() < deadline, f"the screen never showed {what}:\n{shown}"
            time.sleep(0.05)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "coach", *keys)

    def cursor_shown(self) -> bool:
        return self.tmux("display-message", "-p", "-t", "coach", "#{cursor_flag}").strip() == "1"

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True)


@pytest.fixture
def pane(tmp_path):
    made = []

    def start(command: str, cache: Path) -> Pane:
        env = {**os.environ, "COACH_CACHE_DIR": str(cache), "TERM": "xterm-256color"}
        env.pop("XDG_RUNTIME_DIR", None)
        made.append(Pane(command, env, f"coach-test-{os.getpid()}-{tmp_path.name}"))
        return made[-1]

    yield start
    for each in made:
        each.close()


def coach_command(*args) -> str:
    return " ".join([sys.executable, "-m", "coach", *map(str, args)])


def current(screen: str, title: str) -> bool:
    """Whether the screen's current-step line (not the `Next:` line) shows `title`."""
    return re.search(rf"^{re.escape(title)}", screen, re.M) is not None


def shown_clock(screen: str) -> float:
    minutes, seconds = CLOCK.search(screen).group(1).split(":")
    return 60 * int(minutes) + float(seconds)


def test_screen_follows_the_session_and_keys_drive_it(pane, tmp_path):
    cache = tmp_path / "cache"
    routine = load_routine(str(TINY))
    exact_timeline(routine, Options(), choose(routine.voice), ClipCache(cache))
    view = pane(coach_command("speak", TINY, "--device", "null"), cache)

    first = view.until(lambda s: current(s, "Warm up › Reach (right side)") and "playing" in s, "the right side playing")
    assert "Next: Warm up › Reach (left side)" in first and "0:15.9" in first
    assert all(len(line) <= 80 for line in first.splitlines())
    later = view.until(lambda s: shown_clock(s) != shown_clock(first), "the clock moving")
    assert re.search(r"(get ready|hold): \d s", later), later

    view.keys("Space")
    paused = view.until(lambda s: "paused" in s, "paused")
    time.sleep(1)
    assert shown_clock(view.screen()) == shown_clock(paused), "the clock moved while paused"
    view.keys("Space")
    view.until(lambda s: "playing" in s, "playing again")

    view.keys("n")
    skipped = view.until(lambda s: current(s, "Warm up › Reach (left side)"), "the left side after n")
    assert "Next: Breathe" in skipped
    played = view.until(lambda s: shown_clock(s) >= shown_clock(skipped) + 1, "a second of the left side")
    view.keys("p")
    restarted = view.until(lambda s: shown_clock(s) < shown_clock(played) - 0.5, "the left side restarted")
    assert current(restarted, "Warm up › Reach (left side)")
    view.keys("q")
    done = view.until(lambda s: re.search(r"^-?icanon$", s, re.M), "coach exiting and the terminal's mode")
    assert "EXIT=0" in done
    assert re.search(r"^icanon$", done, re.M), f"the terminal was left in cbreak mode:\n{done}"
    assert view.cursor_shown()


def test_ctrl_c_while_synthesizing_exits_130_restores_the_terminal_and_leaves_no_workers(pane, tmp_path):
    phrases = "\n".join(f"      - say: Phrase number {n}, keep breathing slowly and evenly." for n in range(150))
    routine = tmp_path / "many.yaml"
    routine.write_text("title: Many phrases\nsections:\n  - name: Hello\n    steps:\n      - say: Hello.\n"
                       f"  - name: Talk\n    steps:\n{phrases}\n")  # the second chapter is made while the first plays
    cache = tmp_path / "cache"
    view = pane(coach_command("speak", routine, "--device", "null"), cache)
    view.until(lambda s: "Many phrases" in s, "the screen")
    view.until(lambda s: len(coach_processes(routine)) > 1, "synthesis workers at work")
    view.keys("C-c")
    done = view.until(lambda s: re.search(r"^-?icanon$", s, re.M), "coach exiting and the terminal's mode")
    assert "EXIT=130" in done and "Traceback" not in done, done
    assert re.search(r"^icanon$", done, re.M), done
    assert view.cursor_shown()
    assert not coach_processes(routine), "coach processes are still running"


def coach_processes(routine: Path) -> list[list[str]]:
    """coach and its synthesis workers (forked, so with the same command line); not tmux or the pane's shell."""
    return [words for words in processes_mentioning(str(routine)) if words[:3] == [sys.executable, "-m", "coach"]]


def test_sigterm_restores_the_terminal(pane, tmp_path):
    cache = tmp_path / "cache"
    view = pane(coach_command("speak", TINY, "--device", "null"), cache)
    view.until(lambda s: "Tiny live" in s, "the screen")
    shell = int(view.tmux("display-message", "-p", "-t", "coach", "#{pane_pid}"))
    (coach_pid,) = [int(p) for p in Path(f"/proc/{shell}/task/{shell}/children").read_text().split()]
    os.kill(coach_pid, signal.SIGTERM)
    done = view.until(lambda s: re.search(r"^-?icanon$", s, re.M), "coach exiting and the terminal's mode")
    assert "EXIT=143" in done and "Traceback" not in done, done
    assert re.search(r"^icanon$", done, re.M), done
    assert view.cursor_shown()
