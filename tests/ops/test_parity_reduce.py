"""Parity with torch for reductions' edge cases found by a fuzz hunt: NaN gradients of max()/min(),
all/any on uint8 and with an empty dim list, nanmedian ignoring NaN, median of a 0-d tensor along a
dim, and the calls PyTorch refuses (tuple dims for single-dim reductions, integer norm/nanmean,
logsumexp without dim)."""

import math

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

from helpers import assert_same_as_torch as _same, raises_like_torch as _raises_like, tensor_pair as _pair  # noqa: E402

nan = math.nan


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("a", [[[1.0, nan, nan, 0.0], [2.0, 2.0, 1.0, nan]], [[1.0, 3.0, 3.0], [-1.0, 3.0, -1.0]], [nan], 2.5])
def test_full_extremum_gradient_goes_to_nan_or_ties(name, a):
    e, t = _pair(np.asarray(a, dtype=np.float64), requires_grad=True)
    ye, yt = getattr(e, name)(), getattr(t, name)()
    _same(ye, yt)
    ye.backward()
    yt.backward()
    _same(e.grad, t.grad)


def test_amax_gradient_with_nan_stays_nan_like_torch():
    e, t = _pair(np.array([[1.0, nan], [2.0, 3.0]]), requires_grad=True)
    ember.amax(e, 1).sum().backward()
    torch.amax(t, 1).sum().backward()
    _same(e.grad, t.grad)


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("dtype", ["uint8", "bool", "float32", "int64"])
@pytest.mark.parametrize("dim", [None, 0, -1, (), [], (0, 1), [1]])
@pytest.mark.parametrize("keepdim", [False, True])
def test_all_any_dtype_and_empty_dim_list(name, dtype, dim, keepdim):
    a = np.array([[0, 2, 3], [1, 1, 1]]).astype(dtype)
    e, t = _pair(a)
    if dim is None:
        ye, yt = getattr(ember, name)(e), getattr(torch, name)(t)
    else:
        ye, yt = getattr(ember, name)(e, dim, keepdim), getattr(torch, name)(t, dim, keepdim)
    _same(ye, yt)
    _same(getattr(e, name)(), getattr(t, name)())


NANMEDIAN_CASES = [
    [[nan, 2.0, 1.0, 3.0, nan]],
    [[nan, 3.0, 1.0], [5.0, nan, 4.0], [1.0, 2.0, 3.0]],
    [[2.0, 2.0, nan, 1.0], [0.0, nan, nan, 7.0]],
    [[1.0, 4.0, 2.0, 3.0], [inf := math.inf, -inf, nan, 0.0]],
]


@pytest.mark.parametrize("name", ["median", "nanmedian"])
@pytest.mark.parametrize("a", NANMEDIAN_CASES)
def test_median_and_nanmedian_with_nan(name, a):
    e, t = _pair(np.asarray(a, dtype=np.float32), requires_grad=True)
    _same(getattr(ember, name)(e), getattr(torch, name)(t))
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            ve, ie = getattr(ember, name)(e, dim, keepdim)
            vt, it = getattr(torch, name)(t, dim, keepdim)
            _same(ve, vt)
            _same(ie, it)
    ve, _ = getattr(ember, name)(e, 1)
    vt, _ = getattr(torch, name)(t, 1)
    (ve * ember.arange(ve.numel()).float()).sum().backward()
    (vt * torch.arange(vt.numel()).float()).sum().backward()
    _same(e.grad, t.grad)


@pytest.mark.parametrize("name", ["median", "nanmedian"])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_median_of_0d_along_dim(name, dim, keepdim):
    e, t = _pair(np.array(3.5), requires_grad=True)
    ve, ie = getattr(ember, name)(e, dim, keepdim)
    vt, it = getattr(torch, name)(t, dim, keepdim)
    _same(ve, vt)
    _same(ie, it)
    ve.backward()
    vt.backward()
    _same(e.grad, t.grad)
    with pytest.raises(IndexError):
        getattr(torch, name)(t, 1)
    with pytest.raises(IndexError):
        getattr(ember, name)(e, 1)


