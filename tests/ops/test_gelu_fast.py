"""GELU's fast path (Phi kept from forward, in-place backward, memory reused across steps) against torch,
and the buffer reuse it relies on (``_unary.kept_like``) never handing out memory something still holds."""

import numpy as np
import pytest

import ember
from ember._ops._unary import kept_like

torch = pytest.importorskip("torch")

SPECIALS = [np.inf, -np.inf, np.nan, -0.0, 0.0, 1e-40, -1e-40, 3e38, -3e38, 1e20, -1e20]


def _grid(dtype):
    x = np.concatenate([np.linspace(-12, 12, 200_001), np.linspace(-60, 60, 2_001), SPECIALS]).astype(dtype)
    return x


def _both(x, approximate):
    e = ember.tensor(x, requires_grad=True)
    ye = ember.nn.functional.gelu(e, approximate=approximate)
    ye.backward(ember.ones_like(ye))
    t = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.gelu(t, approximate=approximate)
    yt.backward(torch.ones_like(yt))
    return ye.detach().numpy(), e.grad.numpy(), yt.detach().numpy(), t.grad.numpy()


# float32 error bounds against float64 torch, in float32 eps: y relative to max(|y|, |x|/4) (Phi rounds
# near 1 at a scale of eps, so x Phi(x) carries |x| eps/2 wherever Phi > 1/2), the gradient absolute.
# tanh's gradient is bounded by 1 - tanh^2 u rounding near 1 times x du/dx (about 16 at x = 5).
BOUNDS = {"none": (4, 4), "tanh": (4, 24)}


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_float32_gelu_and_its_gradient_are_float32_accurate_like_torchs(approximate):
    x = _grid(np.float32)
    ye, ge, yt, gt = _both(x, approximate)
    ref_y, ref_g, _, _ = _both(x.astype(np.float64), approximate)
    eps = float(np.finfo(np.float32).eps)
    usual = np.isfinite(x) & (np.abs(x) < 1e30)  # torch's own float32 overflows x Phi(x) near float32's max
    scale = np.maximum(np.abs(ref_y), np.abs(x.astype(np.float64)) / 4)[usual]
    y_bound, g_bound = BOUNDS[approximate]
    assert np.all(np.abs(ye[usual] - ref_y[usual]) <= y_bound * eps * scale + 1e-45)
    assert np.all(np.abs(ge[usual] - ref_g[usual]) <= g_bound * eps)
    torch_ok = usual & np.isfinite(gt)
    assert np.all(np.abs(yt[usual] - ref_y[usual]) <= 12 * eps * scale + 1e-45)  # the bounds are not looser than torch needs
    assert np.all(np.abs(gt[torch_ok] - ref_g[torch_ok]) <= g_bound * eps)
    assert ye.dtype == np.float32 and ge.dtype == np.float32
    zero = x == 0
    assert np.array_equal(np.signbit(ye[zero]), np.signbit(yt[zero]))  # -0.0 stays -0.0
    assert np.isnan(ye[np.isnan(x)]).all() and np.isnan(ge[np.isnan(x)]).all()
    assert ye[x == np.inf] == np.inf and np.isnan(ge[np.isinf(x)]).all() == (approximate == "none")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_float64_gelu_matches_torch_to_1e12(approximate):
    x = _grid(np.float64)
    ye, ge, yt, gt = _both(x, approximate)
    finite = np.isfinite(x) & (np.abs(x) < 1e19)
    # where torch's 1 + erf(x / sqrt 2) has cancelled to 0 (x < -8) ember's Phi is still ~1e-16: absolute 1e-15 |x|
    assert np.all(np.abs(ye[finite] - yt[finite]) <= 1e-12 * np.abs(yt[finite]) + 1e-15 * np.abs(x[finite]))
    # tanh: in the left tail (x ~ -7) 1 - tanh^2 u is a few ulp of 1 in either formula (torch's gives 0, ember's
    # ~5e-15, the true value ~3e-15), so its gradient is compared to 1e-14 absolute
    atol = 1e-14 if approximate == "tanh" else 1e-15
    assert np.all(np.abs(ge[finite] - gt[finite]) <= 1e-12 * np.abs(gt[finite]) + atol)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_gradients_held_by_the_caller_are_not_overwritten_by_later_steps(approximate):
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal(1000).astype(np.float32), requires_grad=True)
    y = ember.nn.functional.gelu(x, approximate=approximate)
    (g1,) = ember.autograd.grad(y.sum(), x, retain_graph=True)
    kept = g1.numpy().copy()
    (g2,) = ember.autograd.grad(y.sum(), x)  # the same node again, then more steps on other data
    for _ in range(3):
        z = ember.tensor(rng.standard_normal(1000).astype(np.float32), requires_grad=True)
        ember.nn.functional.gelu(z, approximate=approximate).sum().backward()
    assert np.array_equal(g1.numpy(), kept) and np.array_equal(g2.numpy(), kept)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    (gt,) = torch.autograd.grad(torch.nn.functional.gelu(xt, approximate=approximate).sum(), xt)
    np.testing.assert_allclose(kept, gt.numpy(), rtol=1e-5, atol=1e-6)


def test_kept_like_reuses_a_buffer_only_once_nothing_else_holds_it():
    x = np.zeros((3, 4), np.float32)
    a = kept_like(np, "test-role", x)
    b = kept_like(np, "test-role", x)
    assert a is not b  # a is still held here
    view = b[1:]
    del b
    c = kept_like(np, "test-role", x)
    assert c.base is None and view.base is not c  # b lives on through its view
    del view
    d_id = id(c)
    del c
    assert id(kept_like(np, "test-role", x)) == d_id
    assert kept_like(np, "test-role", np.zeros(5, np.float32)).shape == (5,)
