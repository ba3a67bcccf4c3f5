"""Run by tests/distributed/test_mpi.py under ``mpiexec -n 2``: DistributedDataParallel and SyncBatchNorm
against one process training on the global batch. Prints ``RESULT <rank> <passed> <failed>``."""

import copy
import datetime
import sys
import traceback

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

passed, failures = 0, []


def check(name):
    def deco(fn):
        global passed
        try:
            fn()
            passed += 1
        except Exception:  # noqa: BLE001
            failures.append(f"{name}: {traceback.format_exc(limit=4)}")
        return fn
    return deco


dist.init_process_group(timeout=datetime.timedelta(seconds=60))
rank, n = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(0)
X = rng.standard_normal((16, 6)).astype(np.float32)
Y = rng.integers(0, 3, 16)
XI = (rng.standard_normal((8, 3, 6, 6)) * 2 + 1).astype(np.float32)
YI = rng.integers(0, 3, 8)
F = nn.functional


def mlp():
    return nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))


def shard(a):
    k = len(a) // n
    return a[rank * k:(rank + 1) * k]


def max_diff(m1, m2):
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert list(s1) == list(s2)
    return max(float(np.abs(s1[k].numpy().astype(np.float64) - s2[k].numpy()).max()) for k in s1)


def same_on_all_ranks(model):
    mine = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    everyone = [None] * n
    dist.all_gather_object(everyone, mine)
    for other in everyone:
        for k in mine:
            np.testing.assert_array_equal(other[k], mine[k])


@check("DDP training equals one process on the global batch; replicas identical")
def _():
    ember.manual_seed(10 + rank)  # different initial weights: DDP must start everyone from rank 0's
    model = mlp()
    ddp = DDP(model, bucket_cap_mb=0.002)  # several buckets
    assert len(ddp._buckets) > 2
    ember.manual_seed(10)
    ref = mlp()
    assert max_diff(model, ref) == 0.0
    opt = ember.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    opt_ref = ember.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for _ in range(6):
        opt.zero_grad()
        F.cross_entropy(ddp(ember.from_numpy(shard(X))), ember.from_numpy(shard(Y))).backward()
        opt.step()
        opt_ref.zero_grad()
        F.cross_entropy(ref(ember.from_numpy(X)), ember.from_numpy(Y)).backward()
        opt_ref.step()
    assert max_diff(model, ref) <= 1e-5, max_diff(model, ref)
    same_on_all_ranks(model)
    assert ddp.module is model
    assert list(ddp.state_dict())[0] == "module.0.weight"


@check("gradient_as_bucket_view gives the same averaged gradients")
def _():
    ember.manual_seed(3)
    model = mlp()
    ref = copy.deepcopy(model)
    ddp = DDP(model, gradient_as_bucket_view=True)
    F.cross_entropy(ddp(ember.from_numpy(shard(X))), ember.from_numpy(shard(Y))).backward()
    F.cross_entropy(ref(ember.from_numpy(X)), ember.from_numpy(Y)).backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-6)


@check("no_sync accumulates locally; the next backward averages the sum")
def _():
    ember.manual_seed(4)
    model = mlp()
    ref = copy.deepcopy(model)
    ddp = DDP(model)
    parts = [(X[:8], Y[:8]), (X[8:], Y[8:])]
    with ddp.no_sync():
        x, y = parts[0]
        F.cross_entropy(ddp(ember.from_numpy(shard(x))), ember.from_numpy(shard(y))).backward()
    local = model[0].weight.grad.numpy().copy()
    everyone = [None] * n
    dist.all_gather_object(everyone, local)
    assert not np.allclose(everyone[0], everyone[1]), "no_sync must not average"
    x, y = parts[1]
    F.cross_entropy(ddp(ember.from_numpy(shard(x))), ember.from_numpy(shard(y))).backward()
    for x, y in parts:
        F.cross_entropy(ref(ember.from_numpy(x)), ember.from_numpy(y)).backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-6)


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 3)
        self.b = nn.Linear(6, 3)  # used on rank 0 only
        self.c = nn.Linear(6, 3)  # never used

    def forward(self, x, use_b):
        return self.a(x) + self.b(x) if use_b else self.a(x)


