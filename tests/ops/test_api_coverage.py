"""Every op of the required set exists under PyTorch's name, as a function and (where PyTorch
has one) as a Tensor method; multi-output ops return PyTorch's named tuples."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

POINTWISE = (
    "add sub mul div floor_divide remainder pow neg abs exp exp2 log log2 log10 log1p expm1 sqrt rsqrt square sin cos "
    "tan tanh sigmoid relu clamp clip sign floor ceil round trunc frac reciprocal maximum minimum where lerp addcmul "
    "addcdiv erf eq ne lt le gt ge isclose allclose equal isnan isinf isfinite nan_to_num logical_and logical_or "
    "logical_not logical_xor fmod"
)
REDUCE = "sum mean prod var std max min amax amin argmax argmin logsumexp norm cumsum cumprod all any count_nonzero median mode"
LINALG = "matmul mm bmm mv dot outer einsum baddbmm addmm"
SHAPE = (
    "reshape flatten unflatten squeeze unsqueeze permute transpose t movedim cat concat stack hstack vstack "
    "split chunk unbind flip roll narrow tile"
)
INDEX = "gather scatter scatter_add index_select index_add masked_fill masked_select take_along_dim nonzero topk sort argsort unique"
METHODS_ONLY = "view view_as expand expand_as repeat contiguous reshape_as"
INPLACE = (
    "add_ sub_ mul_ div_ zero_ fill_ copy_ clamp_ clip_ normal_ uniform_ pow_ exp_ neg_ abs_ sqrt_ masked_fill_ "
    "index_add_ scatter_ scatter_add_ lerp_ addcmul_ addcdiv_ floor_ round_ sigmoid_ relu_ unsqueeze_ squeeze_ t_"
)


def _names(*groups):
    return sorted({n for g in groups for n in g.split()})


@pytest.mark.parametrize("name", _names(POINTWISE, REDUCE, LINALG, SHAPE, INDEX))
def test_function_exists_like_torch(name):
    assert hasattr(torch, name)
    assert callable(getattr(ember, name)), f"ember.{name} missing"


@pytest.mark.parametrize(
    "name", [n for n in _names(POINTWISE, REDUCE, LINALG, SHAPE, INDEX, METHODS_ONLY, INPLACE) if hasattr(torch.Tensor, n)]
)
def test_tensor_method_exists_like_torch(name):
    assert callable(getattr(ember.Tensor, name)), f"ember.Tensor.{name} missing"


OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "//": operator.floordiv,
    "%": operator.mod, "**": operator.pow, "@": operator.matmul, "==": operator.eq, "!=": operator.ne,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "&": operator.and_,
    "|": operator.or_, "^": operator.xor,
}


@pytest.mark.parametrize("op", list(OPERATORS))
def test_python_operators_and_reflected_forms(op):
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[2.0, 1.0], [0.5, 3.0]])
    if op in "&|^":
        a, b = a > 2, b > 1
    for x, y in ((a, b), (a, 2), (2, b)):
        if op == "@" and not isinstance(x, np.ndarray) or op == "@" and not isinstance(y, np.ndarray):
            continue
        if op in "&|^" and not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
            continue
        ex = ember.tensor(x) if isinstance(x, np.ndarray) else x
        ey = ember.tensor(y) if isinstance(y, np.ndarray) else y
        tx = torch.tensor(x) if isinstance(x, np.ndarray) else x
        ty = torch.tensor(y) if isinstance(y, np.ndarray) else y
        e = OPERATORS[op](ex, ey)
        t = OPERATORS[op](tx, ty)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(e.numpy().astype(float), t.numpy().astype(float))


def test_unary_operators():
    x = ember.tensor([1.5, -2.0])
    assert (-x).tolist() == [-1.5, 2.0]
    assert (+x).tolist() == [1.5, -2.0]
    assert abs(x).tolist() == [1.5, 2.0]
    assert (~ember.tensor([True, False])).tolist() == [False, True]


def test_max_with_dim_returns_named_values_and_indices():
    x = ember.tensor([[1.0, 5.0, 3.0], [7.0, 2.0, 9.0]])
    out = x.max(dim=1)
    assert out.values.tolist() == [5.0, 9.0] and out.indices.tolist() == [1, 2]
    values, indices = ember.min(x, 0, keepdim=True)
    assert values.tolist() == [[1.0, 2.0, 3.0]] and indices.tolist() == [[0, 1, 0]]
    assert indices.dtype == ember.int64
    assert tuple(out._fields) == ("values", "indices")


def test_max_of_two_tensors_is_elementwise():
    a, b = ember.tensor([1.0, 5.0]), ember.tensor([3.0, 2.0])
    assert ember.max(a, b).tolist() == [3.0, 5.0]
    assert a.min(b).tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, x: x.median(),
        lambda L, x: x.median(1),
        lambda L, x: x.median(0, keepdim=True),
        lambda L, x: x.mode(1),
        lambda L, x: x.mode(0),
        lambda L, x: L.unique(x, sorted=True, return_inverse=True, return_counts=True),
        lambda L, x: x.topk(2, 1, largest=False).values,  # which of tied indices topk reports is unspecified
        lambda L, x: x.sort(dim=1, descending=True, stable=True),
        lambda L, x: x.argsort(dim=1, stable=True),
        lambda L, x: x.argmax(1, keepdim=True),
        lambda L, x: x.count_nonzero(0),
        lambda L, x: x.kthvalue(2, 1).values,  # likewise for kthvalue's index
        lambda L, x: x.cummax(1),
        lambda L, x: x.nonzero(),
    ],
    ids=["median", "median_dim", "median_keep", "mode_dim1", "mode_dim0", "unique", "topk", "sort_desc_stable",
         "argsort_stable", "argmax_keep", "count_nonzero", "kthvalue", "cummax", "nonzero"],
)
def test_selection_ops_with_ties_match_torch(fn):
    """Ties and repeated values: which index PyTorch reports is part of the contract."""
    a = np.array([[3, 1, 3, 2, 1], [0, 0, 4, 4, 4], [2, 5, 2, 5, 1]], dtype=np.float32)
    e, t = fn(ember, ember.tensor(a)), fn(torch, torch.tensor(a))
    es = e if isinstance(e, tuple) else (e,)
    ts = t if isinstance(t, tuple) else (t,)
    assert len(es) == len(ts)
    for x, y in zip(es, ts):
        assert tuple(x.shape) == tuple(y.shape)
        assert str(x.dtype).split(".")[-1] == str(y.dtype).split(".")[-1]
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    if hasattr(t, "_fields"):
        assert tuple(e._fields) == tuple(t._fields)


def test_allclose_and_equal_follow_torch():
    a = [1.0, 2.0, float("nan")]
    b = [1.0 + 1e-7, 2.0, float("nan")]
    for L in (torch, ember):
        x, y = L.tensor(a), L.tensor(b)
        assert L.allclose(x, y) is False and L.allclose(x, y, equal_nan=True) is True
        assert L.equal(x[:2], x[:2]) is True and L.equal(x[:2], y[:2]) is False
        assert L.equal(x[:2], x[:1]) is False
        assert x.allclose(y, equal_nan=True) is True
