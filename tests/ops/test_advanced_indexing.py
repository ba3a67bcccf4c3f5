"""Indexing with mixes of ints, slices, None, Ellipsis, integer index tensors, bool masks and
bool scalars, against torch: getitem values and shapes, setitem, and the gradients of both.

The rule being tested: PyTorch applies ints (and 0-d integer tensors) as selections first and
then advanced indexing; NumPy counts ints as advanced indices, so wherever an int sits between
index tensors and a slice, NumPy would put the index dims first where PyTorch keeps them in place.
"""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def shape_and_key(draw):
    """A shape and an index for it: entries tagged so each library can build its own tensors."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=5)))
    key, dim, used_ellipsis = [], 0, False
    while dim < len(shape) and draw(st.floats(0, 1)) < 0.85:
        kinds = ["int", "slice", "none", "arr", "arr2", "mask", "int0d", "bool"] + ([] if used_ellipsis else ["ellipsis"])
        kind = draw(st.sampled_from(kinds))
        n = shape[dim]
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
            dim += 1
        elif kind == "int0d":
            key.append(("int0d", draw(st.integers(-n, n - 1))))
            dim += 1
        elif kind == "slice":
            key.append(slice(draw(st.sampled_from([None, 0, 1])), draw(st.sampled_from([None, n, -1])), draw(st.sampled_from([None, 1, 2]))))
            dim += 1
        elif kind == "none":
            key.append(None)
        elif kind == "bool":
            key.append(draw(st.booleans()))
        elif kind == "ellipsis":
            key.append(Ellipsis)
            used_ellipsis = True
            rest = draw(st.integers(0, len(shape) - dim))
            dim = len(shape) - rest
        elif kind == "arr":
            key.append(("arr", draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3))))
            dim += 1
        elif kind == "arr2":
            key.append(("arr", [draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2)) for _ in range(2)]))
            dim += 1
        else:
            key.append(("mask", draw(st.lists(st.booleans(), min_size=n, max_size=n))))
            dim += 1
    return shape, key


def _realize(key, L):
    out = []
    for k in key:
        if isinstance(k, tuple):
            out.append(L.tensor(k[1]))
        else:
            out.append(k)
    return tuple(out)


def _outcome(fn):
    try:
        return "ok", fn()
    except Exception as exc:  # noqa: BLE001 - classes are compared
        return "err", type(exc)


@SETTINGS
@given(shape_and_key())
def test_getitem_matches_torch(case):
    shape, key = case
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    t = _outcome(lambda: torch.tensor(x)[_realize(key, torch)].numpy())
    e = _outcome(lambda: ember.tensor(x)[_realize(key, ember)].numpy())
    assert t[0] == e[0], (key, t, e)
    if t[0] == "ok":
        assert e[1].shape == t[1].shape, key
        np.testing.assert_array_equal(e[1], t[1])
    else:
        assert e[1] is t[1], key


@SETTINGS
@given(shape_and_key())
def test_getitem_gradient_matches_torch(case):
    shape, key = case
    x = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape)
    grads = []
    for L in (torch, ember):
        xt = L.tensor(x, requires_grad=True)
        try:
            y = xt[_realize(key, L)]
        except Exception as exc:  # noqa: BLE001
            grads.append(type(exc))
            continue
        w = L.tensor(np.arange(1.0, 1.0 + y.numel()).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        grads.append(xt.grad.numpy())
    if isinstance(grads[0], type):
        assert grads[1] is grads[0]
    else:
        np.testing.assert_array_equal(grads[1], grads[0])


@SETTINGS
@given(shape_and_key(), st.booleans())
def test_setitem_values_and_gradients_match_torch(case, full_value):
    """Assign a tensor shaped like the torch result (every position distinct, so any dim
    order mix-up shows), or a broadcast row; then compare the tensor and both gradients."""
    shape, key = case
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    target = _outcome(lambda: tuple(torch.tensor(x)[_realize(key, torch)].shape))
    if target[0] != "ok":
        return
    vshape = target[1] if full_value else target[1][-1:]
    v = -1.0 - np.arange(int(np.prod(vshape))).reshape(vshape)
    res = []
    for L in (torch, ember):
        base = L.tensor(x, requires_grad=True)
        val = L.tensor(v, requires_grad=True)
        y = base * 1.0
        try:
            y[_realize(key, L)] = val
        except Exception as exc:  # noqa: BLE001
            res.append(type(exc))
            continue
        (y * L.tensor(np.arange(1.0, 1.0 + x.size).reshape(shape))).sum().backward()
        res.append((y.detach().numpy(), base.grad.numpy(), val.grad.numpy()))
    if isinstance(res[0], type):
        assert res[1] is res[0]
        return
    for t, e in zip(*res):
        np.testing.assert_array_equal(e, t)


def test_issue_example_nonadjacent_index_with_ints_and_slices():
    x = np.arange(2 * 5 * 12 * 4 * 3, dtype=np.float32).reshape(2, 5, 12, 4, 3)
    idx = np.array([[0, 3], [2, 1], [1, 1]])
    t = torch.tensor(x)[1, :, 3:11:2, torch.tensor(idx), 0:2]
    e = ember.tensor(x)[1, :, 3:11:2, ember.tensor(idx), 0:2]
    assert tuple(e.shape) == tuple(t.shape) == (5, 4, 3, 2, 2)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_int_select_before_index_keeps_index_dims_in_place():
    x = np.arange(24.0).reshape(2, 3, 4)
    for key in [(1, slice(None), [0, 3]), (slice(None), [0, 2], 1), (0, Ellipsis, [1, 1, 2])]:
        t = torch.tensor(x)[tuple(torch.tensor(k) if isinstance(k, list) else k for k in key)]
        e = ember.tensor(x)[tuple(ember.tensor(k) if isinstance(k, list) else k for k in key)]
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_index_tensors_that_do_not_broadcast_raise_torch_index_error():
    msgs = []
    for L in (torch, ember):
        with pytest.raises(IndexError) as err:
            L.zeros(2, 3, 4)[L.tensor([[0, 1]]), L.tensor([0, 1, 2])]
        msgs.append(str(err.value))
    assert msgs[1] == msgs[0]
