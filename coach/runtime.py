"""Process settings for numpy-heavy work, made once at start-up, before numpy loads.

- OpenBLAS starts a thread per core that spins for a while after numpy loads (55 ms of a core
  here), for nothing: coach does no linear algebra. It gets one thread.
- glibc gives every freed block over 128 KiB back to the system, so numpy's FFT temporaries
  (0.5 to 2 MiB for each clip levelled or weighted) are faulted in afresh each time: in a new
  synthesis worker that was half of a clip's levelling (17 against 8.5 ms). Freed memory is kept
  for reuse instead. Forked synthesis workers inherit the setting; the programs coach runs (ffmpeg,
  espeak-ng's server) do not need it.
"""

from __future__ import annotations

import os
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20
"""Blocks this large or larger are still mapped on their own (glibc's ceiling for this setting)."""
TRIM_THRESHOLD = 64 << 20
"""Free memory at the top of the heap beyond this goes back to the system."""


def prepare() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _keep_freed_memory()


def _keep_freed_memory() -> None:
    """glibc's setting (musl has `mallopt` too, and ignores it; macOS and Windows allocate otherwise)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
