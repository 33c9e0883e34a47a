"""Content-addressed store of finished clips (trimmed, normalised 16-bit PCM).

The key hashes everything that changes how a clip sounds, so an edited
routine re-synthesizes only the phrases that changed. Entries are written
atomically and carry a checksum: a torn or corrupted file reads as missing
and is made again; two renders writing the same clip at once both succeed.
Anything else found under an entry's name (a folder, FIFO, device, a link
to one, an oversized file) is damage too: read safely, then replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from coach.boundedread import UnsafeFile, read_bounded
from coach.errors import EnvironmentProblem
from coach.interrupts import scratch_path
from coach.limits import MAX_CLIP_SECONDS, SAMPLE_RATE

MAGIC = b"COACHCLIP1"
HEADER_BYTES = len(MAGIC) + 32
MAX_ENTRY_BYTES = HEADER_BYTES + 2 * SAMPLE_RATE * MAX_CLIP_SECONDS


def default_dir() -> Path:
    """`$COACH_CACHE_DIR`, else the user cache dir (e.g. ~/.cache/coach/clips)."""
    override = os.environ.get("COACH_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("coach", appauthor=False)) / "clips"


def clip_key(identity: str, rate: int, volume: float, text: str) -> str:
    """`identity` names the engine build, voice and clip processing; the rest are the words and settings."""
    fields = {"identity": identity, "rate": rate, "volume": volume, "text": text, "magic": MAGIC.decode()}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode("utf-8")).hexdigest()


class ClipCache:
    def __init__(self, folder: Path):
        self.folder = folder

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.clip"

    def get(self, key: str) -> np.ndarray | None:
        """The clip's samples, or None when absent or damaged."""
        try:
            data = read_bounded(self.path(key), MAX_ENTRY_BYTES)
        except (OSError, UnsafeFile):
            return None
        pcm = data[HEADER_BYTES:]
        if data[:len(MAGIC)] != MAGIC or hashlib.sha256(pcm).digest() != data[len(MAGIC):HEADER_BYTES] or len(pcm) % 2:
            return None
        return np.frombuffer(pcm, dtype="<i2")

    def put(self, key: str, samples: np.ndarray) -> None:
        pcm = samples.astype("<i2").tobytes()
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # A registered scratch name: a stop signal mid-write leaves no temporary file in the cache.
            with scratch_path(target.parent, ".tmp-") as temporary:
                with open(temporary, "xb") as out:
                    out.write(MAGIC + hashlib.sha256(pcm).digest() + pcm)
                if target.is_dir() and not target.is_symlink():  # a damaged entry a file cannot replace
                    shutil.rmtree(target, ignore_errors=True)
                os.replace(temporary, target)
        except OSError as problem:
            raise self._unwritable(problem) from None

    def check_writable(self) -> None:
        """Fail before any work when the cache cannot be written (a read-only home, a full disk)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with scratch_path(self.folder, ".probe-") as probe:  # unique: other renders may probe at once
                probe.touch(exist_ok=False)
        except OSError as problem:
            raise self._unwritable(problem) from None

    def _unwritable(self, problem: OSError) -> EnvironmentProblem:
        return EnvironmentProblem(f"cannot write the clip cache in {self.folder} ({problem.strerror})",
                                  "set COACH_CACHE_DIR to a writable folder with free space")
