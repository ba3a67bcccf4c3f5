"""weight_norm and spectral_norm (parametrizations and the older hooks), and the parametrize machinery, against torch."""

import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.nn.utils import parametrizations as EP
from ember.nn.utils import parametrize as EPR

torch = pytest.importorskip("torch")
from torch.nn.utils import parametrizations as TP  # noqa: E402
from torch.nn.utils import parametrize as TPR  # noqa: E402


def _twins(make_t, make_e):
    t, e = make_t().double(), make_e().double()
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t, e


def _compare(t, e, x, atol=1e-12):
    to, eo = t(torch.tensor(x)), e(ember.tensor(x))
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), atol=atol)
    to.pow(2).sum().backward()
    eo.pow(2).sum().backward()
    for (name, a), b in zip(t.named_parameters(), e.parameters()):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), atol=atol, err_msg=name)


@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_parametrization_matches_torch(dim):
    t, e = _twins(lambda: torch.nn.Linear(4, 3), lambda: ember.nn.Linear(4, 3))
    TP.weight_norm(t, dim=dim)
    EP.weight_norm(e, dim=dim)
    assert type(e).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert list(e.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(e.state_dict()[k].detach().numpy(), v.detach().numpy(), atol=1e-14)
    _compare(t, e, np.random.default_rng(0).standard_normal((2, 4)))
    assert EPR.is_parametrized(e, "weight") and not EPR.is_parametrized(e, "bias")
    TPR.remove_parametrizations(t, "weight")
    EPR.remove_parametrizations(e, "weight")
    assert type(e) is ember.nn.Linear and list(e.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-14)


@pytest.mark.parametrize("make", ["conv", "conv_transpose", "linear"])
def test_spectral_norm_parametrization_matches_torch_in_train_and_eval(make):
    layers = {"conv": ("Conv2d", (3, 4, 3), (2, 3, 5, 5)), "conv_transpose": ("ConvTranspose2d", (3, 4, 3), (2, 3, 4, 4)),
              "linear": ("Linear", (5, 3), (2, 5))}
    name, args, shape = layers[make]
    torch.manual_seed(0)  # the power-iteration check below depends on the random weights and u
    t, e = _twins(lambda: getattr(torch.nn, name)(*args), lambda: getattr(ember.nn, name)(*args))
    TP.spectral_norm(t)
    EP.spectral_norm(e)
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})  # same u, v
    x = np.random.default_rng(1).standard_normal(shape)
    for mode in ("train", "train", "eval"):
        getattr(t, mode)()
        getattr(e, mode)()
        np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(e.parametrizations.weight[0]._u.numpy(), t.parametrizations.weight[0]._u.numpy(),
                               atol=1e-12)
    _compare(t, e, x)
    # the normalised weight has spectral norm 1
    w = e.weight.detach().numpy()
    mat = np.moveaxis(w, 1 if make == "conv_transpose" else 0, 0).reshape(w.shape[1 if make == "conv_transpose" else 0], -1)
    assert np.linalg.svd(mat, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-2)  # a power-iteration estimate


def test_weight_norm_gradcheck():
    lin = ember.nn.Linear(3, 2).double()
    EP.weight_norm(lin)
    g, v = lin.parametrizations.weight.original0, lin.parametrizations.weight.original1
    x = ember.randn(4, 3, dtype=ember.float64)

    def fn(g_, v_):
        return lin.parametrizations.weight[0](g_, v_) @ x.T

    assert gradcheck(fn, (g, v))


def test_register_parametrization_chains_caches_assigns_and_refuses_shape_changes():
    class Symmetric(ember.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    class Double(ember.nn.Module):
        def forward(self, X):
            return X * 2

        def right_inverse(self, A):
            return A / 2

    lin = ember.nn.Linear(3, 3)
    EPR.register_parametrization(lin, "weight", Symmetric())
    W = lin.weight.detach().numpy()
    np.testing.assert_allclose(W, W.T)
    EPR.register_parametrization(lin, "weight", Double())
    np.testing.assert_allclose(lin.weight.detach().numpy(), 2 * W)
    target = ember.tensor([[1.0, 2, 3], [2, 4, 5], [3, 5, 6]])
    lin.weight = target  # right_inverse through the chain
    np.testing.assert_allclose(lin.weight.detach().numpy(), target.numpy(), rtol=1e-6)
    with EPR.cached():
        assert lin.weight is lin.weight
    assert lin.weight is not lin.weight

    class Shrink(ember.nn.Module):
        def forward(self, X):
            return X[:2]

    with pytest.raises(ValueError, match="may not change the shape"):
        EPR.register_parametrization(ember.nn.Linear(3, 3), "weight", Shrink())
    with pytest.raises(ValueError, match="does not have a parameter"):
        EPR.register_parametrization(ember.nn.Linear(3, 3), "nope", Double())


@pytest.mark.parametrize("which", ["weight_norm", "spectral_norm"])
def test_legacy_hook_norms_match_torch(which):
    t, e = _twins(lambda: torch.nn.Conv2d(3, 4, 3), lambda: ember.nn.Conv2d(3, 4, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(torch.nn.utils, which)(t)
        getattr(ember.nn.utils, which)(e)
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 5))
    for _ in range(2):
        np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), atol=1e-12)
    _compare(t, e, x)
    getattr(torch.nn.utils, "remove_" + which)(t)
    getattr(ember.nn.utils, "remove_" + which)(e)
    assert list(e.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="not found"):
        getattr(ember.nn.utils, "remove_" + which)(e)