@pytest.mark.parametrize("name", ["prod", "argmax", "argmin", "median", "nanmedian"])
@pytest.mark.parametrize("dim", [(0,), [0], (0, 1)])
def test_single_dim_reductions_refuse_tuple_dims(name, dim):
    a = np.ones((2, 3), np.float32)
    e, t = _pair(a)
    _raises_like(lambda: getattr(ember, name)(e, dim), lambda: getattr(torch, name)(t, dim))


def test_aminmax_refuses_tuple_dim():
    e, t = _pair(np.ones((2, 3), np.float32))
    _raises_like(lambda: ember.aminmax(e, dim=(0,)), lambda: torch.aminmax(t, dim=(0,)))


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
@pytest.mark.parametrize("p", ["fro", 1, 2, math.inf, 0, 3])
def test_norm_refuses_integer_input(dtype, p):
    e, t = _pair(np.array([[1, 0], [3, 4]]).astype(dtype))
    me, mt = _raises_like(lambda: ember.norm(e, p), lambda: torch.norm(t, p))
    assert me == mt


@pytest.mark.parametrize("p", ["fro", 1, 2, math.inf, 0, 3])
@pytest.mark.parametrize("dim", [None, 1])
def test_norm_honours_dtype(p, dim):
    e, t = _pair(np.array([[1.0, -2.0], [3.0, 4.0]], np.float32))
    _same(ember.norm(e, p, dim, dtype=ember.float64), torch.norm(t, p, dim, dtype=torch.float64))


@pytest.mark.parametrize("dtype", ["int64", "bool", "uint8"])
def test_nanmean_refuses_integer_input(dtype):
    e, t = _pair(np.array([1, 0, 2]).astype(dtype))
    me, mt = _raises_like(lambda: ember.nanmean(e), lambda: torch.nanmean(t))
    assert me == mt


def test_logsumexp_needs_dim():
    e, t = _pair(np.array([1.0, 2.0]))
    _raises_like(lambda: ember.logsumexp(e), lambda: torch.logsumexp(t))
    _raises_like(lambda: e.logsumexp(), lambda: t.logsumexp())
    _same(ember.logsumexp(e, 0), torch.logsumexp(t, 0))


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("src", ["float32", "int64", "int8", "bool"])
@pytest.mark.parametrize("dtype", [None, "int32", "float64", "int16"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 0)])
def test_scan_result_dtype_is_the_requested_one(name, src, dtype, shape):
    a = (np.arange(math.prod(shape)).reshape(shape) % 3 + 0.5).astype(src)
    e, t = _pair(a)
    kw_e = {} if dtype is None else {"dtype": getattr(ember, dtype)}
    kw_t = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    _same(getattr(ember, name)(e, -1, **kw_e), getattr(torch, name)(t, -1, **kw_t))


@pytest.mark.parametrize("out_dtype", ["float64", "int32", "float32", "bool"])
def test_cumprod_out(out_dtype):
    e, t = _pair(np.array([1.5, 2.0, 3.0], np.float32))
    oe, ot = ember.empty(3, dtype=getattr(ember, out_dtype)), torch.empty(3, dtype=getattr(torch, out_dtype))
    if out_dtype == "bool":
        me, mt = _raises_like(lambda: ember.cumprod(e, 0, out=oe), lambda: torch.cumprod(t, 0, out=ot))
        assert me == mt
        return
    re_, rt = ember.cumprod(e, 0, out=oe), torch.cumprod(t, 0, out=ot)
    assert re_ is oe
    _same(oe, ot)
    _same(re_, rt)


def test_cumsum_cumprod_gradients_with_dtype():
    e, t = _pair(np.array([[1.0, 2.0, -3.0], [0.5, 0.0, 2.0]], np.float32), requires_grad=True)
    for name in ("cumsum", "cumprod"):
        ye, yt = getattr(ember, name)(e, 1, dtype=ember.float64), getattr(torch, name)(t, 1, dtype=torch.float64)
        _same(ye, yt)
        (ye * ye).sum().backward()
        (yt * yt).sum().backward()
        _same(e.grad, t.grad)


