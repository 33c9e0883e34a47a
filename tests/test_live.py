"""`coach speak` and the live session on real devices: miniaudio's NULL backend and a PulseAudio null sink.

The PulseAudio server is started here, in a private runtime folder, and stopped by its own pid. What
the sink's monitor records is exactly what the device was given, so the tests compare it sample for
sample with what `render` feeds the encoder. Timed bounds are generous: the machine may be busy.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from coach.compiler import Options
from coach.exact import ChapterByChapter, exact_timeline
from coach.library import load_routine
from coach.limits import SAMPLE_RATE
from coach.live.device import NULL_DEVICE, Output
from coach.live.session import Session
from coach.live.steps import starts
from coach.speech.cache import ClipCache
from coach.speech.engines import choose

TINY = Path(__file__).parent / "live" / "tiny.yaml"
HANG_GUARD_S = 120
"""Only so a hang fails the test; never an assertion about speed."""
ONSET_TOLERANCE = SAMPLE_RATE // 100


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """The tiny routine's clips, made once for the module (a cold start is tested on its own)."""
    folder = tmp_path_factory.mktemp("live-cache")
    routine = load_routine(str(TINY))
    exact_timeline(routine, Options(), choose(routine.voice), ClipCache(folder))
    return folder


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    """A PulseAudio server with a 22.05 kHz mono null sink `coach`; yields its runtime folder."""
    runtime = Path(tempfile.mkdtemp(prefix="coach-pulse-"))
    runtime.chmod(0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime)}
    subprocess.run(["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
                    "--load=module-null-sink sink_name=coach rate=22050 channels=1",
                    "--load=module-native-protocol-unix"], env=env, check=True, capture_output=True,
                   timeout=HANG_GUARD_S)
    pid = int((runtime / "pulse" / "pid").read_text())
    try:
        yield runtime
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not Path(f"/proc/{pid}").exists(), "the PulseAudio server did not stop"
        shutil.rmtree(runtime, ignore_errors=True)


