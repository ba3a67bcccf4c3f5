"""Parity with torch for selections along a dim found by a fuzz hunt: topk/kthvalue/mode of a 0-d
tensor, empty reduction dims, mode with NaN, unique's NaNs (each distinct) and its refusals,
unique_consecutive along ``dim`` (was ignored)."""

import math
from functools import partial

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

from helpers import assert_same_as_torch as _same, raises_like_torch, tensor_pair as _pair  # noqa: E402

_raises_like = partial(raises_like_torch, same_message=True)

nan = math.nan


SCALAR_CALLS = [
    ("topk", lambda lib, x, d: lib.topk(x, 1, d)),
    ("topk_k0", lambda lib, x, d: lib.topk(x, 0, d)),
    ("topk_smallest", lambda lib, x, d: lib.topk(x, 1, d, largest=False)),
    ("kthvalue", lambda lib, x, d: lib.kthvalue(x, 1, d)),
    ("kthvalue_keepdim", lambda lib, x, d: lib.kthvalue(x, 1, d, True)),
    ("mode", lambda lib, x, d: lib.mode(x, d)),
    ("mode_keepdim", lambda lib, x, d: lib.mode(x, d, True)),
]


@pytest.mark.parametrize("name,call", SCALAR_CALLS, ids=[c[0] for c in SCALAR_CALLS])
@pytest.mark.parametrize("dim", [0, -1])
def test_selections_of_a_0d_tensor(name, call, dim):
    e, t = _pair(np.array(2.5), requires_grad=True)
    (ve, ie), (vt, it) = call(ember, e, dim), call(torch, t, dim)
    _same(ve, vt)
    _same(ie, it)
    ve.backward()
    vt.backward()
    _same(e.grad, t.grad)


@pytest.mark.parametrize("name,call", [c for c in SCALAR_CALLS if c[0] in ("topk", "kthvalue")])
def test_selections_of_a_0d_tensor_refuse_k_out_of_range(name, call):
    e, t = _pair(np.array(2.5))
    _raises_like(lambda: ember.topk(e, 2), lambda: torch.topk(t, 2))
    _raises_like(lambda: ember.kthvalue(e, 2), lambda: torch.kthvalue(t, 2))


@pytest.mark.parametrize("call", [lambda lib, x: lib.kthvalue(x, 1, 0), lambda lib, x: lib.mode(x, 0)])
def test_empty_reduction_dim_is_an_index_error(call):
    e, t = _pair(np.zeros((0, 3), np.float32))
    _raises_like(lambda: call(ember, e), lambda: call(torch, t))


def test_mode_over_a_full_dim_of_an_empty_tensor():
    e, t = _pair(np.zeros((0, 3), np.float32))
    _same(tuple(ember.mode(e, 1)), tuple(torch.mode(t, 1)))


@pytest.mark.parametrize("a", [[[nan, 1.0, nan, 2.0], [1.0, 1.0, 3.0, 3.0]], [[nan, nan, 1.0, 1.0, 1.0]]])
def test_mode_with_nan_rows_does_not_crash(a):
    e, t = _pair(np.asarray(a, np.float64))
    ve, _ = ember.mode(e, -1)
    vt, _ = torch.mode(t, -1)
    _same(ve, vt)


UNIQUE_CASES = [
    np.array([nan, 1.0, nan, 2.0, 1.0]),
    np.array([[nan, 2.0], [1.0, nan]], np.float32),
    np.array([[3, 1, 1], [2, 2, 0]]),
    np.array([True, False, True]),
    np.zeros(0, np.float32),
]


@pytest.mark.parametrize("a", UNIQUE_CASES)
@pytest.mark.parametrize("ri", [False, True])
@pytest.mark.parametrize("rc", [False, True])
def test_unique_each_nan_is_distinct(a, ri, rc):
    e, t = _pair(a)
    _same(ember.unique(e, return_inverse=ri, return_counts=rc), torch.unique(t, return_inverse=ri, return_counts=rc))


CONSECUTIVE_CASES = [
    np.array([[1, 1, 2, 2], [1, 1, 3, 3]]),
    np.array([[1, 1, 2, 2], [1, 1, 2, 2], [0, 1, 0, 1]]),
    np.array([[[1.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [2.0, 2.0]]], np.float32),
    np.array([nan, nan, 1.0, 1.0, 2.0]),
    np.zeros((0, 3), np.float32),
]


@pytest.mark.parametrize("a", CONSECUTIVE_CASES)
@pytest.mark.parametrize("dim", [None, 0, -1, 1])
@pytest.mark.parametrize("ri", [False, True])
@pytest.mark.parametrize("rc", [False, True])
def test_unique_consecutive_along_dim(a, dim, ri, rc):
    if dim is not None and not -a.ndim <= dim < a.ndim:
        return
    e, t = _pair(a)
    if a.size == 0 and dim is not None and a.shape[dim] != 0:
        _raises_like(lambda: ember.unique_consecutive(e, dim=dim), lambda: torch.unique_consecutive(t, dim=dim))
        return
    _same(ember.unique_consecutive(e, return_inverse=ri, return_counts=rc, dim=dim),
          torch.unique_consecutive(t, return_inverse=ri, return_counts=rc, dim=dim))
    _same(e.unique_consecutive(return_inverse=ri, return_counts=rc, dim=dim),
          t.unique_consecutive(return_inverse=ri, return_counts=rc, dim=dim))


@pytest.mark.parametrize("name", ["unique", "unique_consecutive"])
@pytest.mark.parametrize("shape,dim", [((2, 0), 0), ((), 0)])
def test_unique_refusals(name, shape, dim):
    e, t = _pair(np.zeros(shape, np.float32))
    _raises_like(lambda: getattr(ember, name)(e, dim=dim), lambda: getattr(torch, name)(t, dim=dim))


ALIAS_CALLS = [
    ("max", lambda lib, x: lib.max(x, 0)[0]),
    ("min", lambda lib, x: lib.min(x, -1, keepdim=True)[0]),
    ("sort", lambda lib, x: lib.sort(x, 0)[0]),
    ("msort", lambda lib, x: lib.msort(x)),
    ("median", lambda lib, x: lib.median(x, 0)[0]),
    ("topk", lambda lib, x: lib.topk(x, 1)[0]),
    ("mode", lambda lib, x: lib.mode(x)[0]),
]


@pytest.mark.parametrize("name,call", ALIAS_CALLS, ids=[c[0] for c in ALIAS_CALLS])
def test_selection_of_0d_is_a_new_tensor(name, call):
    e, t = _pair(np.array(3.0, np.float32))
    call(ember, e).add_(1)
    call(torch, t).add_(1)
    _same(e, t)
