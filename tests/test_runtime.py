"""The process settings `coach` makes before any work: freed numpy temporaries are reused, not faulted in again."""

import platform
import subprocess
import sys

import pytest

# A 3 s clip levelled again and again, as a synthesis worker levels one phrase after another: the
# page faults of the last ten times.
FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "prepared":
    from coach import runtime
    runtime.prepare()
from coach.audio.limiter import levelled
time = np.arange(66000)
clip = np.random.default_rng(1).standard_normal(len(time)) * 0.1 * np.sin(time / 3000) ** 2
levelled(clip, -16.0, -5.0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    levelled(clip, -16.0, -5.0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", FAULTS, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator settings")
def test_freed_temporaries_are_reused_instead_of_faulted_in_again():
    megabyte = (1 << 20) // 4096
    assert faults("default") > 50 * megabyte  # what this guards against: 19 MB faulted in for each clip
    assert faults("prepared") < megabyte


def test_numpy_gets_one_blas_thread_unless_the_user_chose():
    script = "import os; from coach import runtime; runtime.prepare(); print(os.environ['OPENBLAS_NUM_THREADS'])"
    chosen = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            env={"OPENBLAS_NUM_THREADS": "3", "PATH": ""})
    default = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env={"PATH": ""})
    assert (chosen.stdout.strip(), default.stdout.strip()) == ("3", "1")

