"""`coach render` end to end: the real speech engine and ffmpeg, the MP3 decoded and checked against the plan.

Every check listens to the decoded file: where each sound starts, that the gaps between them are
silent, how long the track is, how loud it is, and what its tags and chapters say. Nothing here
depends on how fast the machine is; waits have generous limits only so a hang fails instead of
blocking. Each test keeps its clip cache in its own temporary folder (COACH_CACHE_DIR).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp3 import MP3, BitrateMode
from running import processes_mentioning

RATE = 22050
FIXTURES = Path(__file__).parent / "render"
ONSETS = FIXTURES / "onsets.yaml"
FITTED = FIXTURES / "fitted.yaml"
LONG = FIXTURES / "long.yaml"
HANG_GUARD_S = 300
"""Only so a hung command fails the test; never an assertion about speed."""


def dbfs(level_db: float) -> float:
    return 10 ** (level_db / 20) * 32768


# Onsets. At 64 kbps an MP3 smears a sharp attack backwards (pre-echo): on this routine's speech
# the decoded level passes -45 dBFS up to 9 ms before the attack, but never -38 dBFS. The breath
# tones, on the other hand, swell in and take 3 ms to reach -45 dBFS and 13 ms to reach -35 dBFS.
# So "not late" is read at a low level and "not early" at a level above the pre-echo.
LATE_LEVEL = dbfs(-45)
EARLY_LEVEL = dbfs(-35)
ONSET_TOLERANCE_S = 0.005
CLEAR_BEFORE_S = 0.060
"""An onset is checked when the plan has nothing sounding for this long before it."""
SEARCH_FROM_S = 0.040
GAP_MIN_S = 0.100
GAP_MARGIN_S = 0.030
SILENCE_PEAK = dbfs(-50)


# --- running coach ----------------------------------------------------------------------------

def environment(cache: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "COACH_CACHE_DIR": str(cache), **extra}


def coach(*args, env: dict[str, str], expect: int | None = 0) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "coach", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=HANG_GUARD_S)
    if expect is not None:
        assert done.returncode == expect, f"coach {' '.join(map(str, args))} -> {done.returncode}\n{done.stderr}"
    return done


def render(routine, output: Path, *options, env) -> bytes:
    coach("render", routine, "-o", output, *options, env=env)
    return output.read_bytes()


def plan_exact(routine, *options, env) -> dict:
    return json.loads(coach("plan", "--exact", "--json", routine, *options, env=env).stdout)


def decode(path: Path) -> np.ndarray:
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"],
                         check=True, capture_output=True, timeout=HANG_GUARD_S).stdout
    return np.frombuffer(pcm, dtype="<i2").astype(np.int32)


def ffprobe_chapters(path: Path) -> list[dict]:
    done = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
                          check=True, capture_output=True, text=True, timeout=HANG_GUARD_S)
    return json.loads(done.stdout)["chapters"]


def exact_duration_samples(routine: Path, cache: Path) -> tuple[int, str]:
    """The exact timeline's length in samples (the JSON rounds to ms), and that timeline as JSON."""
    from coach.compiler import Options
    from coach.library import load_routine
    from coach.exact import exact_timeline
    from coach.speech.cache import ClipCache
    from coach.speech.engines import choose
    from coach.timeline import to_json

    loaded = load_routine(str(routine))
    timeline = exact_timeline(loaded, Options(), choose(loaded.voice), ClipCache(cache)).timeline
    return timeline.duration, to_json(timeline)


def clip_files(cache: Path) -> dict[str, tuple[int, int]]:
    """Every clip in the cache: name -> (inode, mtime_ns); a rewritten entry gets a new inode."""
    return {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in cache.rglob("*.clip")}


# --- reading the decoded audio against the plan -----------------------------------------------

def first_above(pcm: np.ndarray, level: float, from_s: float) -> float | None:
    low = max(0, round(from_s * RATE))
    loud = np.flatnonzero(np.abs(pcm[low:]) > level)
    return (low + int(loud[0])) / RATE if loud.size else None


