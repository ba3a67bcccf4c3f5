"""Property-based checks with hypothesis: random shapes, dims and indices against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember

# var/std with no degrees of freedom warn (like torch); those cases are tested on purpose
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FLOATS = st.floats(-100, 100, allow_nan=False, width=32)


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=4))
    a = draw(hnp.arrays(np.float32, shapes.input_shapes[0], elements=FLOATS))
    b = draw(hnp.arrays(np.float32, shapes.input_shapes[1], elements=FLOATS))
    return a, b


@SETTINGS
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "maximum", "minimum", "lt", "eq"]))
def test_broadcasting_arithmetic_equals_numpy(pair, op):
    a, b = pair
    got = getattr(ember, op)(ember.tensor(a), ember.tensor(b))
    want = getattr(np, {"add": "add", "sub": "subtract", "mul": "multiply", "maximum": "maximum", "minimum": "minimum",
                        "lt": "less", "eq": "equal"}[op])(a, b)
    assert got.shape == want.shape
    assert got.numpy().dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


@SETTINGS
@given(broadcastable_pair())
def test_broadcast_gradients_sum_over_broadcast_dims(pair):
    a, b = pair
    x, y = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    (x * y).sum().backward()
    full = np.broadcast_shapes(a.shape, b.shape)
    gx = np.broadcast_to(b, full).astype(np.float64)
    lead = len(full) - a.ndim
    gx = gx.sum(axis=tuple(range(lead))) if lead else gx
    gx = gx.sum(axis=tuple(i for i, n in enumerate(a.shape) if n == 1), keepdims=True) if a.ndim else gx
    assert x.grad.shape == a.shape and y.grad.shape == b.shape
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(gx, a.shape), rtol=1e-4, atol=1e-3)


@st.composite
def array_and_dims(draw):
    arr = draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4), elements=st.floats(-10, 10)))
    nd = arr.ndim
    if nd == 0:
        return arr, draw(st.sampled_from([None, 0, -1])), draw(st.booleans())
    dims = draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd))
    dim = draw(st.sampled_from([None, dims[0], tuple(dims)]))
    return arr, dim, draw(st.booleans())


def _np_axis(dim, nd):
    if dim is None or nd == 0:
        return None
    return tuple(d % nd for d in dim) if isinstance(dim, tuple) else dim % nd


@SETTINGS
@given(array_and_dims(), st.sampled_from(["sum", "mean", "amax", "amin", "var", "std", "logsumexp"]))
def test_reductions_over_random_dims_equal_numpy(case, op):
    arr, dim, keepdim = case
    t = ember.tensor(arr)
    axis = _np_axis(dim, arr.ndim)
    if op == "logsumexp" and dim is None:
        dim = tuple(range(arr.ndim))
    kwargs = {} if dim is None else {"dim": dim}
    got = getattr(t, op)(keepdim=keepdim, **kwargs)
    n = arr.size if axis is None else int(np.prod([arr.shape[a] for a in np.atleast_1d(axis)]))
    if op in ("var", "std") and n < 2:
        return
    ref = {
        "sum": lambda: np.sum(arr, axis=axis, keepdims=keepdim),
        "mean": lambda: np.mean(arr, axis=axis, keepdims=keepdim),
        "amax": lambda: np.amax(arr, axis=axis, keepdims=keepdim),
        "amin": lambda: np.amin(arr, axis=axis, keepdims=keepdim),
        "var": lambda: np.var(arr, axis=axis, keepdims=keepdim, ddof=1),
        "std": lambda: np.std(arr, axis=axis, keepdims=keepdim, ddof=1),
        "logsumexp": lambda: np.log(np.sum(np.exp(arr), axis=axis, keepdims=keepdim)),
    }[op]()
    if not keepdim or arr.ndim:
        assert got.shape == np.shape(ref)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(array_and_dims())
def test_sum_gradient_is_ones_for_any_dims(case):
    arr, dim, keepdim = case
    t = ember.tensor(arr, requires_grad=True)
    out = t.sum(dim, keepdim) if dim is not None else t.sum()
    out.backward(ember.ones(out.shape, dtype=ember.float64))
    np.testing.assert_array_equal(t.grad.numpy(), np.ones_like(arr))


@st.composite
def array_and_index(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    arr = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    kind = draw(st.sampled_from(["basic", "int_array", "bool_mask"]))
    if kind == "basic":
        key = draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    elif kind == "int_array":
        key = draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)))
    else:
        key = draw(hnp.arrays(np.bool_, shape))
    return arr, key


def _ember_key(key):
    if isinstance(key, np.ndarray):
        return ember.tensor(key)
    if isinstance(key, tuple):
        return tuple(ember.tensor(k) if isinstance(k, np.ndarray) else k for k in key)
    return key


@SETTINGS
@given(array_and_index())
def test_getitem_equals_numpy_and_setting_it_back_round_trips(case):
    arr, key = case
    t = ember.tensor(arr)
    got = t[_ember_key(key)]
    np.testing.assert_array_equal(got.numpy(), arr[key])
    # write the selection, negated, into a copy; then write the original values back
    u = t.clone()
    u[_ember_key(key)] = -got
    expected = arr.copy()
    expected[key] = -arr[key]
    np.testing.assert_array_equal(u.numpy(), expected)
    u[_ember_key(key)] = got
    if not isinstance(key, tuple) or not any(isinstance(k, np.ndarray) for k in key):
        np.testing.assert_array_equal(u.numpy(), arr)


@SETTINGS
@given(array_and_index())
def test_getitem_gradient_counts_how_often_each_element_is_read(case):
    arr, key = case
    t = ember.tensor(arr, requires_grad=True)
    out = t[_ember_key(key)]
    out.sum().backward() if out.numel() else None
    counts = np.zeros_like(arr)
    np.add.at(counts, key, 1.0)
    if out.numel():
        np.testing.assert_array_equal(t.grad.numpy(), counts)


@st.composite
def array_and_reshape(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    n = int(np.prod(shape))
    factors = [d for d in range(1, n + 1) if n % d == 0]
    a = draw(st.sampled_from(factors))
    new = draw(st.sampled_from([(n,), (a, n // a), (n // a, -1), (-1, a, 1)]))
    perm = draw(st.permutations(list(range(len(shape)))))
    return np.arange(n, dtype=np.float32).reshape(shape), new, tuple(perm)


@SETTINGS
@given(array_and_reshape())
def test_reshape_and_permute_round_trip(case):
    arr, new, perm = case
    t = ember.tensor(arr, requires_grad=True)
    r = t.reshape(new)
    np.testing.assert_array_equal(r.numpy(force=True), arr.reshape(new))
    back = r.reshape(arr.shape)
    p = back.permute(perm)
    np.testing.assert_array_equal(p.numpy(force=True), np.transpose(arr, perm))
    inv = tuple(np.argsort(perm))
    q = p.permute(inv)
    np.testing.assert_array_equal(q.numpy(force=True), arr)
    (q * ember.tensor(arr)).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), arr)


@SETTINGS
@given(array_and_reshape())
def test_view_of_contiguous_tensor_shares_memory(case):
    arr, new, _ = case
    t = ember.tensor(arr)
    v = t.view(new)
    v.add_(1)
    np.testing.assert_array_equal(t.numpy(), arr + 1)


@SETTINGS
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), elements=st.floats(-5, 5)),
       st.data())
def test_cat_of_split_is_identity(arr, data):
    dim = data.draw(st.integers(-arr.ndim, arr.ndim - 1))
    size = data.draw(st.integers(1, arr.shape[dim]))
    t = ember.tensor(arr)
    parts = t.split(size, dim)
    assert sum(p.shape[dim] for p in parts) == arr.shape[dim]
    np.testing.assert_array_equal(ember.cat(parts, dim).numpy(), arr)
    np.testing.assert_array_equal(ember.stack(t.unbind(dim), dim).numpy(), arr)


@pytest.mark.parametrize("seed", range(3))
def test_sort_then_gather_with_indices_reproduces_values(seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((3, 5, 4))
    t = ember.tensor(a)
    for dim in (0, 1, -1):
        values, idx = t.sort(dim)
        np.testing.assert_array_equal(values.numpy(), np.sort(a, axis=dim))
        np.testing.assert_array_equal(t.gather(dim, idx).numpy(), values.numpy())
