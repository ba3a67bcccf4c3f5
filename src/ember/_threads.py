"""Thread control: ``ember.set_num_threads`` / ``ember.get_num_threads``, and ember's own small
thread pool for batch-parallel work (convolutions split the batch into chunks).

Two knobs, set together by ``set_num_threads(n)`` (per process, like ``torch.set_num_threads``):

* the BLAS thread pool NumPy's GEMMs use, through threadpoolctl (a core dependency);
* how many Python worker threads ember runs chunks of a batch on. NumPy's GEMMs and copies
  release the GIL, so two chunks of a convolution run on two cores.

Importing ember changes neither: until ``set_num_threads`` is called, ember's pool follows the
BLAS pool's current size (``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` or the core count).
While a batch-parallel region runs, BLAS is held at one thread per worker (the workers are
the parallelism; BLAS threads on top would oversubscribe the cores) and restored after.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_requested: int | None = None  # set by set_num_threads
_controller = None
_executor: ThreadPoolExecutor | None = None
_executor_size = 0
_lock = threading.Lock()
_local = threading.local()  # .busy: this thread is already inside a parallel region


def _blas():
    """threadpoolctl's controllers of the BLAS libraries loaded in this process (cached)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in this process: BLAS's pool and ember's batch-parallel pool."""
    global _requested
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _blas().limit(limits=n)
    _requested = n


def get_num_threads() -> int:
    """The thread count set by ``set_num_threads``, else the BLAS pool's current size."""
    if _requested is not None:
        return _requested
    infos = _blas().info()
    return max((int(i.get("num_threads") or 1) for i in infos), default=1)


def pool_size() -> int:
    """Workers a batch-parallel region may use (1 inside a worker: no nested parallelism)."""
    if getattr(_local, "busy", False):
        return 1
    return max(1, min(get_num_threads(), os.cpu_count() or 1))


def _get_executor(size: int) -> ThreadPoolExecutor:
    global _executor, _executor_size
    with _lock:
        if _executor is None or _executor_size != size:
            if _executor is not None:
                _executor.shutdown(wait=False)
            _executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="ember")
            _executor_size = size
        return _executor


def _run_marked(fn, a, b):
    _local.busy = True
    try:
        return fn(a, b)
    finally:
        _local.busy = False


def run_chunks(fn, chunks) -> None:
    """Call ``fn(start, stop)`` for every chunk: on the pool when there are several chunks and
    threads, else inline. Exceptions propagate; every chunk has finished when this returns."""
    workers = min(pool_size(), len(chunks))
    if workers <= 1:
        for a, b in chunks:
            fn(a, b)
        return
    blas = _blas()
    previous = [c.get_num_threads() for c in blas.lib_controllers]
    for c in blas.lib_controllers:
        c.set_num_threads(1)
    try:
        ex = _get_executor(workers)
        futures = [ex.submit(_run_marked, fn, a, b) for a, b in chunks[1:]]
        _run_marked(fn, *chunks[0])
        for f in futures:
            f.result()
    finally:
        for c, n in zip(blas.lib_controllers, previous):
            c.set_num_threads(n)