def checked_onsets(plan: dict) -> list[tuple[float, str]]:
    """Starts (with what starts there) that the plan leaves clear for CLEAR_BEFORE_S before."""
    events = plan["events"]
    starts: dict[float, list[str]] = {}
    for event in events:
        starts.setdefault(event["start"], []).append(event.get("text") or f"[{event.get('sound')}]")
    clear = []
    for start, what in sorted(starts.items()):
        sounding = [e for e in events if e["start"] < start and e["end"] > start - CLEAR_BEFORE_S]
        if not sounding:
            clear.append((start, " + ".join(what)))
    return clear


def onset_errors(plan: dict, pcm: np.ndarray) -> list[tuple[str, float, float | None, float | None]]:
    """(what, planned start, error of the -45 dBFS onset, error of the -35 dBFS onset) in seconds."""
    rows = []
    for start, what in checked_onsets(plan):
        late = first_above(pcm, LATE_LEVEL, start - SEARCH_FROM_S)
        early = first_above(pcm, EARLY_LEVEL, start - SEARCH_FROM_S)
        rows.append((what, start, None if late is None else late - start, None if early is None else early - start))
    return rows


def assert_onsets_on_plan(plan: dict, pcm: np.ndarray) -> list[tuple[str, float, float | None, float | None]]:
    rows = onset_errors(plan, pcm)
    assert len(rows) >= 10, f"too few clear onsets to check: {rows}"
    wrong = [f"{what!r} planned at {start:.3f} s: first sample over -45 dBFS at {_ms(late)}, "
             f"over -35 dBFS at {_ms(early)}"
             for what, start, late, early in rows
             if late is None or late > ONSET_TOLERANCE_S or early is None or early < -ONSET_TOLERANCE_S]
    assert not wrong, "sounds not where the plan puts them:\n" + "\n".join(wrong)
    return rows


def _ms(error: float | None) -> str:
    return "never" if error is None else f"{error * 1000:+.2f} ms"


def silent_gaps(plan: dict) -> list[tuple[float, float]]:
    """Stretches where the plan has nothing sounding, at least GAP_MIN_S long, trimmed by GAP_MARGIN_S."""
    gaps, covered = [], 0.0
    for event in sorted(plan["events"], key=lambda e: e["start"]):
        if event["start"] - covered >= GAP_MIN_S:
            gaps.append((covered, event["start"]))
        covered = max(covered, event["end"])
    if plan["duration"] - covered >= GAP_MIN_S:
        gaps.append((covered, plan["duration"]))
    return [(a + GAP_MARGIN_S, b - GAP_MARGIN_S) for a, b in gaps]


def assert_gaps_silent(plan: dict, pcm: np.ndarray) -> None:
    gaps = silent_gaps(plan)
    assert len(gaps) >= 10, gaps
    loud = []
    for a, b in gaps:
        peak = int(np.abs(pcm[round(a * RATE):round(b * RATE)]).max())
        if peak >= SILENCE_PEAK:
            loud.append(f"{a:.3f}-{b:.3f} s peaks at {20 * np.log10(peak / 32768):.1f} dBFS")
    assert not loud, "sound where the plan has silence:\n" + "\n".join(loud)


def loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) by ffmpeg's ebur128."""
    done = subprocess.run(["ffmpeg", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
                          check=True, capture_output=True, text=True, timeout=HANG_GUARD_S)
    summary = done.stderr.rsplit("Summary:", 1)[1]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return integrated, peak


# --- one render of the onset routine, shared by the read-only checks ---------------------------

class Rendered:
    def __init__(self, cache: Path, mp3: Path, plan: dict, plan_text: str, exact_samples: int, exact_json: str):
        self.cache, self.mp3, self.plan, self.plan_text = cache, mp3, plan, plan_text
        self.exact_samples, self.exact_json = exact_samples, exact_json
        self.pcm = decode(mp3)


@pytest.fixture(scope="module")
def onsets(tmp_path_factory) -> Rendered:
    """The plan is made first (it synthesizes every clip), then the render reads the same cache."""
    root = tmp_path_factory.mktemp("onsets")
    cache = root / "cache"
    env = environment(cache)
    plan_text = coach("plan", "--exact", "--json", ONSETS, env=env).stdout
    mp3 = root / "onsets.mp3"
    render(ONSETS, mp3, env=env)
    samples, exact_json = exact_duration_samples(ONSETS, cache)
    return Rendered(cache, mp3, json.loads(plan_text), plan_text, samples, exact_json)


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch) -> Path:
    """Every test's own clip cache (the shared render above has its own, passed explicitly)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("COACH_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def warm_cache(cache, onsets) -> Path:
    """This test's own cache, holding every clip of the onset routine."""
    shutil.copytree(onsets.cache, cache)
    return cache


