"""DataLoader benchmark: one shuffled epoch of a 60000x784 float32 TensorDataset, batch 64.

    python benchmarks/dataloader.py [--threads 1] [--repeat 3]

ember and PyTorch each run in fresh processes (alternating, ``--repeat`` times) with the
BLAS/OpenMP thread count pinned before NumPy/torch load; each process times one warm-up epoch
and then ``--epochs`` epochs, reporting the median. Printed: the median over processes and
the ratio ember / PyTorch (below 1.0 means ember is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import median, run_child, set_torch_threads, torch_available  # noqa: E402

N, D, BATCH = 60000, 784, 64


def _child(lib_name: str, threads: int, epochs: int) -> dict:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, D), dtype=np.float32)
    y = rng.integers(0, 10, size=N)
    if lib_name == "torch":
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        set_torch_threads(threads)
        torch.manual_seed(0)
        loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=BATCH, shuffle=True)
    else:
        import ember
        from ember.utils.data import DataLoader, TensorDataset

        ember.manual_seed(0)
        loader = DataLoader(TensorDataset(ember.from_numpy(x), ember.from_numpy(y)), batch_size=BATCH, shuffle=True)

    times = []
    for epoch in range(epochs + 1):
        start = time.perf_counter()
        batches, last = 0, None
        for batches, last in enumerate(loader, 1):  # noqa: B007 - the loop body is the benchmark
            pass
        if epoch:  # the first epoch warms caches and allocators
            times.append(time.perf_counter() - start)
    assert batches == (N + BATCH - 1) // BATCH and tuple(last[0].shape) == (N % BATCH, D)
    return {"seconds": median(times), "batches": batches}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per framework (median taken)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per process")
    parser.add_argument("--child", choices=["ember", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(_child(args.child, args.threads, args.epochs)))
        return

    libs = ["ember"] + (["torch"] if torch_available() else [])
    results = {lib: [] for lib in libs}
    script = os.path.abspath(__file__)
    for _ in range(args.repeat):
        for lib in libs:
            out = run_child(script, ["--child", lib, "--threads", str(args.threads), "--epochs", str(args.epochs)],
                            args.threads)
            results[lib].append(out["seconds"])

    ember_s = median(results["ember"])
    print(f"DataLoader epoch: TensorDataset {N}x{D} float32, batch {BATCH}, shuffle=True, "
          f"{args.threads} thread(s), median of {args.repeat} processes x {args.epochs} epochs")
    print(f"{'framework':<10} {'epoch (ms)':>12} {'per batch (us)':>16}")
    batches = (N + BATCH - 1) // BATCH
    for lib in libs:
        s = median(results[lib])
        print(f"{lib:<10} {s * 1e3:>12.1f} {s / batches * 1e6:>16.1f}")
    if "torch" in results:
        print(f"ratio ember/torch: {ember_s / median(results['torch']):.3f}")


if __name__ == "__main__":
    main()
