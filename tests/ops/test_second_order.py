"""Second derivatives: the backward of every op is itself differentiable (create_graph=True).
Hessian-vector products and gradient penalties compared with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

FUNCTIONS = {
    "tanh_mlp": lambda L, x, w: (L.tanh(x @ w) ** 2).sum(),
    "sigmoid_logsumexp": lambda L, x, w: L.logsumexp(L.sigmoid(x @ w), dim=1).sum(),
    "softmax_by_hand": lambda L, x, w: (L.exp(x @ w) / L.exp(x @ w).sum(1, keepdim=True)).pow(3).sum(),
    "var_mean_std": lambda L, x, w: x.var(0).sum() * w.mean() + (x @ w).std(),
    "relu_max": lambda L, x, w: (L.relu(x @ w) ** 2).amax(1).sum() + (x * x).max(),
    "norm_prod": lambda L, x, w: (x @ w).norm() * w.prod(),
    "shape_ops": lambda L, x, w: ((x.t() @ x).reshape(-1)[1:].unsqueeze(0).expand(2, -1) * w.flatten()[:2].repeat(4)).exp().sum(),
    "index_ops": lambda L, x, w: (x[L.tensor([0, 2, 2])] @ w).gather(1, L.tensor([[0], [1], [1]])).pow(2).sum(),
    "cumsum_cumprod": lambda L, x, w: (x.cumsum(1) * w.T.cumprod(1)[:, :3].sum(0)).sin().sum(),
    "einsum_bmm": lambda L, x, w: L.einsum("ij,jk->ik", x, w).pow(2).sum() + L.bmm(x.unsqueeze(0), w.unsqueeze(0)).cos().sum(),
    "where_clamp": lambda L, x, w: L.where(x > 0, x**3, x.clamp(-0.5, 0.5) * 2).sum() * w.sum(),
}


def _inputs(L):
    rng = np.random.default_rng(0)
    x = L.tensor(rng.standard_normal((3, 3)) * 0.7, requires_grad=True)
    w = L.tensor(rng.uniform(0.5, 1.5, (3, 2)), requires_grad=True)
    return x, w


def _hvp(L, f):
    x, w = _inputs(L)
    loss = f(L, x, w)
    gx, gw = L.autograd.grad(loss, (x, w), create_graph=True)
    assert gx.requires_grad and gw.requires_grad
    rng = np.random.default_rng(1)
    vx = L.tensor(rng.standard_normal(tuple(x.shape)))
    vw = L.tensor(rng.standard_normal(tuple(w.shape)))
    dot = (gx * vx).sum() + (gw * vw).sum()
    hx, hw = L.autograd.grad(dot, (x, w))
    return [g.detach().numpy() for g in (gx, gw, hx, hw)]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_hessian_vector_product_matches_torch(name):
    got = _hvp(ember, FUNCTIONS[name])
    want = _hvp(torch, FUNCTIONS[name])
    for g, t in zip(got, want):
        np.testing.assert_allclose(g, t, rtol=1e-6, atol=1e-8)


def test_gradient_penalty_training_step_matches_torch():
    """WGAN-GP style: the norm of d(out)/d(input) is part of the loss."""

    def step(L):
        rng = np.random.default_rng(2)
        x = L.tensor(rng.standard_normal((4, 3)), requires_grad=True)
        w1 = L.tensor(rng.standard_normal((3, 5)), requires_grad=True)
        w2 = L.tensor(rng.standard_normal((5, 1)), requires_grad=True)
        out = L.tanh(x @ w1) @ w2
        (g,) = L.autograd.grad(out.sum(), x, create_graph=True)
        penalty = ((g.norm(dim=1) - 1) ** 2).mean()
        (out.mean() + 10 * penalty).backward()
        return w1.grad.numpy(), w2.grad.numpy(), x.grad.numpy()

    for g, t in zip(step(ember), step(torch)):
        np.testing.assert_allclose(g, t, rtol=1e-6, atol=1e-9)


def test_third_derivative_of_a_polynomial():
    x = ember.tensor(1.5, dtype=ember.float64, requires_grad=True)
    y = x**4 + 2 * x**3
    (d1,) = ember.autograd.grad(y, x, create_graph=True)
    (d2,) = ember.autograd.grad(d1, x, create_graph=True)
    (d3,) = ember.autograd.grad(d2, x)
    assert d1.item() == pytest.approx(4 * 1.5**3 + 6 * 1.5**2)
    assert d2.item() == pytest.approx(12 * 1.5**2 + 12 * 1.5)
    assert d3.item() == pytest.approx(24 * 1.5 + 12)


# relu is left out: its derivative is a constant mask, so ember's first derivative of relu(x)
# alone does not depend on x (torch keeps a zero-valued edge), and grad() of it raises.
@pytest.mark.parametrize("op", ["exp", "tanh", "sigmoid", "sqrt", "reciprocal", "exp2", "expm1"])
def test_second_derivative_of_zero_dim_input_keeps_the_graph(op):
    """Ops that save their output must save the array the output wraps, also for 0-d inputs
    (where NumPy returns scalars), or the second derivative silently loses a term."""

    def d2(L):
        x = L.tensor(0.7, dtype=L.float64, requires_grad=True)
        (g,) = L.autograd.grad(getattr(L, op)(x), x, create_graph=True)
        (h,) = L.autograd.grad(g, x)
        return h.item()

    assert d2(ember) == pytest.approx(d2(torch), rel=1e-9, abs=1e-12)


def test_setitem_in_graph_is_twice_differentiable():
    def f(L):
        x = L.tensor([0.3, -0.8, 1.1], dtype=L.float64, requires_grad=True)
        y = L.zeros(2, 3, dtype=L.float64)
        y[0] = x**2
        y[1, 1:] = x[:2] * x[1:]
        (g,) = L.autograd.grad((y**2).sum(), x, create_graph=True)
        (h,) = L.autograd.grad(g.sum(), x)
        return g.detach().numpy(), h.numpy()

    for a, b in zip(f(ember), f(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-9)
