"""Per-op benchmark: ember vs PyTorch, per call, forward + backward.

    python benchmarks/ops.py [--threads 1] [--repeat 3]

Each framework runs in its own fresh process (alternating, ``--repeat`` times); each
process times many calls and reports the median per call. Printed: median over
processes, and the ratio ember / PyTorch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import median, run_child, set_torch_threads, torch_available  # noqa: E402

CASES = {
    "matmul 64x784 @ 784x256 fwd+bwd": 300,
    "add 64x256 fwd+bwd": 3000,
    "relu 64x256 fwd+bwd": 3000,
    "sum dim=1 64x256 fwd": 3000,
    "one-element mul fwd+bwd (overhead)": 5000,
    "erf 1M float32 fwd+bwd": 20,
    "gelu 1M float32 fwd+bwd": 20,
    "atan2 1M float32 fwd+bwd": 20,
}


def _workloads(lib):
    rng_a = lib.randn(64, 784)
    w = lib.randn(784, 256, requires_grad=True)
    x = lib.randn(64, 784, requires_grad=True)
    a = lib.randn(64, 256, requires_grad=True)
    b = lib.randn(64, 256, requires_grad=True)
    s = lib.randn(1, requires_grad=True)
    t = lib.randn(1, requires_grad=True)
    g256 = lib.ones(64, 256)
    del rng_a

    def matmul():
        (x @ w).backward(g256)

    def add():
        (a + b).backward(g256)

    def relu():
        a.relu().backward(g256)

    def reduce_sum():
        a.detach().sum(1)

    def scalar():
        (s * t).backward()

    big_x = lib.randn(1_000_000, requires_grad=True)
    big_y = lib.randn(1_000_000, requires_grad=True)
    g_big = lib.ones(1_000_000)

    def erf():
        lib.erf(big_x).backward(g_big)

    def gelu():
        lib.nn.functional.gelu(big_x).backward(g_big)

    def atan2():
        lib.atan2(big_x, big_y).backward(g_big)

    return {
        "matmul 64x784 @ 784x256 fwd+bwd": matmul,
        "add 64x256 fwd+bwd": add,
        "relu 64x256 fwd+bwd": relu,
        "sum dim=1 64x256 fwd": reduce_sum,
        "one-element mul fwd+bwd (overhead)": scalar,
        "erf 1M float32 fwd+bwd": erf,
        "gelu 1M float32 fwd+bwd": gelu,
        "atan2 1M float32 fwd+bwd": atan2,
    }


def child(framework: str, threads: int, clock=time.perf_counter) -> None:
    if framework == "torch":
        import torch as lib

        set_torch_threads(threads)
    else:
        import ember as lib
    lib.manual_seed(0)
    out = {}
    for name, fn in _workloads(lib).items():
        if name not in CASES:
            continue
        n = CASES[name]
        for _ in range(n // 10):
            fn()
        times = []
        for _ in range(7):
            t0 = clock()
            for _ in range(n):
                fn()
            times.append((clock() - t0) / n)
        times.sort()
        out[name] = times[len(times) // 2]
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="few calls per case (a smoke run for CI)")
    parser.add_argument("--cpu", action="store_true", help="time with process CPU time (steadier on a shared machine)")
    parser.add_argument("--only", default="", help="comma-separated substrings: run only the cases whose name contains one")
    parser.add_argument("--child", choices=["ember", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        keep = [k for k in CASES if any(w in k for w in args.only.split(","))]
        for name in list(CASES):
            if name not in keep:
                del CASES[name]
    if args.quick:
        for name in CASES:
            CASES[name] = 20
    if args.child:
        child(args.child, args.threads, time.process_time if args.cpu else time.perf_counter)
        return
    frameworks = ["ember"] + (["torch"] if torch_available() else [])
    results = {f: [] for f in frameworks}
    for _ in range(args.repeat):
        for f in frameworks:
            child_args = ["--child", f, "--threads", str(args.threads)] + (["--quick"] if args.quick else [])
            child_args += (["--only", args.only] if args.only else []) + (["--cpu"] if args.cpu else [])
            results[f].append(run_child(__file__, child_args, args.threads))
    clock = "CPU time" if args.cpu else "wall time"
    print(f"ops benchmark, {args.threads} thread(s), median of {args.repeat} processes (microseconds per call, {clock})")
    print(f"{'case':40s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}")
    for name in CASES:
        e = median([r[name] for r in results["ember"]]) * 1e6
        if "torch" in results:
            t = median([r[name] for r in results["torch"]]) * 1e6
            print(f"{name:40s} {e:10.1f} {t:10.1f} {e / t:7.2f}")
        else:
            print(f"{name:40s} {e:10.1f} {'-':>10s} {'-':>7s}")


if __name__ == "__main__":
    main()
