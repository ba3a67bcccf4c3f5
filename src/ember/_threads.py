"""BLAS thread control for ``ember.set_num_threads`` (threadpoolctl when available)."""

from __future__ import annotations

import os

_limiter = None


def set_num_threads(n: int) -> None:
    global _limiter
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        # Without threadpoolctl the BLAS pool is fixed at load time; the env var covers children.
        os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(n)
        return
    _limiter = threadpool_limits(limits=n)


def get_num_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return infos[0]["num_threads"] if infos else 1
