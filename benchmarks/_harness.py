"""Shared benchmark harness: run a workload in fresh subprocesses, alternating ember and PyTorch.

Each run is a new interpreter with the thread count pinned *before* NumPy/torch load
(BLAS reads OMP/OPENBLAS/MKL_NUM_THREADS only at start-up), so the two frameworks
never share warm caches or thread pools. Results come back as one JSON line.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def child_env(threads: int) -> dict:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_child(script: str, args: list[str], threads: int) -> dict:
    """Run ``script args`` in a fresh interpreter; return the JSON object it printed last."""
    proc = subprocess.run(
        [sys.executable, script, *args], env=child_env(threads), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({' '.join(args)}):\n{proc.stderr[-3000:]}")
    for line in reversed(proc.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"benchmark child printed no result:\n{proc.stdout[-2000:]}")


def torch_available() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def set_torch_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:
        pass  # only settable once per process, before any parallel work


def median(values):
    return statistics.median(values) if values else float("nan")
