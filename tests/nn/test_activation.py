"""Activations: forward and gradients against PyTorch, float64 gradcheck of every Op,
stability for large |x|, in-place variants, module reprs."""

from __future__ import annotations

import zlib
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import check_against_torch, check_gradcheck, make_inputs

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# name -> (ember function, torch function, input scale)
ELEMENTWISE = {
    "relu": (F.relu, TF.relu, 1),
    "relu6": (F.relu6, TF.relu6, 5),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), 1),
    "elu": (lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), 2),
    "selu": (F.selu, TF.selu, 2),
    "celu": (lambda x: F.celu(x, 1.5), lambda x: TF.celu(x, 1.5), 2),
    "gelu": (F.gelu, TF.gelu, 2),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh"), 2),
    "silu": (F.silu, TF.silu, 3),
    "mish": (F.mish, TF.mish, 3),
    "sigmoid": (F.sigmoid, torch.sigmoid, 3),
    "tanh": (F.tanh, torch.tanh, 2),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: TF.hardtanh(x, -0.5, 1.5), 2),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid, 4),
    "hardswish": (F.hardswish, TF.hardswish, 4),
    "softplus": (F.softplus, TF.softplus, 3),
    "softplus_beta": (lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0), 3),
    "softsign": (F.softsign, TF.softsign, 3),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink, 2),
    "threshold": (lambda x: F.threshold(x, 0.3, -2.0), lambda x: TF.threshold(x, 0.3, -2.0), 1),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid, 3),
    "hardshrink": (lambda x: F.hardshrink(x, 0.4), lambda x: TF.hardshrink(x, 0.4), 1),
    "softshrink": (lambda x: F.softshrink(x, 0.4), lambda x: TF.softshrink(x, 0.4), 1),
    "softmax": (lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1), 3),
    "softmax_neg_dim": (lambda x: F.softmax(x, -1), lambda x: TF.softmax(x, -1), 3),
    "log_softmax": (lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1), 3),
    "log_softmax_dim0": (lambda x: F.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0), 3),
    "softmin": (lambda x: F.softmin(x, 2), lambda x: TF.softmin(x, 2), 3),
    "glu": (lambda x: F.glu(x, 1), lambda x: TF.glu(x, 1), 2),
    "glu_last": (F.glu, TF.glu, 2),
    "rrelu_eval": (F.rrelu, TF.rrelu, 1),
}


# PyTorch computes these derivatives with float32 constants (e.g. 1.0f / 6) even in float64.
LOOSE_TORCH = {"hardsigmoid"}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_activation_forward_and_gradient_match_torch(name, dtype):
    fn, tfn, scale = ELEMENTWISE[name]
    (x,) = make_inputs([(3, 4, 6)], dtype=dtype, seed=zlib.crc32(name.encode()) % 1000)  # hash() of a str changes per process
    x = (x * scale).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    if name in LOOSE_TORCH and dtype == "float64":
        tol = dict(rtol=1e-7, atol=1e-12)
    check_against_torch(fn, tfn, [x], **tol)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_activation_gradcheck_float64(name):
    fn, _, scale = ELEMENTWISE[name]
    (x,) = make_inputs([(2, 4, 4)], seed=7)
    check_gradcheck(fn, [x * scale])


@pytest.mark.parametrize(
    "name", ["gelu", "gelu_tanh", "silu", "mish", "elu", "selu", "softplus", "logsigmoid", "softmax", "log_softmax", "softsign", "leaky_relu"]
)
def test_activation_second_derivative_gradgradcheck(name):
    fn, _, scale = ELEMENTWISE[name]
    (x,) = make_inputs([(2, 4)], seed=3)
    xt = ember.tensor(x * scale, requires_grad=True)
    assert ember.autograd.gradgradcheck(fn, (xt,), eps=1e-6, atol=1e-5, rtol=1e-3)


LARGE = np.array([[-1e4, -800.0, -100.0, -30.0, 0.5, 30.0, 100.0, 800.0, 1e4]], dtype=np.float32)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_activation_is_stable_for_large_inputs_without_warnings(name):
    fn, tfn, _ = ELEMENTWISE[name]
    if name.startswith("glu"):
        pytest.skip("GLU halves the input")
    x = np.repeat(LARGE, 2, axis=0).reshape(2, 9, 1).repeat(2, axis=2) if "soft" in name and "max" in name or name == "softmin" else LARGE.reshape(1, 9, 1)
    x = np.ascontiguousarray(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_against_torch(fn, tfn, [x], rtol=1e-5, atol=1e-5)


def test_softmax_of_very_different_logits_is_exact_one_hot_and_finite():
    x = ember.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    y = F.softmax(x, 1)
    np.testing.assert_allclose(y.detach().numpy(), [[1.0, 0.0, 0.0]])
    ls = F.log_softmax(x, 1)
    np.testing.assert_allclose(ls.detach().numpy(), [[0.0, -1000.0, -2000.0]])
    ls.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_log_softmax_with_minus_inf_entries_matches_torch():
    a = np.array([[0.5, -np.inf, 1.0], [2.0, 3.0, -np.inf]])
    check_against_torch(lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1), [a])
    check_against_torch(lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1), [a])