# --- 1. onsets, silence, length ----------------------------------------------------------------

def test_routine_has_every_kind_of_sound(onsets):
    roles = {event["role"] for event in onsets.plan["events"]}
    assert {"section", "instruction", "countin", "start", "cue", "countdown", "end", "switch", "inhale", "exhale",
            "count", "done"} <= roles
    kinds = {(event["role"], event["kind"]) for event in onsets.plan["events"]}
    assert {("inhale", "speech"), ("inhale", "sound"), ("exhale", "speech"), ("exhale", "sound")} <= kinds
    assert 30 <= onsets.plan["duration"] <= 120


def test_every_clear_onset_sounds_at_its_planned_time(onsets):
    rows = assert_onsets_on_plan(onsets.plan, onsets.pcm)
    checked = {what for what, *_ in rows}
    assert any("[rise]" in what for what in checked) and any("two" == what for what in checked), checked


def test_the_plan_silences_are_silent(onsets):
    assert_gaps_silent(onsets.plan, onsets.pcm)


def test_in_process_exact_timeline_is_the_printed_plan(onsets):
    """Guards the next test: the sample count it uses belongs to the plan that was rendered."""
    assert onsets.exact_json == onsets.plan_text


def test_decoded_length_is_the_plan_duration(onsets):
    assert abs(onsets.exact_samples - onsets.plan["duration"] * RATE) <= RATE // 2000 + 1
    assert abs(len(onsets.pcm) - onsets.exact_samples) <= 1, (
        f"decoded {len(onsets.pcm)} samples, planned {onsets.exact_samples} "
        f"({onsets.exact_samples % 576} past a whole 576-sample frame)")


def test_a_render_encoded_in_parts_side_by_side_keeps_every_onset_and_its_exact_length(onsets, tmp_path,
                                                                                       monkeypatch):
    """Parts cut in silences (here every ~10 s) and joined frame by frame: the same track to the listener."""
    from coach.audio import joins
    from coach.audio.level import EventLevels
    from coach.compiler import Options
    from coach.exact import clips_of, exact_timeline
    from coach.library import load_routine
    from coach.render import mixed_parts, render_mp3
    from coach.speech.cache import ClipCache
    from coach.speech.engines import choose

    monkeypatch.setattr(joins, "PART_SAMPLES", 10 * RATE)
    monkeypatch.setattr(joins, "MAX_PARTS", 4)
    loaded = load_routine(str(ONSETS))
    exact = exact_timeline(loaded, Options(), choose(loaded.voice), ClipCache(onsets.cache))
    clips = clips_of(exact.timeline, exact.speech)
    assert len(mixed_parts(exact.timeline, clips, EventLevels(exact.timeline, clips), 0,
                           exact.timeline.duration)) >= 3
    render_mp3(exact, tmp_path / "parts.mp3", 64)
    pcm = decode(tmp_path / "parts.mp3")
    assert len(pcm) == onsets.exact_samples
    assert_gaps_silent(onsets.plan, pcm)
    whole, parted = onset_errors(onsets.plan, onsets.pcm), assert_onsets_on_plan(onsets.plan, pcm)
    assert max(abs(a[2] - b[2]) for a, b in zip(whole, parted)) <= 0.002
    assert max(abs(a[3] - b[3]) for a, b in zip(whole, parted)) <= 0.002


@pytest.mark.parametrize("remainder", [0, 1, 20, 46, 47, 300])
def test_decoded_length_is_exact_whatever_the_last_frame_holds(tmp_path, remainder):
    """ffmpeg 5.1 + libmp3lame writes 1105 as the end padding when the last frame is padding only
    (length % 576 in 1..46), and decoders then keep up to 46 samples that were never in the mix."""
    from coach.audio.encoder import encode_mp3
    from coach.audio.id3 import Tags

    length = 3 * RATE + (remainder - 3 * RATE) % 576
    samples = (np.random.default_rng(remainder).standard_normal(length) * 2000).astype("<i2")
    path = tmp_path / "noise.mp3"
    encode_mp3([samples.tobytes()], path, rate=RATE, tags=Tags("noise", None, None, None, None), chapters=[])
    assert len(decode(path)) == length


