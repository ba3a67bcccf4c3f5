"""LBFGS against PyTorch on the Rosenbrock function (float64, tight), with and without the
strong-Wolfe line search, plus its state and its errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from optim_parity import assert_values_close, to_ember, torch

import ember

SHAPES = [(), (3,), (2, 3)]


def _rosenbrock(flat: np.ndarray):
    """f = Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)², and its gradient."""
    x0, x1 = flat[:-1], flat[1:]
    f = np.sum(100.0 * (x1 - x0**2) ** 2 + (1 - x0) ** 2)
    g = np.zeros_like(flat)
    g[:-1] = -400.0 * x0 * (x1 - x0**2) - 2 * (1 - x0)
    g[1:] += 200.0 * (x1 - x0**2)
    return f, g


def _convex(flat: np.ndarray):
    """f = Σ c x²/2 − cos(2x)/10 + x/10 with c in [0.5, 2]: strictly convex, well conditioned."""
    c = np.linspace(0.5, 2.0, flat.size)
    return np.sum(c * flat**2 / 2 - np.cos(2 * flat) / 10 + flat / 10), c * flat + 0.2 * np.sin(2 * flat) + 0.1


def _closure_for(params, numpy_of, set_grad, make_loss, objective=_rosenbrock):
    def closure():
        flat = np.concatenate([numpy_of(p).reshape(-1) for p in params])
        f, g = objective(flat)
        off = 0
        for p in params:
            n = numpy_of(p).size
            set_grad(p, g[off : off + n].reshape(numpy_of(p).shape).astype(numpy_of(p).dtype))
            off += n
        return make_loss(f)

    return closure


def _pair(dtype, objective=_rosenbrock):
    rng = np.random.default_rng(3)
    arrays = [rng.uniform(-1.2, 1.2, size=s).astype(dtype) for s in SHAPES]
    ep = [ember.tensor(a, requires_grad=True) for a in arrays]
    tp = [torch.tensor(a, requires_grad=True) for a in arrays]

    def eset(p, g):
        p.grad = ember.tensor(g)

    def tset(p, g):
        p.grad = torch.tensor(g)

    eclosure = _closure_for(ep, lambda p: p.detach().numpy(), eset, lambda f: ember.tensor(f), objective)
    tclosure = _closure_for(tp, lambda p: p.detach().numpy(), tset, lambda f: torch.tensor(f), objective)
    return ep, tp, eclosure, tclosure


def _compare_state(eopt, topt, rtol, atol):
    est, tst = eopt.state_dict()["state"], topt.state_dict()["state"]
    assert list(est) == list(tst) == [0]
    e, t = est[0], tst[0]
    assert set(e) == set(t)
    assert e["func_evals"] == t["func_evals"] and e["n_iter"] == t["n_iter"]
    for key in ("d", "prev_flat_grad", "old_dirs", "old_stps"):
        assert_values_close(e[key], t[key], key, rtol, atol)
    for key in ("t", "H_diag", "prev_loss"):
        assert float(e[key]) == pytest.approx(float(t[key]), rel=rtol, abs=atol), key
    assert [float(v) for v in e["ro"]] == pytest.approx([float(v) for v in t["ro"]], rel=rtol, abs=atol)


CONFIGS = [
    dict(),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.5, history_size=3, max_iter=7),
    dict(line_search_fn="strong_wolfe", history_size=2, max_iter=10, max_eval=12),
    dict(tolerance_grad=1e-3, tolerance_change=1e-6, line_search_fn="strong_wolfe"),
]


# Rosenbrock is ill-conditioned: even torch against itself, one ulp apart, drifts ~1e-4 per 20
# iterations after the first 20 (L-BFGS amplifies rounding there), so it is compared over one
# step() of up to 20 iterations; the convex objective is compared over several steps.
@pytest.mark.parametrize("kw", CONFIGS, ids=[str(k) for k in CONFIGS])
@pytest.mark.parametrize("objective,steps", [(_rosenbrock, 1), (_convex, 4)], ids=["rosenbrock", "convex"])
def test_lbfgs_matches_torch_in_float64(kw, objective, steps):
    ep, tp, ec, tc = _pair(np.float64, objective)
    eopt = ember.optim.LBFGS(ep, **kw)
    topt = torch.optim.LBFGS(tp, **kw)
    for _ in range(steps):
        eloss = eopt.step(ec)
        tloss = topt.step(tc)
        assert float(eloss) == pytest.approx(float(tloss), rel=1e-10, abs=1e-12)
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-11)
    _compare_state(eopt, topt, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("kw", [dict(), dict(line_search_fn="strong_wolfe")], ids=["fixed", "strong_wolfe"])
def test_lbfgs_float32_keeps_float32_and_tracks_torch(kw):
    ep, tp, ec, tc = _pair(np.float32)
    eopt = ember.optim.LBFGS(ep, max_iter=5, **kw)
    topt = torch.optim.LBFGS(tp, max_iter=5, **kw)
    eopt.step(ec)
    topt.step(tc)
    for e, t in zip(ep, tp):
        assert e.dtype == ember.float32
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-5)
    st = eopt.state[ep[0]]
    assert st["d"].dtype == ember.float32 and st["prev_flat_grad"].dtype == ember.float32


def test_lbfgs_converges_on_rosenbrock_with_line_search():
    ep, _, ec, _ = _pair(np.float64)
    opt = ember.optim.LBFGS(ep, line_search_fn="strong_wolfe", max_iter=100)
    for _ in range(5):
        opt.step(ec)
    flat = np.concatenate([p.detach().numpy().reshape(-1) for p in ep])
    np.testing.assert_allclose(flat, np.ones_like(flat), atol=1e-6)


def test_lbfgs_resumes_from_a_torch_state_dict():
    ep, tp, ec, tc = _pair(np.float64)
    topt = torch.optim.LBFGS(tp, history_size=5, max_iter=6)
    topt.step(tc)
    for e, t in zip(ep, tp):
        e.data = ember.tensor(t.detach().numpy().copy())
    eopt = ember.optim.LBFGS(ep, history_size=5, max_iter=6)
    eopt.load_state_dict(to_ember(topt.state_dict()))
    for _ in range(2):
        eopt.step(ec)
        topt.step(tc)
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-8, atol=1e-10)


def test_lbfgs_state_dict_round_trip_continues_identically():
    ep, _, ec, _ = _pair(np.float64)
    opt = ember.optim.LBFGS(ep, history_size=4, max_iter=5)
    opt.step(ec)
    saved = copy.deepcopy(opt.state_dict())
    snapshot = [p.detach().numpy().copy() for p in ep]
    opt.step(ec)
    resumed = [ember.tensor(a, requires_grad=True) for a in snapshot]

    def eset(p, g):
        p.grad = ember.tensor(g)

    rc = _closure_for(resumed, lambda p: p.detach().numpy(), eset, lambda f: ember.tensor(f))
    opt2 = ember.optim.LBFGS(resumed, history_size=4, max_iter=5)
    opt2.load_state_dict(saved)
    opt2.step(rc)
    for a, b in zip(resumed, ep):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_lbfgs_stops_at_once_when_the_gradient_is_zero():
    w = ember.ones(3, requires_grad=True)
    opt = ember.optim.LBFGS([w])

    def closure():
        w.grad = ember.zeros(3)
        return ember.tensor(0.0)

    assert opt.step(closure).item() == 0.0
    assert opt.state[w]["func_evals"] == 1 and "d" not in opt.state[w]


def test_lbfgs_errors():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match="^LBFGS doesn't support per-parameter options \\(parameter groups\\)$"):
        ember.optim.LBFGS([{"params": [w]}, {"params": [ember.ones(1, requires_grad=True)]}])
    with pytest.raises(RuntimeError, match="needs a closure"):
        ember.optim.LBFGS([w]).step()
    opt = ember.optim.LBFGS([w], line_search_fn="armijo")

    def closure():
        w.grad = ember.ones(3)
        return ember.tensor(1.0)

    with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported$"):
        opt.step(closure)


def test_lbfgs_with_ember_autograd_closure():
    target = ember.tensor([1.0, -2.0, 3.0], dtype=ember.float64)
    w = ember.zeros(3, dtype=ember.float64, requires_grad=True)
    opt = ember.optim.LBFGS([w], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((w - target) * (w - target)).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        opt.step(closure)
    np.testing.assert_allclose(w.detach().numpy(), [1.0, -2.0, 3.0], atol=1e-8)