@pytest.mark.parametrize("ndim,expected_dim", [(1, 0), (2, 1), (3, 0), (4, 1)])
def test_softmax_implicit_dim_follows_torch_legacy_rule_and_warns(ndim, expected_dim):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)[:ndim])
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        got = F.softmax(ember.tensor(x))
    np.testing.assert_allclose(got.numpy(), TF.softmax(torch.tensor(x), dim=expected_dim).numpy(), rtol=1e-12)


def test_softmax_dtype_argument_casts_first():
    x = ember.tensor([[1.0, 2.0]], dtype=ember.float32)
    assert F.softmax(x, 1, dtype=ember.float64).dtype == ember.float64
    assert F.log_softmax(x, -1, dtype=ember.float64).dtype == ember.float64


def test_softmax_empty_and_tensor_method():
    x = ember.zeros(0, 3)
    assert F.softmax(x, 1).shape == (0, 3)
    y = ember.tensor([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(y.softmax(-1).numpy(), TF.softmax(torch.tensor([[1.0, 2.0, 3.0]]), -1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(y.log_softmax(1).numpy(), TF.log_softmax(torch.tensor([[1.0, 2.0, 3.0]]), 1).numpy(), rtol=1e-6)


def test_softmax2d_module_matches_torch_and_rejects_2d():
    (x,) = make_inputs([(2, 3, 4, 5)])
    check_against_torch(nn.Softmax2d(), torch.nn.Softmax2d(), [x], rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(ember.zeros(2, 3))


def test_glu_odd_dimension_raises_like_torch():
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 5"):
        F.glu(ember.zeros(2, 5), 1)


@pytest.mark.parametrize("num,shape", [(1, (4, 3)), (3, (2, 3, 5)), (3, (2, 3)), (1, (5,))])
def test_prelu_module_matches_torch_with_weight_gradient(num, shape):
    e, t = nn.PReLU(num, init=0.1), torch.nn.PReLU(num, init=0.1)
    with torch.no_grad():
        t.weight.copy_(torch.linspace(0.05, 0.4, num))
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    (x,) = make_inputs([shape], dtype="float32")
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e(xe), t(xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
    up = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_prelu_gradcheck_and_channel_mismatch_error():
    x, w = make_inputs([(2, 3, 4), (3,)])
    check_gradcheck(F.prelu, [x, w])
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size. Found parameter numbers = 3 and channel size = 4"):
        F.prelu(ember.zeros(2, 4), ember.zeros(3))


def test_rrelu_training_slopes_lie_between_bounds_and_gradient_is_the_slope():
    x = ember.tensor(-np.ones((1000,)), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)
    pos = ember.tensor([1.0, 2.0])
    np.testing.assert_array_equal(F.rrelu(pos, training=True).numpy(), [1.0, 2.0])


INPLACE = [
    ("relu", lambda t: F.relu(t, inplace=True), TF.relu),
    ("relu_", F.relu_, TF.relu),
    ("leaky_relu_", lambda t: F.leaky_relu_(t, 0.3), lambda t: TF.leaky_relu(t, 0.3)),
    ("elu", lambda t: F.elu(t, inplace=True), TF.elu),
    ("selu", lambda t: F.selu(t, inplace=True), TF.selu),
    ("celu_", F.celu_, TF.celu),
    ("hardtanh_", F.hardtanh_, TF.hardtanh),
    ("relu6", lambda t: F.relu6(t, inplace=True), TF.relu6),
    ("silu", lambda t: F.silu(t, inplace=True), TF.silu),
    ("mish", lambda t: F.mish(t, inplace=True), TF.mish),
    ("hardswish", lambda t: F.hardswish(t, inplace=True), TF.hardswish),
    ("hardsigmoid", lambda t: F.hardsigmoid(t, inplace=True), TF.hardsigmoid),
    ("threshold_", lambda t: F.threshold_(t, 0.1, 5.0), lambda t: TF.threshold(t, 0.1, 5.0)),
]


@pytest.mark.parametrize("name,fn,tfn", INPLACE, ids=[n for n, _, _ in INPLACE])
def test_inplace_activation_writes_into_input_and_backpropagates(name, fn, tfn):
    (a,) = make_inputs([(3, 5)], seed=4)
    a = a * 4
    leaf = ember.tensor(a, requires_grad=True)
    h = leaf * 1.0
    out = fn(h)
    assert out is h
    tleaf = torch.tensor(a, requires_grad=True)
    tout = tfn(tleaf * 1.0)
    np.testing.assert_allclose(h.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), tleaf.grad.numpy(), rtol=1e-7 if name == "hardsigmoid" else 1e-10, atol=1e-12)


def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        F.relu(x, inplace=True)


def test_inplace_module_without_grad_modifies_tensor():
    x = ember.tensor([-1.0, 2.0])
    nn.ReLU(inplace=True)(x)
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0])


def test_relu_keeps_integer_dtype_and_gelu_rejects_bad_approximate():
    assert F.relu(ember.tensor([-1, 2])).dtype == ember.int64
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(ember.zeros(2), approximate="fast")


MODULES = [
    ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (0.1, 20.0, True), {}),
    ("ReLU", (), {}),
    ("ReLU", (True,), {}),
    ("RReLU", (), {}),
    ("RReLU", (0.1, 0.3, True), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2, 2, True), {}),
    ("ReLU6", (), {}),
    ("ReLU6", (True,), {}),
    ("Sigmoid", (), {}),
    ("Hardsigmoid", (True,), {}),
    ("Tanh", (), {}),
    ("SiLU", (True,), {}),
    ("Mish", (), {}),
    ("Hardswish", (True,), {}),
    ("ELU", (), {}),
    ("ELU", (0.5, True), {}),
    ("CELU", (2.0,), {}),
    ("SELU", (True,), {}),
    ("GLU", (), {}),
    ("GELU", (), {}),
    ("GELU", ("tanh",), {}),
    ("Hardshrink", (), {}),
    ("LeakyReLU", (0.2, True), {}),
    ("LogSigmoid", (), {}),
    ("Softplus", (2, 10), {}),
    ("Softshrink", (0.3,), {}),
    ("PReLU", (3, 0.1), {}),
    ("Softsign", (), {}),
    ("Tanhshrink", (), {}),
    ("Softmin", (), {"dim": 1}),
    ("Softmax", (), {}),
    ("Softmax", (), {"dim": -1}),
    ("Softmax2d", (), {}),
    ("LogSoftmax", (1,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=[f"{n}{a}{k}" for n, a, k in MODULES])
def test_activation_module_repr_matches_torch(name, args, kwargs):
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))


@pytest.mark.parametrize(
    "name,args",
    [("ReLU", ()), ("ELU", (0.5,)), ("CELU", (1.3,)), ("SELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("Hardswish", ()),
     ("Hardsigmoid", ()), ("LeakyReLU", (0.1,)), ("Softplus", (1.5, 5)), ("Hardshrink", (0.3,)), ("Softshrink", (0.3,)),
     ("Softmax", (1,)), ("LogSoftmax", (1,)), ("Softmin", (1,)), ("GLU", (1,)), ("Tanh", ()), ("Sigmoid", ()),
     ("LogSigmoid", ()), ("Hardtanh", (-0.5, 0.5)), ("ReLU6", ()), ("Threshold", (0.2, -1.0)), ("Softsign", ()), ("Tanhshrink", ())],
)
def test_activation_module_forward_and_backward_match_torch(name, args):
    (x,) = make_inputs([(4, 6)], dtype="float32", seed=11)
    check_against_torch(getattr(nn, name)(*args), getattr(torch.nn, name)(*args), [x * 3], rtol=1e-5, atol=1e-6)


def test_hardtanh_rejects_inverted_bounds():
    with pytest.raises(ValueError):
        nn.Hardtanh(1.0, -1.0)


def test_activations_in_float32_stay_float32():
    x = ember.randn(3, 4)
    for fn in (F.gelu, F.silu, F.mish, F.elu, F.selu, F.softplus, F.logsigmoid, F.hardswish, lambda t: F.softmax(t, 1)):
        assert fn(x).dtype == ember.float32


EXTREME = np.array([[-3.0e38, -1e30, -1e20, -60.0, 1e-30, 60.0, 1e20, 1e30, 3.0e38]], dtype=np.float32)


# selu(3e38) and log_softmax's -6e38 are genuinely out of float32 range; GLU halves the input.
@pytest.mark.parametrize("name", sorted(n for n in ELEMENTWISE if not n.startswith(("glu", "selu", "log_softmax"))))
def test_activation_near_float32_max_is_exact_and_silent(name):
    """Reference: torch in float64 (torch's own float32 kernels overflow internally there,
    e.g. gelu(3e38) = inf, and the tanh-GELU gradient is nan)."""
    fn, tfn, _ = ELEMENTWISE[name]
    x = EXTREME.reshape(1, 9, 1).copy()
    xe = ember.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ye = fn(xe)
        ye.backward(ember.ones(*ye.shape))
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    yt = tfn(xt)
    yt.backward(torch.ones_like(yt))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy().astype(np.float32), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy().astype(np.float32), rtol=1e-5, atol=1e-5)
