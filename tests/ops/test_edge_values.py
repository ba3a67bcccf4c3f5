"""NaN, infinities and empty inputs: propagation and tie rules follow PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")
A = [[1.0, NAN, 3.0], [2.0, 0.5, -INF], [INF, 1.0, 1.0]]

CASES = {
    "max": lambda L, x: x.max(),
    "max_dim": lambda L, x: x.max(1),
    "min_dim_mixed_nan_and_inf": lambda L, x: x.min(0),
    "amax": lambda L, x: x.amax(0),
    "argmax": lambda L, x: x.argmax(1),
    "argmin_flat": lambda L, x: x.argmin(),
    "sort": lambda L, x: x.sort(1),
    "sort_descending_nan_first": lambda L, x: x.sort(0, descending=True),
    "argsort": lambda L, x: x.argsort(1),
    "topk_nan_is_largest": lambda L, x: x.topk(2, 1),
    "topk_smallest": lambda L, x: x.topk(2, 0, largest=False),
    "median_propagates_nan": lambda L, x: x.median(),
    "median_dim": lambda L, x: x.median(1),
    "nan_to_num": lambda L, x: x.nan_to_num(),
    "nan_to_num_args": lambda L, x: L.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-9.0),
    "logsumexp": lambda L, x: x.logsumexp(1),
    "clamp": lambda L, x: x.clamp(0, 2),
    "maximum": lambda L, x: L.maximum(x, x.flip(0)),
    "sign_of_nan_is_zero": lambda L, x: x.sign(),
    "relu": lambda L, x: x.relu(),
    "sigmoid": lambda L, x: x.sigmoid(),
    "cumsum": lambda L, x: x.cumsum(1),
    "cummax_keeps_nan": lambda L, x: x.cummax(1),
    "cummin": lambda L, x: x.cummin(0),
    "norm": lambda L, x: x.norm(dim=1),
    "isclose_equal_nan": lambda L, x: L.isclose(x, x, equal_nan=True),
    "eq_nan": lambda L, x: x == x,
    "floordiv_by_zero": lambda L, x: x // 0.0,
    "remainder_by_zero": lambda L, x: x % 0.0,
    "remainder_negative_divisor": lambda L, x: x % -0.75,
    "fmod": lambda L, x: L.fmod(x, 2),
    "div_by_zero": lambda L, x: x / 0,
    "where": lambda L, x: L.where(x > 1, x, -x),
    "prod": lambda L, x: x.prod(1),
    "std": lambda L, x: x.std(1),
    "count_nonzero": lambda L, x: L.count_nonzero(x, 1),
    "any": lambda L, x: x.any(1),
    "log_sqrt_of_negative": lambda L, x: L.log(x) + L.sqrt(x),
    "rsqrt": lambda L, x: L.rsqrt(x),
    "erf": lambda L, x: L.erf(x),
    "frac_of_inf": lambda L, x: L.frac(x),
    "exp_tanh": lambda L, x: L.exp(x) + L.tanh(x),
}


def _numpy(o):
    if isinstance(o, tuple):
        return tuple(_numpy(v) for v in o)
    return o.detach().numpy() if hasattr(o, "detach") else o


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", list(CASES))
def test_special_values_match_torch(name):
    with np.errstate(all="ignore"):
        want = _numpy(CASES[name](torch, torch.tensor(A)))
        got = _numpy(CASES[name](ember, ember.tensor(A)))
    want = want if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(np.asarray(g, dtype=np.float64), np.asarray(w, dtype=np.float64), rtol=1e-6, equal_nan=True)


def test_ops_on_special_values_raise_no_numpy_warnings():
    """pytest turns RuntimeWarning into errors (pyproject): ember silences NumPy's IEEE warnings like torch."""
    x = ember.tensor(A, requires_grad=True)
    out = (x.log() + x.sqrt() + x.reciprocal() + x / 0 + x.exp() + x.rsqrt() + x.sigmoid() + x**0.5).sum()
    out.backward()
    assert x.grad.shape == (3, 3)


def test_negative_slice_step_is_an_extension_that_reverses_and_backpropagates():
    # torch refuses negative steps (ValueError); ember keeps NumPy's meaning, which
    # serialization relies on to test negative strides.
    x = ember.arange(5.0, requires_grad=True)
    y = x[::-2]
    assert y.tolist() == [4.0, 2.0, 0.0]
    (y * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 2.0, 0.0, 1.0]


def test_sort_and_topk_of_unsigned_and_extreme_integers():
    for dtype in (ember.uint8, ember.int64):
        info = np.iinfo(dtype.np)
        a = np.array([3, info.max, info.min, 0, info.max], dtype=dtype.np)
        t = torch.tensor(a.astype(np.int64) if dtype is ember.uint8 else a).to(getattr(torch, dtype.name))
        e = ember.tensor(a)
        for desc in (False, True):
            ev, ei = e.sort(descending=desc, stable=True)
            tv, ti = t.sort(descending=desc, stable=True)
            assert ev.tolist() == tv.tolist() and ei.tolist() == ti.tolist()
        assert e.topk(2).values.tolist() == t.topk(2).values.tolist()


def test_empty_reductions_give_identity_values():
    for L in (torch, ember):
        x = L.ones(0, 3)
        assert x.sum().item() == 0 and x.prod().item() == 1
        assert x.sum(0).tolist() == [0.0, 0.0, 0.0]
        assert x.logsumexp(0).tolist() == [-INF, -INF, -INF]
        assert x.norm(dim=0).tolist() == [0.0, 0.0, 0.0]
        assert x.all().item() is True and x.any().item() is False
        assert np.isnan(x.mean().item())


@pytest.mark.parametrize("shape,dim", [((0,), 0), ((0, 3), 0), ((2, 0), 1), ((2, 0), -1)])
@pytest.mark.parametrize("chunks", [1, 2, 3])
def test_chunk_of_an_empty_dim_gives_chunks_empty_pieces_like_torch(shape, dim, chunks):
    torch = pytest.importorskip("torch")
    got = [tuple(p.shape) for p in ember.zeros(*shape).chunk(chunks, dim)]
    want = [tuple(p.shape) for p in torch.zeros(*shape).chunk(chunks, dim)]
    assert got == want
    assert [tuple(p.shape) for p in ember.chunk(ember.zeros(*shape), chunks, dim)] == want
