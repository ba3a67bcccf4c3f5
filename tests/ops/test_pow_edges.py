"""pow at the edges of its domain against torch: zero bases with negative exponents, negative
bases with fractional exponents, infinities, NaN and zero exponents, for tensor ** tensor,
tensor ** scalar and scalar ** tensor; forward values and both gradients."""

import contextlib
import itertools
import math
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

BASES = [0.0, -0.0, -2.0, 2.0, -math.inf, math.inf, 0.5, -0.5, math.nan, 1.0, -1.0]
EXPONENTS = [-1.0, 0.0, 0.5, 2.0, -0.5, 1.0, 3.0, -2.0, 1.5, -1.5, math.inf, -math.inf, math.nan]


def _close(e, t):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=0, equal_nan=True)
    # inf and -inf must agree in sign, NaN with NaN; assert_allclose checks both


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the edges are silent in torch; ember must not warn either
        yield


def test_tensor_pow_tensor_values_and_both_gradients():
    bb, ee = zip(*itertools.product(BASES, EXPONENTS))
    res = []
    for L in (torch, ember):
        x = L.tensor(bb, dtype=L.float64, requires_grad=True)
        y = L.tensor(ee, dtype=L.float64, requires_grad=True)
        with _quiet():
            out = x ** y
            out.backward(L.ones(len(bb), dtype=L.float64))
        res.append((out, x.grad, y.grad))
    for t, e in zip(*res):
        _close(e, t)


@pytest.mark.parametrize("exponent", EXPONENTS)
def test_tensor_pow_scalar_values_and_gradient(exponent):
    res = []
    for L in (torch, ember):
        x = L.tensor(BASES, dtype=L.float64, requires_grad=True)
        with _quiet():
            out = x ** exponent
            out.backward(L.ones(len(BASES), dtype=L.float64))
        res.append((out, x.grad))
    for t, e in zip(*res):
        _close(e, t)


@pytest.mark.parametrize("base", BASES)
def test_scalar_pow_tensor_values_and_gradient(base):
    res = []
    for L in (torch, ember):
        y = L.tensor(EXPONENTS, dtype=L.float64, requires_grad=True)
        with _quiet():
            out = L.pow(base, y)
            out.backward(L.ones(len(EXPONENTS), dtype=L.float64))
        res.append((out, y.grad))
    for t, e in zip(*res):
        _close(e, t)


@pytest.mark.parametrize("exponent", [0.5, -0.5, 2.0, 3.0, -1.0, -2.0, 1.5])
def test_float32_fast_path_exponents_match_torch(exponent):
    x = np.array([0.0, -0.0, -3.0, 3.0, -np.inf, np.inf, 1e-20, 1e20], dtype=np.float32)
    t = torch.tensor(x) ** exponent
    with _quiet():
        e = ember.tensor(x) ** exponent
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, equal_nan=True)


def test_pow_gradcheck_inside_the_domain():
    from ember.autograd import gradcheck

    rng = np.random.default_rng(0)
    a = ember.tensor(rng.uniform(0.5, 2.0, (3, 4)), requires_grad=True)
    b = ember.tensor(rng.uniform(-1.5, 1.5, (4,)), requires_grad=True)
    assert gradcheck(lambda x, y: x ** y, (a, b))
    assert gradcheck(lambda x: x ** -0.5, (a,))
    assert gradcheck(lambda y: ember.pow(2.5, y), (b,))
