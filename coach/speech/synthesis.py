"""Makes every missing clip, in parallel worker processes with a timeout.

Engines are created and driven inside the workers (pyttsx3 must stay in one
thread and has known hangs), so a stuck engine becomes a clear error in
the parent instead of a frozen render. Workers hand finished clips to the
parent, which stores them in the cache: a worker can then be killed at any
moment without leaving a half-written entry.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
from pathlib import Path

import numpy as np

from coach.errors import EnvironmentProblem
from coach.interrupts import detach_worker, scratch_path, signals_held
from coach.progress import Stage, quiet
from coach.speech.cache import ClipCache, clip_key
from coach.speech.engines import EngineSpec

POOL_STOP_SECONDS = 10
"""How long stopping the workers may take before they are killed."""
CLIP_TIMEOUT_SECONDS = 60
"""How long one clip may take (includes starting a worker) before the engine counts as hung."""

_speaker = None


class Workers:
    """Synthesis worker processes kept for several `clips_for` calls, so a neural voice loads its model
    once per worker and not once per call. Started when first needed, stopped on leaving the `with`."""

    def __init__(self):
        self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *problem) -> None:
        if self._pool is not None:
            _stop(self._pool)
            self._pool = None

    def pool(self, count: int):
        if self._pool is None:
            with signals_held():
                self._pool = multiprocessing.Pool(processes=count, initializer=detach_worker)
        return self._pool


def clips_for(texts: list[str], spec: EngineSpec, cache: ClipCache, stage: Stage = quiet,
              workers: Workers | None = None) -> dict[str, np.ndarray]:
    """Samples of every text: from the cache, synthesizing the missing ones first (in `workers`, else in
    workers of this call's own)."""
    keys = _keys(texts, spec)
    found = {text: cache.get(key) for text, key in keys.items()}
    missing = [text for text, clip in found.items() if clip is None]
    if missing:
        advance = stage("speech", len(missing))
        if workers is not None:  # kept for later calls: as many as there are cores
            found.update(_synthesize(missing, keys, spec, cache, advance, workers, os.cpu_count() or 1))
        else:
            with Workers() as own:
                found.update(_synthesize(missing, keys, spec, cache, advance, own, len(missing)))
    return found


def cached_clips(texts: list[str], spec: EngineSpec, cache: ClipCache) -> dict[str, np.ndarray]:
    """Samples of the texts whose clips are already in the cache; nothing is synthesized."""
    found = {text: cache.get(key) for text, key in _keys(texts, spec).items()}
    return {text: clip for text, clip in found.items() if clip is not None}


def _keys(texts: list[str], spec: EngineSpec) -> dict[str, str]:
    from coach.audio.clips import PROCESSING

    identity = f"{spec.identity()} | {PROCESSING}"
    return {text: clip_key(identity, spec.rate, spec.volume, text) for text in texts}


def _synthesize(texts, keys, spec, cache: ClipCache, advance, workers: Workers, wanted: int) -> dict[str, np.ndarray]:
    """Every text made in `workers` (started with up to `wanted` processes, one per core at most).
    Any failure propagates, and the caller's `with` stops the workers."""
    count = max(1, min(wanted, os.cpu_count() or 1))
    # A neural engine's own threads share the cores with the other workers, not each take them all.
    threads = max(1, (os.cpu_count() or 1) // count)
    # The parent owns the scratch folder: workers killed mid-clip cannot leave files behind.
    with scratch_path(Path(tempfile.gettempdir()), "coach-") as scratch:
        scratch.mkdir(mode=0o700)
        jobs = [(text, keys[text], spec, str(scratch), threads) for text in texts]
        results = workers.pool(count).imap_unordered(_make_clip, jobs)
        made = {}
        for _ in jobs:
            try:
                text, samples = results.next(CLIP_TIMEOUT_SECONDS)
            except multiprocessing.TimeoutError:
                raise EnvironmentProblem(f"speech engine '{spec.engine}' stopped responding",
                                         "try another engine with --engine (see `coach voices`)") from None
            except (OSError, RuntimeError, ValueError) as problem:
                raise EnvironmentProblem(f"speech engine '{spec.engine}' failed: {problem}",
                                         "try another engine or voice (see `coach voices`)") from None
            cache.put(keys[text], samples)  # at once: an interrupted render keeps what it made
            made[text] = samples
            advance(1)
        return made


def _stop(pool) -> None:
    """Terminate and join the pool, in bounded time.

    CPython's `Pool.terminate` first takes its task queue's lock, which an idle worker holds while
    it waits for work; the pool's own end-of-work markers normally free it, but a run that stops
    half-way must not hang on that: after POOL_STOP_SECONDS the workers are killed outright and the
    run goes on ending (the stuck helper thread ends with the process).
    """
    stopper = threading.Thread(target=lambda: (pool.terminate(), pool.join()), daemon=True)
    stopper.start()
    stopper.join(POOL_STOP_SECONDS)
    if stopper.is_alive():
        for child in multiprocessing.active_children():
            child.kill()


def _make_clip(job) -> tuple[str, np.ndarray]:
    """Worker: speak one text and prepare the clip; the engine is made on first use."""
    from coach.audio.clips import prepare_speech
    from coach.speech.engines import Speaker

    global _speaker
    text, key, spec, scratch, threads = job
    if _speaker is None or (_speaker.spec, _speaker.threads) != (spec, threads):
        _speaker = Speaker(spec, threads)
    raw = Path(scratch) / f"{key}.wav"
    try:
        samples = prepare_speech(_speaker.speak_to_file(text, raw))
    except (OSError, RuntimeError, ValueError) as problem:
        raise RuntimeError(f"{problem} (saying '{text}')") from None
    finally:
        raw.unlink(missing_ok=True)
    return text, samples
