"""Keep glibc's malloc from returning memory to the OS between training steps.

Why: every training step allocates and frees the same few MiB of activations and gradients
(ember's ops return fresh NumPy arrays). With glibc's defaults, a freed block at the top of
the heap larger than the trim threshold (128 KiB, raised dynamically to about 2x the largest
freed mmap'd block) is handed back with ``brk``, and the next step grows the heap again and
takes a page fault on every 4 KiB it touches. On LeNet (batch 64) that was ~870 page faults
and ~0.9 ms of a 6 ms step (``/usr/bin/time``: 525k minor faults in 600 steps; 13k with the
thresholds below). The fix is the one allocators like jemalloc/tcmalloc apply by default:
keep freed memory for reuse.

What is set, once, when training starts (``Trainer.fit``, hence ``ember train``; the benchmarks call
``tune()`` for the same reason) and never at ``import ember``, which changes no process-wide setting (Linux/glibc only):

* ``M_MMAP_THRESHOLD`` = 32 MiB (glibc's maximum): blocks up to that size come from the heap,
  where freed memory is reused, instead of a fresh ``mmap`` (zero pages, faults) each time;
* ``M_TRIM_THRESHOLD`` = 128 MiB: free memory at the top of the heap is returned to the OS
  only past that much.

The peak memory of a process does not grow (retained memory is reused before the heap grows);
what changes is that up to 128 MiB of freed heap stays mapped after a peak. Nothing is
changed when the user configured malloc already (any ``MALLOC_*_`` tuning variable in the
environment) or sets ``EMBER_MALLOC_TUNING=0``.
"""

from __future__ import annotations

import os
import sys

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 << 20
_TRIM_THRESHOLD = 128 << 20
_USER_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")

tuned = False  # whether the thresholds were set (for tests and bug reports)


def tune() -> bool:
    """Set the thresholds described above; returns whether they were set."""
    global tuned
    if tuned:
        return True
    if not sys.platform.startswith("linux") or os.environ.get("EMBER_MALLOC_TUNING", "1") == "0":
        return False
    if any(var in os.environ for var in _USER_VARIABLES):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: not glibc's malloc
            return False
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    tuned = bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    return tuned
