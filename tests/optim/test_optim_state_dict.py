"""state_dict / load_state_dict: PyTorch's layout, resuming mid-training, checkpoints from PyTorch."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from optim_parity import (
    assert_params_close,
    assert_state_dicts_close,
    coefficients,
    grad_of,
    make_pair,
    run_steps,
    to_ember,
    to_torch,
    torch,
)

import ember

OPTIMIZERS = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adadelta", dict(lr=0.5)),
    ("ASGD", dict(lr=0.05, t0=5)),
    ("Rprop", dict(lr=0.01)),
]
IDS = [name for name, _ in OPTIMIZERS]


def _ember_params(arrays):
    return [ember.tensor(a, requires_grad=True) for a in arrays]


def _ember_steps(opt, params, coefs, steps):
    for _ in range(steps):
        for p, c in zip(params, coefs):
            p.grad = ember.tensor(grad_of(p.detach().numpy(), c))
        opt.step()


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=IDS)
def test_resume_from_state_dict_gives_the_uninterrupted_trajectory(name, kw):
    coefs = coefficients()
    cls = getattr(ember.optim, name)
    ep, _ = make_pair()
    opt = cls([{"params": ep[:1]}, {"params": ep[1:], "lr": kw["lr"] / 2}], **kw)
    _ember_steps(opt, ep, coefs, 20)
    saved = copy.deepcopy(opt.state_dict())
    snapshot = [p.detach().numpy().copy() for p in ep]
    _ember_steps(opt, ep, coefs, 30)

    resumed = _ember_params(snapshot)
    opt2 = cls([{"params": resumed[:1]}, {"params": resumed[1:]}], **kw)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == kw["lr"] / 2  # hyper-parameters come from the checkpoint
    _ember_steps(opt2, resumed, coefs, 30)
    for a, b in zip(resumed, ep):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=IDS)
def test_loading_a_torch_state_dict_continues_like_torch(name, kw):
    coefs = coefficients()
    ep, tp = make_pair()
    topt = getattr(torch.optim, name)(tp, **kw)
    for _ in range(20):
        for t, c in zip(tp, coefs):
            t.grad = torch.tensor(grad_of(t.detach().numpy(), c))
        topt.step()
    for e, t in zip(ep, tp):
        e.data = ember.tensor(t.detach().numpy().copy())
    eopt = getattr(ember.optim, name)(ep, lr=123.0)  # everything else comes from the checkpoint
    eopt.load_state_dict(to_ember(topt.state_dict()))
    assert_state_dicts_close(eopt.state_dict(), topt.state_dict(), rtol=0, atol=0)
    run_steps(eopt, topt, ep, tp, coefs, 30)
    assert_params_close(ep, tp)
    assert_state_dicts_close(eopt.state_dict(), topt.state_dict())


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=IDS)
def test_torch_loads_an_ember_state_dict_and_continues_alike(name, kw):
    coefs = coefficients()
    ep, tp = make_pair()
    eopt = getattr(ember.optim, name)(ep, **kw)
    for _ in range(20):
        for e, c in zip(ep, coefs):
            e.grad = ember.tensor(grad_of(e.detach().numpy(), c))
        eopt.step()
    with torch.no_grad():
        for e, t in zip(ep, tp):
            t.copy_(torch.tensor(e.detach().numpy()))
    topt = getattr(torch.optim, name)(tp, lr=123.0)
    topt.load_state_dict(to_torch(eopt.state_dict()))
    run_steps(eopt, topt, ep, tp, coefs, 30)
    assert_params_close(ep, tp)


def test_state_dict_layout_matches_torch_for_groups_and_indices():
    ep, tp = make_pair()
    eopt = ember.optim.SGD([{"params": [ep[2], ep[0]]}, {"params": [ep[1]], "lr": 0.5}], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([{"params": [tp[2], tp[0]]}, {"params": [tp[1]], "lr": 0.5}], lr=0.1, momentum=0.9)
    run_steps(eopt, topt, ep, tp, coefficients(), 2)
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert [g["params"] for g in esd["param_groups"]] == [[0, 1], [2]]
    assert list(esd["state"]) == list(tsd["state"])
    assert_state_dicts_close(esd, tsd)


def test_sgd_without_momentum_keeps_no_state_like_torch():
    ep, tp = make_pair()
    eopt, topt = ember.optim.SGD(ep, lr=0.1), torch.optim.SGD(tp, lr=0.1)
    run_steps(eopt, topt, ep, tp, coefficients(), 3)
    assert eopt.state_dict()["state"] == {} == topt.state_dict()["state"]


def test_state_dict_returns_live_references_like_torch():
    (w,), _ = make_pair(shapes=[(3,)])
    opt = ember.optim.Adam([w], lr=0.1)
    w.grad = ember.ones(3)
    opt.step()
    sd = opt.state_dict()
    opt.step()
    assert sd["state"][0]["step"].item() == 2.0


def test_load_state_dict_copies_instead_of_aliasing():
    coefs = coefficients(shapes=[(3,)])
    (w,), _ = make_pair(shapes=[(3,)])
    opt = ember.optim.Adam([w], lr=0.1)
    _ember_steps(opt, [w], coefs, 3)
    sd = copy.deepcopy(opt.state_dict())
    before = sd["state"][0]["exp_avg"].detach().numpy().copy()
    opt2 = ember.optim.Adam([w], lr=0.1)
    opt2.load_state_dict(sd)
    _ember_steps(opt2, [w], coefs, 3)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"].detach().numpy(), before)
    assert sd["state"][0]["step"].item() == 3.0


def test_load_state_dict_casts_state_to_the_param_dtype_but_keeps_step():
    w = ember.zeros(3, dtype=ember.float64, requires_grad=True)
    opt = ember.optim.Adam([w])
    sd = {
        "state": {0: {"step": ember.tensor(4.0), "exp_avg": ember.ones(3), "exp_avg_sq": ember.ones(3)}},
        "param_groups": [dict(opt.state_dict()["param_groups"][0])],
    }
    opt.load_state_dict(sd)
    st = opt.state[w]
    assert st["exp_avg"].dtype == ember.float64 and st["exp_avg_sq"].dtype == ember.float64
    assert st["step"].dtype == ember.float32 and st["step"].item() == 4.0


def test_load_state_dict_accepts_a_plain_number_step_from_old_checkpoints():
    w = ember.zeros(3, requires_grad=True)
    opt = ember.optim.Adam([w], lr=0.1)
    sd = {
        "state": {0: {"step": 7, "exp_avg": ember.zeros(3), "exp_avg_sq": ember.zeros(3)}},
        "param_groups": [dict(opt.state_dict()["param_groups"][0])],
    }
    opt.load_state_dict(sd)
    w.grad = ember.ones(3)
    opt.step()
    assert isinstance(opt.state[w]["step"], ember.Tensor) and opt.state[w]["step"].item() == 8.0


def test_load_state_dict_rejects_mismatched_groups_with_torch_messages():
    ep, tp = make_pair()
    sd = ember.optim.SGD(ep, lr=0.1).state_dict()
    two = ember.optim.SGD([{"params": ep[:1]}, {"params": ep[1:]}], lr=0.1)
    with pytest.raises(ValueError, match="^loaded state dict has a different number of parameter groups$"):
        two.load_state_dict(sd)
    fewer = ember.optim.SGD(ep[:2], lr=0.1)
    with pytest.raises(
        ValueError,
        match="^loaded state dict contains a parameter group that doesn't match the size of optimizer's group$",
    ):
        fewer.load_state_dict(sd)
    # the same messages as torch's
    tsd = torch.optim.SGD(tp, lr=0.1).state_dict()
    with pytest.raises(ValueError, match="that doesn't match the size of optimizer's group"):
        torch.optim.SGD(tp[:2], lr=0.1).load_state_dict(tsd)


def test_load_state_dict_hooks_and_state_dict_hooks_run():
    (w,), _ = make_pair(shapes=[(2,)])
    opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("sd_pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load_pre"))
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load_post"))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert calls == ["sd_pre", "load_pre", "load_post"]


def test_optimizer_pickles_with_its_state():
    coefs = coefficients(shapes=[(3,)])
    (w,), _ = make_pair(shapes=[(3,)])
    opt = ember.optim.Adam([w], lr=0.1)
    _ember_steps(opt, [w], coefs, 2)
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    (st,) = clone.state.values()
    np.testing.assert_array_equal(st["exp_avg"].detach().numpy(), opt.state[w]["exp_avg"].detach().numpy())
    clone.register_step_pre_hook(lambda *a: None)  # hooks dicts restored


def test_a_checkpoint_saved_by_torch_loads_with_ember_load_and_resumes(tmp_path):
    coefs = coefficients()
    ep, tp = make_pair()
    topt = torch.optim.AdamW(tp, lr=0.05, amsgrad=True)
    # (MultiStepLR's state holds a collections.Counter, which ember.load refuses to unpickle: see below)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=7, gamma=0.5)
    for _ in range(10):
        for t, c in zip(tp, coefs):
            t.grad = torch.tensor(grad_of(t.detach().numpy(), c))
        topt.step()
        tsched.step()
    path = tmp_path / "ckpt.pt"
    torch.save({"optimizer": topt.state_dict(), "scheduler": tsched.state_dict()}, path)

    ckpt = ember.load(str(path))
    for e, t in zip(ep, tp):
        e.data = ember.tensor(t.detach().numpy().copy())
    eopt = ember.optim.AdamW(ep, lr=0.05, amsgrad=True)
    esched = ember.optim.lr_scheduler.StepLR(eopt, step_size=7, gamma=0.5)
    eopt.load_state_dict(ckpt["optimizer"])
    esched.load_state_dict(ckpt["scheduler"])
    for _ in range(20):
        for e, t, c in zip(ep, tp, coefs):
            e.grad = ember.tensor(grad_of(e.detach().numpy(), c))
            t.grad = torch.tensor(grad_of(t.detach().numpy(), c))
        eopt.step()
        topt.step()
        esched.step()
        tsched.step()
        assert esched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
    assert_params_close(ep, tp)


def test_multisteplr_state_with_milestones_as_a_plain_dict_still_works():
    opt = ember.optim.SGD([ember.zeros(2, requires_grad=True)], lr=0.1)
    sched = ember.optim.lr_scheduler.MultiStepLR(opt, milestones=[5, 25, 25], gamma=0.5)
    sd = copy.deepcopy(sched.state_dict())
    sd["milestones"] = dict(sd["milestones"])  # what a Counter becomes in formats without Counter
    sched2 = ember.optim.lr_scheduler.MultiStepLR(opt, milestones=[1], gamma=0.5)
    sched2.load_state_dict(sd)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched2.step(30)  # the closed form walks the milestones' multiset
    assert sched2.get_last_lr() == pytest.approx([0.1 * 0.5**3])


def test_ember_save_round_trips_an_optimizer_checkpoint(tmp_path):
    coefs = coefficients()
    ep, _ = make_pair()
    opt = ember.optim.RMSprop(ep, lr=0.01, momentum=0.9, centered=True)
    _ember_steps(opt, ep, coefs, 5)
    ember.save(opt.state_dict(), str(tmp_path / "opt.pt"))
    snapshot = [p.detach().numpy().copy() for p in ep]
    _ember_steps(opt, ep, coefs, 5)
    resumed = _ember_params(snapshot)
    opt2 = ember.optim.RMSprop(resumed, lr=0.01, momentum=0.9, centered=True)
    opt2.load_state_dict(ember.load(str(tmp_path / "opt.pt")))
    _ember_steps(opt2, resumed, coefs, 5)
    for a, b in zip(resumed, ep):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
