"""Keep the C heap from growing with the length of a run (glibc).

Peak memory of a long run crept up window after window although the memory
in use did not. On a 1280x720 video with a moving mask, glibc's
``mallinfo2`` at the end of each window showed 340-410 MB in use with no
trend, while free but resident bytes inside the heap grew from 130 to
340 MB in four windows (640x360: 100-130 MB in use, free 70 -> 280 MB in
seven), and each window's own peak rose with them.

The cause is glibc's *dynamic* mmap threshold. Blocks above the threshold
get their own mapping and go back to the system when freed; but freeing
such a block raises the threshold to its size (up to 32 MiB). After the
first window freed its arrays, every per-frame array of a window (2-8 MB at
720p) came from the heap instead. With a moving mask each window's working
region has another size, so the blocks one window frees rarely fit the next
one's, and the heap keeps growing, all of it resident.

Fixing the threshold (which turns the dynamic rule off) at 4 MiB puts every
per-frame array of a sizeable region back on its own mapping, returned when
freed, while small blocks stay on the heap. 4 MiB is also where numpy asks
for transparent huge pages, so mapping those blocks anew costs few page
faults. Measured on 600 frames at 1280x720 (``benchmarks/long_video.py``'s
input; the sweep repeats every 240 frames, so windows 2, 7 and 12 have the
same shape): heap 500-535 MB from the second window on instead of growing
to 610-625 MB, those windows' peaks 1284, 1316, 1318 MB instead of 1308, 1398,
1403 MB; CPU time (user + system, two alternating runs of 120 frames
each) +2%, from the extra page faults; on a short 854x480 clip (dog-agility,
25 frames, five paired whole-command runs) +7% wall time, almost all of it
system time. A 1 MiB threshold cost +17% CPU at 640x360.

Against that growth (with the dynamic threshold still on), ``malloc_trim``
after each window did not help: the heap regrew inside the next window.
``MALLOC_ARENA_MAX=1`` did not either: the growth is in the main thread's arena.

With the threshold fixed, what a long video output still adds slowly is free
heap between windows: each video segment (see :mod:`vidfill.io.resumable`)
starts a new encoder, whose small blocks land among the windows' own. Over
1000 frames at 1280x720 (``benchmarks/long_video.py``'s input, per-window
trace) the heap's free bytes between windows grew from 61 to 111 MB, and
windows of the same shape peaked higher the later they came (663x1068 crop:
1227, 1239, 1258 MB; 663x1043: 1215, 1238, 1244 MB).
:func:`release_free_heap` (``malloc_trim``) hands those free pages back
before each window: the whole 1000-frame run's peak 1257 -> 1231 / 1233 MB
(two pairs of runs), the 100-frame run's 1095 / 1096 -> 1094 / 1095 MB. A trim
takes 1-14 ms (4 of them in a 42 s run on 60 frames of 4K).

Fixing the mmap threshold also fixes glibc's *trim* threshold at its
default, 128 KiB: whenever that much is free at the top of a heap, it goes
back to the system at once, so inside a window the per-frame arrays that
now come from the heap (and the worker threads' arenas) were handed back
and faulted in again frame after frame, round after round. On dog-agility
at 854x480 (25 frames) the command took 500 k page faults, about 1.1 of its
5.3 s of CPU in the kernel. :data:`TRIM_THRESHOLD` lets a heap keep up to
32 MiB free at its top within a window; :func:`release_free_heap` still
hands it all back before the next one, so what a long run keeps between
windows does not change. Whole command, paired runs: CPU x1.13 on
dog-agility, x1.09 on tennis 432x240 and car-shadow 854x480, peak memory
+2-5% (dog-agility 536 -> 563 MiB), the same output.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: ``M_TRIM_THRESHOLD`` and ``M_MMAP_THRESHOLD`` of glibc's ``mallopt``.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: Blocks of this many bytes and more get their own mapping.
MMAP_THRESHOLD = 4 * 2**20

#: Free bytes a heap may keep at its top before glibc gives them back itself.
TRIM_THRESHOLD = 32 * 2**20

_applied = False
#: The C library once looked up: a CDLL if it is glibc, False if not.
_libc: ctypes.CDLL | bool | None = None


def _user_chose(name: str) -> bool:
    """Whether the environment already sets glibc's ``name`` threshold ("mmap" or "trim")
    (then it is theirs to keep)."""
    variable = f"MALLOC_{name.upper()}_THRESHOLD_"
    return variable in os.environ or f"{name}_threshold" in os.environ.get("GLIBC_TUNABLES", "")


def _glibc() -> ctypes.CDLL | None:
    """The process's C library if it is glibc, else None; looked up once."""
    global _libc
    if _libc is None:
        _libc = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None)
                # gnu_get_libc_version exists only in glibc: musl's mallopt is a stub.
                libc.gnu_get_libc_version  # noqa: B018
                _libc = libc
            except (OSError, AttributeError):
                pass
    return _libc or None


def release_free_heap() -> bool:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim(0)``).

    Freed blocks inside the heap stay resident until something reuses them;
    between windows, what the previous window and the encoder left free is
    handed back, so the next window's peak does not count it. A no-op
    (returning False) on other C libraries.

    Returns
    -------
    bool
        Whether any memory was released.
    """
    libc = _glibc()
    if libc is None:
        return False
    trim = libc.malloc_trim
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    return trim(0) == 1


def bound_heap_growth() -> bool:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD` for this process, once,
    and its trim threshold at :data:`TRIM_THRESHOLD`.

    A no-op (returning False) on other C libraries, or when the
    environment sets the mmap threshold itself (``MALLOC_MMAP_THRESHOLD_``
    or ``GLIBC_TUNABLES``); a trim threshold set there is kept too.

    Returns
    -------
    bool
        Whether the process now runs with the fixed mmap threshold.
    """
    global _applied
    if _applied:
        return True
    libc = _glibc()
    if libc is None or _user_chose("mmap"):
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    _applied = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    if _applied and not _user_chose("trim"):
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return _applied
