"""Makes every missing clip, in parallel worker processes with a timeout.

Engines are created and driven inside the workers (pyttsx3 must stay in one
thread and has known hangs), so a stuck engine becomes a clear error in
the parent instead of a frozen render. Workers hand finished clips to the
parent, which stores them in the cache: a worker can then be killed at any
moment without leaving a half-written entry. A clip is handed over as a file
in the parent's scratch folder, not through the pool's pipe: a worker would
wait there until the parent took the whole clip (a pipe holds 64 KiB, a
phrase 130), while the parent is busy placing chapters.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import tempfile
import threading
from collections.abc import Callable
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
    """Synthesis worker processes kept for several requests, so a neural voice loads its model once per
    worker and not once per request. Clips asked for (`ask`, by clip key) are made in the order asked
    while the caller goes on; `wait` collects them. Started when first asked, stopped on leaving the
    `with`."""

    def __init__(self, size: int | None = None):
        """`size`: how many processes at most (default and most: one per core)."""
        self._size = size
        self._pool = self._folder = None
        self._threads = 1
        self._scratch = contextlib.ExitStack()
        self._asked: list[_Asked] = []
        self._made: dict[str, np.ndarray] = {}

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *problem) -> None:
        if self._pool is not None:
            _stop(self._pool)
            self._pool = None
        self._scratch.close()

    @property
    def pending(self) -> bool:
        """Whether clips asked for are yet to be collected."""
        return any(asked.left for asked in self._asked)

    def asked(self, key: str) -> bool:
        return any(key in asked.texts for asked in self._asked)

    def ask(self, texts: dict[str, str], spec: EngineSpec, cache: ClipCache, advance: Callable[[int], None]) -> None:
        """Start making each text of `texts` (by clip key, none asked before); each clip is stored in
        `cache` as it comes."""
        if self._pool is None:
            self._start()
        jobs = [(text, key, spec, str(self._folder), self._threads) for key, text in texts.items()]
        self._asked.append(_Asked(self._pool.imap_unordered(_make_clip, jobs), texts, spec.engine, cache, advance))

    def _start(self) -> None:
        cores = os.cpu_count() or 1
        count = max(1, min(self._size or cores, cores))
        # A neural engine's own threads share the cores with the other workers, not each take them all.
        self._threads = max(1, cores // count)
        # The parent owns the scratch folder: workers killed mid-clip cannot leave files behind.
        self._folder = self._scratch.enter_context(scratch_path(Path(tempfile.gettempdir()), "coach-"))
        self._folder.mkdir(mode=0o700)
        with signals_held():
            self._pool = multiprocessing.Pool(processes=count, initializer=detach_worker)

    def wait(self, keys: list[str]) -> dict[str, np.ndarray]:
        """The samples of each clip (by key), every one asked for before. Any failure propagates (of a
        clip asked for earlier too), and the caller's `with` stops the workers."""
        for asked in self._asked:
            while asked.left and any(key not in self._made for key in keys):
                key, samples = asked.next()
                self._made[key] = samples
        return {key: self._made[key] for key in keys}

    def forget_unwanted(self) -> None:
        """Clips asked for that nobody waits for (guessed phrases the fitted ranges do not say) are
        left to the pool's end; their progress counts them done, so its line ends."""
        for asked in self._asked:
            asked.advance(asked.left)
            asked.left = 0


class _Asked:
    """The clips of one `Workers.ask`, in the order they are finished."""

    def __init__(self, results, texts: dict[str, str], engine: str, cache: ClipCache,
                 advance: Callable[[int], None]):
        self.results, self.texts, self.engine, self.cache, self.advance = results, texts, engine, cache, advance
        self.left = len(texts)

    def next(self) -> tuple[str, np.ndarray]:
        """The next clip finished, by key."""
        try:
            key, made = self.results.next(CLIP_TIMEOUT_SECONDS)
            samples = np.fromfile(made, dtype="<i2")
            os.unlink(made)
        except multiprocessing.TimeoutError:
            raise EnvironmentProblem(f"speech engine '{self.engine}' stopped responding",
                                     "try another engine with --engine (see `coach voices`)") from None
        except (OSError, RuntimeError, ValueError) as problem:
            raise EnvironmentProblem(f"speech engine '{self.engine}' failed: {problem}",
                                     "try another engine or voice (see `coach voices`)") from None
        self.cache.put(key, samples)  # at once: an interrupted render keeps what it made
        self.left -= 1
        self.advance(1)
        return key, samples


def clips_for(texts: list[str], spec: EngineSpec, cache: ClipCache, stage: Stage = quiet,
              workers: Workers | None = None) -> dict[str, np.ndarray]:
    """Samples of every text: from the cache, synthesizing the missing ones first (in `workers`, else in
    workers of this call's own, as many as there are clips to make, up to one per core)."""
    if workers is None:
        found = cached_clips(texts, spec, cache)
        missing = [text for text in texts if text not in found]
        if not missing:
            return found
        with Workers(len(missing)) as own:
            return found | clips_for(missing, spec, cache, stage, own)
    found = ask(texts, spec, cache, workers, stage)
    keys = _keys([text for text in texts if text not in found], spec)
    made = workers.wait(list(keys.values()))
    return found | {text: made[key] for text, key in keys.items()}


def ask(texts: list[str], spec: EngineSpec, cache: ClipCache, workers: Workers, stage: Stage = quiet
        ) -> dict[str, np.ndarray]:
    """Start `workers` making the texts missing from the cache (and not asked for already); returns the
    samples of those found there."""
    keys = {text: key for text, key in _keys(list(dict.fromkeys(texts)), spec).items() if not workers.asked(key)}
    found = {text: cache.get(key) for text, key in keys.items()}
    missing = {keys[text]: text for text, samples in found.items() if samples is None}
    if missing:
        workers.ask(missing, spec, cache, stage("speech", len(missing)))
    return {text: samples for text, samples in found.items() if samples is not None}


def cached_clips(texts: list[str], spec: EngineSpec, cache: ClipCache) -> dict[str, np.ndarray]:
    """Samples of the texts whose clips are already in the cache; nothing is synthesized."""
    found = {text: cache.get(key) for text, key in _keys(texts, spec).items()}
    return {text: clip for text, clip in found.items() if clip is not None}


def _keys(texts: list[str], spec: EngineSpec) -> dict[str, str]:
    from coach.audio.clips import PROCESSING

    identity = f"{spec.identity()} | {PROCESSING}"
    return {text: clip_key(identity, spec.rate, spec.volume, text) for text in texts}


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


def _make_clip(job) -> tuple[str, str]:
    """Worker: speak one text and prepare the clip, and write its samples to a file; the engine is made
    on first use. Returns the clip's key and the file."""
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
    made = Path(scratch) / f"{key}.pcm"
    samples.astype("<i2").tofile(made)
    return key, str(made)
