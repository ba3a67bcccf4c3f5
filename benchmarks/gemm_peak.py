"""Peak single-precision GEMM throughput of the BLAS NumPy loaded, at 1 and 2 threads.

    python benchmarks/gemm_peak.py [--size 2048] [--repeat 5]

Multiplies two large square float32 matrices (``a @ b`` into a preallocated output) and prints
the best GFLOP/s (2 n^3 flops per product) over ``--repeat`` products per thread count, with the
BLAS library and kernel (threadpoolctl's ``internal_api``/``architecture``). This is the ceiling
the convolution benchmarks' GFLOP/s are compared against. Best, not median: on a shared machine
the fastest run is the one the fewest other processes disturbed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits


def peak(n: int, threads: int, repeat: int) -> float:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    best = float("inf")
    with threadpool_limits(limits=threads, user_api="blas"):
        np.matmul(a, b, out=out)  # warm-up: page faults, thread start
        for _ in range(repeat):
            t0 = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            print(f"BLAS: {info.get('internal_api')} {info.get('version')} ({info.get('architecture')} kernels)")
    for threads in (1, 2):
        print(f"sgemm {args.size}x{args.size}, {threads} thread(s): {peak(args.size, threads, args.repeat):7.1f} GFLOP/s")


if __name__ == "__main__":
    main()