# --- 2. tags, chapters, bitrate ----------------------------------------------------------------

def test_tags_are_id3v23_with_title_description_and_ordered_chapters(onsets):
    tag = ID3(onsets.mp3)
    assert tag.version == (2, 3, 0)
    assert tag["TIT2"].text == [onsets.plan["title"]] == ["Onset check"]
    assert tag["TALB"].text == ["Onset check"]  # no album: key, so the title: a phone files it by routine
    comments = tag.getall("COMM")
    assert [c.text for c in comments] == [["A short routine whose every sound is checked against the plan."]]
    tocs = {toc.element_id: toc for toc in tag.getall("CTOC")}
    (top,) = [toc for toc in tocs.values() if toc.flags & CTOCFlags.TOP_LEVEL]
    assert top.flags & CTOCFlags.ORDERED
    sections = [tocs[element] for element in top.child_element_ids]  # each section is a table of its steps
    assert [toc.sub_frames["TIT2"].text[0] for toc in sections] == [c["title"] for c in onsets.plan["chapters"]]
    chapters = {chap.element_id: chap for chap in tag.getall("CHAP")}
    steps = [[chapters[element] for element in toc.child_element_ids] for toc in sections]
    assert [[c.sub_frames["TIT2"].text[0] for c in section] for section in steps] == [
        ["Side bend — right", "Side bend — left"], ["Belly breathing"]]
    expected = planned_steps(onsets.plan)
    assert [(c.start_time, c.end_time) for section in steps for c in section] == [
        (round(start * 1000), round(end * 1000)) for _, start, end in expected]


def test_ffprobe_lists_the_plans_chapters(onsets):
    assert_chapters_match(onsets.mp3, onsets.plan)


def planned_steps(plan: dict) -> list[tuple[tuple, float, float]]:
    """(step, side, round), start, end of each step occurrence: a section's first starts with the section,
    each other where its first event is (these routines have no announcements between steps)."""
    found = []
    for chapter in plan["chapters"]:
        runs = []
        for event in plan["events"]:
            occurrence = (event["step"], event["side"], event["round"])
            if chapter["start"] <= event["start"] < chapter["end"] and event["step"] and (
                    not runs or runs[-1][0] != occurrence):
                runs.append((occurrence, event["start"]))
        starts = [chapter["start"]] + [start for _, start in runs[1:]]
        found += [(occurrence, start, end)
                  for (occurrence, _), start, end in zip(runs, starts, starts[1:] + [chapter["end"]])]
    return found


def assert_chapters_match(mp3: Path, plan: dict) -> None:
    """ffprobe lists every step chapter (it reads the CHAP frames, not the tables), on the plan's times."""
    probed = ffprobe_chapters(mp3)
    expected = planned_steps(plan)
    assert [c["tags"]["title"].split(" — ")[0] for c in probed] == [step for (step, _, _), _, _ in expected]
    for found, (_, start, end) in zip(probed, expected):
        assert abs(float(found["start_time"]) - start) <= 0.001, (found, start)
        assert abs(float(found["end_time"]) - end) <= 0.001, (found, end)


def test_chapters_sections_gives_one_flat_chapter_per_section(tmp_path, warm_cache):
    mp3 = tmp_path / "sections.mp3"
    render(ONSETS, mp3, "--chapters", "sections", env=environment(warm_cache))
    plan = plan_exact(ONSETS, env=environment(warm_cache))
    probed = ffprobe_chapters(mp3)
    assert [(c["tags"]["title"], float(c["start_time"]), float(c["end_time"])) for c in probed] == [
        (c["title"], pytest.approx(c["start"], abs=0.001), pytest.approx(c["end"], abs=0.001)) for c in plan["chapters"]]
    (toc,) = ID3(mp3).getall("CTOC")
    assert toc.child_element_ids == ["ch0", "ch1"]


def test_default_is_cbr_64_kbps_mono(onsets):
    info = MP3(onsets.mp3).info
    assert (info.bitrate, info.bitrate_mode, info.channels, info.sample_rate) == (64000, BitrateMode.CBR, 1, RATE)


def test_bitrate_option_gives_cbr_at_that_rate(tmp_path, warm_cache):
    mp3 = tmp_path / "96.mp3"
    render(ONSETS, mp3, "--bitrate", "96", env=environment(warm_cache))
    info = MP3(mp3).info
    assert (info.bitrate, info.bitrate_mode) == (96000, BitrateMode.CBR)


