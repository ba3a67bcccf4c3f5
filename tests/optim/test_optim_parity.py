"""Every optimizer and option against PyTorch: same start, same gradient function, 50 steps,
then parameters and the whole state_dict compared."""

from __future__ import annotations

import numpy as np
import pytest
from optim_parity import (
    assert_params_close,
    assert_state_dicts_close,
    coefficients,
    make_pair,
    run_steps,
    torch,
)

import ember

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.01, weight_decay=0.2, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, maximize=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.5, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, betas=(0.8, 0.95))),
    ("Adamax", dict(lr=0.05, maximize=True, eps=1e-3)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.02)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.05, maximize=True, betas=(0.8, 0.99))),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.9))),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.05, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True, eps=1e-4)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5)),
    ("Adadelta", dict(weight_decay=0.1, eps=1e-4)),
    ("Adadelta", dict(maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, t0=10)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=0)),
    ("ASGD", dict(lr=0.05, weight_decay=0.1, t0=20)),
    ("ASGD", dict(lr=0.05, maximize=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.01, etas=(0.3, 1.5))),
    ("Rprop", dict(lr=0.05, step_sizes=(1e-3, 0.1))),
    ("Rprop", dict(lr=0.01, maximize=True)),
]


def _id(cfg):
    name, kw = cfg
    return name + "-" + ("-".join(f"{k}={v}" for k, v in kw.items()) or "defaults")


@pytest.mark.parametrize("cfg", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_matches_torch_after_50_steps(cfg):
    name, kw = cfg
    ep, tp = make_pair()
    coefs = coefficients()
    eopt = getattr(ember.optim, name)(ep, **kw)
    topt = getattr(torch.optim, name)(tp, **kw)
    run_steps(eopt, topt, ep, tp, coefs, 50)
    assert_params_close(ep, tp)
    assert_state_dicts_close(eopt.state_dict(), topt.state_dict(), rtol=1e-5, atol=1e-6)


FLOAT64_CONFIGS = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adadelta", dict()),
    ("ASGD", dict(lr=0.05, t0=10)),
    ("Rprop", dict(lr=0.01)),
]


@pytest.mark.parametrize("cfg", FLOAT64_CONFIGS, ids=[_id(c) for c in FLOAT64_CONFIGS])
def test_float64_params_stay_float64_and_match_torch_tightly(cfg):
    name, kw = cfg
    ep, tp = make_pair(np.float64)
    coefs = coefficients(np.float64)
    eopt = getattr(ember.optim, name)(ep, **kw)
    topt = getattr(torch.optim, name)(tp, **kw)
    run_steps(eopt, topt, ep, tp, coefs, 50)
    assert all(p.dtype == ember.float64 for p in ep)
    assert_params_close(ep, tp, rtol=1e-11, atol=1e-12)
    assert_state_dicts_close(eopt.state_dict(), topt.state_dict(), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize(
    "name", ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta", "ASGD", "Rprop"]
)
def test_float32_state_stays_float32(name):
    ep, tp = make_pair()
    kw = dict(momentum=0.9) if name in ("SGD", "RMSprop") else {}
    eopt = getattr(ember.optim, name)(ep, lr=0.01, **kw)
    topt = getattr(torch.optim, name)(tp, lr=0.01, **kw)
    run_steps(eopt, topt, ep, tp, coefficients(), 3)
    assert all(p.dtype == ember.float32 for p in ep)
    for st in eopt.state.values():
        for key, v in st.items():
            assert isinstance(v, ember.Tensor), key
            assert v.dtype == ember.float32, f"{name} state {key} is {v.dtype}"


@pytest.mark.parametrize(
    "name,kw",
    [
        ("SGD", dict(momentum=0.9, weight_decay=0.01)),
        ("Adam", dict(amsgrad=True)),
        ("RMSprop", dict(centered=True)),
        ("Adagrad", {}),
        ("Rprop", {}),
    ],
)
def test_param_groups_with_their_own_hyperparameters_match_torch(name, kw):
    ep, tp = make_pair()
    coefs = coefficients()
    eopt = getattr(ember.optim, name)([{"params": ep[:2]}, {"params": ep[2:], "lr": 0.003}], lr=0.02, **kw)
    topt = getattr(torch.optim, name)([{"params": tp[:2]}, {"params": tp[2:], "lr": 0.003}], lr=0.02, **kw)
    run_steps(eopt, topt, ep, tp, coefs, 50)
    assert_params_close(ep, tp)
    assert_state_dicts_close(eopt.state_dict(), topt.state_dict())


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Rprop", "ASGD"])
def test_add_param_group_midway_matches_torch(name):
    ep, tp = make_pair()
    coefs = coefficients()
    eopt = getattr(ember.optim, name)(ep[:2], lr=0.02)
    topt = getattr(torch.optim, name)(tp[:2], lr=0.02)
    run_steps(eopt, topt, ep, tp, coefs, 10, skip=(2,))
    eopt.add_param_group({"params": [ep[2]], "lr": 0.005})
    topt.add_param_group({"params": [tp[2]], "lr": 0.005})
    run_steps(eopt, topt, ep, tp, coefs, 20)
    assert_params_close(ep, tp)
    assert_state_dicts_close(eopt.state_dict(), topt.state_dict())


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "Rprop"])
def test_params_without_grad_are_skipped_like_torch(name):
    ep, tp = make_pair()
    before = ep[1].detach().numpy().copy()
    eopt = getattr(ember.optim, name)(ep, lr=0.05)
    topt = getattr(torch.optim, name)(tp, lr=0.05)
    run_steps(eopt, topt, ep, tp, coefficients(), 10, skip=(1,))
    np.testing.assert_array_equal(ep[1].detach().numpy(), before)
    assert_params_close(ep, tp)
    assert_state_dicts_close(eopt.state_dict(), topt.state_dict())


@pytest.mark.parametrize("name,kw", [("SGD", dict(momentum=0.9)), ("Adam", {}), ("AdamW", dict(amsgrad=True))])
def test_tensor_lr_matches_float_lr(name, kw):
    ep, tp = make_pair()
    eopt = getattr(ember.optim, name)(ep, lr=ember.tensor(0.02), **kw)
    topt = getattr(torch.optim, name)(tp, lr=torch.tensor(0.02), **kw)
    run_steps(eopt, topt, ep, tp, coefficients(), 20)
    assert_params_close(ep, tp)


@pytest.mark.parametrize(
    "name,kw",
    [
        ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
        ("Adam", dict(lr=0.05)),
        ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ],
)
def test_gradients_from_ember_autograd_with_zero_grad_match_torch(name, kw):
    ep, tp = make_pair()
    coefs = coefficients()
    ec = [ember.tensor(c) for c in coefs]
    tc = [torch.tensor(c) for c in coefs]
    eopt = getattr(ember.optim, name)(ep, **kw)
    topt = getattr(torch.optim, name)(tp, **kw)
    for i in range(50):
        set_to_none = i % 2 == 0
        eopt.zero_grad(set_to_none=set_to_none)
        topt.zero_grad(set_to_none=set_to_none)
        eloss = sum((w * w * c).sum() for w, c in zip(ep, ec))
        tloss = sum((w * w * c).sum() for w, c in zip(tp, tc))
        eloss.backward()
        tloss.backward()
        eopt.step()
        topt.step()
    assert_params_close(ep, tp)
    assert_state_dicts_close(eopt.state_dict(), topt.state_dict())
