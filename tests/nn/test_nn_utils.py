"""nn.utils: gradient clipping and parameter/vector conversion against PyTorch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import clip_grad_norm_, clip_grad_value_, get_total_norm, parameters_to_vector, vector_to_parameters

torch = pytest.importorskip("torch")


def make_grads(lib, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for shape in [(4, 3), (3,), (2, 2, 2)]:
        p = lib.nn.Parameter(lib.tensor(rng.standard_normal(shape).astype(np.float32)))
        p.grad = lib.tensor((rng.standard_normal(shape) * scale).astype(np.float32))
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    pe, pt = make_grads(ember), make_grads(torch)
    ne = clip_grad_norm_(pe, max_norm, norm_type)
    nt = torch.nn.utils.clip_grad_norm_(pt, max_norm, norm_type)
    assert isinstance(ne, ember.Tensor) and ne.shape == () and ne.dtype == ember.float32
    np.testing.assert_allclose(ne.item(), nt.item(), rtol=1e-5)
    for a, b in zip(pe, pt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_in_place_single_tensor_generator_and_no_grads():
    p = nn.Parameter(ember.ones(4))
    p.grad = ember.full((4,), 3.0)
    g = p.grad
    total = clip_grad_norm_(p, 1.0)
    assert total.item() == pytest.approx(6.0) and p.grad is g
    assert np.linalg.norm(p.grad.numpy()) == pytest.approx(1.0, rel=1e-5)
    m = nn.Linear(3, 2)
    m(ember.randn(5, 3)).sum().backward()
    total = clip_grad_norm_(m.parameters(), 0.1)  # a generator
    assert get_total_norm([q.grad for q in m.parameters()]).item() == pytest.approx(0.1, rel=1e-4)
    assert total.item() > 0.1
    assert clip_grad_norm_([nn.Parameter(ember.zeros(2))], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite_error_and_passthrough():
    pe = make_grads(ember)
    pe[0].grad._data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        clip_grad_norm_(pe, 1.0, error_if_nonfinite=True)
    pt = make_grads(torch)
    pt[0].grad[0, 0] = float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an inf norm scales to nan silently, like torch
        ne = clip_grad_norm_(pe, 1.0)
    nt = torch.nn.utils.clip_grad_norm_(pt, 1.0)
    assert math.isinf(ne.item()) and math.isinf(nt.item())
    for a, b in zip(pe, pt):
        np.testing.assert_array_equal(np.isnan(a.grad.numpy()), np.isnan(b.grad.numpy()))


def test_clip_grad_value_matches_torch():
    pe, pt = make_grads(ember, scale=3.0), make_grads(torch, scale=3.0)
    assert clip_grad_value_(pe, 1.5) is None
    torch.nn.utils.clip_grad_value_(pt, 1.5)
    for a, b in zip(pe, pt):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
        assert np.abs(a.grad.numpy()).max() <= 1.5


def test_parameters_to_vector_and_back_match_torch_and_share_memory():
    e = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    ve = parameters_to_vector(e.parameters())
    vt = torch.nn.utils.parameters_to_vector(t.parameters())
    np.testing.assert_array_equal(ve.detach().numpy(), vt.detach().numpy())
    assert ve.shape == (26,) and ve.requires_grad
    (ve * ember.arange(26, dtype=ember.float32)).sum().backward()
    np.testing.assert_array_equal(e[0].weight.grad.numpy().reshape(-1), np.arange(12))
    new = ember.arange(26, dtype=ember.float32)
    vector_to_parameters(new, e.parameters())
    np.testing.assert_array_equal(e[1].bias.detach().numpy(), [24.0, 25.0])
    assert e[0].weight.shape == (4, 3) and isinstance(e[0].weight, nn.Parameter)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        vector_to_parameters([1, 2], e.parameters())


@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm"])
def test_removing_a_weight_reparametrization_keeps_the_weight_in_use_like_torch(kind):
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        m = lib.nn.Linear(4, 3)
        with lib.no_grad():
            m.weight.copy_(lib.tensor(w))
            m.bias.copy_(lib.tensor(b))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            getattr(lib.nn.utils, kind)(m)
        if kind == "weight_norm":
            with lib.no_grad():
                m.weight_g.mul_(2.0)  # the folded weight must be the reparametrized one, not the original
        m.eval()  # spectral norm: no power iteration on the next forwards, so the weight in use is fixed
        y_before = m(lib.tensor(x)).detach().numpy()
        getattr(lib.nn.utils, "remove_" + kind)(m)
        params = sorted(n for n, _ in m.named_parameters())
        buffers = sorted(n for n, _ in m.named_buffers())
        results.append((params, buffers, y_before, m(lib.tensor(x)).detach().numpy(), m.weight.detach().numpy()))
        with pytest.raises(ValueError, match=f"{kind} of 'weight' not found"):
            getattr(lib.nn.utils, "remove_" + kind)(m)
    for params, buffers, y_before, y_after, _ in results:
        assert params == ["bias", "weight"] and buffers == []
        np.testing.assert_allclose(y_after, y_before, rtol=1e-5, atol=1e-6)
    if kind == "weight_norm":  # spectral norm starts its power iteration from a random vector
        np.testing.assert_allclose(results[0][4], results[1][4], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(results[0][4], 2 * w, rtol=1e-5, atol=1e-6)
