"""Linear, Bilinear, LazyLinear, Identity, Flatten, Unflatten: PyTorch parity for outputs and
every gradient (input and parameters), default initialisation, errors and reprs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import check_against_torch, check_gradcheck, make_inputs

torch = pytest.importorskip("torch")


def copy_weights(e, t):
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


def run_both(e, t, *arrays, rtol=1e-5, atol=1e-6):
    """Forward + backward on both; compare outputs, input grads and parameter grads."""
    xe = [ember.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    ye, yt = e(*xe), t(*xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    up = np.random.default_rng(5).standard_normal(tuple(yt.shape)).astype(yt.detach().numpy().dtype)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    for a, b in zip(xe, xt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)
    tp = dict(t.named_parameters())
    for name, p in e.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 7), (7,), (2, 3, 7), (0, 7)])
def test_linear_matches_torch_forward_and_all_gradients(bias, shape):
    e, t = nn.Linear(7, 4, bias=bias), torch.nn.Linear(7, 4, bias=bias)
    copy_weights(e, t)
    (x,) = make_inputs([shape], dtype="float32")
    run_both(e, t, x)


def test_linear_float64_dtype_argument_and_gradcheck():
    m = nn.Linear(3, 2, dtype=ember.float64)
    assert m.weight.dtype == ember.float64 and m.bias.dtype == ember.float64
    x, w, b = make_inputs([(4, 3), (2, 3), (2,)])
    check_gradcheck(F.linear, [x, w, b])
    check_against_torch(F.linear, torch.nn.functional.linear, [x, w, b], rtol=1e-12, atol=1e-12)


def test_linear_default_init_bounds_are_one_over_sqrt_fan_in():
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert m.weight.requires_grad and isinstance(m.weight, nn.Parameter)


def test_linear_wrong_input_size_error_names_both_shapes():
    m = nn.Linear(784, 10)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(64x100 and 784x10\)"):
        m(ember.zeros(64, 100))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(12x100 and 784x10\)"):
        m(ember.zeros(3, 4, 100))


def test_linear_repr_and_zero_features_match_torch():
    for args in [(3, 4), (3, 4, False)]:
        assert repr(nn.Linear(*args)) == repr(torch.nn.Linear(*args))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        z = nn.Linear(0, 2)
    assert np.all(z.bias.detach().numpy() == 0)  # bound 0 when fan_in is 0, like torch
    assert z(ember.zeros(3, 0)).shape == (3, 2)


def test_bilinear_matches_torch_and_repr():
    e, t = nn.Bilinear(3, 4, 5), torch.nn.Bilinear(3, 4, 5)
    copy_weights(e, t)
    x1, x2 = make_inputs([(6, 3), (6, 4)], dtype="float32")
    run_both(e, t, x1, x2)
    assert repr(e) == repr(t)
    eb, tb = nn.Bilinear(2, 2, 3, bias=False), torch.nn.Bilinear(2, 2, 3, bias=False)
    copy_weights(eb, tb)
    a, b = make_inputs([(2, 5, 2), (2, 5, 2)], dtype="float32")
    run_both(eb, tb, a, b)
    x1, x2, w, bias = make_inputs([(3, 2), (3, 4), (5, 2, 4), (5,)])
    check_gradcheck(F.bilinear, [x1, x2, w, bias])


def test_bilinear_default_init_bound():
    m = nn.Bilinear(100, 7, 50)
    bound = 1 / math.sqrt(100)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert np.abs(m.weight.detach().numpy()).max() > 0.98 * bound


def test_lazy_linear_infers_in_features_and_becomes_linear():
    m = nn.LazyLinear(3)
    assert repr(m) == repr(torch.nn.LazyLinear(3))
    y = m(ember.randn(2, 5))
    assert y.shape == (2, 3) and type(m) is nn.Linear and m.in_features == 5
    assert m.weight.shape == (3, 5) and type(m.weight) is nn.Parameter
    assert np.abs(m.weight.detach().numpy()).max() <= 1 / math.sqrt(5)
    y.sum().backward()
    assert m.weight.grad.shape == (3, 5)


def test_identity_ignores_arguments():
    m = nn.Identity(54, unused="x")
    x = ember.randn(2, 2)
    assert m(x) is x
    assert repr(m) == "Identity()"


@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (1, 2), (-2, -1), (2, 2)])
def test_flatten_matches_torch(start, end):
    (x,) = make_inputs([(2, 3, 4, 5)])
    check_against_torch(nn.Flatten(start, end), torch.nn.Flatten(start, end), [x], rtol=0, atol=0)
    assert repr(nn.Flatten(start, end)) == repr(torch.nn.Flatten(start, end))


def test_unflatten_matches_torch_and_validates():
    (x,) = make_inputs([(2, 12, 3)])
    check_against_torch(nn.Unflatten(1, (3, 4)), torch.nn.Unflatten(1, (3, 4)), [x], rtol=0, atol=0)
    check_against_torch(nn.Unflatten(-2, (2, -1)), torch.nn.Unflatten(-2, (2, -1)), [x], rtol=0, atol=0)
    assert repr(nn.Unflatten(1, (3, 4))) == repr(torch.nn.Unflatten(1, (3, 4)))
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, (3, 4.0))


def test_linear_training_step_reduces_loss():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    x = ember.randn(64, 2)
    y = (x[:, :1] * 2 - x[:, 1:]).detach()
    losses = []
    for _ in range(50):
        model.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        with ember.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
