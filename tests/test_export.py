"""`coach export`: a phone folder of tracks, synced lyrics, captions and a playlist, rewritten only where changed.

Real speech and ffmpeg; tracks are decoded and their lengths, tags and caption times checked against the plan.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from PIL import Image

ROUTINE = Path(__file__).parent / "render" / "onsets.yaml"
RATE = 22050


def coach(*args, env) -> str:
    done = subprocess.run([sys.executable, "-m", "coach", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def decoded_samples(path: Path) -> int:
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"],
                         capture_output=True, check=True).stdout
    return len(pcm) // 2


def mtimes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    env = {**os.environ, "COACH_CACHE_DIR": str(root / "cache")}
    plan = json.loads(coach("plan", "--exact", "--json", ROUTINE, env=env))
    printed = coach("export", ROUTINE, "--to", root / "phone", "--split", "sections", env=env)
    return root, env, plan, printed


def test_split_tracks_are_numbered_tagged_and_add_up_to_the_whole(exported):
    root, _, plan, printed = exported
    tracks = sorted((root / "phone" / "onsets").glob("*.mp3"))
    assert [p.name for p in tracks] == ["01 Warm up.mp3", "02 Breathing.mp3"]
    assert all(line.endswith(": written") for line in printed.splitlines())
    for number, track in enumerate(tracks, 1):
        tag = ID3(track)
        assert tag["TRCK"].text == [f"{number}/2"]
        assert tag["TALB"].text == ["Onset check"]
        assert tag["TIT2"].text == [plan["chapters"][number - 1]["title"]]
    lengths = [decoded_samples(track) for track in tracks]
    whole = sum(lengths)
    assert abs(whole - plan["duration"] * RATE) <= RATE // 1000  # the plan's JSON rounds to the millisecond
    first = plan["chapters"][1]["start"] * RATE
    assert abs(lengths[0] - first) <= RATE // 1000


def test_lyrics_and_captions_show_each_phrase_when_it_is_said(exported):
    root, _, plan, _ = exported
    for number, chapter in enumerate(plan["chapters"], 1):
        said = [event for event in plan["events"] if event["kind"] == "speech"
                and chapter["start"] <= event["start"] < chapter["end"]]
        stem = root / "phone" / "onsets" / f"{number:02d} {chapter['title']}"
        lrc = re.findall(r"^\[(\d+):(\d+\.\d+)\](.*)$", stem.with_suffix(".lrc").read_text(), re.M)
        assert [text for _, _, text in lrc] == [event["text"] for event in said]
        for (minutes, secs, _), event in zip(lrc, said):
            assert abs(int(minutes) * 60 + float(secs) - (event["start"] - chapter["start"])) <= 0.010 + 1e-9  # centiseconds, float error aside
        vtt = stem.with_suffix(".vtt").read_text()
        assert vtt.startswith("WEBVTT\n\n")
        cues = re.findall(r"^(\d\d):(\d\d):(\d\d\.\d{3}) --> [\d:.]+\n(.*)$", vtt, re.M)
        assert [text for *_, text in cues] == [event["text"] for event in said]
        for (hours, minutes, secs, _), event in zip(cues, said):
            at = int(hours) * 3600 + int(minutes) * 60 + float(secs)
            assert abs(at - (event["start"] - chapter["start"])) <= 0.010


def test_the_playlist_lists_every_track_by_a_relative_path(exported):
    root, _, plan, _ = exported
    playlist = (root / "phone" / "onsets.m3u8").read_text("utf-8").splitlines()
    assert playlist[0] == "#EXTM3U"
    paths = [line for line in playlist if not line.startswith("#")]
    assert paths == ["onsets/01 Warm up.mp3", "onsets/02 Breathing.mp3"]
    assert all((root / "phone" / path).is_file() for path in paths)
    infos = [line for line in playlist if line.startswith("#EXTINF:")]
    assert infos[0] == f"#EXTINF:{round(plan['chapters'][0]['end'] - plan['chapters'][0]['start'])},coach - Warm up"


def _audio_frames(mp3: Path) -> bytes:
    """What follows the ID3 tag, read with mutagen's idea of the tag's size."""
    return mp3.read_bytes()[ID3(mp3).size:]


def test_exporting_again_writes_nothing_and_an_edit_rewrites_only_what_changed(exported, tmp_path):
    root, env, _, _ = exported
    before = mtimes(root / "phone")
    frames_before = _audio_frames(root / "phone" / "onsets" / "01 Warm up.mp3")
    printed = coach("export", ROUTINE, "--to", root / "phone", "--split", "sections", env=env)
    assert all(line.endswith(": unchanged") for line in printed.splitlines()), printed
    assert mtimes(root / "phone") == before
    edited = tmp_path / "onsets.yaml"
    edited.write_text(ROUTINE.read_text().replace("Lie down.", "Lie down on your back."))
    printed = coach("export", edited, "--to", root / "phone", "--split", "sections", env=env)
    rewritten = sorted(line.split(": ")[0].rsplit("/", 1)[-1] for line in printed.splitlines()
                       if line.endswith(": written"))
    # The playlist lists the longer second track's new length, and the first track's cover shows the new
    # total: it gets a new tag, its audio frames untouched.
    assert rewritten == ["01 Warm up.mp3", "02 Breathing.lrc", "02 Breathing.mp3", "02 Breathing.vtt", "onsets.m3u8"]
    first = root / "phone" / "onsets" / "01 Warm up.mp3"
    assert _audio_frames(first) == frames_before


def test_one_mp3_per_routine_keeps_its_chapters_and_routines_share_a_playlist(exported, tmp_path):
    _, env, plan, _ = exported
    second = tmp_path / "second.yaml"
    second.write_text(ROUTINE.read_text().replace("title: Onset check", "title: Second\nalbum: Morning"))
    coach("export", ROUTINE, second, "--to", tmp_path / "phone", env=env)
    assert sorted(p.name for p in (tmp_path / "phone").iterdir()) == [
        "coach.m3u8", "onsets.lrc", "onsets.mp3", "onsets.vtt", "second.lrc", "second.mp3", "second.vtt"]
    assert ID3(tmp_path / "phone" / "second.mp3")["TALB"].text == ["Morning"]
    tag = ID3(tmp_path / "phone" / "onsets.mp3")
    sections = [toc for toc in tag.getall("CTOC") if toc.element_id != "toc"]
    assert [toc.sub_frames["TIT2"].text[0] for toc in sections] == [c["title"] for c in plan["chapters"]]
    assert [c.sub_frames["TIT2"].text[0] for c in tag.getall("CHAP")] == [
        "Side bend — right", "Side bend — left", "Belly breathing"]
    assert decoded_samples(tmp_path / "phone" / "onsets.mp3") == pytest.approx(plan["duration"] * RATE, abs=RATE // 1000)
    paths = [line for line in (tmp_path / "phone" / "coach.m3u8").read_text().splitlines() if not line.startswith("#")]
    assert paths == ["onsets.mp3", "second.mp3"]
    assert np.all([(tmp_path / "phone" / path).is_file() for path in paths])


def test_a_mistake_in_a_later_routine_exports_nothing(exported, tmp_path):
    _, env, _, _ = exported
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: Broken\nsections:\n  - name: A\n    steps:\n      - {name: B, duraton: 5s}\n")
    done = subprocess.run([sys.executable, "-m", "coach", "export", str(ROUTINE), str(broken), "--to",
                           str(tmp_path / "phone")], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 1 and done.stderr.startswith(f"{broken}:5:")
    assert not (tmp_path / "phone").exists()


def test_every_track_carries_the_same_deterministic_cover(exported, tmp_path):
    _, env, _, _ = exported
    for name in ("a", "b"):
        coach("export", ROUTINE, "--to", tmp_path / name, "--split", "sections", env=env)
    covers = [ID3(track).getall("APIC") for name in ("a", "b")
              for track in sorted((tmp_path / name / "onsets").glob("*.mp3"))]
    assert [len(found) for found in covers] == [1, 1, 1, 1]
    first = covers[0][0]
    assert first.mime == "image/png" and first.type == 3
    assert all(found[0].data == first.data for found in covers)
    assert Image.open(io.BytesIO(first.data)).size == (600, 600)
