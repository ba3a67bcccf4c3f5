"""Factory functions: values, dtypes and shapes as PyTorch gives them; memory sharing; errors."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def same(e, t):
    """Same dtype name, shape and values."""
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize(
    "expr",
    [
        "lib.tensor([1, 2])",
        "lib.tensor([1., 2])",
        "lib.tensor([True, False])",
        "lib.tensor(3)",
        "lib.tensor(3.5)",
        "lib.tensor([])",
        "lib.tensor([[]])",
        "lib.tensor([[1, 2], [3, 4]], dtype=lib.float64)",
        "lib.tensor([1, 2.5, True])",
        "lib.tensor([np.float64(1.5)])",
        "lib.tensor([np.float32(1.5), 2.5])",
        "lib.tensor([np.int32(1)])",
        "lib.tensor([np.int16(1), 2])",
        "lib.tensor([1, np.float16(2)])",
        "lib.tensor(np.float32(2.0))",
        "lib.tensor([lib.tensor(1.0), lib.tensor(2.0, dtype=lib.float64)])",
        "lib.tensor([lib.tensor(1, dtype=lib.int32), 2.5])",
        "lib.tensor([[1, 2], [np.float64(3), 4]])",
        "lib.tensor([1.5], dtype=lib.int64)",
        "lib.tensor(np.array([1., 2.]))",
        "lib.tensor(np.array([1, 2], dtype=np.int32))",
        "lib.tensor(np.array([1, 2], dtype=np.uint8))",
        "lib.zeros(2, 3)",
        "lib.zeros((2, 3))",
        "lib.zeros([2, 3], dtype=lib.int32)",
        "lib.zeros(lib.Size([2]))",
        "lib.zeros(())",
        "lib.zeros(0)",
        "lib.zeros(size=(2, 3))",
        "lib.ones(2, dtype=lib.bool)",
        "lib.ones(2, dtype=lib.float16)",
        "lib.full((2,), 3)",
        "lib.full((2,), 3.)",
        "lib.full((2,), True)",
        "lib.full((2,), 3, dtype=lib.float32)",
        "lib.full((2,), 1.5, dtype=lib.int64)",
        "lib.full([2], lib.tensor(2.))",
        "lib.zeros_like(lib.ones(2, dtype=lib.int32))",
        "lib.ones_like(lib.ones(2), dtype=lib.float64)",
        "lib.full_like(lib.ones(2), 7)",
        "lib.full_like(lib.ones(2, dtype=lib.int64), 7.5)",
        "lib.empty_like(lib.ones(2, 3)).zero_()",
        "lib.empty(2, 3).zero_()",
        "lib.arange(5)",
        "lib.arange(1, 4)",
        "lib.arange(0, 1, 0.25)",
        "lib.arange(5.)",
        "lib.arange(0, 5, 2)",
        "lib.arange(5, 0, -1)",
        "lib.arange(0, 0)",
        "lib.arange(lib.tensor(3))",
        "lib.arange(1, 2.5, 0.5, dtype=lib.float64)",
        "lib.arange(0, 10, 3, dtype=lib.float32)",
        "lib.arange(-1.0, 1.0, 0.5)",
        "lib.arange(np.int64(4))",
        "lib.arange(0, 10**10, 10**9)",
        "lib.linspace(0, 1, 5)",
        "lib.linspace(0, 1, 1)",
        "lib.linspace(0, 1, 0)",
        "lib.linspace(0, 10, 5, dtype=lib.int64)",
        "lib.linspace(-1, 1, steps=3)",
        "lib.linspace(-1, 1, 4, dtype=lib.int64)",
        "lib.eye(3)",
        "lib.eye(2, 3)",
        "lib.eye(2, dtype=lib.int64)",
        "lib.eye(3, 2, dtype=lib.bool)",
        "lib.eye(0)",
        "lib.as_tensor([1, 2])",
        "lib.as_tensor(np.ones(2))",
        "lib.from_numpy(np.ones(2, dtype=np.int32))",
        "lib.Tensor([1, 2])",
        "lib.Tensor(2, 3).zero_()",
        "lib.Tensor()",
        "lib.FloatTensor([1, 2])",
        "lib.LongTensor([1, 2])",
        "lib.BoolTensor([1, 0])",
        "lib.DoubleTensor([[1]])",
        "lib.ByteTensor([1, 2])",
        "lib.tensor([1., 2.]).new_tensor([1, 2])",
        "lib.tensor([1., 2.]).new_zeros(2, 3)",
        "lib.tensor([1., 2.]).new_ones((2,))",
        "lib.tensor([1., 2.]).new_full((2,), 4)",
        "lib.tensor([1, 2]).new_full((2,), 4.5)",
        "lib.tensor([1, 2]).new_tensor([1.5])",
    ],
)
def test_factory_matches_torch(expr):
    same(eval(expr, {"lib": ember, "np": np}), eval(expr, {"lib": torch, "np": np}))


def test_float_arange_does_not_drift_in_float32():
    # Computed in float64 and rounded once: within an ulp of PyTorch's float32 kernel,
    # and exactly start + i * step where that is representable.
    for args in ((0, 1, 0.1), (-3, 3, 0.3), (0, 1000, 0.1)):
        e, t = ember.arange(*args), torch.arange(*args)
        assert e.dtype is ember.float32 and e.shape == tuple(t.shape)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-6)
    assert ember.arange(-3, 3, 0.3)[10].item() == 0.0


@pytest.mark.parametrize(
    "expr, error, message",
    [
        ("lib.tensor([[1, 2], [3]])", ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
        ("lib.tensor('a')", TypeError, "invalid data type 'str'"),
        ("lib.arange(5, 0)", RuntimeError, "upper bound and lower bound inconsistent with step sign"),
        ("lib.arange(0, 5, 0)", RuntimeError, "step must be nonzero"),
        ("lib.eye(-1)", RuntimeError, "n must be greater or equal to 0, got -1"),
        ("lib.randint(5, 3, (2,))", RuntimeError, "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"),
        ("lib.linspace(0, 1, -1)", RuntimeError, "number of steps must be non-negative"),
        ("lib.tensor([1, 2], requires_grad=True)", RuntimeError, "Only Tensors of floating point and complex dtype can require gradients"),
    ],
)
def test_factory_errors_match_torch(expr, error, message):
    for lib in (ember, torch):
        with pytest.raises(error, match=message):
            eval(expr, {"lib": lib, "np": np})


def test_negative_dimension_is_refused():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        ember.zeros(2, -1)


def test_tensor_of_a_float64_array_keeps_float64_and_copies():
    a = np.array([1.0, 2.0])
    t = ember.tensor(a)
    assert t.dtype is ember.float64
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0]


def test_from_numpy_shares_memory_both_ways():
    a = np.zeros(3, dtype=np.float32)
    t = ember.from_numpy(a)
    a[0] = 5.0
    t[1] = 7.0
    assert t.tolist() == [5.0, 7.0, 0.0] and a.tolist() == [5.0, 7.0, 0.0]
    with pytest.raises(TypeError, match="expected np.ndarray"):
        ember.from_numpy([1, 2])


def test_as_tensor_shares_memory_when_the_dtype_allows():
    a = np.zeros(2)
    assert np.shares_memory(ember.as_tensor(a).numpy(), a)
    assert not np.shares_memory(ember.as_tensor(a, dtype=ember.float32).numpy(), a)
    t = ember.ones(2)
    assert ember.as_tensor(t) is t


def test_tensor_copies_a_tensor_and_drops_its_graph():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor(a)
    assert not b.requires_grad and not np.shares_memory(a.detach().numpy(), b.numpy())


def test_requires_grad_at_creation():
    for t in (ember.zeros(2, requires_grad=True), ember.ones(2, requires_grad=True), ember.rand(2, requires_grad=True),
              ember.randn(2, requires_grad=True), ember.tensor([1.0], requires_grad=True), ember.full((2,), 1.0, requires_grad=True),
              ember.arange(3.0, requires_grad=True), ember.eye(2, requires_grad=True), ember.linspace(0, 1, 3, requires_grad=True)):
        assert t.requires_grad and t.is_leaf


def test_device_argument_accepts_cpu_and_refuses_cuda():
    assert ember.zeros(2, device="cpu").device == ember.device("cpu")
    assert ember.tensor([1.0], device=ember.device("cpu")).device.type == "cpu"
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):  # as PyTorch's CPU build
        ember.zeros(2, device="cuda")


def test_tensor_class_constructor_and_legacy_types():
    assert ember.Tensor(2, 3).shape == (2, 3) and ember.Tensor(2, 3).dtype is ember.float32
    assert ember.LongTensor(2).shape == (2,) and ember.LongTensor(2).dtype is ember.int64
    assert ember.FloatTensor([[1, 2]]).dtype is ember.float32
