"""Normalization (batch/layer/group/instance norm, local response norm, normalize, rms_norm) and
their modules: PyTorch parity of outputs and every gradient, running statistics over several
steps in train and eval mode, gradcheck/gradgradcheck, state_dict names, reprs and errors."""

# ruff: noqa: B023  (the lambdas passed to check_against_torch run at once, inside the loop iteration)

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd.gradcheck import gradgradcheck
from helpers import check_against_torch, check_gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _rng(seed=0):
    return np.random.default_rng(seed)


def copy_weights(e, t):
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


def step(e, t, x, rtol=1e-5, atol=1e-6):
    """One forward + backward on both modules, comparing output and all gradients."""
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ye, yt = e(xe), t(xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    up = _rng(int(abs(x.flat[0]) * 1000)).standard_normal(tuple(yt.shape)).astype(x.dtype)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


def assert_same_state(e, t, rtol=1e-6):
    te = e.state_dict()
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(np.asarray(te[k].numpy(), dtype=np.float64), v.numpy().astype(np.float64), rtol=rtol, atol=1e-7, err_msg=k)


# -- batch norm -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 3, 4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_functional_train_and_eval_match_torch(shape, affine):
    rng = _rng(len(shape))
    x = rng.standard_normal(shape) * 3 + 1
    w, b = (rng.standard_normal(3), rng.standard_normal(3)) if affine else (None, None)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    erm, erv, trm, trv = ember.tensor(rm), ember.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    check_against_torch(lambda x, w, b: F.batch_norm(x, erm, erv, w, b, True, 0.3), lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, True, 0.3), [x, w, b], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(erm.numpy(), trm.numpy(), rtol=1e-7)
    np.testing.assert_allclose(erv.numpy(), trv.numpy(), rtol=1e-7)
    check_against_torch(lambda x, w, b: F.batch_norm(x, erm, erv, w, b, False), lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, False), [x, w, b], rtol=1e-6, atol=1e-8)
    check_against_torch(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), lambda x, w, b: TF.batch_norm(x, None, None, w, b, True), [x, w, b], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 4)), ("BatchNorm1d", (8, 4, 5)), ("BatchNorm2d", (6, 4, 5, 5)), ("BatchNorm3d", (3, 4, 2, 3, 3))])
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False}, {"momentum": 0.5, "eps": 1e-3, "bias": False}])
def test_batch_norm_module_running_stats_over_steps_train_then_eval(cls, shape, kwargs):
    e, t = getattr(nn, cls)(4, **kwargs).double(), getattr(torch.nn, cls)(4, **kwargs).double()
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)
    if e.weight is not None:
        t.weight.data.uniform_(0.5, 1.5)
        copy_weights(e, t)
    rng = _rng(1)
    for i in range(3):
        step(e, t, rng.standard_normal(shape) * (i + 1) + i)
        assert_same_state(e, t)
    e.eval(), t.eval()
    step(e, t, rng.standard_normal(shape))
    assert_same_state(e, t)
    if "track_running_stats" not in kwargs:
        assert int(e.num_batches_tracked.item()) == 3


def test_batch_norm_float32_stays_float32():
    m = nn.BatchNorm2d(3)
    x = ember.randn(4, 3, 5, 5, requires_grad=True)
    m(x).sum().backward()
    assert x.grad.dtype == ember.float32 and m.running_var.dtype == ember.float32 and m.weight.grad.dtype == ember.float32
    assert m.num_batches_tracked.dtype == ember.int64


def test_batch_norm_loads_checkpoint_without_num_batches_tracked():
    m = nn.BatchNorm1d(3)
    state = {k: v for k, v in m.state_dict().items() if k != "num_batches_tracked"}
    m._load_from_state_dict(state, "", {"version": 1}, True, missing := [], unexpected := [], errors := [])
    assert not missing and not unexpected and not errors


def test_batch_norm_errors_match_torch():
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size torch.Size\(\[1, 3\]\)"):
        F.batch_norm(ember.randn(1, 3), ember.zeros(3), ember.ones(3), training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(ember.randn(4, 3), ember.zeros(4), ember.ones(3), training=True)
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F.batch_norm(ember.randn(4, 3), None, None)
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(ember.randn(4, 3))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(ember.randn(4, 3, 2, 2))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm2d(3)(ember.randn(4, 4, 2, 2))


# -- layer / group / instance norm ----------------------------------------------------------------------------


@pytest.mark.parametrize("shape,ns", [((5, 3), (3,)), ((4, 3, 6), (6,)), ((4, 3, 6), (3, 6)), ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, False)])
def test_layer_norm_matches_torch(shape, ns, affine, bias):
    rng = _rng(2)
    x = rng.standard_normal(shape) * 3 + 1
    w = rng.standard_normal(ns) if affine else None
    b = rng.standard_normal(ns) if bias else None
    check_against_torch(lambda x, w, b: F.layer_norm(x, ns, w, b), lambda x, w, b: TF.layer_norm(x, ns, w, b), [x, w, b], rtol=1e-6, atol=1e-8)


def test_layer_norm_module_matches_torch():
    for kwargs in [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}]:
        e, t = nn.LayerNorm((3, 4), **kwargs).double(), torch.nn.LayerNorm((3, 4), **kwargs).double()
        assert list(e.state_dict()) == list(t.state_dict()) and repr(e) == repr(t)
        if e.weight is not None:
            t.weight.data.uniform_(0.5, 1.5)
            copy_weights(e, t)
        step(e, t, _rng(3).standard_normal((2, 5, 3, 4)))