# --- 3. loudness -------------------------------------------------------------------------------

def test_loudness_is_minus_16_lufs_with_a_minus_1_dbtp_ceiling(onsets):
    integrated, peak = loudness(onsets.mp3)
    assert -16.5 <= integrated <= -15.5, integrated
    assert peak <= -1.0, peak


# --- 4. determinism ----------------------------------------------------------------------------

def test_renders_are_byte_identical_from_cold_warm_and_fresh_caches(tmp_path, cache):
    env = environment(cache)
    cold = render(ONSETS, tmp_path / "cold.mp3", env=env)
    warm = render(ONSETS, tmp_path / "warm.mp3", env=env)
    assert warm == cold
    fresh = render(ONSETS, tmp_path / "fresh.mp3", env=environment(tmp_path / "other-cache"))
    assert fresh == cold, "a cleared cache gives a different MP3: synthesis is not deterministic"


# --- 5. the cache re-synthesizes only what changed ---------------------------------------------

def test_editing_one_phrase_synthesizes_one_clip(tmp_path, cache):
    routine = tmp_path / "routine.yaml"
    routine.write_text(ONSETS.read_text("utf-8"), "utf-8")
    env = environment(cache)
    render(routine, tmp_path / "before.mp3", env=env)
    before = clip_files(cache)
    edited = routine.read_text("utf-8").replace("say: Warm up. Stand tall.", "say: Warm up. Stand up tall.")
    assert edited != routine.read_text("utf-8")
    routine.write_text(edited, "utf-8")
    render(routine, tmp_path / "after.mp3", env=env)
    after = clip_files(cache)
    assert len(after) == len(before) + 1
    # Untouched entries were read, not made again: a rewrite would replace the file (new inode).
    assert {name: after[name] for name in before} == before


# --- 6. faults ---------------------------------------------------------------------------------

def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_without_ffmpeg_a_render_or_export_stops_at_once_with_one_line_and_makes_nothing(tmp_path, cache):
    """The encoder is looked for before any speech is made: a missing ffmpeg costs no synthesis."""
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "espeak-ng").symlink_to(shutil.which("espeak-ng"))
    out = tmp_path / "out"
    out.mkdir()
    for command in (["render", ONSETS, "-o", out / "x.mp3"], ["export", ONSETS, "--to", out]):
        done = coach(*command, env=environment(cache, PATH=str(tools)), expect=3)
        assert "ffmpeg is not installed" in one_line(done.stderr)
        assert list(out.iterdir()) == [] and clip_files(cache) == {}


def test_unknown_engine_exits_3_and_writes_nothing(tmp_path, cache):
    out = tmp_path / "out"
    out.mkdir()
    done = coach("render", ONSETS, "-o", out / "x.mp3", "--engine", "nosuch", env=environment(cache), expect=3)
    assert "nosuch" in one_line(done.stderr)
    assert list(out.iterdir()) == []


def test_missing_espeak_ng_exits_3_with_a_fix(tmp_path, cache):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ffmpeg", "ffprobe"):
        real = shutil.which(tool)
        assert real, f"{tool} must be installed for these tests"
        (bin_dir / tool).symlink_to(real)
    out = tmp_path / "out"
    out.mkdir()
    done = coach("render", ONSETS, "-o", out / "x.mp3", "--engine", "espeak-ng",
                 env=environment(cache, PATH=str(bin_dir)), expect=3)
    line = one_line(done.stderr)
    assert "espeak-ng" in line and "fix:" in line and "install" in line, line
    assert list(out.iterdir()) == []


def test_output_under_a_regular_file_exits_3_and_writes_nothing(tmp_path, warm_cache):
    blocker = tmp_path / "out" / "not-a-folder"
    blocker.parent.mkdir()
    blocker.write_bytes(b"keep me")
    done = coach("render", ONSETS, "-o", blocker / "x.mp3", env=environment(warm_cache), expect=3)
    assert "fix:" in one_line(done.stderr)
    assert list(blocker.parent.iterdir()) == [blocker]
    assert blocker.read_bytes() == b"keep me"


