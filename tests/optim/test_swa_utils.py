"""ember.optim.swa_utils against torch.optim.swa_utils: averaged weights, SWALR schedules, update_bn."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import ember
from ember.optim import swa_utils

torch = pytest.importorskip("torch")

from helpers import raises_like_torch  # noqa: E402

_raises_same = partial(raises_like_torch, same_message=True)


def _models(seed=0):
    """The same small Linear-BatchNorm-Linear model in both frameworks."""
    e = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4), ember.nn.ReLU(), ember.nn.Linear(4, 2))
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for (_name, ep), tp in zip(e.named_parameters(), t.parameters()):
            a = rng.normal(size=tuple(tp.shape)).astype(np.float32)
            ep.data = ember.tensor(a)
            tp.copy_(torch.tensor(a))
    return e, t


def _batches(n=4, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 2)).astype(np.float32)) for _ in range(n)]


def _close_state(esd, tsd, rtol=1e-5, atol=1e-6):
    assert list(esd.keys()) == list(tsd.keys())
    for k in tsd:
        np.testing.assert_allclose(esd[k].numpy(), tsd[k].numpy(), rtol=rtol, atol=atol, err_msg=k)
        assert str(esd[k].dtype).split(".")[-1] == str(tsd[k].dtype).split(".")[-1], k


@pytest.mark.parametrize("kind", ["swa", "ema", "ema_multi", "swa_multi", "custom"])
@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swa_training_trajectory_matches_torch(kind, use_buffers, strategy):
    if kind == "swa_multi" and use_buffers:
        pytest.skip("torch's swa_multi_avg_fn refuses BatchNorm's int64 counter (see test_integer_buffers_refused)")
    e, t = _models()
    fns = {
        "swa": ({}, {}),
        "ema": ({"avg_fn": swa_utils.get_ema_avg_fn(0.9)}, {"avg_fn": torch.optim.swa_utils.get_ema_avg_fn(0.9)}),
        "ema_multi": ({"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.8)},
                      {"multi_avg_fn": torch.optim.swa_utils.get_ema_multi_avg_fn(0.8)}),
        "swa_multi": ({"multi_avg_fn": swa_utils.get_swa_multi_avg_fn()},
                      {"multi_avg_fn": torch.optim.swa_utils.get_swa_multi_avg_fn()}),
        "custom": ({"avg_fn": lambda a, c, n: 0.5 * a + 0.5 * c}, {"avg_fn": lambda a, c, n: 0.5 * a + 0.5 * c}),
    }[kind]
    ea = swa_utils.AveragedModel(e, use_buffers=use_buffers, **fns[0])
    ta = torch.optim.swa_utils.AveragedModel(t, use_buffers=use_buffers, **fns[1])
    eo = ember.optim.SGD(e.parameters(), lr=0.1, momentum=0.5)
    to = torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.5)
    es = swa_utils.SWALR(eo, swa_lr=0.02, anneal_epochs=2, anneal_strategy=strategy)
    ts = torch.optim.swa_utils.SWALR(to, swa_lr=0.02, anneal_epochs=2, anneal_strategy=strategy)
    data = _batches()
    for _epoch in range(4):
        for x, y in data:
            for model, opt, lib in ((e, eo, ember), (t, to, torch)):
                opt.zero_grad()
                loss = ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
                loss.backward()
                opt.step()
        ea.update_parameters(e)
        ta.update_parameters(t)
        es.step()
        ts.step()
        assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)
        _close_state(ea.state_dict(), ta.state_dict(), rtol=1e-4, atol=1e-5)
    swa_utils.update_bn([ember.tensor(x) for x, _ in data], ea)
    torch.optim.swa_utils.update_bn([torch.tensor(x) for x, _ in data], ta)
    _close_state(ea.state_dict(), ta.state_dict(), rtol=1e-4, atol=1e-5)
    assert int(ea.n_averaged) == int(ta.n_averaged) == 4


def test_update_bn_tuples_restores_mode_and_momentum():
    e, t = _models()
    e.eval()
    t.eval()
    data = _batches(3)
    swa_utils.update_bn([(ember.tensor(x), ember.tensor(y)) for x, y in data], e)
    torch.optim.swa_utils.update_bn([[torch.tensor(x), torch.tensor(y)] for x, y in data], t)
    assert not e.training and not e[1].training
    assert e[1].momentum == t[1].momentum == 0.1
    _close_state(e.state_dict(), t.state_dict())


def test_update_bn_without_batchnorm_reads_nothing():
    def loader():
        raise AssertionError("the loader must not be read")
        yield

    swa_utils.update_bn(loader(), ember.nn.Linear(2, 2))


def test_swalr_schedule_and_state_dict_match_torch():
    for anneal_epochs in (0, 1, 3):
        ep = [ember.nn.Parameter(ember.zeros(2)), ember.nn.Parameter(ember.zeros(1))]
        tp = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(1))]
        eo = ember.optim.SGD([{"params": ep[:1]}, {"params": ep[1:], "lr": 0.3}], lr=1.0)
        to = torch.optim.SGD([{"params": tp[:1]}, {"params": tp[1:], "lr": 0.3}], lr=1.0)
        es = swa_utils.SWALR(eo, swa_lr=[0.1, 0.05], anneal_epochs=anneal_epochs)
        ts = torch.optim.swa_utils.SWALR(to, swa_lr=[0.1, 0.05], anneal_epochs=anneal_epochs)
        for _ in range(6):
            eo.step()
            to.step()
            es.step()
            ts.step()
            assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)
        assert [g["swa_lr"] for g in eo.param_groups] == [g["swa_lr"] for g in to.param_groups]
        assert sorted(es.state_dict()) == sorted(ts.state_dict())
        es2 = swa_utils.SWALR(eo, swa_lr=0.5, anneal_strategy="linear")
        es2.load_state_dict(es.state_dict())
        assert es2.anneal_func is es2._cosine_anneal


def test_errors_match_torch():
    eo = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=1.0)
    to = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    _raises_same(lambda: swa_utils.SWALR(eo, 0.1, anneal_strategy="exp"),
                 lambda: torch.optim.swa_utils.SWALR(to, 0.1, anneal_strategy="exp"))
    _raises_same(lambda: swa_utils.SWALR(eo, 0.1, anneal_epochs=-1),
                 lambda: torch.optim.swa_utils.SWALR(to, 0.1, anneal_epochs=-1))
    _raises_same(lambda: swa_utils.SWALR(eo, 0.1, anneal_epochs=1.5),
                 lambda: torch.optim.swa_utils.SWALR(to, 0.1, anneal_epochs=1.5))
    _raises_same(lambda: swa_utils.SWALR(eo, [0.1, 0.2]), lambda: torch.optim.swa_utils.SWALR(to, [0.1, 0.2]))
    _raises_same(lambda: swa_utils.get_ema_avg_fn(1.5), lambda: torch.optim.swa_utils.get_ema_avg_fn(1.5))
    _raises_same(lambda: swa_utils.get_ema_multi_avg_fn(-0.1), lambda: torch.optim.swa_utils.get_ema_multi_avg_fn(-0.1))
    f = swa_utils.get_swa_avg_fn()
    tf = torch.optim.swa_utils.get_swa_avg_fn()
    _raises_same(lambda: swa_utils.AveragedModel(ember.nn.Linear(1, 1), avg_fn=f, multi_avg_fn=f),
                 lambda: torch.optim.swa_utils.AveragedModel(torch.nn.Linear(1, 1), avg_fn=tf, multi_avg_fn=tf))


def test_integer_buffers_refused():
    # torch refuses an integer average in swa_multi_avg_fn (addcdiv / float alpha on a long tensor): so does ember
    for n in (1, None):
        with pytest.raises(RuntimeError):
            torch.optim.swa_utils.get_swa_multi_avg_fn()([torch.tensor([10])], [torch.tensor([20])],
                                                          torch.tensor(1) if n is None else n)
        with pytest.raises(RuntimeError):
            swa_utils.get_swa_multi_avg_fn()([ember.tensor([10])], [ember.tensor([20])],
                                             ember.tensor(1) if n is None else n)


def test_integer_ema_and_public_names():
    assert set(swa_utils.__all__) == set(torch.optim.swa_utils.__all__)
    e = ember.tensor([10, 20])
    swa_utils.get_ema_multi_avg_fn(0.5)([e], [ember.tensor([20, 41])], 1)
    t = torch.tensor([10, 20])
    torch.optim.swa_utils.get_ema_multi_avg_fn(0.5)([t], [torch.tensor([20, 41])], 1)
    assert e.tolist() == t.tolist()
