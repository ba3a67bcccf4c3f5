"""Learning-rate schedulers against PyTorch: the lr (and momentum) sequence over 100 steps,
state_dict keys and round trips, ``last_epoch`` resume, warnings and errors."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
from optim_parity import torch

import ember

STEPS = 100


def _opt(lib, kind="sgd"):
    """Two param groups (lr 0.1 and 0.05), like a backbone and a head."""
    a = lib.zeros(3, requires_grad=True)
    b = lib.zeros(2, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if kind == "sgd":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.Adagrad(groups, lr=0.1)


def _lambda(e):
    return 0.95**e


SCHEDULERS = {
    "LambdaLR": (lambda m, o: m.LambdaLR(o, lr_lambda=_lambda), "sgd"),
    "LambdaLR-per-group": (lambda m, o: m.LambdaLR(o, lr_lambda=[_lambda, lambda e: 1.0 / (1 + e)]), "sgd"),
    "MultiplicativeLR": (lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.97), "sgd"),
    "StepLR": (lambda m, o: m.StepLR(o, step_size=7, gamma=0.5), "sgd"),
    "StepLR-every-step": (lambda m, o: m.StepLR(o, step_size=1, gamma=0.9), "sgd"),
    "MultiStepLR-repeated-milestone": (lambda m, o: m.MultiStepLR(o, milestones=[10, 30, 30, 80], gamma=0.3), "sgd"),
    "ConstantLR": (lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=10), "sgd"),
    "ConstantLR-factor-1": (lambda m, o: m.ConstantLR(o, factor=1.0, total_iters=3), "sgd"),
    "LinearLR": (lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=20), "sgd"),
    "LinearLR-decay-to-zero": (lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=100), "sgd"),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.97), "sgd"),
    "PolynomialLR": (lambda m, o: m.PolynomialLR(o, total_iters=50, power=2.0), "sgd"),
    "PolynomialLR-sqrt": (lambda m, o: m.PolynomialLR(o, total_iters=100, power=0.5), "sgd"),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=30, eta_min=0.001), "sgd"),
    "CosineAnnealingLR-T1": (lambda m, o: m.CosineAnnealingLR(o, T_max=1), "sgd"),
    "CosineAnnealingWarmRestarts": (
        lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-4),
        "sgd",
    ),
    "CosineAnnealingWarmRestarts-T0-7": (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7), "sgd"),
    "CyclicLR-triangular": (lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10), "sgd"),
    "CyclicLR-triangular2": (
        lambda m, o: m.CyclicLR(
            o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=10, step_size_down=5, mode="triangular2"
        ),
        "sgd",
    ),
    "CyclicLR-exp_range-adam": (
        lambda m, o: m.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=8, mode="exp_range", gamma=0.99),
        "adam",
    ),
    "CyclicLR-no-momentum": (
        lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6, cycle_momentum=False),
        "adagrad",
    ),
    "CyclicLR-custom-scale": (
        lambda m, o: m.CyclicLR(
            o, base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=lambda x: 0.5**x, scale_mode="iterations"
        ),
        "sgd",
    ),
    "OneCycleLR-cos": (lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=120), "sgd"),
    "OneCycleLR-linear-adam": (
        lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=100, anneal_strategy="linear"),
        "adam",
    ),
    "OneCycleLR-three-phase": (
        lambda m, o: m.OneCycleLR(o, max_lr=0.1, epochs=10, steps_per_epoch=11, three_phase=True, pct_start=0.25),
        "sgd",
    ),
    "OneCycleLR-no-momentum": (
        lambda m, o: m.OneCycleLR(
            o, max_lr=0.1, total_steps=100, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0
        ),
        "adagrad",
    ),
    "SequentialLR": (
        lambda m, o: m.SequentialLR(
            o, [m.LinearLR(o, start_factor=0.1, total_iters=10), m.ExponentialLR(o, gamma=0.9)], milestones=[10]
        ),
        "sgd",
    ),
    "SequentialLR-three": (
        lambda m, o: m.SequentialLR(
            o,
            [
                m.ConstantLR(o, factor=0.2, total_iters=5),
                m.StepLR(o, step_size=5, gamma=0.7),
                m.CosineAnnealingLR(o, T_max=40),
            ],
            milestones=[5, 40],
        ),
        "sgd",
    ),
    "ChainedScheduler": (
        lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=5), m.ExponentialLR(o, gamma=0.95)]),
        "sgd",
    ),
    "ChainedScheduler-with-optimizer": (
        lambda m, o: m.ChainedScheduler(
            [m.LinearLR(o, start_factor=0.5, total_iters=4), m.MultiStepLR(o, milestones=[20, 60], gamma=0.5)],
            optimizer=o,
        ),
        "sgd",
    ),
}


def _assert_seq_close(got, want, rtol=1e-12, atol=1e-15, msg=""):
    """Nested lists of numbers (None allowed) equal to within rtol/atol."""

    def arr(x):
        return np.array([[np.nan if v is None else float(v) for v in row] for row in x], dtype=float)

    np.testing.assert_allclose(arr(got), arr(want), rtol=rtol, atol=atol, equal_nan=True, err_msg=msg)


def _momenta(opt):
    out = []
    for g in opt.param_groups:
        out.append(g["betas"][0] if "betas" in g else g.get("momentum"))
    return out


def _trace(lib, name, steps=STEPS, build=None):
    build, kind = SCHEDULERS[name] if build is None else (build, "sgd")
    opt = _opt(lib, kind)
    sched = build(lib.optim.lr_scheduler, opt)
    lrs, moms = [sched.get_last_lr()], [_momenta(opt)]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
        moms.append(_momenta(opt))
    return lrs, moms, opt, sched


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence_matches_torch(name):
    elrs, emoms, eopt, esched = _trace(ember, name)
    tlrs, tmoms, topt, tsched = _trace(torch, name)
    assert len(elrs) == len(tlrs)
    for i, (e, t) in enumerate(zip(elrs, tlrs)):
        assert e == pytest.approx(t, rel=1e-12, abs=1e-15), f"step {i}: {e} != {t}"
    _assert_seq_close(emoms, tmoms, msg="momentum / beta1")
    assert [g["lr"] for g in eopt.param_groups] == pytest.approx([g["lr"] for g in topt.param_groups], rel=1e-12)
    assert [g.get("initial_lr") for g in eopt.param_groups] == pytest.approx(
        [g.get("initial_lr") for g in topt.param_groups]
    )


def _comparable(v):
    return isinstance(v, (int, float, str, bool, type(None))) or (
        isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, str, bool, type(None))) for x in v)
    )


def _assert_same_state(esd, tsd, where="state_dict"):
    assert set(esd) == set(tsd), f"{where}: {sorted(set(esd) ^ set(tsd))}"
    for k, tv in tsd.items():
        ev = esd[k]
        if k == "milestones":
            assert dict(ev) == dict(tv), f"{where}.{k}"
        elif isinstance(tv, dict):
            _assert_same_state(ev, tv, f"{where}.{k}")
        elif isinstance(tv, list) and tv and isinstance(tv[0], dict):
            for i, (a, b) in enumerate(zip(ev, tv)):
                _assert_same_state(a, b, f"{where}.{k}[{i}]")
        elif _comparable(tv):
            numbers = tv if isinstance(tv, (list, tuple)) else [tv]
            if all(isinstance(x, float) and math.isfinite(x) for x in numbers):
                assert ev == pytest.approx(tv, rel=1e-12), f"{where}.{k}: {ev} != {tv}"
            else:
                assert ev == tv, f"{where}.{k}: {ev} != {tv}"


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_state_dict_has_torchs_keys_and_values(name):
    *_, esched = _trace(ember, name, steps=37)
    *_, tsched = _trace(torch, name, steps=37)
    _assert_same_state(esched.state_dict(), tsched.state_dict())


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_state_dict_round_trip_resumes_the_same_sequence(name):
    build, kind = SCHEDULERS[name]
    full, *_ = _trace(ember, name)

    opt = _opt(ember, kind)
    sched = build(ember.optim.lr_scheduler, opt)
    for _ in range(40):
        opt.step()
        sched.step()
    opt_sd = copy.deepcopy(opt.state_dict())
    sched_sd = copy.deepcopy(sched.state_dict())

    opt2 = _opt(ember, kind)
    sched2 = build(ember.optim.lr_scheduler, opt2)
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sched_sd)
    rest = []
    for _ in range(STEPS - 40):
        opt2.step()
        sched2.step()
        rest.append(list(sched2.get_last_lr()))
    _assert_seq_close(rest, full[41:])


RESUMABLE = {
    "StepLR": lambda m, o, le: m.StepLR(o, step_size=7, gamma=0.5, last_epoch=le),
    "MultiStepLR": lambda m, o, le: m.MultiStepLR(o, milestones=[30, 60], gamma=0.5, last_epoch=le),
    "ExponentialLR": lambda m, o, le: m.ExponentialLR(o, gamma=0.97, last_epoch=le),
    "LambdaLR": lambda m, o, le: m.LambdaLR(o, lr_lambda=_lambda, last_epoch=le),
    "CosineAnnealingLR": lambda m, o, le: m.CosineAnnealingLR(o, T_max=30, eta_min=0.001, last_epoch=le),
    "CosineAnnealingWarmRestarts": lambda m, o, le: m.CosineAnnealingWarmRestarts(o, T_0=10, last_epoch=le),
    "LinearLR": lambda m, o, le: m.LinearLR(o, start_factor=0.25, total_iters=50, last_epoch=le),
    "PolynomialLR": lambda m, o, le: m.PolynomialLR(o, total_iters=80, power=2.0, last_epoch=le),
    "OneCycleLR": lambda m, o, le: m.OneCycleLR(o, max_lr=0.1, total_steps=100, last_epoch=le),
    "CyclicLR": lambda m, o, le: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10, last_epoch=le),
}


def _resume_trace(lib, name, k=25, steps=50):
    """Run k steps, checkpoint the optimizer, rebuild optimizer + scheduler with last_epoch=k, continue."""
    build = RESUMABLE[name]
    opt = _opt(lib)
    sched = build(lib.optim.lr_scheduler, opt, -1)
    for _ in range(k):
        opt.step()
        sched.step()
    saved = opt.state_dict()
    opt2 = _opt(lib)
    opt2.load_state_dict(saved)
    sched2 = build(lib.optim.lr_scheduler, opt2, k)
    out = [list(sched2.get_last_lr())]
    for _ in range(steps):
        opt2.step()
        sched2.step()
        out.append(list(sched2.get_last_lr()))
    return out


@pytest.mark.parametrize("name", list(RESUMABLE))
def test_last_epoch_resume_matches_torch(name):
    e = _resume_trace(ember, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = _resume_trace(torch, name)
    _assert_seq_close(e, t)


def test_construction_sets_initial_lr_and_keeps_an_existing_one():
    opt = _opt(ember)
    ember.optim.lr_scheduler.StepLR(opt, step_size=3)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    opt.param_groups[0]["lr"] = 0.7
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert sched.base_lrs == [0.1, 0.05]


def test_resuming_without_initial_lr_is_a_key_error_with_torchs_message():
    with pytest.raises(KeyError) as got:
        ember.optim.lr_scheduler.StepLR(_opt(ember), step_size=3, last_epoch=5)
    with pytest.raises(KeyError) as want:
        torch.optim.lr_scheduler.StepLR(_opt(torch), step_size=3, last_epoch=5)
    assert str(got.value) == str(want.value)
    assert "param 'initial_lr' is not specified in param_groups[0]" in str(got.value)


def test_step_with_epoch_uses_the_closed_form_and_warns():
    results = []
    for lib in (ember, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        opt.step()
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
            sched.step(10)
        results.append(sched.get_last_lr())
    assert results[0] == pytest.approx(results[1]) == [0.1 * 0.5**3, 0.05 * 0.5**3]


def test_scheduler_step_before_optimizer_step_warns():
    opt = _opt(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=3)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = _opt(ember)
    sched2 = ember.optim.lr_scheduler.StepLR(opt2, step_size=3)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_calling_get_lr_directly_warns():
    sched = ember.optim.lr_scheduler.ExponentialLR(_opt(ember), gamma=0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_reduce_lr_on_plateau_modes_match_torch():
    metrics = (
        [1.0 - 0.02 * i for i in range(15)]
        + [0.7 + 0.001 * (i % 3) for i in range(40)]
        + [0.69 - 0.05 * i for i in range(5)]
        + [0.5] * 40
    )
    configs = [
        dict(),
        dict(mode="min", factor=0.5, patience=3, threshold=0.01, threshold_mode="abs", cooldown=2),
        dict(mode="max", factor=0.3, patience=2, threshold=0.05, threshold_mode="rel", min_lr=[0.02, 0.001]),
        dict(mode="max", patience=0, threshold_mode="abs", min_lr=0.01),
        dict(factor=0.9, patience=1, eps=0.01),
    ]
    for cfg in configs:
        traces = []
        for lib in (ember, torch):
            opt = _opt(lib)
            sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **cfg)
            seq = []
            for m in metrics:
                opt.step()
                sched.step(m)
                seq.append(list(sched.get_last_lr()))
            traces.append((seq, sched.state_dict()))
        _assert_seq_close(traces[0][0], traces[1][0], msg=str(cfg))
        _assert_same_state(traces[0][1], traces[1][1])


def test_reduce_lr_on_plateau_round_trip_and_tensor_metric():
    opt = _opt(ember)
    sched = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    for m in [1.0, 0.9, 0.95, 0.95, 0.95]:
        sched.step(ember.tensor(m))
    assert sched.get_last_lr() == [0.05, 0.025]
    sd = copy.deepcopy(sched.state_dict())
    opt2 = _opt(ember)
    opt2.load_state_dict(opt.state_dict())
    sched2 = ember.optim.lr_scheduler.ReduceLROnPlateau(opt2)
    sched2.load_state_dict(sd)
    for s in (sched, sched2):
        for m in [0.95, 0.95, 0.95]:
            s.step(m)
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.025, 0.0125]


def _err(fn_e, fn_t, exc=ValueError):
    with pytest.raises(exc) as got:
        fn_e()
    with pytest.raises(exc) as want:
        fn_t()
    assert str(got.value) == str(want.value)


ERRORS = {
    "ConstantLR-factor": lambda m, o: m.ConstantLR(o, factor=1.5),
    "LinearLR-start": lambda m, o: m.LinearLR(o, start_factor=0.0),
    "LinearLR-end": lambda m, o: m.LinearLR(o, end_factor=2.0),
    "CAWR-T0": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0),
    "CAWR-Tmult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0),
    "OneCycle-no-total": lambda m, o: m.OneCycleLR(o, max_lr=0.1),
    "OneCycle-total": lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=0),
    "OneCycle-pct": lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5),
    "OneCycle-anneal": lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="step"),
    "OneCycle-max_lr-list": lambda m, o: m.OneCycleLR(o, max_lr=[0.1], total_steps=10),
    "CyclicLR-mode": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, mode="sawtooth"),
    "Plateau-factor": lambda m, o: m.ReduceLROnPlateau(o, factor=1.0),
    "Plateau-mode": lambda m, o: m.ReduceLROnPlateau(o, mode="median"),
    "Plateau-threshold-mode": lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="pct"),
    "Plateau-min-lrs": lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]),
    "Sequential-milestones": lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.StepLR(o, 3)], milestones=[1, 2]),
    "Sequential-empty": lambda m, o: m.SequentialLR(o, [], milestones=[]),
    "Chained-empty": lambda m, o: m.ChainedScheduler([]),
    "Sequential-plateau": lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.ReduceLROnPlateau(o)], milestones=[3]),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_invalid_arguments_raise_torchs_errors(name):
    build = ERRORS[name]
    _err(lambda: build(ember.optim.lr_scheduler, _opt(ember)), lambda: build(torch.optim.lr_scheduler, _opt(torch)))


def test_cycle_momentum_needs_momentum_or_betas():
    _err(
        lambda: ember.optim.lr_scheduler.CyclicLR(_opt(ember, "adagrad"), base_lr=0.01, max_lr=0.1),
        lambda: torch.optim.lr_scheduler.CyclicLR(_opt(torch, "adagrad"), base_lr=0.01, max_lr=0.1),
    )


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = _opt(ember)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    for _ in range(5):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="^Tried to step 6 times. The specified number of total steps is 5$"):
        sched.step()


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="^list is not an Optimizer$"):
        ember.optim.lr_scheduler.StepLR([], step_size=3)
    assert issubclass(ember.optim.lr_scheduler._LRScheduler, ember.optim.lr_scheduler.LRScheduler)


def test_tensor_lr_is_updated_in_place():
    w = ember.zeros(2, requires_grad=True)
    lr = ember.tensor(0.1)
    opt = ember.optim.SGD([w], lr=lr)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.05)


def test_a_user_defined_scheduler_subclass_works_like_torch():
    def make(lib):
        class WarmupInverseSqrt(lib.optim.lr_scheduler.LRScheduler):
            def __init__(self, optimizer, warmup, last_epoch=-1):
                self.warmup = warmup
                super().__init__(optimizer, last_epoch)

            def get_lr(self):
                t = max(self.last_epoch, 1)
                scale = min(t / self.warmup, (self.warmup / t) ** 0.5)
                return [base * scale for base in self.base_lrs]

        opt = _opt(lib)
        sched = WarmupInverseSqrt(opt, warmup=10)
        seq = [sched.get_last_lr()]
        for _ in range(40):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
        return seq, sched.state_dict()

    (e, esd), (t, tsd) = make(ember), make(torch)
    _assert_seq_close(e, t)
    _assert_same_state(esd, tsd)
