"""Optimizer base-class behaviour: construction errors (with PyTorch's messages), zero_grad,
closures, hooks, SparseAdam's refusal."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from optim_parity import torch

import ember
from ember.optim.optimizer import required

NAMES = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta", "ASGD", "Rprop", "LBFGS"]


def _same_error(fn_ember, fn_torch, exc=ValueError):
    with pytest.raises(exc) as got:
        fn_ember()
    with pytest.raises(exc) as want:
        fn_torch()
    assert str(got.value) == str(want.value)
    return str(got.value)


BAD_HYPERPARAMETERS = [
    ("SGD", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (
        "SGD",
        dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
        "Nesterov momentum requires a momentum and zero dampening",
    ),
    ("Adam", dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    ("Adam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("Adam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("Adam", dict(betas=(0, 0.99)), "betas must be either both floats or both Tensors"),
    ("AdamW", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    ("Adamax", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("NAdam", dict(momentum_decay=-0.1), "Invalid momentum_decay value: -0.1"),
    ("RAdam", dict(weight_decay=-2.0), "Invalid weight_decay value: -2.0"),
    ("RMSprop", dict(alpha=-0.9), "Invalid alpha value: -0.9"),
    ("RMSprop", dict(momentum=-0.9), "Invalid momentum value: -0.9"),
    ("Adagrad", dict(lr_decay=-0.1), "Invalid lr_decay value: -0.1"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "Invalid initial_accumulator_value value: -1.0"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("ASGD", dict(weight_decay=-0.5), "Invalid weight_decay value: -0.5"),
    ("Rprop", dict(etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    ("Rprop", dict(etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
    ("LBFGS", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    # every optimizer's every check, and the order torch checks them in when several values are bad
    ("SGD", dict(lr=-1.0, momentum=-1.0), "Invalid learning rate: -1.0"),
    ("SGD", dict(lr=0.1, momentum=-1.0, weight_decay=-1.0), "Invalid momentum value: -1.0"),
    ("Adam", dict(eps=-1.0, betas=(1.0, 0.9)), "Invalid epsilon value: -1.0"),
    ("Adam", dict(betas=(0.9, 1.0), weight_decay=-1.0), "Invalid beta parameter at index 1: 1.0"),
    ("AdamW", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("AdamW", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("AdamW", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("Adamax", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adamax", dict(betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
    ("Adamax", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("NAdam", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("NAdam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("NAdam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", dict(weight_decay=-1.0, momentum_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("RAdam", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("RAdam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("RAdam", dict(betas=(1.5, 0.9)), "Invalid beta parameter at index 0: 1.5"),
    ("RMSprop", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("RMSprop", dict(eps=-1.0, momentum=-1.0), "Invalid epsilon value: -1.0"),
    ("RMSprop", dict(weight_decay=-1.0, alpha=-1.0), "Invalid weight_decay value: -1.0"),
    ("Adagrad", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adagrad", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("Adagrad", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adadelta", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adadelta", dict(rho=-0.1), "Invalid rho value: -0.1"),
    ("Adadelta", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adadelta", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("ASGD", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Rprop", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Rprop", dict(etas=(0.0, 1.2)), "Invalid eta values: 0.0, 1.2"),
]


@pytest.mark.parametrize(
    "name,kw,message",
    BAD_HYPERPARAMETERS,
    ids=[f"{n}-{'-'.join(kw)}-{i}" for i, (n, kw, _) in enumerate(BAD_HYPERPARAMETERS)],
)
def test_invalid_hyperparameters_raise_torchs_message(name, kw, message):
    got = _same_error(
        lambda: getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)], **kw),
        lambda: getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw),
    )
    assert got == message


TENSOR_HYPERPARAMETERS = [
    ("SGD", lambda lib: dict(lr=lib.tensor([0.1, 0.2]))),
    ("RMSprop", lambda lib: dict(lr=lib.tensor([0.1, 0.2]))),
    ("Adam", lambda lib: dict(lr=lib.tensor([0.1, 0.2]))),
    ("Adam", lambda lib: dict(lr=lib.tensor(0.1), foreach=True)),
    ("AdamW", lambda lib: dict(lr=lib.tensor(0.1), foreach=True)),
    ("Adam", lambda lib: dict(betas=(lib.tensor(0.9), lib.tensor(0.99)), foreach=True)),
    ("Adam", lambda lib: dict(betas=(lib.tensor(0.9), lib.tensor([0.99, 0.9])))),
    ("Adam", lambda lib: dict(betas=(lib.tensor(0.9), 0.99))),
    ("LBFGS", lambda lib: dict(lr=lib.tensor([1.0, 2.0]))),
]


@pytest.mark.parametrize("name,kw", TENSOR_HYPERPARAMETERS, ids=[n for n, _ in TENSOR_HYPERPARAMETERS])
def test_tensor_hyperparameters_are_checked_like_torch(name, kw):
    with pytest.raises(Exception) as want:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw(torch))
    with pytest.raises(want.type) as got:
        getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)], **kw(ember))
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_a_nan_momentum_or_decay_passes_or_fails_as_in_torch(name):
    # torch's SGD tests ``x < 0`` (NaN passes); the others test ``not 0 <= x`` (NaN fails)
    kw = dict(weight_decay=float("nan"))
    try:
        torch.optim.__dict__[name]([torch.zeros(2, requires_grad=True)], **kw)
    except ValueError:
        _same_error(
            lambda: getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)], **kw),
            lambda: getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw),
        )
    else:
        assert name == "SGD"
        getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)], **kw)


@pytest.mark.parametrize("name", NAMES)
def test_empty_parameter_list_is_an_error(name):
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        getattr(ember.optim, name)([])
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        getattr(ember.optim, name)(iter(()))


def test_a_parameter_in_two_groups_is_an_error():
    w = ember.zeros(2, requires_grad=True)
    b = ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="^some parameters appear in more than one parameter group$"):
        ember.optim.SGD([{"params": [w, b]}, {"params": [w]}], lr=0.1)
    opt = ember.optim.Adam([w])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": w})


def test_non_leaf_and_non_tensor_params_are_rejected():
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        ember.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(
        TypeError, match="^optimizer can only optimize Tensors, but one of the params is numpy.ndarray$"
    ):
        ember.optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(
        TypeError, match="params argument given to the optimizer should be an iterable of Tensors or dicts"
    ):
        ember.optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        ember.optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict"):
        ember.optim.SGD([w], lr=0.1).add_param_group([w])


def test_duplicate_parameters_in_a_group_warn_like_torch():
    w = ember.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([w, w], lr=0.1)


def test_required_hyperparameter_must_be_given_per_group():
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(
        ValueError, match="parameter group didn't specify a value of required optimization parameter lr"
    ):
        ember.optim.Optimizer([w], {"lr": required})
    assert ember.optim.Optimizer([{"params": [w], "lr": 0.5}], {"lr": required}).param_groups[0]["lr"] == 0.5
    with pytest.raises(NotImplementedError):
        ember.optim.Optimizer([w], {"lr": 0.1}).step()


def test_named_parameters_are_accepted_and_keep_their_names():
    w = ember.zeros(2, requires_grad=True)
    b = ember.zeros(1, requires_grad=True)
    opt = ember.optim.SGD([("w", w), ("b", b)], lr=0.1)
    assert opt.param_groups[0]["params"] == [w, b] or opt.param_groups[0]["params"][0] is w
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    with pytest.raises(ValueError, match="all optimizer param groups should be with/without names"):
        opt.add_param_group({"params": [ember.zeros(1, requires_grad=True)]})


def test_zero_grad_sets_none_by_default_and_zeros_in_place_otherwise():
    w = ember.zeros(3, requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g and np.all(g.detach().numpy() == 0)
    opt.zero_grad()
    assert w.grad is None
    opt.zero_grad()  # nothing to do: no error


def test_step_returns_the_closure_loss_and_runs_it_with_grad_enabled():
    w = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1)
    seen = []

    def closure():
        seen.append(ember.is_grad_enabled())
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.detach().numpy(), [0.8, -1.6], rtol=1e-6)
    assert opt.step() is None


def test_step_hooks_run_and_can_be_removed():
    w = ember.zeros(2, requires_grad=True)
    opt = ember.optim.Adam([w], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt)))
    g = ember.optim.register_optimizer_step_post_hook(lambda o, args, kwargs: calls.append(("global", True)))
    try:
        w.grad = ember.ones(2)
        opt.step()
    finally:
        g.remove()
    assert calls == [("pre", True), ("post", True), ("global", True)]
    h1.remove()
    h2.remove()
    opt.step()
    assert len(calls) == 3


def test_a_pre_hook_may_replace_the_step_arguments():
    w = ember.tensor([1.0], requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    opt.register_step_pre_hook(lambda o, args, kwargs: ((closure,), {}))
    loss = opt.step()
    assert loss.item() == 1.0 and w.item() == 0.0


def test_updates_are_in_place_on_the_parameter_arrays():
    w = ember.ones(4, requires_grad=True)
    data = w._data
    opt = ember.optim.AdamW([w], lr=0.1)
    w.grad = ember.ones(4)
    version = w._version_value
    opt.step()
    assert w._data is data and w._version_value > version and w.requires_grad and w.grad_fn is None


def test_repr_lists_each_group_like_torch():
    w = ember.zeros(2, requires_grad=True)
    text = repr(ember.optim.SGD([w], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    momentum: 0.9\n" in text and text.endswith(")")
    assert text == repr(torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9))


def test_sparse_adam_explains_that_it_is_unsupported():
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="sparse gradients.*Use ember.optim.Adam or ember.optim.AdamW"):
        ember.optim.SparseAdam([w], lr=0.1)


def test_every_torch_optimizer_name_exists():
    for name in NAMES + ["SparseAdam", "Optimizer"]:
        assert hasattr(ember.optim, name), name


def test_differentiable_true_is_refused_with_a_reason():
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="differentiable=True.*in place"):
        ember.optim.Adam([w], differentiable=True)
    ember.optim.Adam([w], differentiable=False, foreach=True, capturable=False)  # accepted, same math


def test_subclass_calling_super_step_runs_hooks_once():
    class Clipped(ember.optim.SGD):
        def step(self, closure=None):
            for g in self.param_groups:
                for p in g["params"]:
                    np.clip(p.grad._data, -1, 1, out=p.grad._data)
            return super().step(closure)

    w = ember.zeros(2, requires_grad=True)
    opt = Clipped([w], lr=1.0)
    calls = []
    opt.register_step_post_hook(lambda *a: calls.append(1))
    w.grad = ember.tensor([5.0, -0.5])
    opt.step()
    assert calls == [1]
    np.testing.assert_allclose(w.detach().numpy(), [-1.0, 0.5])


def test_setstate_fills_options_missing_from_old_groups_with_defaults():
    import ember as _ember

    w = _ember.zeros(3, requires_grad=True)
    opt = _ember.optim.Adam([w], lr=0.1)
    state = opt.__getstate__() if hasattr(opt, "__getstate__") else dict(opt.__dict__)
    for group in state["param_groups"]:
        del group["amsgrad"], group["maximize"]
    fresh = _ember.optim.Adam([_ember.zeros(1, requires_grad=True)])
    fresh.__setstate__(state)
    assert fresh.param_groups[0]["amsgrad"] is False and fresh.param_groups[0]["maximize"] is False
    assert fresh.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize("name", NAMES)
def test_constructor_signature_is_torchs(name):
    def described(cls):
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls).parameters.values()]

    assert described(getattr(ember.optim, name)) == described(getattr(torch.optim, name))
