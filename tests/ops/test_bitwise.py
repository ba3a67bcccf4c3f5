"""Bit ops: the errors PyTorch raises for floating inputs, and the in-place forms."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

FNS = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm"]


@pytest.mark.parametrize("name", FNS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floating_operands_raise_not_implemented_with_torch_message(name, dtype):
    a = np.array([1.0, 2.0], dtype=dtype)
    with pytest.raises(NotImplementedError) as t_exc:
        getattr(torch, name)(torch.tensor(a), torch.tensor(a))
    with pytest.raises(NotImplementedError) as e_exc:
        getattr(ember, name)(ember.tensor(a), ember.tensor(a))
    assert str(e_exc.value) == str(t_exc.value)


def test_bitwise_not_and_float_scalar_operands_raise_like_torch():
    for lib in (torch, ember):
        with pytest.raises(NotImplementedError, match="bitwise_not_cpu"):
            lib.bitwise_not(lib.tensor([1.0]))
        with pytest.raises(NotImplementedError, match="bitwise_and_cpu"):
            lib.bitwise_and(lib.tensor([1]), 2.0)
        with pytest.raises(TypeError, match="must be Tensor"):
            lib.gcd(lib.tensor([4]), 2)


@pytest.mark.parametrize("name", FNS + ["bitwise_not"])
def test_in_place_methods_match_torch(name):
    a, b = np.array([12, -7, 5, 0]), np.array([3, 2, 70, 4])
    e, t = ember.tensor(a), torch.tensor(a)
    args_e, args_t = ((), ()) if name == "bitwise_not" else ((ember.tensor(b),), (torch.tensor(b),))
    re = getattr(e, name + "_")(*args_e)
    rt = getattr(t, name + "_")(*args_t)
    assert re is e
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    np.testing.assert_array_equal(re.numpy(), rt.numpy())


@pytest.mark.parametrize("op", [operator.iand, operator.ior, operator.ixor, operator.ilshift, operator.irshift])
def test_augmented_assignment_operators_write_in_place(op):
    a = np.array([12, -7, 5, 0])
    e, t = ember.tensor(a), torch.tensor(a)
    e2 = op(e, 3)
    t2 = op(t, 3)
    assert e2 is e
    np.testing.assert_array_equal(e.numpy(), t2.numpy())


def test_in_place_shift_cannot_change_dtype():
    for lib in (torch, ember):
        x = lib.tensor([1, 2], dtype=lib.int32)
        x <<= 1
        assert x.dtype == lib.int32
        with pytest.raises(RuntimeError):
            lib.tensor([True, False]).bitwise_and_(lib.tensor([3, 1]))
