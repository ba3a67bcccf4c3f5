"""Parity with torch for comparisons and elementwise extrema found by a fuzz hunt: an int scalar
outside an integer tensor's range is compared wrapped (was OverflowError), fmax/fmin ignore NaN
(were maximum/minimum), and maximum/minimum send the whole gradient to both inputs where one is NaN."""

import math
import operator

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

from helpers import assert_same_as_torch as _same, tensor_pair as _pair  # noqa: E402

nan = math.nan


OPS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32"])
@pytest.mark.parametrize("scalar", [-1, 300, -384, 70000, 2**33 + 5, -(2**31) - 7])
@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__name__)
def test_compare_with_out_of_range_int_scalar(dtype, scalar, op):
    e, t = _pair(np.array([0, 44, 127, 255 if dtype == "uint8" else -128, 5]).astype(dtype))
    _same(op(e, scalar), op(t, scalar))
    _same(op(scalar, e), op(scalar, t))
    name = {"eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge"}[op.__name__]
    _same(getattr(ember, name)(e, scalar), getattr(torch, name)(t, scalar))


def test_compare_with_int_too_large_for_int64_is_overflow():
    e, t = _pair(np.array([1, 2], np.int8))
    with pytest.raises(OverflowError):
        t == 2**70
    with pytest.raises(OverflowError):
        e == 2**70


F_CASES = [
    np.array([[1.5, nan, -math.inf], [0.0, nan, 3.0]], np.float32),
    np.array([1.5, 2.0, nan], np.float32),
    np.array([1.5, nan, nan], np.float64),
    np.array(2.0, np.float32),
    np.array([-1.0, 2.0, 2.0], np.float32),
]


@pytest.mark.parametrize("name", ["fmax", "fmin", "maximum", "minimum"])
@pytest.mark.parametrize("i", range(len(F_CASES)))
@pytest.mark.parametrize("j", range(len(F_CASES)))
def test_elementwise_extrema_values_and_gradients(name, i, j):
    ea, ta = _pair(F_CASES[i], requires_grad=True)
    eb, tb = _pair(F_CASES[j], requires_grad=True)
    ye, yt = getattr(ember, name)(ea, eb), getattr(torch, name)(ta, tb)
    _same(ye, yt)
    w = np.arange(1, yt.numel() + 1, dtype=np.float64).reshape(tuple(yt.shape))
    (ye * ember.tensor(w, dtype=ye.dtype)).sum().backward()
    (yt * torch.tensor(w, dtype=yt.dtype)).sum().backward()
    _same(ea.grad, ta.grad)
    _same(eb.grad, tb.grad)


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_integers_and_refusals(name):
    ea, ta = _pair(np.array([3, 1, 2]))
    eb, tb = _pair(np.array([True, False, True]))
    _same(getattr(ember, name)(ea, eb), getattr(torch, name)(ta, tb))
    with pytest.raises(TypeError):
        getattr(torch, name)(ta, 2.0)
    with pytest.raises(TypeError):
        getattr(ember, name)(ea, 2.0)
    oe, ot = ember.empty(3, dtype=ember.int64), torch.empty(3, dtype=torch.int64)
    getattr(ember, name)(ea, eb, out=oe)
    getattr(torch, name)(ta, tb, out=ot)
    _same(oe, ot)


@pytest.mark.parametrize("kw", [{"rtol": -1}, {"atol": -0.5}, {"rtol": -1e-9, "atol": 0.0}])
@pytest.mark.parametrize("name", ["isclose", "allclose"])
def test_isclose_refuses_negative_tolerances(kw, name):
    e, t = _pair(np.ones(3, np.float32))
    with pytest.raises(RuntimeError) as rt:
        getattr(torch, name)(t, t, **kw)
    with pytest.raises(RuntimeError) as re_:
        getattr(ember, name)(e, e, **kw)
    assert str(re_.value) == str(rt.value)
