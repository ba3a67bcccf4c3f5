"""Dropout family: train vs eval, mask statistics and scaling, gradients through the mask,
channel-wise masks, alpha dropout's moments, argument validation like PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

torch = pytest.importorskip("torch")


def test_dropout_train_zeroes_about_p_and_scales_survivors():
    ember.manual_seed(0)
    x = ember.ones(200, 500)
    y = F.dropout(x, 0.3, training=True).numpy()
    kept = y != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert y.dtype == np.float32


def test_dropout_gradient_is_the_same_mask():
    x = ember.randn(50, 40, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    mask = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-5)
    assert set(np.round(np.unique(x.grad.numpy()), 5)) <= {0.0, 2.0}


def test_dropout_eval_and_p_zero_return_input_and_p_one_gives_zeros():
    x = ember.randn(4, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert np.all(y.detach().numpy() == 0)
    y.sum().backward()
    assert np.all(x.grad.numpy() == 0)


@pytest.mark.parametrize("fn", [F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout, F.feature_alpha_dropout])
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_bad_probability_raises_like_torch(fn, p):
    with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
        fn(ember.zeros(2, 3, 4, 4), p)


@pytest.mark.parametrize("cls", ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"])
def test_dropout_module_validates_p_and_repr_matches_torch(cls):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        getattr(nn, cls)(1.5)
    assert repr(getattr(nn, cls)()) == repr(getattr(torch.nn, cls)())
    assert repr(getattr(nn, cls)(0.2, True)) == repr(getattr(torch.nn, cls)(0.2, True))


def test_dropout_module_train_vs_eval():
    m = nn.Dropout(0.5)
    x = ember.ones(1000)
    assert (m(x).numpy() == 0).any()
    m.eval()
    assert m(x) is x


def test_dropout_inplace_modifies_non_leaf():
    x = ember.ones(100, requires_grad=True)
    h = x * 1.0
    out = F.dropout(h, 0.5, inplace=True)
    assert out is h
    zeros = h.detach().numpy() == 0
    assert zeros.any() and not zeros.all()
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(zeros, 0.0, 2.0))


@pytest.mark.parametrize(
    "fn,shape,channel_axes",
    [(F.dropout2d, (8, 16, 5, 5), 2), (F.dropout1d, (8, 16, 7), 2), (F.dropout1d, (16, 7), 1), (F.dropout3d, (4, 8, 3, 3, 3), 2), (F.dropout3d, (8, 3, 3, 3), 1)],
)
def test_channel_dropout_zeroes_whole_channels(fn, shape, channel_axes):
    x = ember.ones(*shape)
    y = fn(x, 0.5).numpy()
    flat = y.reshape(int(np.prod(shape[:channel_axes])), -1)
    per_channel_constant = np.all(flat == flat[:, :1], axis=1)
    assert per_channel_constant.all()
    assert set(np.unique(flat[:, 0])) <= {0.0, 2.0} and (flat[:, 0] == 0).any() and (flat[:, 0] == 2).any()


def test_dropout1d_rejects_4d_and_dropout2d_warns_on_3d():
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(ember.zeros(1, 2, 3, 4))
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d"):
        F.dropout2d(ember.zeros(2, 3, 4))


def test_alpha_dropout_keeps_selu_moments_and_eval_is_identity():
    ember.manual_seed(1)
    x = ember.randn(400, 500)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert y.mean() == pytest.approx(0.0, abs=0.02)
    assert y.std() == pytest.approx(1.0, abs=0.02)
    # dropped units all sit at alpha' * a * (p - 1), with a (and the offset) as in PyTorch
    a = 1.0 / np.sqrt((1.7580993408473766**2 * 0.2 + 1) * 0.8)
    dropped_value = 1.7580993408473766 * a * (0.2 - 1)
    dropped = np.isclose(y, dropped_value, rtol=1e-6)
    assert dropped.mean() == pytest.approx(0.2, abs=0.01)
    kept = ~dropped
    np.testing.assert_allclose(y[kept], a * x.numpy()[kept] + 1.7580993408473766 * a * 0.2, rtol=1e-5, atol=1e-6)
    assert F.alpha_dropout(x, 0.2) is x  # training defaults to False, as in torch
    m = nn.AlphaDropout(0.2).eval()
    assert m(x) is x


def test_alpha_dropout_gradient_scales_kept_units():
    x = ember.randn(1000, requires_grad=True)
    y = F.alpha_dropout(x, 0.5, training=True)
    y.sum().backward()
    a = 1.0 / np.sqrt((1.7580993408473766**2 * 0.5 + 1) * 0.5)
    values = np.unique(x.grad.numpy())
    assert len(values) == 2 and values[0] == 0.0
    np.testing.assert_allclose(values[1], a, rtol=1e-6)


def test_feature_alpha_dropout_masks_channels():
    y = F.feature_alpha_dropout(ember.zeros(6, 10, 4, 4), 0.5, training=True).numpy()
    flat = y.reshape(60, -1)
    assert np.all(flat == flat[:, :1])


def test_dropout_generator_reproducible_and_float64_preserved():
    x = ember.ones(10, 10, dtype=ember.float64)
    a = F.dropout(x, 0.5, generator=ember.Generator().manual_seed(7))
    b = F.dropout(x, 0.5, generator=ember.Generator().manual_seed(7))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == ember.float64


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.dropout(x, 0.3, generator=ember.Generator().manual_seed(0)),
        lambda x: F.dropout2d(x, 0.5, generator=ember.Generator().manual_seed(1)),
        lambda x: F.alpha_dropout(x, 0.3, training=True, generator=ember.Generator().manual_seed(2)),
        lambda x: F.feature_alpha_dropout(x, 0.3, training=True, generator=ember.Generator().manual_seed(3)),
    ],
    ids=["dropout", "dropout2d", "alpha_dropout", "feature_alpha_dropout"],
)
def test_dropout_op_gradcheck_with_a_fixed_mask(fn):
    x = ember.tensor(np.random.default_rng(0).standard_normal((3, 4, 2, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(lambda t: fn(t) ** 2, (x,))