def test_corrupt_cache_entries_are_made_again(tmp_path, cache):
    """One entry is overwritten with garbage; another keeps its header but its samples are garbage."""
    from coach.speech.cache import ClipCache

    env = environment(cache)
    first = render(ONSETS, tmp_path / "first.mp3", env=env)
    clips = sorted(cache.rglob("*.clip"), key=lambda path: (path.stat().st_size, path.name))
    garbage, torn = clips[-1], clips[len(clips) // 2]
    assert ClipCache(cache).get(garbage.stem) is not None and ClipCache(cache).get(torn.stem) is not None
    garbage.write_bytes(b"not a clip at all" * 50)
    data = torn.read_bytes()
    torn.write_bytes(data[:len(data) // 2] + b"\x55" * (len(data) - len(data) // 2))
    second = render(ONSETS, tmp_path / "second.mp3", env=env)
    assert second == first
    assert ClipCache(cache).get(garbage.stem) is not None and ClipCache(cache).get(torn.stem) is not None


def test_interrupted_render_leaves_the_old_file_and_no_partial(tmp_path, cache):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "long.mp3"
    previous = b"an earlier render, byte for byte\n" * 64
    target.write_bytes(previous)
    command = [sys.executable, "-m", "coach", "render", str(LONG), "-o", str(target), "--bitrate", "32"]
    process = subprocess.Popen(command, env=environment(cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while not any(".partial" in p.name and _size(p) > 0 for p in out.iterdir()):
            assert process.poll() is None, f"render ended before it was interrupted: {process.communicate()}"
            assert time.monotonic() < deadline, "the render never started encoding"
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
        _, stderr = process.communicate(timeout=HANG_GUARD_S)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode != 0, "an interrupted render reported success"
    assert "Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == ["long.mp3"]
    assert target.read_bytes() == previous
    assert not processes_mentioning(str(out)), "an encoder is still writing into the output folder"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


CONCURRENT_ROUNDS = 5
"""Two renders started together; the first pair finds the cache empty, the later ones share it warm.
A race between them shows up only in some rounds, so there are several (see also the next test)."""


def test_two_renders_sharing_a_cache_at_once_agree(tmp_path, cache):
    env = environment(cache)
    rendered = set()
    for round_ in range(CONCURRENT_ROUNDS):
        outputs = [tmp_path / f"{round_}a.mp3", tmp_path / f"{round_}b.mp3"]
        processes = [subprocess.Popen([sys.executable, "-m", "coach", "render", str(ONSETS), "-o", str(path)],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for path in outputs]
        results = [process.communicate(timeout=HANG_GUARD_S) for process in processes]
        assert [process.returncode for process in processes] == [0, 0], (round_, results)
        rendered.update(path.read_bytes() for path in outputs)
        assert len(rendered) == 1, f"round {round_}: the renders differ"
    assert not [p for p in cache.rglob("*") if p.is_file() and p.suffix != ".clip"], "temporary files left behind"


PLANNER = """
import sys
from pathlib import Path
from coach.compiler import Options
from coach.errors import CoachError
from coach.library import load_routine
from coach.exact import exact_timeline
from coach.speech.cache import ClipCache
from coach.speech.engines import choose
routine = load_routine(sys.argv[1])
spec, cache = choose(routine.voice), ClipCache(Path(sys.argv[2]))
print("ready", flush=True)
sys.stdin.readline()
problems = []
for _ in range(int(sys.argv[3])):
    try:
        exact_timeline(routine, Options(), spec, cache)
    except CoachError as error:
        problems.append(error.line())
print(len(problems), problems[:1])
"""
PLANS_EACH = 300


def test_exact_plans_made_at_once_from_one_cache_all_succeed(tmp_path, cache):
    """What every `render` and `plan --exact` does first, many times over in two processes at once: a race
    between renders sharing a cache is a matter of microseconds, so a pair of renders rarely meets it."""
    env = environment(cache)
    coach("plan", "--exact", "--json", FITTED, env=env)  # warm: only the shared work is left
    processes = [subprocess.Popen([sys.executable, "-c", PLANNER, str(FITTED), str(cache), str(PLANS_EACH)],
                                  env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready", process.communicate()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [process.communicate(timeout=HANG_GUARD_S) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert [process.returncode for process in processes] == [0, 0], results
    assert [out.split(" ", 1)[0] for out, _ in results] == ["0", "0"], results


# --- 7. the exact plan is the render -----------------------------------------------------------

@pytest.mark.parametrize("engine", [None, "pyttsx3"])
def test_exact_plan_printed_after_a_render_is_what_was_rendered(tmp_path, cache, engine):
    """Render first (cold cache), plan after (warm): chapters and onsets of the MP3 follow the plan."""
    options = ["--length", "60s"] + (["--engine", engine] if engine else [])
    env = environment(cache)
    mp3 = tmp_path / "fitted.mp3"
    render(FITTED, mp3, *options, env=env)
    plan = plan_exact(FITTED, *options, env=env)
    assert [c["title"] for c in plan["chapters"]] == ["Reach", "Fold"]
    assert 55 <= plan["duration"] <= 60
    assert_chapters_match(mp3, plan)
    pcm = decode(mp3)
    assert abs(len(pcm) - plan["duration"] * RATE) <= RATE * 2 // 1000
    assert_onsets_on_plan(plan, pcm)
    assert_gaps_silent(plan, pcm)


def test_interrupted_synthesis_leaves_no_scratch_files_and_no_workers(tmp_path, cache):
    """Ctrl-C while clips are being made: no scratch audio, no half-written cache entry, no worker left."""
    phrases = "\n".join(f"      - say: Phrase number {n}, keep breathing slowly and evenly." for n in range(200))
    routine = tmp_path / "many.yaml"
    routine.write_text(f"title: Many phrases\nsections:\n  - name: Talk\n    steps:\n{phrases}\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    target = tmp_path / "many.mp3"
    command = [sys.executable, "-m", "coach", "render", str(routine), "-o", str(target)]
    process = subprocess.Popen(command, env={**environment(cache), "TMPDIR": str(scratch)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while sum(1 for _ in Path(cache).rglob("*.clip")) < 5:
            assert process.poll() is None, f"render ended before it was interrupted: {process.communicate()}"
            assert time.monotonic() < deadline, "synthesis never started"
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=HANG_GUARD_S)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode != 0 and "Traceback" not in stderr
    assert sum(1 for _ in Path(cache).rglob("*.clip")) < 200, "synthesis finished before the interrupt"
    assert list(scratch.iterdir()) == [], "scratch files were left behind"
    assert [p.name for p in Path(cache).rglob("*") if p.is_file() and not p.name.endswith(".clip")] == []
    assert not target.exists()
    assert not processes_mentioning(str(routine)), "a synthesis worker is still running"


def test_a_plan_after_a_render_is_the_render_to_the_millisecond(tmp_path, warm_cache, cache):
    """Phrases in the cache are placed by their real length: plan needs no --exact once clips exist."""
    env = environment(warm_cache)
    planned = coach("plan", "--json", ONSETS, env=env)
    assert "estimated" not in planned.stderr
    assert json.loads(planned.stdout) == plan_exact(ONSETS, env=env)
    cold = coach("plan", "--json", ONSETS, env=environment(tmp_path / "empty"))
    phrases = len({e["text"] for e in json.loads(cold.stdout)["events"] if e["kind"] == "speech"})
    assert cold.stderr == (f"times estimated for {phrases} phrases from the speaking rate; "
                           "--exact synthesizes them\n")


def test_a_voice_espeak_ng_lacks_is_refused_before_any_work_and_check_says_so(tmp_path, cache):
    env = environment(cache)
    done = coach("render", ONSETS, "-o", tmp_path / "x.mp3", "--voice", "America", env=env, expect=3)
    assert one_line(done.stderr) == ("error: espeak-ng has no voice 'America' "
                                     "(fix: choose one from `coach voices` (e.g. en-gb, en-us, de))")
    assert not (tmp_path / "x.mp3").exists() and not list(cache.rglob("*.clip"))
    routine = tmp_path / "r.yaml"
    routine.write_text(ONSETS.read_text().replace("voice:\n  rate: 170", "voice:\n  rate: 170\n  voice: zzzz"))
    assert "zzzz" in routine.read_text()
    warned = coach("check", routine, env=env, expect=0)
    assert one_line(warned.stderr).startswith(f"{routine}:7:10: warning: espeak-ng has no voice 'zzzz'")
    coach("check", "--strict", routine, env=env, expect=1)
    coach("render", ONSETS, "-o", tmp_path / "gb.mp3", "--voice", "en-gb+f3", env=env)  # a voice with a variant
