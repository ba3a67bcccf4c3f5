"""The converted ops really take their array module from their inputs.

A NumPy subclass is registered as a second array library whose module is a proxy recording every
function asked of it: an op run on such arrays must compute through the proxy (forward and
backward), and give the same numbers as on plain NumPy arrays.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember._backend import register_array_module, unregister_array_module


class _Traced(np.ndarray):
    """Arrays of the stand-in library (NumPy underneath)."""


class _Recorder:
    """A module with NumPy's API that records which functions were asked of it."""

    def __init__(self):
        self.used: set[str] = set()

    def __getattr__(self, name):
        self.used.add(name)
        return getattr(np, name)


@pytest.fixture
def recorder():
    rec = _Recorder()
    register_array_module(_Traced, rec)
    yield rec
    unregister_array_module(_Traced)


def _leaf(a, traced: bool, grad: bool = True):
    a = np.array(a, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
    t = ember.tensor(a.view(_Traced) if traced else a)
    if traced:  # keep the subclass even if the constructor copied into a plain array
        t._data = a.copy().view(_Traced)
    return t.requires_grad_(grad) if grad else t


def _run(case, traced: bool):
    rng = np.random.default_rng(0)
    leaves, out = case(rng, lambda a, grad=True: _leaf(a, traced, grad))
    # the upstream gradient in the same library, so backward is tested too (not only forward)
    out.backward(_leaf(np.ones(out.shape, dtype=np.float32), traced, grad=False))
    return [np.asarray(out._data)] + [np.asarray(t.grad._data) for t in leaves]


def _lstm(rng, leaf):
    ember.manual_seed(0)
    lstm = ember.nn.LSTM(4, 3)
    for p in lstm.parameters():
        p._data = leaf(p._data, grad=False)._data
    x = leaf(rng.standard_normal((5, 2, 4), dtype=np.float32))
    return [x], lstm(x)[0]


def _attention(rng, leaf):
    q, k, v = (leaf(rng.standard_normal((2, 2, 3, 4), dtype=np.float32)) for _ in range(3))
    return [q, k, v], F.scaled_dot_product_attention(q, k, v, is_causal=True)


def _cross_entropy(rng, leaf):
    x = leaf(rng.standard_normal((4, 5), dtype=np.float32))
    t = leaf(np.array([0, 4, 2, 1]), grad=False)
    return [x], F.cross_entropy(x, t, label_smoothing=0.1)


def _bce_with_logits(rng, leaf):
    x = leaf(rng.standard_normal((3, 2), dtype=np.float32))
    t = leaf(rng.random((3, 2), dtype=np.float32), grad=False)
    return [x], F.binary_cross_entropy_with_logits(x, t)


def _smooth_l1(rng, leaf):
    x = leaf(rng.standard_normal((3, 2), dtype=np.float32))
    t = leaf(rng.standard_normal((3, 2), dtype=np.float32), grad=False)
    return [x], F.smooth_l1_loss(x, t, beta=0.5)


def _embedding(rng, leaf):
    w = leaf(rng.standard_normal((6, 3), dtype=np.float32))
    idx = leaf(np.array([[0, 2, 2], [5, 1, 0]]), grad=False)
    return [w], F.embedding(idx, w, padding_idx=1, scale_grad_by_freq=True)


def _ctc(rng, leaf):
    lp = leaf(np.log(rng.dirichlet(np.ones(4), size=(6, 2)).astype(np.float32)))
    targets = leaf(np.array([[1, 2], [3, 3]]), grad=False)
    return [lp], F.ctc_loss(lp, targets, [6, 5], [2, 2], reduction="sum")


def _bilinear(rng, leaf):
    x = leaf(rng.standard_normal((1, 2, 3, 4), dtype=np.float32))
    return [x], F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False)


def _reflect_pad(rng, leaf):
    x = leaf(rng.standard_normal((1, 2, 3, 4), dtype=np.float32))
    return [x], F.pad(x, (2, 1, 1, 2), mode="reflect")


CASES = {  # case -> functions its forward or backward must ask of the inputs' module
    "lstm": (_lstm, {"matmul", "tanh", "empty_like"}),
    "attention": (_attention, {"matmul", "exp", "einsum"}),
    "cross_entropy": (_cross_entropy, {"exp", "log", "zeros"}),
    "bce_with_logits": (_bce_with_logits, {"log1p", "tanh"}),
    "smooth_l1": (_smooth_l1, {"where", "sign"}),
    "embedding": (_embedding, {"bincount", "argsort"}),
    "ctc": (_ctc, {"logaddexp", "bincount"}),
    "bilinear": (_bilinear, {"matmul"}),
    "reflect_pad": (_reflect_pad, {"take", "moveaxis"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_computes_with_its_inputs_array_module(name, recorder):
    case, expected = CASES[name]
    plain = _run(case, traced=False)
    recorder.used.clear()
    traced = _run(case, traced=True)
    missing = expected - recorder.used
    assert not missing, f"{name} did not compute {sorted(missing)} through its inputs' array module"
    for a, b in zip(plain, traced):
        np.testing.assert_array_equal(a, b)
