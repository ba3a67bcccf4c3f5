import numpy as np
import pytest

import ember
from helpers import check_against_torch, check_gradcheck, make_inputs


def test_mul_add_broadcast_matches_torch():
    torch = pytest.importorskip("torch")
    a, b = make_inputs([(3, 1, 4), (2, 4)])
    check_against_torch(lambda x, y: (x * y + y).exp(), lambda x, y: (x * y + y).exp(), [a, b])


def test_matmul_relu_mean_gradcheck():
    a, b = make_inputs([(4, 3), (3, 2)])
    check_gradcheck(lambda x, y: (x @ y).relu().mean(), [a, b])


def test_linear_shape_mismatch_names_both_shapes():
    x = ember.zeros(64, 784)
    w = ember.zeros(10, 100)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(64x784 and 100x10\)"):
        ember._ops.linalg.linear(x, w)
