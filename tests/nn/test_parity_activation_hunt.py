"""Activation parity cases found by a fuzz against torch 2.13: NaN through threshold/shrink units and their
gradients, hardswish's gradient at the kinks +-3, integer and bool inputs refused as PyTorch refuses them,
prelu's dtype rule and softmin of bool."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

EDGES = [-np.inf, -50.0, -3.0, -2.9999, -1.0, -0.7, -0.3, -0.0, 0.0, 0.3, 0.7, 1.0, 2.9999, 3.0, 50.0, np.inf, np.nan]


def _both(fn, values, dtype="float64"):
    """fn's output and input gradient (of the sum) under torch and ember."""
    res = []
    for lib in (torch, ember):
        x = lib.tensor(np.array(values, dtype=dtype), requires_grad=True)
        y = fn(lib.nn.functional, x)
        y.backward(lib.ones_like(y))  # (not y.sum(): -inf + inf would be a NaN of the test's own making)
        res.append((np.asarray(y.detach().numpy()), np.asarray(x.grad.numpy())))
    return res


GRAD_CASES = {
    "threshold": lambda F, x: F.threshold(x, 0.5, -2.0),
    "hardshrink": lambda F, x: F.hardshrink(x, 0.7),
    "softshrink": lambda F, x: F.softshrink(x, 0.7),
    "hardswish": lambda F, x: F.hardswish(x),
    "hardtanh": lambda F, x: F.hardtanh(x, -1.0, 1.0),
    "relu6": lambda F, x: F.relu6(x),
    "elu": lambda F, x: F.elu(x, 0.7),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, 1.3),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_and_grads_at_edges_and_nan(name, dtype):
    (ty, tg), (ey, eg) = _both(GRAD_CASES[name], EDGES, dtype)
    assert ey.dtype == ty.dtype
    np.testing.assert_allclose(ey, ty, rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(eg, tg, rtol=1e-5, atol=1e-12, equal_nan=True)
    # the sign of zero too (softshrink gives -0 inside the band for negative x, like torch)
    np.testing.assert_array_equal(np.signbit(ey[np.isfinite(ey)]), np.signbit(ty[np.isfinite(ty)]))


def test_hardswish_grad_at_kinks():
    (_, tg), (_, eg) = _both(lambda F, x: F.hardswish(x), [-3.0, 3.0])
    np.testing.assert_array_equal(eg, tg)  # torch: 0 at -3 and 1 at +3
    assert eg.tolist() == [0.0, 1.0]


FLOAT_ONLY = {
    "elu": lambda F, x: F.elu(x),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "mish": lambda F, x: F.mish(x),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2),
    "rrelu": lambda F, x: F.rrelu(x),
    "rrelu_train": lambda F, x: F.rrelu(x, training=True),
    "softplus": lambda F, x: F.softplus(x),
    "hardshrink": lambda F, x: F.hardshrink(x),
    "softshrink": lambda F, x: F.softshrink(x),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "glu": lambda F, x: F.glu(x, 0),
    "softmin": lambda F, x: F.softmin(x, 0),
    "elu_": lambda F, x: F.elu(x, inplace=True),
    "selu_": lambda F, x: F.selu(x, inplace=True),
    "leaky_relu_": lambda F, x: F.leaky_relu(x, inplace=True),
    "silu_": lambda F, x: F.silu(x, inplace=True),
    "mish_": lambda F, x: F.mish(x, inplace=True),
    "hardswish_": lambda F, x: F.hardswish(x, inplace=True),
    "relu_bool": lambda F, x: F.relu(x.bool()),
    "relu_bool_": lambda F, x: F.relu(x.bool(), inplace=True),
    "relu6_bool": lambda F, x: F.relu6(x.bool()),
    "hardtanh_bool": lambda F, x: F.hardtanh(x.bool()),
    "threshold_bool": lambda F, x: F.threshold(x.bool(), 0, 1),
    "softsign_bool": lambda F, x: F.softsign(x.bool()),
    "softmin_bool": lambda F, x: F.softmin(x.bool(), 0),
    "softmin_bool_dtype": lambda F, x: F.softmin(x.bool(), 0, dtype=torch.float64 if F is torch.nn.functional else ember.float64),
}


@pytest.mark.parametrize("name", sorted(FLOAT_ONLY))
@pytest.mark.parametrize("dtype", ["int64", "uint8"])
def test_integer_and_bool_inputs_refused_like_torch(name, dtype):
    errs = []
    for lib in (torch, ember):
        x = lib.tensor(np.array([1, 0, 2, 3], dtype=dtype))
        with pytest.raises(Exception) as info:
            FLOAT_ONLY[name](lib.nn.functional, x)
        errs.append(info.value)
    assert isinstance(errs[1], type(errs[0])), (errs[0], errs[1])
    assert str(errs[1]) == str(errs[0])


