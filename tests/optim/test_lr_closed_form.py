"""``scheduler.step(epoch)`` takes each factor schedule's closed form: the same lrs as torch, exactly."""

import warnings

import pytest

import ember

torch = pytest.importorskip("torch")

SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.3)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.7)),
    ("ConstantLR", dict(factor=0.4, total_iters=4)),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=7)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("PolynomialLR", dict(total_iters=6, power=1.7)),
]


def _lrs(lib, name, kwargs, epochs):
    w = lib.zeros(2, requires_grad=True)
    opt = lib.optim.SGD([{"params": [w]}, {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.03}], lr=0.1)
    sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in epochs:
            opt.step()
            sched.step(epoch)
            out.append(sched.get_last_lr())
    return out


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_closed_form_matches_torch(name, kwargs):
    epochs = [4, 1, 9, 5, 0, 12, 7, 7, 3]
    got = _lrs(ember, name, kwargs, epochs)
    want = _lrs(torch, name, kwargs, epochs)
    assert got == want
    assert len({tuple(r) for r in got}) > 1  # the schedule really moved
