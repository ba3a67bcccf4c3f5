"""Type promotion follows PyTorch: Python scalars never widen a tensor within its category,
0-d tensors rank below dimensioned ones, categories bool < int < float decide first."""

from __future__ import annotations

import re

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _make(L, dtype, shape):
    a = (np.arange(int(np.prod(shape))).reshape(shape) % 3 + 1).astype(np.float64)
    t = L.tensor(a)
    return t.to(getattr(L, dtype))


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


OPERATORS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "eq": lambda a, b: a == b,
}


@pytest.mark.parametrize("op", ["add", "mul", "div", "eq"])
@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
def test_tensor_tensor_promotion_matches_torch(op, da, db):
    fn = OPERATORS[op]
    if op == "sub" and da == db == "bool":
        pytest.skip("bool - bool is an error in both")
    t = fn(_make(torch, da, (2,)), _make(torch, db, (2,)))
    e = fn(_make(ember, da, (2,)), _make(ember, db, (2,)))
    assert _dtype_name(e) == _dtype_name(t)
    np.testing.assert_allclose(e.numpy().astype(np.float64), t.numpy().astype(np.float64), rtol=1e-3)


@pytest.mark.parametrize("op", ["add", "mul", "div"])
@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("scalar", [True, 2, 2.5], ids=["bool", "int", "float"])
def test_tensor_scalar_promotion_matches_torch(op, da, scalar):
    fn = OPERATORS[op]
    for order in (0, 1):
        args_t = (_make(torch, da, (2,)), scalar)[:: 1 if order == 0 else -1]
        args_e = (_make(ember, da, (2,)), scalar)[:: 1 if order == 0 else -1]
        t, e = fn(*args_t), fn(*args_e)
        assert _dtype_name(e) == _dtype_name(t), (args_t, t.dtype)


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
def test_zero_dim_tensor_ranks_below_dimensioned_tensor(da, db):
    t = _make(torch, da, (2,)) + _make(torch, db, ())
    e = _make(ember, da, (2,)) + _make(ember, db, ())
    assert _dtype_name(e) == _dtype_name(t)


def test_named_promotion_rules():
    assert (ember.tensor([1, 2]) + 1.5).dtype == ember.float32  # int tensor + float scalar -> default float
    assert (ember.tensor([1, 2], dtype=ember.int32) + 7).dtype == ember.int32  # int32 + python int stays int32
    assert (ember.ones(2) * ember.ones(2, dtype=ember.float64)).dtype == ember.float64
    assert (ember.ones(2) * ember.tensor(2.0, dtype=ember.float64)).dtype == ember.float32  # 0-d ranks lower
    # ... unless it brings a higher category: then its own dtype counts
    assert (ember.ones(2, dtype=ember.int32) * ember.tensor(2.0, dtype=ember.float64)).dtype == ember.float64
    assert (ember.tensor([True]) + ember.tensor([True])).dtype == ember.bool
    assert (ember.tensor([True]) + 1).dtype == ember.int64
    assert (ember.ones(2, dtype=ember.float16) * 3.5).dtype == ember.float16


def test_default_dtype_float64_changes_int_float_promotion():
    ember.set_default_dtype(ember.float64)
    try:
        assert (ember.tensor([1, 2]) + 1.5).dtype == ember.float64
        assert (ember.tensor([1, 2]) / 2).dtype == ember.float64
        assert ember.tensor([1, 2]).exp().dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, x: L.exp(x),
        lambda L, x: L.sqrt(x),
        lambda L, x: L.sigmoid(x),
        lambda L, x: x / 2,
        lambda L, x: x.float().mean(),
        lambda L, x: x.sum(),
        lambda L, x: x.prod(),
        lambda L, x: x.cumsum(0),
        lambda L, x: x.abs(),
        lambda L, x: -x,
        lambda L, x: x**2,
        lambda L, x: x.clamp(0.5, 2),
        lambda L, x: L.where(x > 1, x, 0.5),
        lambda L, x: L.where(x > 1, x, 0),
        lambda L, x: x.square(),
        lambda L, x: x.max(),
        lambda L, x: x.sign(),
        lambda L, x: x // 2,
        lambda L, x: x % 2,
        lambda L, x: x.logsumexp(0),
        lambda L, x: L.cat([x, x.float()]),
        lambda L, x: x.floor(),
        lambda L, x: x.round(),
        lambda L, x: x.frac(),
        lambda L, x: x.relu(),
        lambda L, x: x.trunc(),
        lambda L, x: x.ceil(),
    ],
    ids=["exp", "sqrt", "sigmoid", "truediv", "mean", "sum", "prod", "cumsum", "abs", "neg", "pow2", "clamp_float",
         "where_float_scalar", "where_int_scalar", "square", "max", "sign", "floordiv", "mod", "logsumexp", "cat_mixed",
         "floor", "round", "frac", "relu", "trunc", "ceil"],
)
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_integer_and_bool_inputs_give_torch_result_dtypes(fn, dtype):
    try:
        t = fn(torch, _make(torch, dtype, (3,)))
    except RuntimeError as exc:  # NotImplementedError included
        with pytest.raises(type(exc), match=re.escape(str(exc))):
            fn(ember, _make(ember, dtype, (3,)))
        return
    e = fn(ember, _make(ember, dtype, (3,)))
    assert _dtype_name(e) == _dtype_name(t)
    np.testing.assert_allclose(e.numpy().astype(np.float64), t.numpy().astype(np.float64), rtol=1e-6)


def test_reductions_keep_float32_and_sum_of_ints_is_int64():
    x = ember.ones(3, 4)
    for out in (x.sum(), x.mean(0), x.var(1), x.std(), x.amax(0), x.norm(), x.logsumexp(1), x.prod(1), x.cumsum(0)):
        assert out.dtype == ember.float32
    assert ember.ones(3, dtype=ember.int32).sum().dtype == ember.int64
    assert ember.ones(3, dtype=ember.bool).sum().dtype == ember.int64
    assert ember.ones(3).sum(dtype=ember.float64).dtype == ember.float64
