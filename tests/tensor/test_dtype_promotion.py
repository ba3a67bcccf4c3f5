"""dtypes: PyTorch's names, its type-promotion table (all pairs, 0-d and n-d, Python
scalars), the default dtype, and the casting methods."""

import itertools

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

NAMES = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]
SCALARS = [True, 3, 2.5]


def name_of(d) -> str:
    return str(d).split(".")[-1]


def make(lib, name, ndim):
    return lib.ones((2,) * ndim, dtype=getattr(lib, name))


@pytest.mark.parametrize("a, b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_matches_torch_for_every_pair(a, b):
    assert name_of(ember.promote_types(getattr(ember, a), getattr(ember, b))) == name_of(
        torch.promote_types(getattr(torch, a), getattr(torch, b))
    )


@pytest.mark.parametrize("a, b", list(itertools.product(NAMES, NAMES)))
def test_binary_op_result_dtype_matches_torch_for_0d_and_nd_operands(a, b):
    for da, db in itertools.product((0, 1), repeat=2):
        for op in ("add", "mul", "div", "maximum", "result_type"):
            got = getattr(ember, op)(make(ember, a, da), make(ember, b, db))
            want = getattr(torch, op)(make(torch, a, da), make(torch, b, db))
            got, want = (got, want) if op == "result_type" else (got.dtype, want.dtype)
            assert name_of(got) == name_of(want), (op, a, da, b, db)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", SCALARS, ids=["bool", "int", "float"])
def test_python_scalars_promote_like_torch(name, scalar):
    for ndim in (0, 1):
        e, t = make(ember, name, ndim), make(torch, name, ndim)
        for fn in (lambda x: x + scalar, lambda x: scalar * x, lambda x: x / scalar, lambda x: ember_or_torch(x).where(x > 0 if name != "bool" else x, x, scalar)):
            assert name_of(fn(e).dtype) == name_of(fn(t).dtype), (name, ndim, scalar)


def ember_or_torch(x):
    return ember if isinstance(x, ember.Tensor) else torch


def test_python_scalar_never_widens_a_float32_tensor():
    x = ember.ones(3)
    assert (x * 2.5).dtype is ember.float32
    assert (x + 10**6).dtype is ember.float32
    assert (ember.ones(3, dtype=ember.int32) + 1).dtype is ember.int32
    assert (ember.ones(3, dtype=ember.int32) + 1.5).dtype is ember.float32


def test_zero_dim_tensor_ranks_below_dimensioned_ones_within_a_category():
    assert (ember.ones(3) + ember.tensor(1.0, dtype=ember.float64)).dtype is ember.float32
    assert (ember.ones(3, dtype=ember.int32) + ember.tensor(1.0, dtype=ember.float64)).dtype is ember.float64


def test_default_dtype_switch_changes_inference_and_promotion():
    try:
        ember.set_default_dtype(ember.float64)
        assert ember.get_default_dtype() is ember.float64
        assert ember.tensor([1.5]).dtype is ember.float64
        assert ember.zeros(2).dtype is ember.float64
        assert (ember.ones(2, dtype=ember.int64) * 1.5).dtype is ember.float64
        assert "dtype" not in repr(ember.tensor([1.5]))
        assert "dtype=ember.float32" in repr(ember.tensor([1.5], dtype=ember.float32))
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.tensor([1.5]).dtype is ember.float32


def test_default_dtype_must_be_floating():
    with pytest.raises(TypeError, match="only floating-point types"):
        ember.set_default_dtype(ember.int64)


@pytest.mark.parametrize(
    "method, expected",
    [("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"), ("int", "int32"), ("short", "int16"), ("char", "int8"), ("byte", "uint8"), ("bool", "bool")],
)
def test_cast_methods(method, expected):
    x = ember.tensor([1.7, -2.2, 0.0])
    y = getattr(x, method)()
    assert name_of(y.dtype) == expected
    np.testing.assert_array_equal(y.numpy(), getattr(torch.tensor([1.7, -2.2, 0.0]), method)().numpy())


def test_cast_to_the_same_dtype_returns_self_and_to_another_copies():
    x = ember.ones(2)
    assert x.float() is x and x.to(ember.float32) is x
    y = x.double()
    y.add_(1)
    assert x.tolist() == [1.0, 1.0]


def test_to_accepts_dtype_device_tensor_and_keywords():
    x = ember.ones(2)
    assert x.to(ember.float64).dtype is ember.float64
    assert x.to("cpu") is x
    assert x.to("cpu", ember.int64).dtype is ember.int64
    assert x.to(dtype=ember.int32).dtype is ember.int32
    assert x.to(ember.ones(1, dtype=ember.float16)).dtype is ember.float16
    assert x.to(ember.device("cpu"), non_blocking=True) is x
    assert x.to(ember.float32, copy=True) is not x


def test_differentiable_cast_keeps_the_graph_and_casts_the_gradient_back():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    assert x.grad.dtype is ember.float32
    assert not x.long().requires_grad


def test_dtype_objects_have_pytorch_attributes():
    assert ember.float32.is_floating_point and not ember.int64.is_floating_point
    assert ember.float32.itemsize == 4 and ember.int16.itemsize == 2
    assert ember.int8.is_signed and not ember.uint8.is_signed and not ember.bool.is_signed
    assert ember.float is ember.float32 and ember.double is ember.float64 and ember.long is ember.int64
    assert ember.half is ember.float16 and ember.int is ember.int32 and ember.short is ember.int16
    assert repr(ember.float64) == "ember.float64" and str(ember.int64) == "ember.int64"
    assert not ember.float32.is_complex


def test_numpy_dtypes_map_both_ways():
    for name in NAMES:
        d = getattr(ember, name)
        assert ember._dtype.from_numpy_dtype(d.np) is d
        assert ember.zeros(1, dtype=d).numpy().dtype == np.dtype(name if name != "bool" else np.bool_)


def test_dtype_accepts_python_types_and_names():
    assert ember.zeros(1, dtype=float).dtype is ember.float32
    assert ember.zeros(1, dtype=int).dtype is ember.int64
    assert ember.zeros(1, dtype=bool).dtype is ember.bool
    assert ember.zeros(1, dtype="float64").dtype is ember.float64
    assert ember.zeros(1, dtype=np.float16).dtype is ember.float16


def test_unsupported_numpy_dtype_is_refused_with_the_supported_list():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type complex128"):
        ember.from_numpy(np.ones(2, dtype=np.complex128))


def test_dtypes_pickle_to_the_same_object():
    import pickle

    for name in NAMES:
        d = getattr(ember, name)
        assert pickle.loads(pickle.dumps(d)) is d