@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh", "threshold", "softsign", "tanhshrink", "sigmoid"])
def test_integer_inputs_still_accepted_where_torch_accepts(name):
    fns = {"threshold": lambda F, x: F.threshold(x, 1, 7)}
    fn = fns.get(name, lambda F, x: getattr(F, name)(x))
    outs = [fn(lib.nn.functional, lib.tensor([-3, 0, 2, 5])) for lib in (torch, ember)]
    assert str(outs[1].dtype).split(".")[-1] == str(outs[0].dtype).split(".")[-1]
    np.testing.assert_allclose(np.asarray(outs[1].numpy()), outs[0].numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "xdt, wdt", [("float64", "float32"), ("float32", "float64"), ("int64", "float32"), ("int64", "int64"), ("float16", "float32")]
)
def test_prelu_dtype_rules(xdt, wdt):
    errs = []
    for lib in (torch, ember):
        x = lib.tensor(np.array([1, -2, 3], dtype=xdt))
        w = lib.tensor(np.array([0.25], dtype=wdt) if wdt != "int64" else np.array([2]))
        with pytest.raises(Exception) as info:
            lib.nn.functional.prelu(x, w)
        errs.append(info.value)
    assert isinstance(errs[1], type(errs[0]))
    assert str(errs[1]) == str(errs[0])


def test_prelu_same_dtype_still_works():
    outs = []
    for lib in (torch, ember):
        x = lib.tensor(np.array([[1.0, -2.0], [-3.0, 4.0]]), requires_grad=True)
        w = lib.tensor(np.array([0.25, 0.5]), requires_grad=True)
        y = lib.nn.functional.prelu(x, w)
        y.sum().backward()
        outs.append([np.asarray(a) for a in (y.detach().numpy(), x.grad.numpy(), w.grad.numpy())])
    for e, t in zip(outs[1], outs[0]):
        np.testing.assert_allclose(e, t)


SOFTMAXES = ["softmax", "log_softmax", "softmin"]


@pytest.mark.parametrize("name", SOFTMAXES)
@pytest.mark.parametrize("dim", ["a", (1,), 1.0])
def test_softmax_dim_must_be_int(name, dim):
    errs = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            getattr(lib.nn.functional, name)(lib.ones(3, 4), dim)
        errs.append(info.value)
    assert isinstance(errs[1], type(errs[0]))
    assert str(errs[1]) == str(errs[0])


@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_dtype_must_be_a_dtype(name):
    errs = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            getattr(lib.nn.functional, name)(lib.ones(3, 4), 1, dtype="float64")
        errs.append(info.value)
    assert isinstance(errs[1], type(errs[0]))
    assert str(errs[1]) == str(errs[0])


@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_0d_integer_tensor_dim_and_empty_integer_input(name):
    outs = [getattr(lib.nn.functional, name)(lib.ones(3, 4) * lib.arange(4), lib.tensor(1)) for lib in (torch, ember)]
    np.testing.assert_allclose(np.asarray(outs[1].numpy()), outs[0].numpy(), rtol=1e-6)
    outs = [getattr(lib.nn.functional, name)(lib.zeros((0, 3), dtype=lib.int64), 1) for lib in (torch, ember)]
    assert str(outs[1].dtype).split(".")[-1] == str(outs[0].dtype).split(".")[-1] == "int64"
    assert tuple(outs[1].shape) == tuple(outs[0].shape)


ARG_ERRORS = {
    "celu_alpha_0": lambda F, x: F.celu(x, alpha=0.0),
    "rrelu_bounds_train": lambda F, x: F.rrelu(x, 0.5, 0.1, training=True),
    "rrelu_bounds_eval": lambda F, x: F.rrelu(x, 0.5, 0.1),
    "softshrink_negative": lambda F, x: F.softshrink(x, -0.5),
    "softshrink_negative_f64": lambda F, x: F.softshrink(x.double(), -0.25),
}


@pytest.mark.parametrize("name", sorted(ARG_ERRORS))
def test_argument_errors_like_torch(name):
    errs = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            ARG_ERRORS[name](lib.nn.functional, lib.ones(3, 4))
        errs.append(info.value)
    assert isinstance(errs[1], type(errs[0]))
    assert str(errs[1]) == str(errs[0])
