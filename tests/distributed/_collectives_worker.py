"""Run by tests/distributed/test_mpi.py under ``mpiexec -n 2``: every collective against NumPy.

Each rank builds every rank's input from a seed, so it can compute the expected result itself.
Prints ``RESULT <rank> <passed> <failed>`` then one line per failure.
"""

import datetime
import sys
import traceback

import numpy as np

import ember
import ember.distributed as dist

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
passed, failures = 0, []


def check(name):
    def deco(fn):
        global passed
        try:
            fn()
            passed += 1
        except Exception:  # noqa: BLE001 - report and go on with the next check
            failures.append(f"{name}: {traceback.format_exc(limit=3)}")
        return fn
    return deco


def data(dtype: str, rank: int, shape=(3, 4)) -> np.ndarray:
    rng = np.random.default_rng(1000 * DTYPES.index(dtype) + rank)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("float"):
        return rng.uniform(0.5, 2.0, shape).astype(dtype)
    lo = 0 if dtype == "uint8" else -3
    return rng.integers(lo, 4, shape).astype(dtype)


def close(got, want, dtype: str):
    got = got.numpy() if hasattr(got, "numpy") else got
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    if dtype.startswith("float"):
        tol = 2e-3 if dtype == "float16" else 1e-6
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(got, want)


dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
rank, n = dist.get_rank(), dist.get_world_size()
R = dist.ReduceOp
ALL = {d: [data(d, r) for r in range(n)] for d in DTYPES}


