"""End to end: the same PyTorch training loop (model, loss, optimizer, scheduler) run with
``import ember as torch`` and with torch gives the same weights."""

from __future__ import annotations

import numpy as np
import pytest
from optim_parity import torch

import ember


def _train(lib, state, x, y, opt_name, opt_kw, steps=25):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    opt = getattr(lib.optim, opt_name)(model.parameters(), **opt_kw)
    sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    xs, ys = lib.tensor(x), lib.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xs), ys)
        loss.backward()
        opt.step()
        sched.step()
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}, loss.item()


@pytest.mark.parametrize(
    "opt_name,opt_kw",
    [
        ("SGD", dict(lr=0.2, momentum=0.9, nesterov=True)),
        ("AdamW", dict(lr=0.01)),
        ("RMSprop", dict(lr=0.005, centered=True)),
    ],
)
def test_mlp_training_loop_matches_torch(opt_name, opt_kw):
    if not hasattr(ember, "nn") or not hasattr(ember.nn, "Sequential"):
        pytest.skip("ember.nn not available")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=32)
    ref = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    state = {k: v.detach().numpy().copy() for k, v in ref.state_dict().items()}
    ew, eloss = _train(ember, state, x, y, opt_name, opt_kw)
    tw, tloss = _train(torch, state, x, y, opt_name, opt_kw)
    assert eloss == pytest.approx(tloss, rel=1e-4)
    for k in tw:
        np.testing.assert_allclose(ew[k], tw[k], rtol=1e-4, atol=1e-5, err_msg=k)
