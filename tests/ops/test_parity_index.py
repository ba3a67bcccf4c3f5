"""Indexing edge cases where ember used to differ from PyTorch: each case runs on both and
compares values, dtype and shape, or the exception class (and its first words)."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _run(lib, fn, arrays):
    return fn(lib, *[lib.tensor(a) for a in arrays])


def _same(fn, *arrays):
    """fn on ember and on torch: equal results, or the same exception class and message start."""
    try:
        want = _run(torch, fn, arrays)
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        with pytest.raises(type(e)) as got:
            _run(ember, fn, arrays)
        assert str(got.value).split()[:3] == str(e).split()[:3]
        return
    got = _run(ember, fn, arrays)
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
    else:
        got, want = (got,), (want,)
    for g, w in zip(got, want):
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        assert tuple(g.shape) == tuple(w.shape)
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), equal_nan=True)


A = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
M = np.arange(12, dtype=np.float32).reshape(3, 4)


def _set(key, value_shape):
    def fn(lib, a):
        a = a.clone()
        a[key] = lib.ones(value_shape)
        return a
    return fn


@pytest.mark.parametrize("key,value_shape", [
    ((Ellipsis, None), (5,)),          # value must expand to (3, 4, 5, 1), one way only
    ((0, 0, 0), (5,)),                 # a vector does not fill one element
    ((0, 0, 0), (1, 1)),               # leading size-1 dims are dropped
    ((0,), (2, 4, 5)),                 # too many dims: expand's error
    ((0,), (1, 1, 4, 5)),
    ((1, None, 2, None), (4, 5)),
    ((slice(None), None, [0, 1], None, [1, 2]), (5,)),   # index tensors: the shape-mismatch message
    (([0, 1], None, [1, 2]), (2, 1)),
    (([0],), (1, 1, 1, 4, 5)),
    (([0, 1],), (3, 1, 1, 4, 5)),
])
def test_setitem_value_must_expand_to_the_indexed_shape(key, value_shape):
    _same(_set(key, value_shape), A)


def test_setitem_value_shape_error_is_runtime_error():
    a = ember.zeros(3, 4, 5)
    with pytest.raises(RuntimeError, match="The expanded size of the tensor"):
        a[..., None] = ember.ones(5)


@pytest.mark.parametrize("key", [[], (Ellipsis, Ellipsis), (Ellipsis, 0, Ellipsis), (None, Ellipsis, None, Ellipsis),
                                 ([0, 1], Ellipsis, Ellipsis)])
def test_empty_list_and_repeated_ellipsis(key):
    _same(lambda lib, a: a[key], A)


def test_setitem_empty_list_index():
    _same(_set([], (4, 5)), A)


def test_gather_and_index_select_on_0d():
    s = np.array(2.5, np.float32)
    _same(lambda lib, x: lib.gather(x, 0, lib.tensor(0)), s)
    _same(lambda lib, x: lib.gather(x, -1, lib.tensor([0])), s)
    _same(lambda lib, x: lib.index_select(x, 0, lib.tensor([0])), s)
    _same(lambda lib, x: lib.index_select(x, 0, lib.tensor(0)), s)


def test_index_add_0d_index():
    _same(lambda lib, x: lib.index_add(x, 0, lib.tensor(1), lib.ones(1, 4)), M)
    _same(lambda lib, x: lib.index_add(x, 1, lib.tensor(2), lib.ones(3, 1), alpha=2), M)


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
def test_index_fill_refuses_a_matrix_index(dim):
    _same(lambda lib, x: lib.index_fill(x, dim, lib.tensor([[0]]), -2.0), M)


@pytest.mark.parametrize("name", ["masked_fill", "masked_select", "masked_scatter"])
def test_uint8_masks_refused(name):
    mask = (np.arange(12).reshape(3, 4) % 2).astype(np.uint8)
    calls = {"masked_fill": lambda lib, x, m: lib.masked_fill(x, m, 1.0),
             "masked_select": lambda lib, x, m: lib.masked_select(x, m),
             "masked_scatter": lambda lib, x, m: lib.masked_scatter(x, m, lib.zeros(12))}
    _same(calls[name], M, mask)


@pytest.mark.parametrize("mshape", [(2, 4), (0, 4), (3, 5)])
def test_mask_shape_mismatch_is_runtime_error(mshape):
    mask = np.ones(mshape, bool)
    _same(lambda lib, x, m: lib.masked_select(x, m), M, mask)
    _same(lambda lib, x, m: lib.masked_scatter(x, m, lib.zeros(40)), M, mask)


def test_masked_scatter_source_too_small_and_broadcast_input():
    mask = np.ones((3, 4), bool)
    _same(lambda lib, x, m: lib.masked_scatter(x, m, lib.zeros(5)), M, mask)
    _same(lambda lib, x, m: lib.masked_scatter(x, m, lib.arange(20.0).reshape(4, 5)), np.array(2.5, np.float32), mask)
    _same(lambda lib, x, m: lib.masked_scatter(x, m, lib.arange(20.0)), M[:1], mask)


def test_take_needs_a_long_index():
    _same(lambda lib, x: lib.take(x, lib.tensor([0], dtype=lib.int32)), M)
    _same(lambda lib, x: lib.take(x, lib.tensor([0, -1, 11])), M)


@pytest.mark.parametrize("idx,dim", [
    ([0, 5], 0), ([0, 1], -1),                 # rank differs from the input's
    ([[0], [2], [1]], 0), ([[-1]], None), ([[12]], None), ([[0, 11]], None),
])
def test_take_along_dim_errors(idx, dim):
    _same(lambda lib, x: lib.take_along_dim(x, lib.tensor(idx), dim), M)
    if dim is None or len(np.shape(idx)) == 1:
        _same(lambda lib, x: lib.take_along_dim(x, lib.tensor(idx), dim), np.zeros((0, 4), np.float32))


def test_scatter_reduce_mean_on_bool_refused():
    x = np.array([[True, False], [False, True]])
    _same(lambda lib, a: lib.scatter_reduce(a, 0, lib.tensor([[1, 0]]), a[:1], "mean"), x)
    _same(lambda lib, a: lib.scatter_reduce(a, 0, lib.tensor([[1, 0]]), a[:1], "amax"), x)


V = np.arange(6, dtype=np.float32)


@pytest.mark.parametrize("arg", [0, -1, 2, "t0", "t2d", "tf", "t1"])
def test_tensor_split_sections_and_checks(arg):
    def fn(lib, x):
        a = {"t0": lib.tensor(4), "t2d": lib.tensor([[1]]), "tf": lib.tensor([1.0]), "t1": lib.tensor([1, 4])}.get(arg, arg)
        return lib.tensor_split(x, a)
    _same(fn, V)
    _same(fn, np.array(1.0, np.float32))


@pytest.mark.parametrize("sizes", [(-1, 2), (0, -2), (2, -1, -1), (1, 1, -3)])
def test_repeat_and_tile_negative_sizes(sizes):
    _same(lambda lib, x: x.repeat(*sizes), M)
    _same(lambda lib, x: lib.tile(x, sizes), M)


@pytest.mark.parametrize("x", [np.array(1.0, np.float32), V, M])
def test_flipud_fliplr_need_enough_dims(x):
    _same(lambda lib, t: lib.flipud(t), x)
    _same(lambda lib, t: lib.fliplr(t), x)


def test_roll_with_empty_dims_rolls_flattened():
    _same(lambda lib, x: lib.roll(x, 1, ()), M)
    _same(lambda lib, x: lib.roll(x, -5, []), M)


@pytest.mark.parametrize("src,dst", [(0, -1), (-1, 0), (0, 0)])
def test_movedim_on_0d(src, dst):
    _same(lambda lib, x: lib.movedim(x, src, dst), np.array(1.5, np.float32))


def _through_diagonal(op, offset, dims, grad):
    """An in-place op on ``diagonal(...)`` of a non-leaf: the base's values (and, with grad, x.grad)."""
    def fn(lib, a):
        x = a.clone().requires_grad_(grad)
        y = x * 1
        v = y.diagonal(offset, *dims)
        {"add_": lambda: v.add_(1), "mul_": lambda: v.mul_(2), "zero_": lambda: v.zero_(),
         "setitem": lambda: v.__setitem__(0, 7.0), "copy_": lambda: v.copy_(lib.ones(v.shape) * 5)}[op]()
        if not grad:
            return (y, v)
        (y * lib.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return (y.detach(), x.grad)
    return fn


@pytest.mark.parametrize("op", ["add_", "mul_", "zero_", "setitem", "copy_"])
@pytest.mark.parametrize("offset,dims", [(0, ()), (1, ()), (-1, ()), (0, (1, 0))])
@pytest.mark.parametrize("grad", [False, True])
def test_inplace_through_diagonal_view_reaches_base(op, offset, dims, grad):
    _same(_through_diagonal(op, offset, dims, grad), M)


def test_diagonal_view_of_3d_and_version():
    a = ember.zeros(2, 3, 3)
    d = a.diagonal(0, -2, -1)
    d.fill_(1)
    want = torch.zeros(2, 3, 3)
    want.diagonal(0, -2, -1).fill_(1)
    np.testing.assert_array_equal(a.numpy(), want.numpy())
    assert d.grad_fn is None and a._version == d._version


@pytest.mark.parametrize("pieces", [
    lambda y: y.split(2, 1)[1], lambda y: y.split([1, 3], 1)[1], lambda y: y.unbind(0)[2],
    lambda y: y.chunk(2)[0], lambda y: y.tensor_split(2)[0],
])
@pytest.mark.parametrize("grad", [True, False])
def test_inplace_on_multi_view_pieces(pieces, grad):
    """PyTorch refuses in-place ops on split/chunk/unbind pieces in a graph (not on tensor_split's,
    nor outside a graph)."""
    def fn(lib, a):
        y = a.clone().requires_grad_(grad) * 1
        pieces(y).add_(1)
        return y.detach()
    _same(fn, M)


def test_inplace_on_a_view_of_a_split_piece_refused():
    for lib in (torch, ember):
        y = lib.ones(3, 4, requires_grad=True) * 1
        with pytest.raises(RuntimeError, match="output of a function that returns multiple views"):
            y.split(2, 1)[1][0].add_(1)


@pytest.mark.parametrize("x", [M, M.astype(np.int64), M > 5])
def test_index_put_and_masked_scatter_need_matching_dtypes(x):
    _same(lambda lib, a: a.index_put((lib.tensor([0]),), lib.tensor(2.5, dtype=lib.float64)), x)
    _same(lambda lib, a: a.clone().index_put_((lib.tensor([0]),), lib.tensor(2.5, dtype=lib.float64)), x)
    _same(lambda lib, a: a.masked_scatter(lib.tensor(True), lib.ones(12, dtype=lib.float64)), x)
    _same(lambda lib, a: a.masked_scatter(lib.tensor(True), lib.ones(12).to(a.dtype)), x)


def test_setitem_still_casts_the_value():
    _same(lambda lib, a: (lambda c: (c.__setitem__(0, lib.tensor(2.7, dtype=lib.float64)), c)[1])(a.clone()), M.astype(np.int64))


@pytest.mark.parametrize("dim,start,length", [(1, 1, 2), (0, -2, 2), (-1, 0, 0)])
def test_narrow_copy(dim, start, length):
    _same(lambda lib, a: lib.narrow_copy(a, dim, start, length), M)
    _same(lambda lib, a: lib.narrow_copy(a.t(), dim, start, length), M)
    _same(lambda lib, a: lib.narrow_copy(a, dim, start, length, out=lib.empty(0)), M)
    _same(lambda lib, a: lib.narrow_copy(a, dim, start, length, out=lib.empty(0, dtype=lib.float64)), M)


def test_narrow_copy_is_a_copy_with_gradient():
    for lib in (torch, ember):
        x = lib.arange(12.0).reshape(3, 4).requires_grad_(True)
        y = lib.narrow_copy(x, 1, 1, 2)
        assert y.is_contiguous()
        (y * lib.arange(6.0).reshape(3, 2)).sum().backward()
        with lib.no_grad():
            y.zero_()
        assert x[0, 1].item() == 1.0
        if lib is torch:
            want = x.grad.numpy()
        else:
            np.testing.assert_array_equal(x.grad.numpy(), want)


def test_narrow_copy_out_of_range():
    _same(lambda lib, a: lib.narrow_copy(a, 0, 3, 1), M)


@pytest.mark.parametrize("key", [
    (True,), (np.bool_(True),), (slice(None), np.bool_(False)),
    [[True, False, True]], [0, [1, 2]], [[0, 1], [1, 2]], [0, slice(None)], [0, None], [0, Ellipsis, 1],
])
def test_key_forms(key):
    _same(lambda lib, a: a[key], A)
    _same(_set(key, ()), A)


def test_list_with_a_tensor_is_a_tuple():
    _same(lambda lib, a: a[[lib.tensor(0), 1]], A)
