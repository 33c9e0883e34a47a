"""The clip cache: content-addressed, atomic, and a damaged entry reads as missing."""

import concurrent.futures
import os

import numpy as np
import pytest

from coach.speech.cache import MAX_ENTRY_BYTES, ClipCache, clip_key


def test_round_trip_and_key_depends_on_everything_that_changes_the_sound(tmp_path):
    cache = ClipCache(tmp_path)
    key = clip_key("espeak-ng 1.51", 160, 1.0, "Begin.")
    samples = np.arange(-500, 500, dtype=np.int16)
    cache.put(key, samples)
    assert np.array_equal(cache.get(key), samples)
    variants = {clip_key("espeak-ng 1.52", 160, 1.0, "Begin."), clip_key("espeak-ng 1.51", 150, 1.0, "Begin."),
                clip_key("espeak-ng 1.51", 160, 0.5, "Begin."), clip_key("espeak-ng 1.51", 160, 1.0, "Begin")}
    assert key not in variants and len(variants) == 4
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key}.clip"]


def test_damaged_or_missing_entries_read_as_missing(tmp_path):
    cache = ClipCache(tmp_path)
    key = clip_key("engine", 160, 1.0, "Halfway.")
    assert cache.get(key) is None
    cache.put(key, np.ones(100, dtype=np.int16))
    path = cache.path(key)
    data = path.read_bytes()
    path.write_bytes(data[:-10])  # torn write
    assert cache.get(key) is None
    path.write_bytes(data[:-2] + b"\x00\x01")  # flipped bits
    assert cache.get(key) is None
    path.write_bytes(b"garbage")
    assert cache.get(key) is None


def _obstruct(path, kind):
    """Put something that is not a clip file where the entry belongs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "folder":
        path.mkdir()
        (path / "inside").write_bytes(b"x")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "oversized":
        with open(path, "wb") as sparse:
            sparse.truncate(MAX_ENTRY_BYTES + 1)


@pytest.mark.parametrize("kind", ["folder", "fifo", "link to /dev/zero", "oversized"])
def test_an_entry_that_is_not_a_bounded_file_is_damage_and_gets_replaced(tmp_path, kind):
    """Read as missing without hanging (FIFO) or reading forever (/dev/zero); the next put replaces it."""
    cache = ClipCache(tmp_path)
    key = clip_key("engine", 160, 1.0, "Switch sides.")
    _obstruct(cache.path(key), kind)
    outcome = concurrent.futures.ThreadPoolExecutor(1).submit(cache.get, key)
    assert outcome.result(timeout=30) is None
    samples = np.arange(300, dtype=np.int16)
    cache.put(key, samples)
    assert np.array_equal(cache.get(key), samples)
    assert cache.path(key).is_file() and not cache.path(key).is_symlink()


def test_bounded_reading_names_what_is_wrong(tmp_path):
    from coach.boundedread import UnsafeFile, read_bounded

    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big").write_bytes(b"x" * 11)
    (tmp_path / "fine").write_bytes(b"x" * 10)
    for name, reason in (("folder", "is a folder"), ("fifo", "is not a regular file"), ("big", "is larger than 10")):
        with pytest.raises(UnsafeFile, match=reason):
            read_bounded(tmp_path / name, 10)
    assert read_bounded(tmp_path / "fine", 10) == b"x" * 10


def test_an_unwritable_cache_is_an_environment_problem_with_a_fix(tmp_path):
    from coach.errors import EnvironmentProblem

    (tmp_path / "file").write_bytes(b"not a folder")
    cache = ClipCache(tmp_path / "file" / "clips")
    for attempt in (cache.check_writable, lambda: cache.put("ab" * 32, np.ones(10, dtype=np.int16))):
        with pytest.raises(EnvironmentProblem, match="cannot write the clip cache") as raised:
            attempt()
        assert "COACH_CACHE_DIR" in raised.value.line()


def _sleep_long():
    import time
    time.sleep(600)


def test_a_pool_that_will_not_stop_is_killed_after_its_grace_time(monkeypatch):
    """Pool.terminate can wait on a queue lock forever; stopping the workers must not."""
    import multiprocessing
    import threading
    import time

    from coach.speech import synthesis

    class StuckPool:
        def terminate(self):
            threading.Event().wait()

        def join(self):
            pass

    worker = multiprocessing.get_context("fork").Process(target=_sleep_long)
    worker.start()
    monkeypatch.setattr(synthesis, "POOL_STOP_SECONDS", 0.2)
    started = time.monotonic()
    synthesis._stop(StuckPool())
    worker.join(timeout=30)
    assert worker.exitcode == -9, "the worker was not killed"
    assert time.monotonic() - started < 30
