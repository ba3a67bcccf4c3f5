"""Data-parallel training runs (``ember train --nproc N``): what changes when several processes train one model.

Each process trains a ``DistributedDataParallel`` replica on its shard of every global batch
(``DistributedSampler``, ``batch_size / N`` samples per process), so the run computes the same
updates as one process on the full batch. Training metrics are averaged over the processes
(weighted by their sample counts); validation and test sets are evaluated whole by every process
(the replicas are identical, so are the results). Rank 0 alone writes the run directory.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset

from .errors import RunError, UsageError

__all__ = ["DataParallelRun", "all_reduce_logs", "process_rank", "sampler_epoch", "unwrap"]


def process_rank() -> int:
    """This process's rank in the default process group (0 without one)."""
    return dist.get_rank() if dist.is_initialized() else 0


def unwrap(model: Any) -> Any:
    """The model inside a ``DistributedDataParallel`` wrapper (checkpoints hold the plain model's keys)."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def all_reduce_logs(logs: dict[str, float], count: int) -> dict[str, float]:
    """Per-process epoch averages -> averages over every process's samples (no-op outside a process group)."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return logs
    keys = list(logs)  # the same order on every rank: the Trainer builds logs identically
    sums = np.array([float(logs[k]) * count for k in keys] + [float(count)], dtype=np.float64)
    dist.all_reduce(ember.from_numpy(sums))
    total = sums[-1]
    return {k: float(sums[i] / total) if total else float("nan") for i, k in enumerate(keys)}


def sampler_epoch(loader: Any, epoch: int) -> None:
    """Tell a ``DistributedSampler`` which epoch starts (its shuffle is seeded by ``seed + epoch``)."""
    set_epoch = getattr(getattr(loader, "sampler", None), "set_epoch", None)
    if set_epoch is not None:
        set_epoch(epoch)


class DataParallelRun:
    """The process group of an ``ember train --nproc N`` run, and the pieces that differ per rank."""

    def __init__(self, nproc: int) -> None:
        if not dist.is_initialized():
            try:
                dist.init_process_group("mpi")
            except RuntimeError as e:  # no mpi4py: the message names the extra to install
                raise RunError(str(e)) from None
        self.dist = dist
        self.rank = dist.get_rank()
        self.world = dist.get_world_size()
        if self.world != nproc:
            raise UsageError(f"--nproc {nproc}, but the MPI launcher started {self.world} processes")

    @property
    def writer(self) -> bool:
        """Whether this process writes the run directory (rank 0)."""
        return self.rank == 0

    def local_batch(self, batch_size: int) -> int:
        if batch_size % self.world:
            raise UsageError(
                f"--batch-size {batch_size} is the global batch and must divide evenly among the {self.world} "
                f"processes (each takes batch_size / {self.world})"
            )
        return batch_size // self.world

    def threads(self, threads: int | str | None) -> int | str | None:
        """BLAS threads per process: 'auto' shares the cores among the processes of this machine."""
        if threads != "auto":
            return threads
        return max(1, (os.cpu_count() or 1) // self.world)

    def broadcast(self, value: Any) -> Any:
        """Rank 0's ``value`` on every rank."""
        box = [value]
        self.dist.broadcast_object_list(box, src=0)
        return box[0]

    def loader(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int):
        """This rank's shard of the training data: ``batch_size / N`` samples per step, PyTorch's sampler order."""
        ds = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
        sampler = DistributedSampler(ds, num_replicas=self.world, rank=self.rank, shuffle=True, seed=seed)
        return DataLoader(ds, batch_size=self.local_batch(batch_size), sampler=sampler)

    def wrap(self, model: Any) -> Any:
        """``DistributedDataParallel`` around the model, its batch norms synchronised: the statistics
        are those of the global batch, as in one process (checkpoints keep BatchNorm's keys)."""
        return DistributedDataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(model))
