"""Shared helpers for the optimizer tests: identical parameters and gradient sequences fed to
ember and PyTorch, and comparisons of parameters and state_dicts."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

SHAPES = [(), (3,), (4, 5)]


def initial_arrays(dtype=np.float32, seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, size=s).astype(dtype) for s in shapes]


def coefficients(dtype=np.float32, seed=1, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 2.0, size=s).astype(dtype) for s in shapes]


def grad_of(p: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Gradient of sum(c p²/2 − cos(2p)/10 + p/10), computed in the params' dtype from either framework's values.

    The loss is strictly convex (c ≥ 0.5 > 0.4), so float32 rounding differences between the two
    frameworks shrink along the trajectory instead of being amplified by the dynamics.
    """
    return (c * p + 0.2 * np.sin(2 * p) + 0.1).astype(p.dtype)


def make_pair(dtype=np.float32, seed=0, shapes=SHAPES):
    arrays = initial_arrays(dtype, seed, shapes)
    ep = [ember.tensor(a, requires_grad=True) for a in arrays]
    tp = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ep, tp


def set_grads(ep, tp, coefs, skip=()):
    for i, (e, t, c) in enumerate(zip(ep, tp, coefs)):
        if i in skip:
            e.grad = None
            t.grad = None
            continue
        e.grad = ember.tensor(grad_of(e.detach().numpy(), c))
        t.grad = torch.tensor(grad_of(t.detach().numpy(), c))


def run_steps(eopt, topt, ep, tp, coefs, steps, skip=()):
    for _ in range(steps):
        set_grads(ep, tp, coefs, skip)
        eopt.step()
        topt.step()


def assert_params_close(ep, tp, rtol=1e-5, atol=1e-6):
    for i, (e, t) in enumerate(zip(ep, tp)):
        got = e.detach().numpy()
        want = t.detach().numpy()
        assert got.dtype == want.dtype, f"param {i}: dtype {got.dtype} != torch {want.dtype}"
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"param {i}")


def to_ember(obj):
    """A torch state_dict (or any nesting of containers) with every torch tensor turned into an ember tensor."""
    if isinstance(obj, torch.Tensor):
        return ember.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_ember(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_ember(v) for v in obj)
    return copy.deepcopy(obj)


def to_torch(obj):
    if isinstance(obj, ember.Tensor):
        return torch.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return copy.deepcopy(obj)


def assert_values_close(e, t, where, rtol=1e-5, atol=1e-6):
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{where}: expected a tensor, got {type(e).__name__}"
        got, want = e.detach().numpy(), t.detach().numpy()
        assert got.dtype == want.dtype, f"{where}: dtype {got.dtype} != torch {want.dtype}"
        assert got.shape == want.shape, f"{where}: shape {got.shape} != torch {want.shape}"
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)
    elif isinstance(t, dict):
        assert isinstance(e, dict) and set(e) == set(t), f"{where}: keys {sorted(map(str, e))} != {sorted(map(str, t))}"
        for k in t:
            assert_values_close(e[k], t[k], f"{where}.{k}", rtol, atol)
    elif isinstance(t, (list, tuple)):
        assert isinstance(e, (list, tuple)) and len(e) == len(t), f"{where}: {e!r} != {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_values_close(a, b, f"{where}[{i}]", rtol, atol)
    elif isinstance(t, float):
        assert float(e) == pytest.approx(t, rel=rtol, abs=atol), where
    else:
        assert e == t, f"{where}: {e!r} != torch {t!r}"


def assert_state_dicts_close(esd, tsd, rtol=1e-5, atol=1e-6):
    """Same parameter indices, same state keys and values, same param_groups (every hyper-parameter)."""
    assert set(esd) == set(tsd) == {"state", "param_groups"}
    assert set(esd["state"]) == set(tsd["state"]), f"state indices {sorted(esd['state'])} != {sorted(tsd['state'])}"
    for idx in tsd["state"]:
        assert_values_close(esd["state"][idx], tsd["state"][idx], f"state[{idx}]", rtol, atol)
    assert len(esd["param_groups"]) == len(tsd["param_groups"])
    for i, (eg, tg) in enumerate(zip(esd["param_groups"], tsd["param_groups"])):
        assert set(eg) == set(tg), f"group {i} keys: {sorted(set(eg) ^ set(tg))} differ"
        assert_values_close(eg, tg, f"param_groups[{i}]", rtol, atol)
