"""Hostile outputs and stop signals: a render writes only the file asked for, and a stopped one leaves nothing.

Each case runs the real `coach render` (espeak-ng, ffmpeg) in a subprocess. Waits have generous limits
only so a hang fails instead of blocking; nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from coach.errors import EnvironmentProblem
from coach.outputpath import output_target

HANG_GUARD_S = 300
ROUTINE = """\
title: Short
sections:
  - name: Only
    steps:
      - {name: Reach, say: Reach up., duration: 3s}
"""
MANY_PHRASES = "title: Many\nsections:\n  - name: Talk\n    steps:\n" + "".join(
    f"      - say: Phrase number {n}, keep breathing slowly and evenly.\n" for n in range(120))
LONG = Path(__file__).parent / "render" / "long.yaml"


def coach(*args, cwd: Path, expect: int) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "coach", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=HANG_GUARD_S, env={**os.environ, "COACH_CACHE_DIR": str(cwd / "cache")})
    assert done.returncode == expect, done.stderr
    return done


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder` (cache excluded) with its kind and content, to prove nothing changed."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if "cache" in path.relative_to(folder).parts:
            continue
        kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "fifo" if path.is_fifo() \
            else "socket" if path.is_socket() else "file"
        content = os.readlink(path) if kind == "link" else path.read_bytes() if kind == "file" else None
        found[str(path.relative_to(folder))] = (kind, content)
    return found


# --- the output never replaces an input or a non-file -------------------------------------------

@pytest.mark.parametrize("output", ["r.yaml", "./sub/../r.yaml", "hard-link.yaml", "link-to-routine.mp3",
                                    "beep.wav", "line\nbreak.mp3"])
def test_render_refuses_to_write_over_its_inputs(tmp_path, output):
    (tmp_path / "r.yaml").write_text(ROUTINE.replace("title: Short", "title: Short\nsounds: {start: beep.wav}"))
    (tmp_path / "sub").mkdir()
    os.link(tmp_path / "r.yaml", tmp_path / "hard-link.yaml")
    (tmp_path / "link-to-routine.mp3").symlink_to("r.yaml")
    (tmp_path / "line\nbreak.mp3").symlink_to("r.yaml")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=880:duration=0.2", "beep.wav"],
                   cwd=tmp_path, check=True)
    before = snapshot(tmp_path)
    done = coach("render", "r.yaml", "-o", output, cwd=tmp_path, expect=3)
    shown = str(Path(output)).replace("\n", "\\n")
    assert one_line(done.stderr).startswith(f"error: refusing to write the MP3 over '{shown}': it is ")
    assert "(fix: choose another file with -o)" in done.stderr
    assert snapshot(tmp_path) == before


def test_a_routine_named_like_its_mp3_is_not_overwritten(tmp_path):
    (tmp_path / "r.mp3").write_text(ROUTINE)
    done = coach("render", "r.mp3", cwd=tmp_path, expect=3)
    assert "refusing to write the MP3 over 'r.mp3': it is the routine being rendered" in one_line(done.stderr)
    assert (tmp_path / "r.mp3").read_text() == ROUTINE


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays


def _folder(path: Path) -> None:
    path.mkdir()


def _link_to_fifo(path: Path) -> None:
    os.mkfifo(path.with_name("pipe"))
    path.symlink_to("pipe")


@pytest.mark.parametrize("make", [_fifo, _socket, _folder, _link_to_fifo])
def test_render_refuses_an_output_that_is_not_a_regular_file(tmp_path, make):
    (tmp_path / "r.yaml").write_text(ROUTINE)
    make(tmp_path / "out.mp3")
    before = snapshot(tmp_path)
    done = coach("render", "r.yaml", "-o", "out.mp3", cwd=tmp_path, expect=3)
    assert one_line(done.stderr).startswith("error: refusing to write the MP3 to 'out.mp3': it is ")
    assert snapshot(tmp_path) == before


def test_a_device_is_refused_before_anything_is_written(tmp_path):
    """In-process, so nothing could reach /dev/null even if the check failed: output_target only looks."""
    with pytest.raises(EnvironmentProblem, match="it is not a regular file"):
        output_target(Path("/dev/null"), {})
    (tmp_path / "null.mp3").symlink_to("/dev/null")
    with pytest.raises(EnvironmentProblem, match="it is not a regular file"):
        output_target(tmp_path / "null.mp3", {})


def test_a_symlinked_output_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "r.yaml").write_text(ROUTINE)
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "short.mp3").write_bytes(b"an older render")
    (tmp_path / "out.mp3").symlink_to("music/short.mp3")
    (tmp_path / "new.mp3").symlink_to("music/new.mp3")  # dangling: its target is created
    coach("render", "r.yaml", "-o", "out.mp3", cwd=tmp_path, expect=0)
    coach("render", "r.yaml", "-o", "new.mp3", cwd=tmp_path, expect=0)
    assert os.readlink(tmp_path / "out.mp3") == "music/short.mp3"
    assert os.readlink(tmp_path / "new.mp3") == "music/new.mp3"
    written = (tmp_path / "music" / "short.mp3").read_bytes()
    assert written.startswith(b"ID3") and written == (tmp_path / "music" / "new.mp3").read_bytes()
    assert sorted(p.name for p in (tmp_path / "music").iterdir()) == ["new.mp3", "short.mp3"]


# --- stop signals: the same clean end as Ctrl-C --------------------------------------------------

def _processes_marked(mark: str) -> list[str]:
    """Processes (workers, ffmpeg, espeak-ng) that inherited the environment variable COACH_TEST_MARK=mark."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"COACH_TEST_MARK={mark}".encode() in environ.read_bytes().split(b"\0"):
                found.append(environ.parent.name)
        except OSError:
            continue
    return found