@pytest.mark.parametrize("shape,groups", [((5, 6), 3), ((4, 6, 5), 2), ((2, 6, 4, 5), 6), ((2, 6, 4, 5), 1)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(shape, groups, affine):
    rng = _rng(4)
    x = rng.standard_normal(shape) * 3 + 1
    w, b = (rng.standard_normal(6), rng.standard_normal(6)) if affine else (None, None)
    check_against_torch(lambda x, w, b: F.group_norm(x, groups, w, b), lambda x, w, b: TF.group_norm(x, groups, w, b), [x, w, b], rtol=1e-6, atol=1e-8)
    e, t = nn.GroupNorm(groups, 6, affine=affine).double(), torch.nn.GroupNorm(groups, 6, affine=affine).double()
    assert list(e.state_dict()) == list(t.state_dict()) and repr(e) == repr(t)
    step(e, t, x)


@pytest.mark.parametrize("shape", [(4, 3, 6), (3, 3, 4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_functional_matches_torch(shape, affine):
    rng = _rng(5)
    x = rng.standard_normal(shape) * 3 + 1
    w, b = (rng.standard_normal(3), rng.standard_normal(3)) if affine else (None, None)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    erm, erv, trm, trv = ember.tensor(rm), ember.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    check_against_torch(lambda x, w, b: F.instance_norm(x, erm, erv, w, b, True, 0.3), lambda x, w, b: TF.instance_norm(x, trm, trv, w, b, True, 0.3), [x, w, b], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(erm.numpy(), trm.numpy(), rtol=1e-7)
    np.testing.assert_allclose(erv.numpy(), trv.numpy(), rtol=1e-7)
    check_against_torch(lambda x, w, b: F.instance_norm(x, erm, erv, w, b, False), lambda x, w, b: TF.instance_norm(x, trm, trv, w, b, False), [x, w, b], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 6)), ("InstanceNorm2d", (3, 4, 5, 5)), ("InstanceNorm2d", (4, 5, 5)), ("InstanceNorm3d", (2, 4, 2, 3, 3))])
@pytest.mark.parametrize("kwargs", [{}, {"affine": True, "track_running_stats": True}])
def test_instance_norm_module_train_and_eval(cls, shape, kwargs):
    e, t = getattr(nn, cls)(4, **kwargs).double(), getattr(torch.nn, cls)(4, **kwargs).double()
    assert list(e.state_dict()) == list(t.state_dict()) and repr(e) == repr(t)
    rng = _rng(6)
    for _ in range(2):
        step(e, t, rng.standard_normal(shape) + 1)
        assert_same_state(e, t)
    e.eval(), t.eval()
    step(e, t, rng.standard_normal(shape))


def test_local_response_norm_normalize_and_rms_norm_match_torch():
    rng = _rng(7)
    for size, shape in [(2, (2, 5, 7)), (3, (2, 5, 4, 4)), (4, (2, 6, 3, 2, 2))]:
        check_against_torch(lambda x: F.local_response_norm(x, size, 0.1, 0.7, 2.0), lambda x: TF.local_response_norm(x, size, 0.1, 0.7, 2.0), [rng.standard_normal(shape)])
    e, t = nn.LocalResponseNorm(3), torch.nn.LocalResponseNorm(3)
    assert repr(e) == repr(t)
    x = rng.standard_normal((3, 4, 5))
    for p, dim in [(2, 1), (1, -1), (3, 0)]:
        check_against_torch(lambda x: F.normalize(x, p, dim), lambda x: TF.normalize(x, p, dim), [x])
    check_against_torch(lambda x: F.normalize(x), lambda x: TF.normalize(x), [np.zeros((2, 3))])
    w = rng.standard_normal(5)
    check_against_torch(lambda x, w: F.rms_norm(x, (5,), w, 1e-6), lambda x, w: TF.rms_norm(x, (5,), w, 1e-6), [x, w])
    e, t = nn.RMSNorm(5).double(), torch.nn.RMSNorm(5).double()
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())
    step(e, t, x)


# -- finite differences ------------------------------------------------------------------------------------------


def test_norm_ops_gradcheck_and_gradgradcheck():
    rng = _rng(8)
    x, w, b = rng.standard_normal((3, 2, 4)), rng.standard_normal(2), rng.standard_normal(2)
    w4, b4 = rng.standard_normal(4), rng.standard_normal(4)
    fns = [
        (lambda x, w, b: F.batch_norm(x, None, None, w, b, True), [x, w, b]),
        (lambda x, w, b: F.batch_norm(x, ember.zeros(2, dtype=ember.float64), ember.ones(2, dtype=ember.float64), w, b, False), [x, w, b]),
        (lambda x, w, b: F.layer_norm(x, (4,), w, b), [x, w4, b4]),
        (lambda x, w, b: F.group_norm(x, 2, w, b), [x, w, b]),
        (lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [x, w, b]),
    ]
    for fn, arrays in fns:
        check_gradcheck(fn, arrays)
        assert gradgradcheck(fn, tuple(ember.tensor(a, requires_grad=True) for a in arrays))


# -- errors ------------------------------------------------------------------------------------------------------


def test_norm_errors_match_torch():
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of size\[4, 3\]"):
        F.layer_norm(ember.randn(4, 3), (4,))
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape as normalized_shape"):
        F.layer_norm(ember.randn(4, 3), (3,), ember.ones(4))
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by num_groups, but got input of shape \\[4, 6\\] and num_groups=4"):
        F.group_norm(ember.randn(4, 6), 4)
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(ember.randn(4, 6, 1))
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.InstanceNorm2d(3)(ember.randn(4, 3))
    with pytest.raises(ValueError, match="expected input's size at dim=1 to match num_features"):
        nn.InstanceNorm1d(3, affine=True)(ember.randn(2, 4, 5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.InstanceNorm1d(3)(ember.randn(2, 4, 5))
    assert any("does not match num_features" in str(w.message) for w in caught)
