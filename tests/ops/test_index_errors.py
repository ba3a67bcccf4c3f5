"""gather/scatter/index_* family against torch: out-of-range and negative indices, shape and
dtype mismatches raise torch's error classes (and first message line); scatter_reduce values
and gradients for every reduce mode and include_self."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _raises_like(fn):
    """Run ``fn(lib)`` on torch and ember; both raise the same class and first message line."""
    import warnings

    warnings.filterwarnings("ignore", message="The reduce argument of torch.scatter")
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as e_err:
        fn(ember)
    assert type(e_err.value) is type(t_err.value), (t_err.value, e_err.value)
    assert str(e_err.value).splitlines()[0] == str(t_err.value).splitlines()[0]


def _x(L):
    return L.arange(12.0).reshape(3, 4)


def _i(L, v):
    return L.tensor(v)


BAD_INDEX_CASES = {
    "gather_neg": lambda L: L.gather(_x(L), 0, _i(L, [[-1, 0, 1, 2]])),
    "gather_big": lambda L: L.gather(_x(L), 0, _i(L, [[0, 3, 1, 2]])),
    "gather_dim1_neg": lambda L: L.gather(_x(L), 1, _i(L, [[0], [-2], [1]])),
    "scatter_src_neg": lambda L: L.scatter(_x(L), 0, _i(L, [[-1, 0, 1, 2]]), L.ones(1, 4)),
    "scatter_value_neg": lambda L: L.scatter(_x(L), 0, _i(L, [[-1, 0, 1, 2]]), 2.0),
    "scatter_reduce_add_neg": lambda L: L.scatter(_x(L), 0, _i(L, [[0, -3, 1, 2]]), L.ones(1, 4), reduce="add"),
    "scatter_add_neg": lambda L: L.scatter_add(_x(L), 0, _i(L, [[-1, 0, 1, 2]]), L.ones(1, 4)),
    "scatter_add_big": lambda L: L.scatter_add(_x(L), 0, _i(L, [[0, 0, 3, 2]]), L.ones(1, 4)),
    "scatter_reduce_neg": lambda L: L.scatter_reduce(_x(L), 0, _i(L, [[-1, 0, 1, 2]]), L.ones(1, 4), "amax"),
    "scatter_reduce_big": lambda L: L.scatter_reduce(_x(L), 1, _i(L, [[4], [0], [0]]), L.ones(3, 1), "sum"),
    "index_copy_neg": lambda L: L.index_copy(_x(L), 0, _i(L, [-1, 0, 1]), L.ones(3, 4)),
    "index_copy_big": lambda L: L.index_copy(_x(L), 0, _i(L, [0, 1, 5]), L.ones(3, 4)),
    "index_add_neg": lambda L: L.index_add(_x(L), 0, _i(L, [-1, 0, 1]), L.ones(3, 4)),
    "index_add_big": lambda L: L.index_add(_x(L), 0, _i(L, [0, 3, 1]), L.ones(3, 4)),
    "index_add_method_big": lambda L: _x(L).index_add_(1, _i(L, [4]), L.ones(3, 1)),
    "index_fill_big": lambda L: L.index_fill(_x(L), 0, _i(L, [0, 5]), 1.0),
    "index_fill_too_negative": lambda L: L.index_fill(_x(L), 0, _i(L, [0, -5]), 1.0),
    "index_select_neg": lambda L: L.index_select(_x(L), 0, _i(L, [0, -1])),
    "index_put_big": lambda L: _x(L).index_put_((_i(L, [0, 3]),), L.tensor(1.0)),
    "take_first_bad_reported": lambda L: L.take(_x(L), _i(L, [-17, -20, 30])),
}

SHAPE_DTYPE_CASES = {
    "scatter_half_self_float_src": lambda L: L.scatter(L.zeros(3, 4, dtype=L.half), 0, L.zeros(1, 4, dtype=L.long), L.ones(1, 4)),
    "scatter_reduce_half_self_float_src": lambda L: L.scatter_reduce(
        L.zeros(3, 4, dtype=L.half), 0, L.zeros(1, 4, dtype=L.long), L.ones(1, 4), "sum"),
    "scatter_add_double_src": lambda L: L.scatter_add(_x(L), 0, L.zeros(1, 4, dtype=L.long), L.ones(1, 4, dtype=L.float64)),
    "scatter_index_wider_than_self": lambda L: L.scatter(_x(L), 0, L.zeros(1, 5, dtype=L.long), L.ones(1, 5)),
    "scatter_index_larger_than_src": lambda L: L.scatter(_x(L), 0, L.zeros(2, 4, dtype=L.long), L.ones(1, 4)),
    "scatter_add_index_larger_than_src": lambda L: L.scatter_add(_x(L), 1, L.zeros(2, 3, dtype=L.long), L.ones(5, 2)),
    "scatter_reduce_index_larger_than_src": lambda L: L.scatter_reduce(_x(L), 0, L.zeros(2, 4, dtype=L.long), L.ones(1, 4), "sum"),
    "scatter_value_index_too_wide": lambda L: L.scatter(_x(L), 0, L.zeros(1, 5, dtype=L.long), 2.0),
    "scatter_index_rank": lambda L: L.scatter(_x(L), 0, L.zeros(4, dtype=L.long), 2.0),
    "scatter_float_index": lambda L: L.scatter(_x(L), 1, L.zeros(2, 3), 1.0),
    "scatter_add_float_index": lambda L: L.scatter_add(_x(L), 1, L.zeros(2, 3), L.ones(2, 3)),
    "scatter_bad_reduce": lambda L: L.scatter(_x(L), 0, L.zeros(1, 4, dtype=L.long), L.ones(1, 4), reduce="typo"),
    "scatter_reduce_bad_reduce": lambda L: L.scatter_reduce(_x(L), 0, L.zeros(1, 4, dtype=L.long), L.ones(1, 4), "typo"),
    "gather_index_too_wide": lambda L: L.gather(_x(L), 0, L.zeros(1, 5, dtype=L.long)),
    "index_copy_count": lambda L: L.index_copy(_x(L), 0, _i(L, [0, 1]), L.ones(3, 4)),
    "index_copy_slice_shape": lambda L: L.index_copy(_x(L), 0, _i(L, [0, 1, 2]), L.ones(3, 5)),
    "index_copy_rank": lambda L: L.index_copy(_x(L), 0, _i(L, [0, 1, 2]), L.ones(3, 4, 1)),
    "index_copy_2d_index": lambda L: L.index_copy(_x(L), 0, _i(L, [[0, 1, 2]]), L.ones(3, 4)),
    "index_copy_float_index": lambda L: L.index_copy(_x(L), 0, L.tensor([0.0, 1, 2]), L.ones(3, 4)),
    "index_copy_dtype": lambda L: L.index_copy(_x(L), 0, _i(L, [0, 1, 2]), L.ones(3, 4, dtype=L.float64)),
    "index_add_dtype": lambda L: L.index_add(_x(L), 0, _i(L, [0, 1, 2]), L.ones(3, 4, dtype=L.float64)),
    "index_add_float_index": lambda L: L.index_add(_x(L), 0, L.tensor([0.0, 1, 2]), L.ones(3, 4)),
    "index_fill_float_index": lambda L: L.index_fill(_x(L), 0, L.tensor([0.0, 1]), 1.0),
}


@pytest.mark.parametrize("name", sorted(BAD_INDEX_CASES))
def test_out_of_range_and_negative_indices_raise_like_torch(name):
    _raises_like(BAD_INDEX_CASES[name])


@pytest.mark.parametrize("name", sorted(SHAPE_DTYPE_CASES))
def test_shape_and_dtype_mismatches_raise_like_torch(name):
    _raises_like(SHAPE_DTYPE_CASES[name])


@pytest.mark.parametrize("fn", [
    lambda L: L.index_fill(_x(L), 0, _i(L, [0, -1]), 7.0),
    lambda L: _x(L).index_put_((_i(L, [0, -1]),), L.tensor(7.0)),
    lambda L: L.index_select(_x(L), 1, _i(L, [3, 0, 3])),
], ids=["index_fill_wraps_negative", "index_put_wraps_negative", "index_select_repeats"])
def test_indices_torch_accepts_still_work(fn):
    np.testing.assert_array_equal(fn(ember).numpy(), fn(torch).numpy())


REDUCE_X = [[1.0, 5.0, 0.0, 3.0], [2.0, 2.0, 4.0, -1.0]]
REDUCE_IDX = [[0, 0, 2, 1], [3, 3, 3, 0]]
REDUCE_SRC = [[7.0, 0.0, 2.0, 3.0], [5.0, 5.0, 1.0, 2.0]]


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_values_and_gradients_match_torch(reduce, include_self):
    """Ties (amax/amin), zeros (prod) and untouched positions are all in the data."""
    results = []
    for L in (torch, ember):
        x = L.tensor(REDUCE_X, dtype=L.float64, requires_grad=True)
        s = L.tensor(REDUCE_SRC, dtype=L.float64, requires_grad=True)
        y = L.scatter_reduce(x, 1, L.tensor(REDUCE_IDX), s, reduce, include_self=include_self)
        y.backward(L.arange(1.0, 9.0, dtype=L.float64).reshape(2, 4))
        results.append([y.detach().numpy(), x.grad.numpy(), s.grad.numpy()])
    for t, e in zip(*results):
        np.testing.assert_allclose(e, t, rtol=1e-12)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_random_values_match_torch(reduce, include_self):
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (4, 6)).astype(np.float32)
    s = rng.integers(-3, 4, (3, 5)).astype(np.float32)
    idx = rng.integers(0, 4, (3, 5))
    res = [L.scatter_reduce(L.tensor(x), 0, L.tensor(idx), L.tensor(s), reduce, include_self=include_self).numpy()
           for L in (torch, ember)]
    np.testing.assert_allclose(res[1], res[0], rtol=1e-6)


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_integer_mean_floors_like_torch(include_self):
    args = ([[1, 5, 0, 3]], 1, [[0, 0, 1, 1]], [[2, 3, -3, -4]])
    res = [L.scatter_reduce(L.tensor(args[0]), 1, L.tensor(args[2]), L.tensor(args[3]), "mean", include_self=include_self)
           for L in (torch, ember)]
    np.testing.assert_array_equal(res[1].numpy(), res[0].numpy())
    assert str(res[1].dtype).split(".")[-1] == str(res[0].dtype).split(".")[-1]


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_gradcheck(reduce):
    from ember.autograd import gradcheck

    rng = np.random.default_rng(1)
    x = ember.tensor(rng.uniform(0.5, 2, (3, 4)), requires_grad=True)
    s = ember.tensor(rng.uniform(0.5, 2, (2, 4)) + np.arange(8).reshape(2, 4), requires_grad=True)
    idx = ember.tensor([[0, 1, 2, 0], [2, 1, 0, 0]])
    for inc in (True, False):
        assert gradcheck(lambda a, b, inc=inc: ember.scatter_reduce(a, 0, idx, b, reduce, include_self=inc), (x, s))
