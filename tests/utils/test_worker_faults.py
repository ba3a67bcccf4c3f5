"""A DataLoader worker that is killed, raises or hangs surfaces an error in the main process in bounded time."""

import os
import signal
import time

import pytest

import ember
from ember.utils.data import DataLoader, Dataset


class SlowAfterFirst(Dataset):
    """Item 0 is instant; every other item takes a long time (a hung worker)."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i:
            time.sleep(60)
        return ember.tensor([float(i)])


@pytest.mark.parametrize("persistent", [False, True])
def test_a_worker_killed_while_busy_is_reported_within_seconds_and_all_workers_are_reaped(persistent):
    it = iter(DataLoader(SlowAfterFirst(), batch_size=1, num_workers=2, persistent_workers=persistent))
    assert next(it).tolist() == [[0.0]]
    workers = list(it._workers)
    os.kill(workers[0].pid, signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"exited unexpectedly \(killed by signal SIGKILL\)"):
        next(it)  # no timeout given: the liveness check alone must notice
    assert time.monotonic() - start < 15
    for w in workers:
        w.join(timeout=10)
        assert not w.is_alive()


def test_a_hung_worker_with_timeout_raises_torchs_error_and_is_stopped():
    loader = DataLoader(SlowAfterFirst(), batch_size=1, num_workers=1, timeout=1.0)
    it = iter(loader)
    next(it)
    workers = list(it._workers)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 1.0 seconds"):
        next(it)
    assert time.monotonic() - start < 10
    del it
    for w in workers:
        w.join(timeout=10)
        assert not w.is_alive()