@pytest.mark.parametrize("a", [[2.0, 2.0], [[2.0, 2.0], [1.0, 3.0]], 5.0, [[1.0], [4.0]]])
@pytest.mark.parametrize("kw", [{"unbiased": False}, {"dim": -1, "correction": 0}, {"dim": 0, "unbiased": False, "keepdim": True}])
def test_std_gradient_is_zero_on_constant_slices(a, kw):
    a = np.asarray(a, np.float64)
    if "dim" in kw and a.ndim == 0:
        kw = {"unbiased": False}
    e, t = _pair(a, requires_grad=True)
    ye, yt = ember.std(e, **kw), torch.std(t, **kw)
    _same(ye, yt)
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    ye.sum().backward()
    yt.sum().backward()
    _same(e.grad, t.grad)


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("unbiased", [False, True])
def test_var_mean_positional_unbiased_means_all_dims(name, unbiased):
    e, t = _pair(np.array([[2.0, 1.0, 5.0], [1.0, 3.0, 4.0]]))
    for x, y in zip(getattr(ember, name)(e, unbiased), getattr(torch, name)(t, unbiased)):
        _same(x, y)


@pytest.mark.parametrize("dtype", ["float64", "int32", "float32"])
@pytest.mark.parametrize("dim", [None, 0])
def test_nansum_honours_dtype(dtype, dim):
    e, t = _pair(np.array([1.5, nan, 2.25], np.float32))
    kw = {} if dim is None else {"dim": dim}
    _same(ember.nansum(e, dtype=getattr(ember, dtype), **kw), torch.nansum(t, dtype=getattr(torch, dtype), **kw))


OUT_TUPLE_CALLS = [
    ("sort", lambda lib, x, out: lib.sort(x, 1, out=out)),
    ("sort_desc", lambda lib, x, out: lib.sort(x, dim=0, descending=True, out=out)),
    ("topk", lambda lib, x, out: lib.topk(x, 2, out=out)),
    ("kthvalue", lambda lib, x, out: lib.kthvalue(x, 3, 1, out=out)),  # no ties: their index is unspecified
    ("median", lambda lib, x, out: lib.median(x, 1, out=out)),
    ("nanmedian", lambda lib, x, out: lib.nanmedian(x, 0, True, out=out)),
    ("mode", lambda lib, x, out: lib.mode(x, 1, out=out)),
]


@pytest.mark.parametrize("name,call", OUT_TUPLE_CALLS, ids=[c[0] for c in OUT_TUPLE_CALLS])
def test_selection_out_tuples(name, call):
    a = np.array([[3.0, 1.0, 2.0], [0.0, nan, 4.0], [1.0, 1.0, 5.0]], np.float32)
    e, t = _pair(a)
    oe = (ember.empty(0), ember.empty(0, dtype=ember.int64))
    ot = (torch.empty(0), torch.empty(0, dtype=torch.int64))
    re_ = call(ember, e, oe)
    call(torch, t, ot)
    assert re_[0] is oe[0] and re_[1] is oe[1]
    for x, y in zip(oe, ot):
        _same(x, y)


OUT_CALLS = [
    ("nansum", lambda lib, x, out: lib.nansum(x, 1, out=out)),
    ("nanmean", lambda lib, x, out: lib.nanmean(x, 0, out=out)),
    ("norm", lambda lib, x, out: lib.norm(x, out=out)),
    ("msort", lambda lib, x, out: lib.msort(x, out=out)),
]


@pytest.mark.parametrize("name,call", OUT_CALLS, ids=[c[0] for c in OUT_CALLS])
def test_reduction_out(name, call):
    a = np.array([[3.0, 1.0, 2.0], [0.0, nan, 4.0]], np.float32)
    if name in ("norm", "msort"):
        a = np.nan_to_num(a)
    e, t = _pair(a)
    oe, ot = ember.empty(0), torch.empty(0)
    re_ = call(ember, e, oe)
    call(torch, t, ot)
    assert re_ is oe
    _same(oe, ot)


