"""Bounded temporaries of the convolution kernels, and thread control: ``ember.set_num_threads``
sets BLAS's pool (threadpoolctl) and ember's batch-parallel pool; importing ember sets neither."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember._ops import _bufpool

torch = pytest.importorskip("torch")


def test_buffer_pool_evicts_least_recently_used_by_bytes_and_count():
    pool = _bufpool.BufferPool(max_bytes=3000, max_count=3)
    for k in "abc":
        pool.put(k, np.empty(100, np.float64))  # 800 bytes each
    assert pool.get("a") is not None  # "a" is now the most recently used
    pool.put("d", np.empty(100, np.float64))  # 4 entries > 3: "b" goes
    assert pool.get("b") is None and len(pool) == 3 and pool.nbytes == 2400
    pool.put("e", np.empty(150, np.float64))  # 1200 bytes: 3600 > 3000, the oldest ("c") goes
    assert pool.get("c") is None and pool.nbytes <= 3000 and len(pool) <= 3
    pool.put("huge", np.empty(1000, np.float64))  # larger than the whole cap: never kept
    assert pool.get("huge") is None


def test_pools_stay_under_their_caps_when_conv1d_input_lengths_vary():
    """A sweep of sequence lengths used to keep one im2col buffer per length forever."""
    conv = nn.Conv1d(8, 8, 3, padding=1)
    conv_big = nn.Conv1d(64, 64, 3, padding=1)  # the channels-last N-d kernels
    for length in range(40, 400, 3):
        for m, c in ((conv, 8), (conv_big, 64)):
            x = ember.randn(4, c, length, requires_grad=True)
            m(x).sum().backward()
        for name, pool in _bufpool.all_pools().items():
            assert pool.nbytes <= pool.max_bytes, name
            assert len(pool) <= pool.max_count, name
    total = sum(p.nbytes for p in _bufpool.all_pools().values())
    assert total <= 4 * _bufpool.MAX_BYTES


def test_scratch_reuses_one_buffer_per_role():
    a = _bufpool.scratch("test-role", (10, 10), np.float32)
    b = _bufpool.scratch("test-role", (5, 4), np.float32)
    assert np.shares_memory(a, b)
    c = _bufpool.scratch("test-role", (100, 100), np.float32)  # grows: a fresh buffer
    assert c.shape == (100, 100) and not np.shares_memory(a, c)


def test_scratch_buffers_are_kept_per_array_module():
    """A buffer of one array library never serves another's request for the same role and dtype."""
    import types

    calls = []

    def empty(shape, dtype):
        calls.append(shape)
        return np.empty(shape, dtype)

    other = types.ModuleType("other_xp")  # a stand-in array module with NumPy's API
    other.empty = empty
    a = _bufpool.scratch("test-module", (8,), np.float32)
    b = _bufpool.scratch("test-module", (8,), np.float32, other)
    assert calls == [8] and not np.shares_memory(a, b)
    c = _bufpool.scratch("test-module", (4,), np.float32, other)
    assert calls == [8] and np.shares_memory(b, c)  # the other module's buffer, reused
    assert np.shares_memory(a, _bufpool.scratch("test-module", (4,), np.float32))


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_set_num_threads_limits_blas_and_get_num_threads_reports_it():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
        assert all(n == 1 for n in _blas_threads())
        ember.set_num_threads(2)
        assert ember.get_num_threads() == 2
        assert all(n == 2 for n in _blas_threads())
    finally:
        ember.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_num_threads_rejects_bad_values_like_torch(bad):
    with pytest.raises(RuntimeError) as te:
        torch.set_num_threads(bad)
    with pytest.raises(RuntimeError, match=str(te.value)):
        ember.set_num_threads(bad)


def test_importing_ember_leaves_blas_threads_alone():
    code = (
        "from threadpoolctl import threadpool_info\n"
        "import numpy\n"
        "before = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "import ember, ember.nn\n"
        "after = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "print(before == after, before)\n"
    )
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2")
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.startswith("True"), out


def test_batch_parallel_convolution_matches_one_thread(monkeypatch):
    """With two threads the batch runs in chunks on ember's pool; results equal one thread's, and
    the BLAS thread count is restored afterwards."""
    import ember._ops.conv_nd_kernels as cnd

    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 32, 9, 9)).astype(np.float32)
    w = rng.standard_normal((16, 32, 3, 3)).astype(np.float32)
    results = []
    before = ember.get_num_threads()
    try:
        for threads in (1, 2):
            ember.set_num_threads(threads)
            monkeypatch.setattr(cnd, "_CHUNK_BYTES", 1)  # one image per chunk: several chunks to spread
            xe, we = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
            y = F.conv2d(xe, we, padding=1, stride=(1, 2))
            y.backward(ember.ones_like(y))
            results.append((y.detach().numpy(), xe.grad.numpy(), we.grad.numpy()))
            assert all(n == threads for n in _blas_threads())
    finally:
        ember.set_num_threads(before)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, padding=1, stride=(1, 2))
    yt.backward(torch.ones_like(yt))
    np.testing.assert_allclose(results[1][0], yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(results[1][2], wt.grad.numpy(), rtol=1e-4, atol=1e-3)
