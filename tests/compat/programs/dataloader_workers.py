# Worker processes: a map-style dataset with worker_init_fn, and an IterableDataset sharded with get_worker_info.
# ruff: noqa: B007, F401  (written as PyTorch users write it, unused names and all)
import argparse
import math

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return torch.tensor([float(i)]), torch.tensor(i * i)


class RangeStream(IterableDataset):
    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        worker_info = get_worker_info()
        if worker_info is None:  # single-process data loading
            iter_start, iter_end = self.start, self.end
        else:  # split the workload
            per_worker = int(math.ceil((self.end - self.start) / float(worker_info.num_workers)))
            worker_id = worker_info.id
            iter_start = self.start + worker_id * per_worker
            iter_end = min(iter_start + per_worker, self.end)
        return iter(range(iter_start, iter_end))


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--spawn", action="store_true", help="start workers with the spawn method")
    args = parser.parse_args()
    if args.spawn:
        torch.multiprocessing.set_start_method("spawn", force=True)

    g = torch.Generator()
    g.manual_seed(0)
    loader = DataLoader(Squares(40), batch_size=8, shuffle=True, num_workers=args.workers,
                        worker_init_fn=seed_worker, generator=g, persistent_workers=True)
    seen = []
    for epoch in range(2):
        for x, y in loader:
            assert torch.equal(y, (x.squeeze(1) ** 2).long())
            seen.extend(int(v) for v in x.squeeze(1))
    print("map-style items per epoch:", len(seen) // 2, "distinct:", len(set(seen)))

    stream = RangeStream(3, 20)
    single = list(DataLoader(stream, num_workers=0))
    multi = list(DataLoader(stream, num_workers=args.workers))
    print("iterable single:", sorted(int(t) for t in single) == list(range(3, 20)))
    print("iterable multi:", sorted(int(t) for t in multi) == list(range(3, 20)))
    print("main process worker info:", get_worker_info())


if __name__ == "__main__":
    main()