def reference(op, arrays, dtype):
    a = np.stack(arrays)
    if dtype == "bool":
        f = {R.SUM: np.any, R.MAX: np.any, R.BOR: np.any, R.PRODUCT: np.all, R.MIN: np.all, R.BAND: np.all}.get(op)
        if op is R.BXOR:
            return np.logical_xor.reduce(a, axis=0)
        return f(a, axis=0)
    if op is R.SUM:
        return a.sum(axis=0, dtype=dtype)
    if op is R.AVG:
        s = a.sum(axis=0, dtype=np.float64 if dtype.startswith("float") else np.int64)
        return (s / n).astype(dtype) if dtype.startswith("float") else (np.sign(s) * (np.abs(s) // n)).astype(dtype)
    if op is R.PRODUCT:
        return a.prod(axis=0, dtype=dtype)
    if op is R.MIN:
        return a.min(axis=0)
    if op is R.MAX:
        return a.max(axis=0)
    return {R.BAND: np.bitwise_and, R.BOR: np.bitwise_or, R.BXOR: np.bitwise_xor}[op].reduce(a, axis=0)


for dtype in DTYPES:
    ops = [R.SUM, R.PRODUCT, R.MIN, R.MAX]
    if dtype != "bool":
        ops.append(R.AVG)
    if not dtype.startswith("float"):
        ops += [R.BAND, R.BOR, R.BXOR]
    for op in ops:
        @check(f"all_reduce {op.name} {dtype}")
        def _(dtype=dtype, op=op):
            t = ember.from_numpy(ALL[dtype][rank].copy())
            assert dist.all_reduce(t, op=op) is None
            close(t, reference(op, ALL[dtype], dtype), dtype)

    @check(f"all_reduce non-contiguous {dtype}")
    def _(dtype=dtype):
        big = ember.from_numpy(np.zeros((4, 8), dtype=dtype))
        view = big[:3, ::2]  # strided (3, 4)
        view.copy_(ember.from_numpy(ALL[dtype][rank]))
        dist.all_reduce(view, op=R.MAX)
        close(big[:3, ::2], reference(R.MAX, ALL[dtype], dtype), dtype)
        close(big[:3, 1::2], np.zeros((3, 4), dtype=dtype), dtype)  # the rest of the memory is untouched
        close(big[3], np.zeros(8, dtype=dtype), dtype)

    @check(f"all_reduce transposed {dtype}")
    def _(dtype=dtype):
        t = ember.from_numpy(np.ascontiguousarray(ALL[dtype][rank].T)).t()  # a (3, 4) view of (4, 3) memory
        dist.all_reduce(t, op=R.MIN)
        close(t, reference(R.MIN, ALL[dtype], dtype), dtype)

    @check(f"broadcast {dtype}")
    def _(dtype=dtype):
        t = ember.from_numpy(ALL[dtype][rank].copy())
        dist.broadcast(t, src=n - 1)
        close(t, ALL[dtype][n - 1], dtype)

    @check(f"reduce {dtype}")
    def _(dtype=dtype):
        t = ember.from_numpy(ALL[dtype][rank].copy())
        op = R.MAX
        dist.reduce(t, dst=1, op=op)
        close(t, reference(op, ALL[dtype], dtype) if rank == 1 else ALL[dtype][rank], dtype)

    @check(f"all_gather {dtype}")
    def _(dtype=dtype):
        outs = [ember.from_numpy(np.zeros((3, 4), dtype=dtype)) for _ in range(n)]
        dist.all_gather(outs, ember.from_numpy(ALL[dtype][rank]))
        for r in range(n):
            close(outs[r], ALL[dtype][r], dtype)

    @check(f"all_gather_into_tensor {dtype}")
    def _(dtype=dtype):
        cat = ember.from_numpy(np.zeros((3 * n, 4), dtype=dtype))
        dist.all_gather_into_tensor(cat, ember.from_numpy(ALL[dtype][rank]))
        close(cat, np.concatenate(ALL[dtype]), dtype)
        stacked = ember.from_numpy(np.zeros((n, 3, 4), dtype=dtype))
        dist.all_gather_into_tensor(stacked, ember.from_numpy(ALL[dtype][rank]))
        close(stacked, np.stack(ALL[dtype]), dtype)

    @check(f"reduce_scatter_tensor {dtype}")
    def _(dtype=dtype):
        out = ember.from_numpy(np.zeros((3, 4), dtype=dtype))
        full = [np.concatenate([ALL[dtype][(r + k) % n] for k in range(n)]) for r in range(n)]
        dist.reduce_scatter_tensor(out, ember.from_numpy(full[rank]), op=R.MAX)
        want = reference(R.MAX, full, dtype)[3 * rank:3 * (rank + 1)]
        close(out, want, dtype)

    @check(f"reduce_scatter {dtype}")
    def _(dtype=dtype):
        out = ember.from_numpy(np.zeros((3, 4), dtype=dtype))
        inputs = [ember.from_numpy(ALL[dtype][(rank + k) % n]) for k in range(n)]
        dist.reduce_scatter(out, inputs, op=R.MIN)
        want = reference(R.MIN, [ALL[dtype][(r + rank) % n] for r in range(n)], dtype)
        close(out, want, dtype)

    @check(f"gather {dtype}")
    def _(dtype=dtype):
        outs = [ember.from_numpy(np.zeros((3, 4), dtype=dtype)) for _ in range(n)] if rank == 0 else None
        dist.gather(ember.from_numpy(ALL[dtype][rank]), outs, dst=0)
        if rank == 0:
            for r in range(n):
                close(outs[r], ALL[dtype][r], dtype)

    @check(f"scatter {dtype}")
    def _(dtype=dtype):
        out = ember.from_numpy(np.zeros((3, 4), dtype=dtype))
        src_list = [ember.from_numpy(ALL[dtype][r]) for r in range(n)] if rank == 1 else None
        dist.scatter(out, src_list, src=1)
        close(out, ALL[dtype][rank], dtype)

    @check(f"send/recv {dtype}")
    def _(dtype=dtype):
        if rank == 0:
            dist.send(ember.from_numpy(ALL[dtype][0]), dst=1, tag=5)
        elif rank == 1:
            t = ember.from_numpy(np.zeros((4, 3), dtype=dtype)).t()  # non-contiguous receive
            assert dist.recv(t, tag=5) == 0
            close(t, ALL[dtype][0], dtype)


@check("async all_reduce returns a Work; wait completes it")
def _():
    t = ember.ones(1000) * (rank + 1)
    work = dist.all_reduce(t, async_op=True)
    assert work.wait() is True and work.is_completed() and work.is_success()
    close(t, np.full(1000, n * (n + 1) / 2, dtype=np.float32), "float32")
    assert work.result()[0] is t


@check("async ops on a non-contiguous tensor are written back at wait")
def _():
    big = ember.zeros(6, 4)
    view = big[::2]
    view.fill_(rank + 1.0)
    work = dist.all_reduce(view, async_op=True)
    work.wait()
    close(big[::2], np.full((3, 4), n * (n + 1) / 2, dtype=np.float32), "float32")
    close(big[1::2], np.zeros((3, 4), dtype=np.float32), "float32")


@check("isend/irecv with any source report the source rank")
def _():
    if rank == 1:
        w = dist.isend(ember.tensor([7.0, 8.0]), dst=0)
        w.wait()
    elif rank == 0:
        t = ember.zeros(2)
        w = dist.irecv(t)
        w.wait()
        assert w.source_rank() == 1
        close(t, np.array([7.0, 8.0], dtype=np.float32), "float32")


@check("async broadcast, all_gather, barrier")
def _():
    t = ember.tensor([float(rank)] * 3)
    outs = [ember.zeros(3) for _ in range(n)]
    works = [dist.broadcast(t, src=0, async_op=True), dist.barrier(async_op=True)]
    for w in works:
        w.wait()
    w = dist.all_gather(outs, ember.tensor([float(rank)] * 3), async_op=True)
    w.wait()
    close(t, np.zeros(3, dtype=np.float32), "float32")
    for r in range(n):
        close(outs[r], np.full(3, r, dtype=np.float32), "float32")


@check("object collectives")
def _():
    objs = [{"rank": rank}, "x" * rank] if rank == 0 else [None, None]
    dist.broadcast_object_list(objs, src=0)
    assert objs == [{"rank": 0}, ""], objs
    everyone = [None] * n
    dist.all_gather_object(everyone, ("r", rank, list(range(rank))))
    assert everyone == [("r", r, list(range(r))) for r in range(n)], everyone
    got = [None] * n if rank == 1 else None
    dist.gather_object({"r": rank}, got, dst=1)
    if rank == 1:
        assert got == [{"r": r} for r in range(n)]
    out = [None]
    dist.scatter_object_list(out, [f"to {r}" for r in range(n)] if rank == 0 else None, src=0)
    assert out == [f"to {rank}"], out


@check("groups: ranks, members only, collectives inside")
def _():
    g = dist.new_group([1])
    if rank == 1:
        assert dist.get_rank(g) == 0 and dist.get_world_size(g) == 1
        t = ember.tensor([3.0])
        dist.all_reduce(t, group=g)
        close(t, np.array([3.0], dtype=np.float32), "float32")
    else:
        assert g is dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(g) == -1
        assert dist.all_reduce(ember.ones(1), group=g) is None
    both = dist.new_group([0, 1])
    t = ember.tensor([1.0])
    dist.all_reduce(t, group=both)
    close(t, np.array([2.0], dtype=np.float32), "float32")
    assert dist.get_process_group_ranks(both) == [0, 1]


@check("argument errors like torch's")
def _():
    for fn, exc in [
        (lambda: dist.all_reduce(ember.ones(2), op=R.BAND), RuntimeError),
        (lambda: dist.all_gather([ember.ones(2)] * (n + 1), ember.ones(2)), ValueError),
        (lambda: dist.send(ember.ones(2), dst=rank), ValueError),
        (lambda: dist.all_reduce([1, 2]), TypeError),
        (lambda: dist.init_process_group(), ValueError),
        (lambda: dist.broadcast(ember.ones(1), src=n + 3), ValueError),
    ]:
        try:
            fn()
        except exc:
            continue
        raise AssertionError(f"expected {exc.__name__}")
    assert dist.get_backend() == "mpi" and dist.is_initialized()


print(f"RESULT {rank} {passed} {len(failures)}", flush=True)
for f in failures:
    print(f"FAIL rank {rank} {f}", flush=True)
dist.destroy_process_group()
sys.exit(1 if failures else 0)
