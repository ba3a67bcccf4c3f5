"""ember.optim.Adafactor and ember.optim.Muon against torch: 25-step trajectories, state, constructor errors."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import ember

from .optim_parity import assert_params_close, assert_state_dicts_close, coefficients, make_pair, set_grads

torch = pytest.importorskip("torch")

ADAFACTOR_SHAPES = [(), (3,), (4, 5), (2, 3, 4)]
MUON_SHAPES = [(4, 5), (6, 3), (1, 1)]

ADAFACTOR_CONFIGS = [
    {},
    {"lr": 0.05, "beta2_decay": -0.5},
    {"eps": (1e-20, 1e-2)},
    {"eps": (None, 0.5)},  # ε₂ above the parameters' RMS: α = ε₂ρ
    {"d": 3.0},
    {"weight_decay": 0.1},
    {"maximize": True},
    {"lr": 0.5, "weight_decay": 0.01, "maximize": True, "d": 1.5},
]

MUON_CONFIGS = [
    {},
    {"lr": 0.02, "momentum": 0.9},
    {"nesterov": False},
    {"weight_decay": 0.0},
    {"adjust_lr_fn": "match_rms_adamw"},
    {"adjust_lr_fn": "original", "ns_steps": 3},
    {"ns_coefficients": (2.0, -1.5, 0.5), "eps": 1e-5},
    {"momentum": 0.0, "lr": 0.01, "weight_decay": 0.3},
]


def _trajectory(name, kw, dtype, shapes, steps=25, **tol):
    ep, tp = make_pair(dtype, shapes=shapes)
    coefs = coefficients(dtype, shapes=shapes)
    eo = getattr(ember.optim, name)(ep, **kw)
    to = getattr(torch.optim, name)(tp, **kw)
    for _ in range(steps):
        set_grads(ep, tp, coefs)
        eo.step()
        to.step()
    assert_params_close(ep, tp, **tol)
    assert_state_dicts_close(eo.state_dict(), to.state_dict(), **tol)
    return eo, to, ep, tp


@pytest.mark.parametrize("kw", ADAFACTOR_CONFIGS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adafactor_matches_torch_for_25_steps(kw, dtype):
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-11, "atol": 1e-12}
    _trajectory("Adafactor", kw, dtype, ADAFACTOR_SHAPES, **tol)


# torch orthogonalizes in bfloat16: one rounding tie broken differently moves an entry by one bfloat16
# step (2⁻⁸ relative) of an update of size ~lr, so the tolerance is a few such steps of lr
@pytest.mark.parametrize("kw", MUON_CONFIGS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_muon_matches_torch_for_25_steps(kw, dtype):
    lr = kw.get("lr", 1e-3) * 3
    _trajectory("Muon", kw, dtype, MUON_SHAPES, rtol=1e-4, atol=lr * 2**-7)


def test_muon_newton_schulz_is_torchs_bfloat16_iteration():
    from ember.optim.muon import _zeropower_via_newtonschulz

    rng = np.random.default_rng(3)
    for shape in [(3, 5), (7, 2), (4, 4)]:
        g = rng.normal(size=shape).astype(np.float32)
        want = torch.optim._muon._zeropower_via_newtonschulz(torch.tensor(g), (3.4445, -4.7750, 2.0315), 5, 1e-7)
        got = _zeropower_via_newtonschulz(g, (3.4445, -4.7750, 2.0315), 5, 1e-7)
        np.testing.assert_allclose(got, want.float().numpy(), rtol=2**-7, atol=2**-8)
        # the orthogonalized matrix has singular values near 1 (within the quintic's band)
        s = np.linalg.svd(got.astype(np.float64), compute_uv=False)
        assert np.all((s > 0.5) & (s < 1.5))


@pytest.mark.parametrize("name", ["Adafactor", "Muon"])
def test_signature_and_defaults_match_torch(name):
    e = inspect.signature(getattr(ember.optim, name))
    t = inspect.signature(getattr(torch.optim, name))
    assert [(p.name, p.kind, p.default) for p in e.parameters.values()] == [
        (p.name, p.kind, p.default) for p in t.parameters.values()
    ]


def _raises_same(name, shape, kw):
    with pytest.raises(Exception) as te:
        getattr(torch.optim, name)([torch.zeros(shape, requires_grad=True)], **kw)
    with pytest.raises(type(te.value)) as ee:
        getattr(ember.optim, name)([ember.zeros(shape, requires_grad=True)], **kw)
    assert str(ee.value) == str(te.value).replace("torch.Size", "ember.Size")


@pytest.mark.parametrize("kw", [{"lr": -1.0}, {"beta2_decay": 0.5}, {"eps": (-1.0, 1e-3)}, {"eps": (None, -1.0)},
                                {"d": 0.5}, {"weight_decay": -0.1}], ids=str)
def test_adafactor_constructor_errors_match_torch(kw):
    _raises_same("Adafactor", (2, 2), kw)


@pytest.mark.parametrize("shape,kw", [((2, 2), {"lr": -1.0}), ((2, 2), {"momentum": -0.5}),
                                      ((2, 2), {"weight_decay": -0.1}), ((2, 2), {"adjust_lr_fn": "sqrt"}),
                                      ((3,), {}), ((2, 2, 2), {})], ids=str)
def test_muon_constructor_errors_match_torch(shape, kw):
    _raises_same("Muon", shape, kw)


@pytest.mark.parametrize("name,shapes,kw", [("Adafactor", ADAFACTOR_SHAPES, {"lr": 0.05}),
                                            ("Muon", MUON_SHAPES, {"lr": 0.02})])
def test_state_dict_round_trip_continues_like_torch(name, shapes, kw):
    eo, to, ep, tp = _trajectory(name, kw, np.float64, shapes, steps=5, rtol=1e-4, atol=1e-4)
    ep2 = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ep]
    eo2 = getattr(ember.optim, name)(ep2, **kw)
    eo2.load_state_dict(eo.state_dict())
    coefs = coefficients(np.float64, shapes=shapes)
    for _ in range(3):
        set_grads(ep, tp, coefs)
        set_grads(ep2, tp, coefs)
        eo.step()
        eo2.step()
    for a, b in zip(ep, ep2):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
