"""Layer, group and batch norm share one create_graph backward (``_graph_grads`` in ``_ops/norm.py``):
second-order checks over multi-dim normalized shapes and with the weight or the bias missing."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd.gradcheck import gradcheck, gradgradcheck

# (id, fn(functional, *tensors), argument shapes); torch's own double backward of a norm without a weight
# fails ("Expected a proper Tensor but got None"), so those cases are checked by finite differences only
CASES = [
    ("layer_norm-2d-shape-bias-only", lambda f, x, b: f.layer_norm(x, (2, 3), None, b), [(4, 2, 3), (2, 3)]),
    ("layer_norm-2d-shape-weight-only", lambda f, x, w: f.layer_norm(x, (2, 3), w), [(4, 2, 3), (2, 3)]),
    ("group_norm-2-spatial-dims", lambda f, x, w, b: f.group_norm(x, 2, w, b), [(2, 4, 3, 2), (4,), (4,)]),
    ("batch_norm-bias-only", lambda f, x, b: f.batch_norm(x, None, None, None, b, True), [(3, 2, 2, 2), (2,)]),
]
TORCH_CASES = [c for c in CASES if "bias-only" not in c[0]]


@pytest.mark.parametrize("fn, shapes", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_norm_second_order_matches_finite_differences(fn, shapes):
    rng = np.random.default_rng(3)
    args = tuple(ember.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes)
    assert gradcheck(lambda *a: fn(F, *a), args)
    assert gradgradcheck(lambda *a: fn(F, *a), args)


def test_layer_norm_create_graph_bias_gradient_has_the_bias_shape():
    rng = np.random.default_rng(5)
    x = ember.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    b = ember.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    v = ember.tensor(rng.standard_normal((4, 2, 3)))
    y = F.layer_norm(x, (2, 3), None, b)
    gx, gb = ember.autograd.grad(((y * v) ** 2).sum(), (x, b), create_graph=True)
    assert tuple(gx.shape) == (4, 2, 3) and tuple(gb.shape) == (2, 3)
    np.testing.assert_allclose(gb.detach().numpy(), (2 * y * v * v).detach().numpy().sum(0), rtol=1e-12)


@pytest.mark.parametrize("fn, shapes", [c[1:] for c in TORCH_CASES], ids=[c[0] for c in TORCH_CASES])
def test_norm_create_graph_gradients_match_torch(fn, shapes):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in shapes]
    v = rng.standard_normal(shapes[0])
    grads = []
    for lib, f in ((ember, F), (torch, torch.nn.functional)):
        args = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = fn(f, *args)
        first = lib.autograd.grad((y * lib.tensor(v)).pow(2).sum(), args, create_graph=True)
        second = lib.autograd.grad(sum(g.pow(2).sum() for g in first), args)
        grads.append([g.detach().numpy() for g in (*first, *second)])
    for e, t in zip(*grads):
        assert e.shape == t.shape
        np.testing.assert_allclose(e, t, rtol=1e-7, atol=1e-9)