def _wait_for(condition, process, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while not condition():
        assert process.poll() is None, f"render ended before {what}: {process.communicate()}"
        assert time.monotonic() < deadline, f"never reached: {what}"
        time.sleep(0.01)


def _clips(cache: Path) -> int:
    return sum(1 for _ in cache.rglob("*.clip"))


def _encoding(out: Path) -> bool:
    return any(".partial-" in p.name and p.stat().st_size > 0 for p in out.iterdir() if p.exists())


# (signal, to the whole group as `timeout` and a terminal do, or to coach alone as `kill` does, phase)
STOPS = [(signal.SIGTERM, True, "synthesis"), (signal.SIGHUP, True, "synthesis"), (signal.SIGTERM, False, "synthesis"),
         (signal.SIGTERM, True, "encoding"), (signal.SIGHUP, False, "encoding"), (signal.SIGTERM, False, "encoding")]


@pytest.mark.parametrize("signum, group, phase", STOPS)
def test_a_stop_signal_leaves_no_partial_file_no_scratch_and_no_process(tmp_path, signum, group, phase):
    out, scratch, cache = tmp_path / "out", tmp_path / "scratch", tmp_path / "cache"
    out.mkdir()
    scratch.mkdir()
    routine = tmp_path / "many.yaml"
    routine.write_text(MANY_PHRASES)
    target = out / "session.mp3"
    target.write_bytes(b"an earlier render\n")
    if phase == "encoding":  # the long routine's few clips are made first, so the signal lands in the encoder
        subprocess.run([sys.executable, "-m", "coach", "plan", "--exact", str(LONG)], check=True, capture_output=True,
                       env={**os.environ, "COACH_CACHE_DIR": str(cache)}, timeout=HANG_GUARD_S)
        routine = LONG
    mark = uuid.uuid4().hex
    env = {**os.environ, "COACH_CACHE_DIR": str(cache), "TMPDIR": str(scratch), "COACH_TEST_MARK": mark}
    process = subprocess.Popen([sys.executable, "-m", "coach", "render", str(routine), "-o", str(target)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        if phase == "synthesis":
            _wait_for(lambda: _clips(cache) >= 3, process, "the first clips were made")
        else:
            _wait_for(lambda: _encoding(out), process, "encoding started")
        os.killpg(process.pid, signum) if group else os.kill(process.pid, signum)
        _, stderr = process.communicate(timeout=HANG_GUARD_S)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 128 + signum
    assert one_line(stderr) == f"stopped by {signal.Signals(signum).name}"
    assert sorted(p.name for p in out.iterdir()) == ["session.mp3"]
    assert target.read_bytes() == b"an earlier render\n"
    assert list(scratch.iterdir()) == [], "a scratch folder was left in TMPDIR"
    assert [p.name for p in cache.rglob("*") if p.is_file() and p.suffix != ".clip"] == []
    deadline = time.monotonic() + 10  # the kernel reaps killed children a moment after their parent exits
    while _processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_marked(mark) == [], "a worker or encoder outlived the render"