class Recorder:
    """`parec` on the null sink's monitor: everything played into the sink, as 16-bit samples."""

    def __init__(self, runtime: Path, path: Path):
        self.path = path
        self.process = subprocess.Popen(
            ["parec", "-d", "coach.monitor", "--rate=22050", "--channels=1", "--format=s16le", "--raw"],
            stdout=path.open("wb"), env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
        # The monitor sends silence while nothing plays: once some has come, nothing played is missed.
        wait_until(lambda: path.stat().st_size > 0, "parec to start recording")

    def stop(self, covering: int) -> np.ndarray:
        """Everything recorded, once it reaches `covering` samples past its first sound (parec writes late)."""
        wait_until(lambda: self._length_past_first_sound() >= covering, "the recording to catch up")
        self.process.terminate()
        self.process.wait(timeout=HANG_GUARD_S)
        return np.fromfile(self.path, dtype="<i2")

    def _length_past_first_sound(self) -> int:
        recorded = np.fromfile(self.path, dtype="<i2")
        sounding = np.flatnonzero(recorded)
        return len(recorded) - int(sounding[0]) if sounding.size else 0


def rendered_pcm(cache: Path, routine: Path = TINY) -> tuple[np.ndarray, object]:
    """What `render` feeds the encoder for `routine` (all its parts, in order), caught at `encode_mp3_parts`,
    and the timeline."""
    from coach.audio import encoder
    from coach.render import render_mp3

    loaded = load_routine(str(routine))
    exact = exact_timeline(loaded, Options(), choose(loaded.voice), ClipCache(cache))
    caught = []

    def catch(parts, output, **_):
        for blocks in parts:
            caught.extend(blocks)

    original, encoder.encode_mp3_parts = encoder.encode_mp3_parts, catch
    try:
        render_mp3(exact, Path("unused.mp3"), 64)
    finally:
        encoder.encode_mp3_parts = original
    return np.frombuffer(b"".join(caught), dtype="<i2"), exact.timeline


class Tapped(Output):
    """The real device, with every frame it takes logged as (playhead before, samples)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.log: list[tuple[int, np.ndarray]] = []
        self.session: Session | None = None

    def start(self, fill) -> None:
        def tapped(count: int) -> bytes:
            before = self.session.position
            data = fill(count)
            taken = self.session.position - before
            self.log.append((before, np.frombuffer(data, dtype="<i2")[:taken].copy()))
            return data

        super().start(tapped)

    def played(self) -> np.ndarray:
        return np.concatenate([samples for _, samples in self.log])


def session(cache: Path, device: str = NULL_DEVICE, start_at: str | None = None,
            routine: Path = TINY) -> tuple[Session, Tapped]:
    loaded = load_routine(str(routine))
    output = Tapped(device)
    live = Session(ChapterByChapter(loaded, Options(), choose(loaded.voice), ClipCache(cache)), output, start_at)
    output.session = live
    return live, output


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def coach_env(cache: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "XDG_RUNTIME_DIR"}
    return {**env, "COACH_CACHE_DIR": str(cache), **extra}


def coach(*args, env, expect: int | None = 0) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "coach", *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=HANG_GUARD_S, stdin=subprocess.DEVNULL)
    if expect is not None:
        assert done.returncode == expect, done.stderr
    return done


def silence_inserted(recorded: np.ndarray, rest: np.ndarray) -> int:
    """How many samples of silence `recorded` holds before `rest` begins (the first 0.1 s of sound decides)."""
    first = int(np.flatnonzero(rest)[0])
    found = position_of(recorded[first:first + 6 * SAMPLE_RATE], rest[first:first + SAMPLE_RATE // 10])
    if found is None:
        raise AssertionError("the rest of the session is not in the recording")
    return found


def position_of(recorded: np.ndarray, probe: np.ndarray) -> int | None:
    """Where `probe` first appears, sample for sample, in `recorded`; None if nowhere."""
    for start in np.flatnonzero(recorded == probe[0]):
        if np.array_equal(recorded[start:start + len(probe)], probe):
            return int(start)
    return None


# --- the same samples as render ----------------------------------------------------------------

def test_pcm_given_to_the_device_is_what_render_encodes_and_takes_real_time(cache):
    expected, timeline = rendered_pcm(cache)
    live, output = session(cache)
    began = time.monotonic()
    try:
        live.play()
        assert live.wait(HANG_GUARD_S)
    finally:
        live.close()
    elapsed = time.monotonic() - began
    played = output.played()
    assert len(played) == len(expected) == timeline.duration
    assert np.array_equal(played, expected)
    assert live.position == timeline.duration
    seconds = timeline.duration / SAMPLE_RATE
    assert seconds - 0.2 <= elapsed <= seconds + 30, f"{seconds:.1f} s of audio took {elapsed:.1f} s"


def test_pause_stops_the_playhead_and_resume_continues_from_the_same_sample(cache, pulse, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(pulse))
    expected, timeline = rendered_pcm(cache)
    recorder = Recorder(pulse, tmp_path / "paused.raw")
    live, output = session(cache, device=None)
    try:
        live.play()
        wait_until(lambda: live.position > 3 * SAMPLE_RATE, "three seconds of play")
        live.pause()
        paused_at = live.position
        threading.Event().wait(0.5)
        assert live.position == paused_at, "the playhead moved while paused"
        live.resume()
        assert live.wait(HANG_GUARD_S)
    finally:
        live.close()
        recording = recorder.stop(len(expected) + SAMPLE_RATE // 2)
    assert np.array_equal(output.played(), expected)
    assert live.position == sum(len(samples) for _, samples in output.log)
    # In the sink: the stream up to the pause, silence, then the stream on from the very next sample.
    # (Only near the pause: on a busy machine the sound server may insert an underrun elsewhere.)
    offset = int(np.flatnonzero(recording)[0]) - int(np.flatnonzero(expected)[0])
    gap = silence_inserted(recording[offset + paused_at:], expected[paused_at:])
    assert 0.4 <= gap / SAMPLE_RATE <= 5, f"the pause lasted {gap / SAMPLE_RATE:.3f} s in the sink"
    # The last 0.2 s before the pause are played intact (an earlier underrun may have moved them later).
    last_played = expected[paused_at - SAMPLE_RATE // 5:paused_at]
    found = position_of(recording[offset + paused_at - SAMPLE_RATE // 5:offset + paused_at + SAMPLE_RATE], last_played)
    assert found is not None, "the sound just before the pause is not in the recording"


def test_coach_speak_through_pulseaudio_plays_every_onset_on_plan(cache, pulse, tmp_path):
    import json

    plan = json.loads(coach("plan", "--exact", "--json", TINY, env=coach_env(cache)).stdout)
    expected, _ = rendered_pcm(cache)
    recorder = Recorder(pulse, tmp_path / "speak.raw")
    try:
        coach("speak", TINY, env=coach_env(cache, XDG_RUNTIME_DIR=str(pulse)))
    finally:
        recording = recorder.stop(len(expected) + SAMPLE_RATE // 2)
    first = int(np.flatnonzero(recording)[0])
    aligned = recording[first - int(np.flatnonzero(expected)[0]):]
    quiet = 10 ** (-45 / 20) * 32768
    for event in plan["events"]:
        start = round(event["start"] * SAMPLE_RATE)
        if np.abs(expected[max(0, start - SAMPLE_RATE // 20):start]).max(initial=0) > 0:
            continue  # something already sounds there: no onset to find
        low = max(0, start - ONSET_TOLERANCE)
        heard = low + int(np.flatnonzero(np.abs(aligned[low:]) > quiet)[0])
        assert abs(heard - start) <= ONSET_TOLERANCE, f"{event} heard at {heard / SAMPLE_RATE:.3f} s"
    # Nothing is cut at the end; it may come late only by what a busy sound server inserts (an underrun).
    late = int(np.flatnonzero(aligned)[-1]) - int(np.flatnonzero(expected)[-1])
    assert -SAMPLE_RATE // 50 <= late <= SAMPLE_RATE // 2, f"the last sound ends {late / SAMPLE_RATE:+.3f} s off"


def test_sound_starts_before_the_later_chapters_are_synthesized(tmp_path):
    talk = "\n".join(f"      - say: Phrase number {n}, keep breathing slowly and evenly." for n in range(60))
    routine = tmp_path / "late.yaml"
    routine.write_text(TINY.read_text() + f"  - name: Talk\n    steps:\n{talk}\n")
    live, output = session(tmp_path / "cold-cache", routine=routine)
    try:
        live.play()
        wait_until(lambda: any(samples.any() for _, samples in output.log), "the first sound")
        placed = live.placed
    finally:
        live.close()
    assert len(placed.timeline.chapters) < 3 and not placed.complete


# --- skip, back, --from ------------------------------------------------------------------------

def test_skip_and_back_land_on_step_starts(cache):
    _, timeline = rendered_pcm(cache)
    marks = [start for start, _ in starts(timeline)]
    reach_left = next(e.start for e in timeline.events if e.step == "Reach" and e.side == "left")
    reach_right = next(e.start for e in timeline.events if e.step == "Reach" and e.side == "right")
    assert reach_left in marks and reach_right in marks
    live, output = session(cache)
    try:
        live.play()
        wait_until(lambda: live.position > reach_right + SAMPLE_RATE // 2, "the right side")
        assert live.current.step == "Reach" and live.current.side == "right"
        live.skip()
        wait_until(lambda: live.position > reach_left, "play after the skip")
        assert live.current.side == "left"
        live.back()  # restarts the left side
        wait_until(lambda: live.position > reach_left, "play after back")
        assert live.current.side == "left"
        live.back()  # again at once: the step before
        wait_until(lambda: live.position > reach_right, "play after back twice")
        assert live.current.side == "right"
    finally:
        live.close()
    jumps = [before for before, _ in output.log if before in marks]
    assert jumps.count(reach_left) >= 2 and jumps.count(reach_right) >= 1, jumps
    expected, _ = rendered_pcm(cache)
    for before, samples in output.log:  # every frame given is the render's frame at that playhead
        assert np.array_equal(samples, expected[before:before + len(samples)])


def test_from_a_step_starts_at_its_first_event(cache):
    live, output = session(cache, start_at="breaths")
    try:
        live.play()
        wait_until(lambda: any(len(samples) for _, samples in output.log), "the first frames")
    finally:
        live.close()
    _, timeline = rendered_pcm(cache)
    first = next(before for before, samples in output.log if len(samples))
    assert first == next(e.start for e in timeline.events if e.step == "Breaths")


def test_from_a_section_plays_from_its_chapter_to_the_end(cache):
    _, timeline = rendered_pcm(cache)
    chapter = timeline.chapters[1]
    began = time.monotonic()
    done = coach("speak", TINY, "--from", "Breathe", "--device", "null", env=coach_env(cache))
    elapsed = time.monotonic() - began
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"0:{chapter.start / SAMPLE_RATE:04.1f}  Breathe"), lines
    seconds = (timeline.duration - chapter.start) / SAMPLE_RATE
    assert seconds - 0.2 <= elapsed <= seconds + 30


def test_speak_ends_with_the_warnings_and_notes_of_what_it_played(cache, tmp_path):
    """As render: a cue left out is a warning, a length that misses its target by a second or more a note."""
    routine = tmp_path / "late.yaml"
    routine.write_text("title: Late\ndefaults: {prepare: 1s, countdown: 0, halfway: false}\nsections:\n"
                       "  - name: A\n    steps:\n      - name: H\n        duration: 1s-5s\n"
                       "        cues: [{at: 9s, say: Too late.}]\n      - {name: K, duration: 1s-5s}\n")
    done = coach("speak", routine, "--length", "15s", "--device", "null", env=coach_env(cache))
    warning, note = done.stderr.splitlines()
    assert warning.startswith(f"{routine}:8:") and "cue 'Too late.' at 9s is outside 'H'" in warning
    assert note.startswith(f"{routine}: note: ") and "short of 15s: ranges move in whole seconds" in note


def test_unknown_from_is_a_usage_error(cache):
    done = coach("speak", TINY, "--from", "Breth", "--device", "null", env=coach_env(cache), expect=2)
    assert "no such section or step; did you mean" in done.stderr and len(done.stderr.strip().splitlines()) == 1


# --- devices -----------------------------------------------------------------------------------

@pytest.mark.parametrize("device", [None, "no-such-device"])
def test_no_usable_device_exits_3_with_one_line_and_no_alsa_noise(cache, device):
    done = coach("speak", TINY, *(["--device", device] if device else []), env=coach_env(cache), expect=3)
    assert done.stderr.count("\n") == 1, done.stderr
    assert "--device null" in done.stderr and "ALSA" not in done.stderr and "Traceback" not in done.stderr


def test_list_devices_names_the_sink_and_null(pulse, cache):
    done = coach("speak", "--list-devices", env=coach_env(cache, XDG_RUNTIME_DIR=str(pulse)))
    assert done.stdout.splitlines()[-1] == "null" and len(done.stdout.splitlines()) >= 2
    assert done.stderr == ""
