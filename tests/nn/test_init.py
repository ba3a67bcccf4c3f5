"""nn.init: fans and gains exactly as PyTorch computes them, distribution statistics on large
tensors, in-place writes outside autograd, generators for reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape", [(3, 5), (8, 4, 3), (16, 3, 5, 5), (2, 4, 3, 3, 3)])
def test_fan_in_and_fan_out_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fan_of_1d_tensor_raises_like_torch():
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(ember.empty(3, 3), mode="fan_avg")


@pytest.mark.parametrize(
    "args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu",)]
)
def test_calculate_gain_matches_torch(args):
    assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_uniform_and_normal_fill_in_place_with_right_moments():
    t = ember.empty(200, 500)
    arr = t._data
    assert init.uniform_(t, -2.0, 3.0) is t and t._data is arr
    assert t.numpy().min() >= -2.0 and t.numpy().max() <= 3.0
    assert t.numpy().mean() == pytest.approx(0.5, abs=0.02)
    init.normal_(t, 1.0, 2.0)
    assert t.numpy().mean() == pytest.approx(1.0, abs=0.02) and t.numpy().std() == pytest.approx(2.0, rel=0.01)
    assert t.dtype == ember.float32


def test_init_on_parameter_records_no_graph_and_bumps_version():
    p = nn.Parameter(ember.empty(4, 4))
    v = p._version[0]
    init.xavier_uniform_(p)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad and p._version[0] > v


def test_kaiming_uniform_bound_and_linear_default_init():
    w = ember.empty(512, 300)
    init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1 / math.sqrt(300)  # gain sqrt(2 / 6) * sqrt(3 / fan_in)
    a = w.numpy()
    assert a.max() <= bound and a.min() >= -bound and a.max() > 0.98 * bound and a.min() < -0.98 * bound
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 512)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.98 * bound


def test_kaiming_normal_and_xavier_std():
    w = ember.empty(400, 250)
    init.kaiming_normal_(w, nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 250), rel=0.02)
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="tanh")
    assert w.numpy().std() == pytest.approx((5 / 3) / math.sqrt(400), rel=0.02)
    init.xavier_normal_(w, gain=2.0)
    assert w.numpy().std() == pytest.approx(2.0 * math.sqrt(2 / 650), rel=0.02)
    init.xavier_uniform_(w)
    a = math.sqrt(6 / 650)
    assert np.abs(w.numpy()).max() <= a and w.numpy().std() == pytest.approx(a / math.sqrt(3), rel=0.02)


def test_kaiming_on_empty_tensor_warns_and_returns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ember.empty(0, 3))


def _truncated_mean(a, b):
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    return (pdf(a) - pdf(b)) / (cdf(b) - cdf(a))


def test_trunc_normal_stays_in_bounds_with_truncated_moments():
    t = ember.empty(300, 300)
    init.trunc_normal_(t, mean=0.0, std=1.0, a=-1.0, b=2.0)
    a = t.numpy()
    assert a.min() >= -1.0 and a.max() <= 2.0
    ref = torch.nn.init.trunc_normal_(torch.empty(300, 300), 0.0, 1.0, -1.0, 2.0).numpy()
    assert a.mean() == pytest.approx(ref.mean(), abs=0.01) and a.std() == pytest.approx(ref.std(), abs=0.01)
    narrow = ember.empty(20000)
    init.trunc_normal_(narrow, mean=0.0, std=1.0, a=2.0, b=3.0)  # low-mass region: uniform proposals
    n = narrow.numpy()
    assert n.min() >= 2.0 and n.max() <= 3.0 and n.mean() == pytest.approx(_truncated_mean(2.0, 3.0), abs=0.01)


def test_constant_ones_zeros_eye_dirac():
    t = ember.empty(3, 4)
    np.testing.assert_array_equal(init.constant_(t, 0.5).numpy(), np.full((3, 4), 0.5))
    np.testing.assert_array_equal(init.ones_(t).numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(init.zeros_(t).numpy(), np.zeros((3, 4)))
    np.testing.assert_array_equal(init.eye_(t).numpy(), np.eye(3, 4))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(ember.empty(2, 2, 2))
    for shape, groups in [((6, 4, 3), 1), ((4, 2, 3, 3), 2), ((2, 2, 3, 3, 3), 1)]:
        e = init.dirac_(ember.empty(*shape), groups)
        t_ = torch.nn.init.dirac_(torch.empty(*shape), groups)
        np.testing.assert_array_equal(e.numpy(), t_.numpy())
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(ember.empty(2, 2))


@pytest.mark.parametrize("shape", [(64, 64), (20, 50), (50, 20), (8, 4, 3, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    t = init.orthogonal_(ember.empty(*shape), gain=2.0)
    w = t.numpy().reshape(shape[0], -1).astype(np.float64) / 2.0
    if w.shape[0] <= w.shape[1]:
        np.testing.assert_allclose(w @ w.T, np.eye(w.shape[0]), atol=1e-5)
    else:
        np.testing.assert_allclose(w.T @ w, np.eye(w.shape[1]), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(ember.empty(3))


def test_sparse_zeroes_the_requested_fraction_of_each_column():
    t = init.sparse_(ember.empty(10, 30), sparsity=0.3, std=0.1)
    zeros_per_col = (t.numpy() == 0).sum(axis=0)
    assert np.all(zeros_per_col == 3)


def test_generator_makes_init_reproducible():
    a, b = ember.empty(5, 5), ember.empty(5, 5)
    init.normal_(a, generator=ember.Generator().manual_seed(3))
    init.normal_(b, generator=ember.Generator().manual_seed(3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    ember.manual_seed(0)
    l1 = nn.Linear(4, 4)
    ember.manual_seed(0)
    l2 = nn.Linear(4, 4)
    np.testing.assert_array_equal(l1.weight.detach().numpy(), l2.weight.detach().numpy())


def test_deprecated_alias_warns():
    with pytest.warns(FutureWarning, match="nn.init.normal"):
        init.normal(ember.empty(2, 2))