@check("find_unused_parameters: locally unused count as zero, globally unused keep no grad")
def _():
    ember.manual_seed(5)
    model = Branchy()
    ddp = DDP(model, find_unused_parameters=True, bucket_cap_mb=0.0001)
    x = ember.from_numpy(X[:4] * (rank + 1))
    ddp(x, rank == 0).sum().backward()
    assert model.c.weight.grad is None
    want_b = X[:4].sum(axis=0) / n  # d(sum of b(x))/dW = sum over rows of x, from rank 0 only
    np.testing.assert_allclose(model.b.weight.grad.numpy(), np.tile(want_b, (3, 1)), rtol=1e-5)
    want_a = sum(X[:4].sum(axis=0) * (r + 1) for r in range(n)) / n
    np.testing.assert_allclose(model.a.weight.grad.numpy(), np.tile(want_a, (3, 1)), rtol=1e-5)


@check("an unused parameter without find_unused_parameters fails at the next forward, like torch")
def _():
    ember.manual_seed(6)
    model = Branchy()
    ddp = DDP(model)
    ddp(ember.from_numpy(X[:4]), False).sum().backward()
    try:
        ddp(ember.from_numpy(X[:4]), False)
    except RuntimeError as e:
        assert "Expected to have finished reduction" in str(e) and "find_unused_parameters=True" in str(e)
    else:
        raise AssertionError("expected RuntimeError")


@check("broadcast_buffers copies rank 0's buffers at each forward")
def _():
    bn = nn.BatchNorm1d(6)
    model = nn.Sequential(nn.Linear(6, 6), bn)
    ddp = DDP(model)
    bn.running_mean.fill_(float(rank))
    ddp.eval()
    with ember.no_grad():
        ddp(ember.from_numpy(X[:4]))
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(6, dtype=np.float32))


@check("DDP argument errors")
def _():
    for fn, exc in [(lambda: DDP(mlp(), device_ids=[0]), ValueError), (lambda: DDP(nn.ReLU()), RuntimeError)]:
        try:
            fn()
        except exc:
            continue
        raise AssertionError(f"expected {exc.__name__}")


def convnet(norm):
    return nn.Sequential(nn.Conv2d(3, 4, 3), norm(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 8), nn.BatchNorm1d(8),
                         nn.ReLU(), nn.Linear(8, 3))


@check("SyncBatchNorm + DDP equals BatchNorm on the global batch (weights, running stats)")
def _():
    ember.manual_seed(7)
    ref = convnet(nn.BatchNorm2d)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(copy.deepcopy(ref))
    assert type(model[1]) is nn.SyncBatchNorm and type(model[5]) is nn.SyncBatchNorm
    ddp = DDP(model)
    opt = ember.optim.SGD(ddp.parameters(), lr=0.1)
    opt_ref = ember.optim.SGD(ref.parameters(), lr=0.1)
    for _ in range(4):
        opt.zero_grad()
        F.cross_entropy(ddp(ember.from_numpy(shard(XI))), ember.from_numpy(shard(YI))).backward()
        opt.step()
        opt_ref.zero_grad()
        F.cross_entropy(ref(ember.from_numpy(XI)), ember.from_numpy(YI)).backward()
        opt_ref.step()
    assert max_diff(model, ref) <= 1e-5, max_diff(model, ref)
    ddp.eval()
    ref.eval()
    with ember.no_grad():
        np.testing.assert_allclose(ddp(ember.from_numpy(XI)).numpy(), ref(ember.from_numpy(XI)).numpy(), atol=1e-5)


@check("SyncBatchNorm with uneven batches: statistics of all samples")
def _():
    sbn = nn.SyncBatchNorm(3, affine=False)
    bn = nn.BatchNorm2d(3, affine=False)
    parts = [XI[:3], XI[3:]]  # 3 samples on rank 0, 5 on rank 1
    x = ember.from_numpy(parts[rank]).requires_grad_()
    out = sbn(x)
    ref_in = ember.from_numpy(XI).requires_grad_()
    ref_out = bn(ref_in)
    start = 0 if rank == 0 else 3
    np.testing.assert_allclose(out.detach().numpy(), ref_out.detach().numpy()[start:start + len(parts[rank])], atol=1e-5)
    np.testing.assert_allclose(sbn.running_var.numpy(), bn.running_var.numpy(), rtol=1e-5)
    w = ember.from_numpy(np.linspace(-1, 1, XI.size, dtype=np.float32).reshape(XI.shape))
    (out * w[start:start + len(parts[rank])]).sum().backward()
    (ref_out * w).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref_in.grad.numpy()[start:start + len(parts[rank])], atol=1e-5)


print(f"RESULT {rank} {passed} {len(failures)}", flush=True)
for f in failures:
    print(f"FAIL rank {rank} {f}", flush=True)
sys.exit(1 if failures else 0)
