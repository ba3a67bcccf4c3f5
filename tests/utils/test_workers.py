"""DataLoader with worker processes: same batches as in-process, seeding, init, errors, shutdown."""

import gc
import os
import random
import time

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info

# Datasets live at module level so worker processes started with "spawn" can import them.


class Rows(Dataset):
    def __init__(self, n=23):
        self.data = np.arange(n * 3, dtype=np.float32).reshape(n, 3)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return {"x": self.data[i], "i": i, "name": f"row{i}"}


class WhoAmI(Dataset):
    def __len__(self):
        return 12

    def __getitem__(self, i):
        info = get_worker_info()
        return i, info.id, info.num_workers, os.getpid(), list(_INIT_CALLS)


class Faulty(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 7:
            raise ValueError(f"bad sample {i}")
        return i


class Noisy(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return ember.rand(1).item(), float(np.random.rand()), random.random(), get_worker_info().id


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(3)
        return i


class Dies(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


class Unpicklable(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        import threading

        return threading.Lock()


class Shards(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


_INIT_CALLS = []


def record_init(worker_id):
    _INIT_CALLS.append(worker_id)


def failing_init(worker_id):
    raise KeyError("no config for this worker")


def identity_collate(batch):
    return batch


def _flatten(batches):
    return [(b["i"].tolist(), b["x"].numpy().tolist(), b["name"]) for b in batches]


@pytest.mark.parametrize("shuffle", [False, True])
def test_two_workers_give_the_same_batches_as_none(shuffle):
    def run(workers):
        loader = DataLoader(Rows(), batch_size=4, shuffle=shuffle, num_workers=workers,
                            generator=ember.Generator().manual_seed(5))
        return _flatten(loader)

    assert run(2) == run(0)


def test_tensor_dataset_with_workers_matches_in_process():
    x = ember.randn(50, 4)
    y = ember.arange(50)

    def run(workers):
        loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, drop_last=True, num_workers=workers,
                            generator=ember.Generator().manual_seed(1))
        return [(bx.numpy().tolist(), by.tolist()) for bx, by in loader]

    assert run(2) == run(0)


def test_worker_init_fn_runs_once_per_worker_with_distinct_ids_and_worker_info_is_set():
    assert get_worker_info() is None
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, worker_init_fn=record_init)
    items = list(loader)
    assert [it[0] for it in items] == list(range(12))
    by_worker = {}
    for _, wid, nw, pid, calls in items:
        assert nw == 2
        by_worker.setdefault(wid, set()).add((pid, tuple(calls)))
    assert sorted(by_worker) == [0, 1]
    for wid, seen in by_worker.items():
        assert len(seen) == 1, "one process per worker"
        ((_, calls),) = seen
        assert calls == (wid,), "worker_init_fn called exactly once, with this worker's id"
    assert _INIT_CALLS == []  # never called in the main process


def test_exception_in_a_worker_is_reraised_with_its_traceback_and_workers_stop():
    loader = DataLoader(Faulty(), batch_size=2, num_workers=2)
    it = iter(loader)
    workers = list(it._workers)
    with pytest.raises(ValueError) as excinfo:
        list(it)
    message = str(excinfo.value)
    assert "Caught ValueError in DataLoader worker process" in message
    assert "bad sample 7" in message and "__getitem__" in message and "Traceback" in message
    for w in workers:
        w.join(timeout=5)
        assert not w.is_alive()


def test_exception_in_worker_init_fn_is_reraised():
    loader = DataLoader(Faulty(), batch_size=2, num_workers=1, worker_init_fn=failing_init)
    with pytest.raises(KeyError, match="no config for this worker"):
        list(loader)


def test_iterable_dataset_shards_by_worker_info():
    loader = DataLoader(Shards(11), batch_size=2, num_workers=2)
    items = sorted(sum((b.tolist() for b in loader), []))
    assert items == list(range(11))


def test_random_transforms_differ_per_worker_and_are_reproducible_under_the_seed():
    def run(seed):
        ember.manual_seed(seed)
        return list(DataLoader(Noisy(), batch_size=None, num_workers=2))

    a, b, c = run(0), run(0), run(1)
    assert a == b
    assert a != c
    first = {item[3]: item[:3] for item in reversed(a)}  # each worker's first draws
    for k in range(3):  # ember, NumPy and Python streams all differ between workers
        assert first[0][k] != first[1][k]


def test_generator_seeds_the_workers():
    def run(seed):
        return list(DataLoader(Noisy(), batch_size=None, num_workers=2, generator=ember.Generator().manual_seed(seed)))

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_persistent_workers_survive_epochs_and_restart_cleanly_after_a_break():
    loader = DataLoader(WhoAmI(), batch_size=3, num_workers=2, persistent_workers=True, collate_fn=identity_collate)
    first = list(loader)
    pids = {item[3] for batch in first for item in batch}
    it = iter(loader)
    next(it)  # abandon this epoch early
    second = list(loader)
    assert [item[0] for batch in second for item in batch] == list(range(12))
    assert {item[3] for batch in second for item in batch} == pids
    workers = loader._iterator._workers
    assert all(w.is_alive() for w in workers)
    loader._iterator._shutdown_workers()
    assert not any(w.is_alive() for w in workers)


def test_prefetch_factor_and_out_of_order_delivery():
    got = list(DataLoader(Rows(9), batch_size=2, num_workers=2, prefetch_factor=1))
    assert [b["i"].tolist() for b in got] == [[0, 1], [2, 3], [4, 5], [6, 7], [8]]
    unordered = list(DataLoader(Rows(9), batch_size=2, num_workers=2, in_order=False))
    assert sorted(sum((b["i"].tolist() for b in unordered), [])) == list(range(9))


def test_deleting_the_iterator_mid_epoch_stops_the_workers():
    it = iter(DataLoader(Rows(), batch_size=2, num_workers=2))
    next(it)
    workers = list(it._workers)
    del it
    gc.collect()
    for w in workers:
        w.join(timeout=5)
        assert not w.is_alive()


def test_timeout_raises_when_a_batch_takes_too_long():
    loader = DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.3)
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(iter(loader))


def test_a_worker_that_dies_is_reported():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(DataLoader(Dies(), batch_size=1, num_workers=1))


def test_an_unpicklable_batch_is_an_error_not_a_hang():
    with pytest.raises(TypeError, match="pickle"):
        list(DataLoader(Unpicklable(), batch_size=None, num_workers=1))


def test_spawn_context_works():
    # TensorDataset, so the fresh worker processes need not import this test module.
    x, y = ember.randn(6, 2), ember.arange(6)
    loader = DataLoader(TensorDataset(x, y), batch_size=3, num_workers=2, multiprocessing_context="spawn")
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5]]
    np.testing.assert_array_equal(batches[1][0].numpy(), x.numpy()[3:])