def test_aminmax_out():
    e, t = _pair(np.array([[3.0, 1.0], [0.0, 4.0]], np.float32))
    oe, ot = (ember.empty(0), ember.empty(0)), (torch.empty(0), torch.empty(0))
    ember.aminmax(e, dim=1, out=oe)
    torch.aminmax(t, dim=1, out=ot)
    for x, y in zip(oe, ot):
        _same(x, y)


@pytest.mark.parametrize("p", [-1, -2.5, math.inf, -math.inf, 0, 1, 2, 3])
@pytest.mark.parametrize("dim", [None, 1, 2, (1, 2)])
def test_norm_of_empty_dims(p, dim):
    e, t = _pair(np.zeros((2, 0, 3), np.float32))
    try:
        yt = torch.norm(t, p, dim)
    except RuntimeError as ex:
        with pytest.raises(RuntimeError) as ee:
            ember.norm(e, p, dim)
        assert str(ee.value) == str(ex)
        return
    _same(ember.norm(e, p, dim), yt)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("bins,lo,hi", [(4, 0, 0), (7, -1.5, 2.5), (3, 0, 0), (10, -0.3, 0.7)])
def test_histc_bins_computed_in_float32(seed, bins, lo, hi):
    rng = np.random.default_rng(seed)
    # many short ranges: values land on bin edges, where float64 arithmetic rounds the other way
    for _ in range(200):
        a = (rng.standard_normal(int(rng.integers(1, 4))) * rng.choice([1, 3, 100])).astype(np.float32)
        e, t = _pair(a)
        _same(ember.histc(e, bins, lo, hi), torch.histc(t, bins, lo, hi))


@pytest.mark.parametrize("dtype", ["bool", "float32"])
def test_bincount_refuses_non_integer_input(dtype):
    e, t = _pair(np.array([1, 0, 1]).astype(dtype))
    with pytest.raises(NotImplementedError) as rt:
        torch.bincount(t)
    with pytest.raises(NotImplementedError) as re_:
        ember.bincount(e)
    assert str(re_.value) == str(rt.value)


@pytest.mark.parametrize("name,call", [
    ("cumsum", lambda lib, x: lib.cumsum(x, 1)),
    ("cumsum_dtype", lambda lib, x: lib.cumsum(x.float(), 1, dtype=lib.float16)),
    ("cumprod", lambda lib, x: lib.cumprod(x[:, :8], 1)),
    ("var", lambda lib, x: lib.var(x, 1)),
    ("var_all", lambda lib, x: lib.var(x)),
    ("sum", lambda lib, x: lib.sum(x, 1)),
    ("mean", lambda lib, x: lib.mean(x, 1)),
])
def test_half_precision_accumulates_in_float32(name, call):
    a = np.random.default_rng(0).standard_normal((16, 300)).astype(np.float16)
    e, t = _pair(a)
    ye, yt = call(ember, e), call(torch, t)
    assert ye.dtype == ember.float16
    np.testing.assert_array_equal(ye.numpy(), yt.numpy())


ARG_REFUSALS = [
    ("var_both", lambda lib, x: lib.var(x, 0, unbiased=True, correction=1)),
    ("std_both", lambda lib, x: lib.std(x, unbiased=False, correction=0)),
    ("sum_float_dim", lambda lib, x: lib.sum(x, 0.5)),
    ("mean_float_dim", lambda lib, x: lib.mean(x, 0.0)),
    ("sum_float_in_tuple", lambda lib, x: lib.sum(x, (0.5,))),
    ("norm_bad_order", lambda lib, x: lib.norm(x, "xyz")),
]


@pytest.mark.parametrize("name,call", ARG_REFUSALS, ids=[c[0] for c in ARG_REFUSALS])
def test_argument_refusals(name, call):
    e, t = _pair(np.arange(6, dtype=np.float32).reshape(2, 3))
    _raises_like(lambda: call(ember, e), lambda: call(torch, t))
