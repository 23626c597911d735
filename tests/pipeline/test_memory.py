"""The fixed mmap and trim thresholds: a heap that neither grows over a long run nor gives
back and faults in its memory again within a window (glibc)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="glibc only",
)

# The start of each probe script: glibc's malloc statistics through ctypes.
MALLINFO = """
import ctypes, json
import numpy as np
from vidfill.pipeline.memory import bound_heap_growth

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
"""

# In a child, so the threshold starts at glibc's default: free a 24 MiB block
# (which lifts the dynamic threshold to 24 MiB), fix the threshold, then see
# whether a 6 MiB array still gets its own mapping and gives it back.
PROBE = MALLINFO + """
big = np.ones(24 * 2**20, np.uint8)
del big
applied = bound_heap_growth()
before = libc.mallinfo2().hblkhd
block = np.ones(6 * 2**20, np.uint8)
held = libc.mallinfo2().hblkhd
del block
after = libc.mallinfo2().hblkhd
print(json.dumps({"applied": applied, "held": held - before, "after": after - before}))
"""


def run_probe(
    script: str, cleared: tuple[str, ...], extra_env: dict[str, str] | None = None
) -> dict:
    """Run ``script`` in a child without the ``cleared`` variables; its printed JSON."""
    env = {k: v for k, v in os.environ.items() if k not in cleared}
    env.update(extra_env or {})
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(result.stdout)


def probe(extra_env: dict[str, str] | None = None) -> dict[str, object]:
    return run_probe(PROBE, ("MALLOC_MMAP_THRESHOLD_",), extra_env)


def test_large_arrays_are_mapped_and_returned_after_the_threshold_rose() -> None:
    figures = probe()
    assert figures["applied"] is True
    # Without the fixed threshold the 6 MiB block would come from the heap
    # (the freed 24 MiB block lifted the dynamic threshold) and stay resident.
    assert figures["held"] >= 6 * 2**20
    assert figures["after"] <= 0


def test_a_threshold_set_in_the_environment_is_left_alone() -> None:
    figures = probe({"MALLOC_MMAP_THRESHOLD_": str(64 * 2**20)})
    assert figures["applied"] is False
    assert figures["held"] == 0  # 6 MiB is under the user's 64 MiB: heap


# A 3 MiB array comes from the heap (under the 4 MiB mmap threshold). Freed
# at the top of the heap, it stays there for the next array unless the trim
# threshold is lower; release_free_heap hands it back between windows.
TRIM_PROBE = MALLINFO + """
from vidfill.pipeline.memory import release_free_heap
bound_heap_growth()
before = libc.mallinfo2().arena
block = np.ones(3 * 2**20, np.uint8)
held = libc.mallinfo2().arena
del block
kept = libc.mallinfo2().arena
release_free_heap()
released = libc.mallinfo2().arena
print(json.dumps({"held": held - before, "kept": kept - before, "released": released - before}))
"""


def trim_probe(extra_env: dict[str, str] | None = None) -> dict[str, int]:
    names = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")
    return run_probe(TRIM_PROBE, names, extra_env)


def test_freed_heap_stays_for_the_next_array_until_released() -> None:
    figures = trim_probe()
    # The heap grew for the array (by less than its size where it had room).
    assert figures["held"] >= 2 * 2**20
    # glibc's default trim threshold (128 KiB) would have handed it back at once.
    assert figures["kept"] == figures["held"]
    assert figures["released"] <= figures["held"] - 2 * 2**20


def test_a_trim_threshold_set_in_the_environment_is_left_alone() -> None:
    figures = trim_probe({"MALLOC_TRIM_THRESHOLD_": str(2**17)})
    assert figures["held"] >= 2 * 2**20
    assert figures["kept"] <= figures["held"] - 2 * 2**20
