"""float32 parameters are updated in float32 throughout: no float64 array or NumPy float64
scalar reaches any NumPy call inside ``step`` (Python floats are fine: NumPy 2 treats them as weak).

The optimizers compute with ``array_module(...)`` of their arrays, so the test routes NumPy arrays
to a recording stand-in for NumPy through the seam (``ember._backend``)."""

from __future__ import annotations

import numpy as np
import pytest
from optim_parity import coefficients, grad_of, initial_arrays

import ember
from ember import _backend

WRAPPED = {"empty_like", "zeros_like", "full_like", "concatenate", "copyto", "clip", "array", "maximum", "sign"}


class _NumpySpy:
    """Stands in for ``numpy`` as the array module of NumPy arrays and records the dtype of every array argument and result."""

    def __init__(self, seen: set):
        self._seen = seen

    def _note(self, x):
        if isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "fc":
            self._seen.add(x.dtype.name)

    def __getattr__(self, name):
        attr = getattr(np, name)
        if not (isinstance(attr, np.ufunc) or name in WRAPPED):
            return attr

        def spy(*args, **kwargs):
            for a in (*args, *kwargs.values()):
                self._note(a)
            out = attr(*args, **kwargs)
            self._note(out)
            return out

        return spy


def _spy_on_numpy(monkeypatch) -> set:
    seen: set = set()
    monkeypatch.setitem(_backend._MODULES, np.ndarray, _NumpySpy(seen))
    monkeypatch.setattr(_backend, "_only_numpy", False)
    return seen


CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2)),
    ("Adam", dict(lr=np.float64(0.01), amsgrad=True, weight_decay=0.1, eps=np.float64(1e-8))),
    ("AdamW", dict(lr=0.01, betas=(0.8, 0.9), maximize=True)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, alpha=np.float64(0.9))),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("Adadelta", dict(weight_decay=0.1)),
    ("ASGD", dict(lr=0.01, t0=1, weight_decay=0.1)),
    ("Rprop", dict(lr=0.01, maximize=True)),
]


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_step_never_touches_float64_for_float32_params(name, kw, monkeypatch):
    seen = _spy_on_numpy(monkeypatch)
    params = [ember.tensor(a, requires_grad=True) for a in initial_arrays()]
    opt = getattr(ember.optim, name)(params, **kw)
    for _ in range(12):
        for p, c in zip(params, coefficients()):
            p.grad = ember.tensor(grad_of(p.detach().numpy(), c))
        opt.step()
    assert seen == {"float32"}


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_float32_stays_float32(line_search_fn, monkeypatch):
    seen = _spy_on_numpy(monkeypatch)
    params = [ember.tensor(a, requires_grad=True) for a in initial_arrays()]
    coefs = coefficients()
    opt = ember.optim.LBFGS(params, max_iter=8, line_search_fn=line_search_fn)

    def closure():
        for p, c in zip(params, coefs):
            p.grad = ember.tensor(grad_of(p.detach().numpy(), c))
        return sum(float((c * p.detach().numpy() ** 2).sum()) for p, c in zip(params, coefs))

    opt.step(closure)
    assert seen == {"float32"}


def test_the_spy_sees_the_optimizer_compute(monkeypatch):
    seen = _spy_on_numpy(monkeypatch)
    p = ember.tensor(np.ones(3), requires_grad=True)  # float64: the spy must report it
    p.grad = ember.tensor(np.ones(3))
    ember.optim.Adam([p]).step()
    assert "float64" in seen
