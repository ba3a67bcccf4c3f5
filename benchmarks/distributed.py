"""Data-parallel scaling and all-reduce bandwidth of ember.distributed (MPI).

Two measurements, each in fresh processes with one BLAS thread per process:

* training throughput (samples/s) of 2 processes x 1 thread (DistributedDataParallel, the
  per-process batch fixed) against 1 process x 1 thread, on an MLP and on ResNet-18 with CIFAR
  inputs (3x32x32, batch 32 per process); the speed-up is the ratio of throughputs;
* ``ember.distributed.all_reduce`` on 1, 10 and 100 MB float32 buffers against a raw mpi4py
  ``Allreduce`` of the same buffer, alternating, medians over repetitions.

Runs alternate (1 process, 2 processes, 1 process, ...) and the medians are printed. On a shared
machine the figures move with the load; compare them with that in mind.

    python benchmarks/distributed.py                  # both workloads and the bandwidth table
    python benchmarks/distributed.py --workload resnet18 --repeat 3
    python benchmarks/distributed.py --smoke          # tiny sizes, seconds (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import child_env, cpu_seconds  # noqa: E402

WORKLOADS = {
    # name: (per-process batch, input shape, classes)
    "mlp": (128, (784,), 10),
    "resnet18": (32, (3, 32, 32), 10),
}


# ---------------------------------------------------------------------------------------- children
def _model(name: str):
    from ember.vision import models

    if name == "mlp":
        return models.get_model("mlp", in_features=784, num_classes=10, hidden=(1024, 1024))
    return models.get_model("resnet18", num_classes=10)


def child_train(args) -> None:
    import numpy as np

    import ember
    from ember import nn

    batch, shape, classes = WORKLOADS[args.workload]
    if args.smoke:
        batch = 4
    distributed = args.nproc > 1
    rank = 0
    if distributed:
        import ember.distributed as dist

        dist.init_process_group()
        rank = dist.get_rank()
    ember.manual_seed(0)
    model = _model(args.workload)
    if distributed:
        from ember.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model)
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(rank)
    x = ember.from_numpy(rng.standard_normal((batch, *shape)).astype(np.float32))
    y = ember.from_numpy(rng.integers(0, classes, batch))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    if distributed:
        dist.barrier()
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    for _ in range(args.steps):
        step()
    if distributed:
        dist.barrier()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    if rank == 0:
        print(json.dumps({"step_s": wall / args.steps, "samples_per_s": args.nproc * batch * args.steps / wall,
                          "cpu_s_per_step": cpu / args.steps}), flush=True)


def child_allreduce(args) -> None:
    import numpy as np

    import ember
    import ember.distributed as dist

    dist.init_process_group()
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    out = {}
    for mb in args.sizes:
        n = int(mb * 1024 * 1024 // 4)
        a = np.ones(n, dtype=np.float32)
        t = ember.from_numpy(np.ones(n, dtype=np.float32))
        ours, raw, raw_nb = [], [], []
        def raw_allreduce(a=a):
            comm.Allreduce(MPI.IN_PLACE, [a, MPI.FLOAT], op=MPI.SUM)

        def raw_iallreduce(a=a):
            comm.Iallreduce(MPI.IN_PLACE, [a, MPI.FLOAT], op=MPI.SUM).Wait()

        def ember_allreduce(t=t):
            dist.all_reduce(t)

        for rep in range(args.reps):  # alternate which goes first, so both see the same machine
            pair = [(raw, raw_allreduce), (raw_nb, raw_iallreduce), (ours, ember_allreduce)]
            for times, fn in pair if rep % 2 == 0 else pair[::-1]:
                comm.Barrier()
                s = time.perf_counter()
                fn()
                times.append(time.perf_counter() - s)
        out[f"{mb:g}"] = {"ember_s": statistics.median(ours), "mpi4py_s": statistics.median(raw),
                          "mpi4py_nb_s": statistics.median(raw_nb)}
    if dist.get_rank() == 0:
        print(json.dumps(out), flush=True)


# ---------------------------------------------------------------------------------------- parent
def _mpiexec() -> str:
    sys.path.insert(1, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))
    from ember.distributed.launch import find_mpiexec

    return find_mpiexec()


def _run(cmd: list[str]) -> dict:
    env = child_env(1)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({' '.join(cmd)}):\n{proc.stderr[-3000:]}")
    for line in reversed(proc.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"benchmark child printed no result:\n{proc.stdout[-2000:]}")


def _train_cmd(workload: str, nproc: int, a) -> list[str]:
    me = [sys.executable, os.path.abspath(__file__), "--child", "train", "--workload", workload, "--nproc", str(nproc),
          "--steps", str(a.steps), "--warmup", str(a.warmup)] + (["--smoke"] if a.smoke else [])
    return me if nproc == 1 else [_mpiexec(), "-n", str(nproc), *me]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    p.add_argument("--repeat", type=int, default=3, help="alternating runs per configuration (medians)")
    p.add_argument("--steps", type=int, default=None, help="timed steps per run")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--sizes", type=float, nargs="+", default=[1, 10, 100], metavar="MB")
    p.add_argument("--reps", type=int, default=None, help="all-reduce repetitions per size")
    p.add_argument("--no-bandwidth", action="store_true")
    p.add_argument("--no-training", action="store_true")
    p.add_argument("--smoke", action="store_true", help="tiny sizes: checks the benchmark runs")
    p.add_argument("--child", choices=("train", "allreduce"), help=argparse.SUPPRESS)
    p.add_argument("--nproc", type=int, default=1, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child == "train":
        a.workload = a.workload[0]
        return child_train(a)
    if a.child == "allreduce":
        return child_allreduce(a)

    if a.smoke:
        a.steps, a.warmup, a.repeat, a.sizes, a.reps = a.steps or 1, 1, 1, [0.01], a.reps or 2
    a.steps = a.steps or 5
    a.reps = a.reps or 7
    print(f"ember.distributed benchmark: 1 BLAS thread per process, {os.cpu_count()} cores, medians of {a.repeat} "
          "alternating runs (the machine may be shared: figures move with its load)")
    # The CPU-time speed-up, 2 x (CPU s per step of 1 process) / (CPU s per step of rank 0 of 2), is what the
    # wall-clock speed-up would be with a core per process; it moves less with the machine's load.
    print(f"{'workload':10s} {'batch/proc':>10s} {'1 proc samples/s':>17s} {'2 procs samples/s':>18s} "
          f"{'speed-up':>9s} {'1 proc CPU s/step':>18s} {'2 procs CPU s/step':>19s} {'CPU-time speed-up':>18s}")
    for w in [] if a.no_training else a.workload or sorted(WORKLOADS):
        one, two = [], []
        for _ in range(a.repeat):
            one.append(_run(_train_cmd(w, 1, a)))
            two.append(_run(_train_cmd(w, 2, a)))
        m1 = statistics.median(r["samples_per_s"] for r in one)
        m2 = statistics.median(r["samples_per_s"] for r in two)
        c1 = statistics.median(r["cpu_s_per_step"] for r in one)
        c2 = statistics.median(r["cpu_s_per_step"] for r in two)
        print(f"{w:10s} {WORKLOADS[w][0] if not a.smoke else 4:>10d} {m1:>17.1f} {m2:>18.1f} {m2 / m1:>8.2f}x "
              f"{c1:>18.3f} {c2:>19.3f} {2 * c1 / c2:>17.2f}x", flush=True)
    if a.no_bandwidth:
        return
    print(f"\n{'all_reduce':10s} {'ember ms':>9s} {'Allreduce ms':>13s} {'Iallreduce ms':>14s} {'ember GB/s':>11s} "
          f"{'vs faster mpi4py':>17s}")
    runs = []
    for _ in range(a.repeat):
        cmd = [_mpiexec(), "-n", "2", sys.executable, os.path.abspath(__file__), "--child", "allreduce",
               "--reps", str(a.reps), "--sizes", *map(str, a.sizes)]
        runs.append(_run(cmd))
    for mb in a.sizes:
        ours = statistics.median(r[f"{mb:g}"]["ember_s"] for r in runs)
        raw = statistics.median(r[f"{mb:g}"]["mpi4py_s"] for r in runs)
        raw_nb = statistics.median(r[f"{mb:g}"]["mpi4py_nb_s"] for r in runs)
        gbs = mb / 1024 / ours
        print(f"{mb:>7g} MB {ours * 1e3:>9.2f} {raw * 1e3:>13.2f} {raw_nb * 1e3:>14.2f} {gbs:>11.2f} "
              f"{min(raw, raw_nb) / ours:>16.0%}")


if __name__ == "__main__":
    main()
