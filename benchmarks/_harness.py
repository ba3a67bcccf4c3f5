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
# Set by some workplaces to work around older OpenBLAS builds; they force AVX2 (Haswell) kernels on
# AVX-512 CPUs. ``--native-blas`` drops *both* from the children's environment (never anywhere else),
# so OpenBLAS picks its kernels from the CPU it detects. Tests and CI keep the environment as is.
BLAS_OVERRIDE_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def child_env(threads: int, native_blas: bool = False) -> dict:
    env = dict(os.environ)
    if native_blas:
        for var in BLAS_OVERRIDE_VARS:
            env.pop(var, None)
    for var in THREAD_VARS:
        env[var] = str(threads)
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_child(script: str, args: list[str], threads: int, native_blas: bool = False) -> dict:
    """Run ``script args`` in a fresh interpreter; return the JSON object it printed last."""
    proc = subprocess.run(
        [sys.executable, script, *args], env=child_env(threads, native_blas), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({' '.join(args)}):\n{proc.stderr[-3000:]}")
    for line in reversed(proc.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"benchmark child printed no result:\n{proc.stdout[-2000:]}")


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all its threads)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def blas_description(torch=None) -> str:
    """Which BLAS NumPy loaded and which kernels it runs, e.g. ``openblas 0.3.31 (SkylakeX kernels, 1 thread)``.

    Call it in a child after the framework is imported (threadpoolctl sees loaded libraries only).
    With ``torch`` given, also name the kernels PyTorch dispatches to (its MKL/oneDNN are linked
    in statically, so threadpoolctl does not list them).
    """
    torch_part = ""
    if torch is not None:
        capability = torch.backends.cpu.get_cpu_capability()
        blas = "MKL" if torch.backends.mkl.is_available() else "BLAS"
        torch_part = f"; torch: {blas} + oneDNN ({capability})"
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl)"
    parts = []
    for info in threadpool_info():
        if info.get("user_api") != "blas":
            continue
        arch = info.get("architecture")
        parts.append(
            f"{info.get('internal_api')} {info.get('version')}"
            f" ({arch + ' kernels, ' if arch else ''}{info.get('num_threads')} thread(s))"
        )
    return ("; ".join(parts) or "none loaded") + torch_part


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
