"""Optimizer-step benchmark: one ``optimizer.step()`` over a 784-256-128-10 MLP's parameters.

    python benchmarks/optim_step.py [--threads 1] [--repeat 3] [--iters 500]

The parameters (weights and biases, 235,146 floats) are plain float32 leaf tensors holding
random gradients; only the update is timed, not forward/backward. Each framework runs in its
own fresh process (alternating, ``--repeat`` times) with the thread count pinned before NumPy
and torch load; each process reports the median step time over ``--iters`` steps. Printed: the
median over processes per framework and the ratio ember / PyTorch (below 1.0: ember faster).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import median, run_child, set_torch_threads, torch_available  # noqa: E402

SHAPES = [(256, 784), (256,), (128, 256), (128,), (10, 128), (10,)]

CASES = {
    "SGD momentum=0.9": ("SGD", dict(lr=0.01, momentum=0.9)),
    "SGD momentum=0.9 nesterov wd=1e-4": ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    "Adam": ("Adam", dict(lr=1e-3)),
    "AdamW amsgrad": ("AdamW", dict(lr=1e-3, amsgrad=True)),
}


def _child(framework: str, case: str, iters: int, threads: int) -> dict:
    import numpy as np

    if framework == "torch":
        import torch as lib

        set_torch_threads(threads)
        make = lib.from_numpy
    else:
        import ember as lib

        make = lib.from_numpy
    rng = np.random.default_rng(0)
    params = []
    for shape in SHAPES:
        p = make(rng.standard_normal(shape).astype(np.float32) * 0.05)
        p.requires_grad_(True)
        p.grad = make(rng.standard_normal(shape).astype(np.float32) * 0.01)
        params.append(p)
    name, kwargs = CASES[case]
    opt = getattr(lib.optim, name)(params, **kwargs)
    for _ in range(20):  # warm up: state allocated, caches hot
        opt.step()
    times = []
    clock = time.perf_counter
    for _ in range(iters):
        t0 = clock()
        opt.step()
        times.append(clock() - t0)
    times.sort()
    return {"median_us": times[len(times) // 2] * 1e6}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--iters", type=int, default=500)
    ap.add_argument("--child", nargs=2, metavar=("FRAMEWORK", "CASE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0], args.child[1], args.iters, args.threads)))
        return

    frameworks = ["ember"] + (["torch"] if torch_available() else [])
    n = sum(int(__import__("math").prod(s)) for s in SHAPES)
    print(
        f"optimizer.step() over a 784-256-128-10 MLP ({n:,} float32 parameters), "
        f"{args.threads} thread(s), median of {args.iters} steps, median over {args.repeat} processes"
    )
    header = f"{'case':<36}{'ember (us)':>12}{'torch (us)':>12}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for case in CASES:
        results = {fw: [] for fw in frameworks}
        for _ in range(args.repeat):
            for fw in frameworks:
                out = run_child(
                    os.path.abspath(__file__),
                    ["--child", fw, case, "--iters", str(args.iters), "--threads", str(args.threads)],
                    args.threads,
                )
                results[fw].append(out["median_us"])
        e = median(results["ember"])
        t = median(results["torch"]) if "torch" in results else float("nan")
        print(f"{case:<36}{e:>12.1f}{t:>12.1f}{e / t:>8.2f}")


if __name__ == "__main__":
    main()
