"""``ember.multiprocessing``: ``torch.multiprocessing``'s basics on Python's ``multiprocessing``.

Everything in ``multiprocessing`` is re-exported. ember tensors are NumPy arrays and travel
between processes by pickling, so there are no shared-memory sharing strategies to choose; the
names exist and answer as PyTorch does on Linux. ``spawn`` starts ``nprocs`` processes running
``fn(i, *args)``.
"""

from __future__ import annotations

import multiprocessing as _mp
import sys as _sys

globals().update({_name: getattr(_mp, _name) for _name in _mp.__all__})

_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = "file_descriptor" if _sys.platform != "darwin" else "file_system"


def get_all_sharing_strategies() -> set:
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise AssertionError(f"{new_strategy!r} is not a sharing strategy; expected one of {sorted(_STRATEGIES)}")
    _strategy = new_strategy


class ProcessRaisedException(Exception):
    """A spawned process raised; the message carries its traceback."""

    def __init__(self, msg: str, error_index: int, error_pid: int):
        super().__init__(msg)
        self.error_index, self.pid = error_index, error_pid


class ProcessExitedException(Exception):
    """A spawned process exited with a non-zero code."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int):
        super().__init__(msg)
        self.error_index, self.pid, self.exit_code = error_index, error_pid, exit_code


def _wrap(fn, i, args, queue):
    import traceback

    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except BaseException:
        queue.put(traceback.format_exc())
        _sys.exit(1)


class ProcessContext:
    def __init__(self, processes, queues):
        self.processes, self.error_queues = processes, queues

    def pids(self) -> list:
        return [p.pid for p in self.processes]

    def join(self, timeout=None) -> bool:
        """Wait for every process; raise on the first failure (terminating the rest)."""
        for i, p in enumerate(self.processes):
            p.join(timeout)
            if p.exitcode is None:
                return False
            if p.exitcode != 0:
                for other in self.processes:
                    if other.is_alive():
                        other.terminate()
                if not self.error_queues[i].empty():
                    raise ProcessRaisedException(
                        f"\n\n-- Process {i} terminated with the following error:\n{self.error_queues[i].get()}",
                        i, p.pid)
                raise ProcessExitedException(f"process {i} terminated with exit code {p.exitcode}", i, p.pid,
                                             p.exitcode)
        return True


def start_processes(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False,
                    start_method: str = "spawn"):
    ctx = _mp.get_context(start_method)
    queues, processes = [], []
    for i in range(nprocs):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, tuple(args), q), daemon=daemon)
        p.start()
        queues.append(q)
        processes.append(p)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    context.join()
    return None


def spawn(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False, start_method: str = "spawn"):
    """Run ``fn(i, *args)`` for ``i`` in ``range(nprocs)``, each in a new process (``torch.multiprocessing.spawn``)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
