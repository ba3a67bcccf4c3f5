"""``DistributedSampler``: each rank iterates its own share of a dataset, the same shares as PyTorch's.

PyTorch shuffles with ``torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))``.
ember's own generator is a different one (PCG64), so this sampler reproduces PyTorch's CPU
``randperm`` instead: a Mersenne Twister (MT19937) seeded with the low 32 bits of the seed, and a
Fisher-Yates shuffle that swaps item ``i`` with item ``i + (draw % (n - i))``. The index streams
are those of PyTorch for the same arguments, so a job sees the same data order on either.
"""

from __future__ import annotations

import math

import numpy as np

from .sampler import Sampler

__all__ = ["DistributedSampler"]

# PyTorch switches to another shuffle for n this large; ember does not reproduce that one.
_MAX_N = (2**32 - 1) // 20


def _mt19937_draws(seed: int, count: int) -> np.ndarray:
    """The first ``count`` 32-bit outputs of MT19937 seeded like PyTorch's CPU generator (``init_genrand``)."""
    key = np.empty(624, dtype=np.uint64)
    key[0] = seed & 0xFFFFFFFF
    for i in range(1, 624):  # the reference initialisation: x_i = 1812433253 * (x_{i-1} ^ (x_{i-1} >> 30)) + i
        prev = int(key[i - 1])
        key[i] = (1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF
    bitgen = np.random.MT19937()
    bitgen.state = {"bit_generator": "MT19937", "state": {"key": key.astype(np.uint32), "pos": 624}}
    return bitgen.random_raw(count)


def torch_randperm(n: int, seed: int) -> list[int]:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()``, computed without torch."""
    if n > _MAX_N:
        raise ValueError(f"DistributedSampler: shuffling more than {_MAX_N} samples like PyTorch is not supported")
    perm = list(range(n))
    if n > 1:
        offsets = (_mt19937_draws(int(seed), n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
        for i, z in enumerate(offsets):
            j = i + z
            perm[i], perm[j] = perm[j], perm[i]
    return perm


class DistributedSampler(Sampler):
    """Restricts loading to this rank's share of ``dataset``: every ``num_replicas``-th index from ``rank``.

    Args:
        dataset: a dataset with ``len()``.
        num_replicas: number of processes (default: the world size of the process group).
        rank: this process's rank (default: its rank in the process group).
        shuffle: shuffle the indices, seeded by ``seed + epoch`` (call ``set_epoch`` every epoch).
        seed: the shuffle's seed; must be the same on every rank.
        drop_last: drop the tail that does not divide evenly; otherwise pad with repeated indices
            so every rank gets the same number of samples.

    Example:
        >>> sampler = DistributedSampler(dataset)
        >>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)
        >>> for epoch in range(epochs):
        ...     sampler.set_epoch(epoch)
        ...     for x, y in loader: ...
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        indices = torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Shuffle differently in epoch ``epoch`` (the same way on every rank)."""
        self.epoch = epoch
