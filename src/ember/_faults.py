"""Crash testing: kill this process at the Nth durable write, so tests can prove every state on disk recovers.

Every place ember commits a file (``atomic_write``, the CSV log's appends) calls `write_point`
just before the write becomes visible. It costs one dictionary lookup unless one of these is set:

* ``EMBER_FAULT_KILL_AT_WRITE=N``: at the Nth write point of this process, SIGKILL itself (no
  cleanup, no ``finally``: what a power cut or the OOM killer does);
* ``EMBER_FAULT_TRACE=FILE``: append ``N<TAB>what`` for every write point (to count them).
"""

from __future__ import annotations

import os
import signal
import threading

KILL_AT = "EMBER_FAULT_KILL_AT_WRITE"
TRACE = "EMBER_FAULT_TRACE"

_lock = threading.Lock()
_count = 0


def write_point(what: str) -> None:
    """Count a write point; die here if this is the one ``EMBER_FAULT_KILL_AT_WRITE`` names."""
    kill_at, trace = os.environ.get(KILL_AT), os.environ.get(TRACE)
    if not kill_at and not trace:
        return
    global _count
    with _lock:
        _count += 1
        n = _count
    if trace:
        with open(trace, "a", encoding="utf-8") as f:
            f.write(f"{n}\t{what}\n")
    if kill_at and n == int(kill_at):
        os.kill(os.getpid(), signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
