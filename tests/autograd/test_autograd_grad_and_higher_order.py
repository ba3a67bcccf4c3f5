"""ember.autograd.grad: its arguments, which nodes it runs, and higher-order derivatives."""

import numpy as np
import pytest

import ember
from ember.autograd import Function


def leaf(values, dtype=ember.float64):
    return ember.tensor(values, dtype=dtype, requires_grad=True)


def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    ga, gb = ember.autograd.grad((a * b).sum(), [a, b])
    np.testing.assert_array_equal(ga.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gb.numpy(), [1.0, 2.0])
    assert a.grad is None and b.grad is None


def test_grad_with_a_single_tensor_input_returns_a_one_tuple():
    a = leaf([1.0, 2.0])
    result = ember.autograd.grad((a * a).sum(), a)
    assert isinstance(result, tuple) and len(result) == 1


def test_grad_outputs_weights_a_non_scalar_output():
    a = leaf([1.0, 2.0])
    (g,) = ember.autograd.grad(a * a, a, grad_outputs=ember.tensor([1.0, 10.0], dtype=ember.float64))
    np.testing.assert_array_equal(g.numpy(), [2.0, 40.0])


def test_grad_of_non_scalar_without_grad_outputs_raises():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        ember.autograd.grad(a * a, a)


def test_unused_input_raises_unless_allowed():
    a, b = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        ember.autograd.grad((a * 2).sum(), [a, b])
    ga, gb = ember.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert ga.item() == 2.0 and gb is None


def test_materialize_grads_gives_zeros_for_unused_inputs():
    a, b = leaf([1.0]), leaf([2.0, 3.0])
    _, gb = ember.autograd.grad((a * 2).sum(), [a, b], materialize_grads=True)
    np.testing.assert_array_equal(gb.numpy(), [0.0, 0.0])


def test_grad_with_respect_to_a_tensor_that_does_not_require_grad_raises():
    a = leaf([1.0])
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        ember.autograd.grad((a * 2).sum(), [ember.ones(1)])


def test_grad_frees_the_graph_unless_retained():
    a = leaf([1.0, 2.0])
    y = (a * a).sum()
    ember.autograd.grad(y, a)
    with pytest.raises(RuntimeError, match="second time"):
        ember.autograd.grad(y, a)
    z = (a * a).sum()
    ember.autograd.grad(z, a, retain_graph=True)
    (g,) = ember.autograd.grad(z, a)
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])


def test_grad_with_respect_to_an_intermediate_tensor():
    a = leaf([1.0, 2.0])
    m = a * 2
    (g,) = ember.autograd.grad((m * m).sum(), m)
    np.testing.assert_array_equal(g.numpy(), [4.0, 8.0])


def test_grad_runs_only_the_nodes_between_outputs_and_inputs():
    calls = []

    class Count(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g

    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (x * Count.apply(w)).sum()
    ember.autograd.grad(y, x)
    assert calls == []
    ember.autograd.grad((x * Count.apply(w)).sum(), w)
    assert calls == [1]


def test_grad_applies_tensor_hooks_before_capturing_like_pytorch():
    x = leaf([1.0, 1.0])
    y = x * 2
    y.register_hook(lambda g: g * 10)
    z = (y * y).sum()
    (gy,) = ember.autograd.grad(z, y, retain_graph=True)
    np.testing.assert_array_equal(gy.numpy(), [40.0, 40.0])
    x.register_hook(lambda g: g * 100)
    (gx,) = ember.autograd.grad(z, x)
    np.testing.assert_array_equal(gx.numpy(), [8000.0, 8000.0])


def test_same_input_twice_gets_the_gradient_twice():
    a = leaf([1.0, 2.0])
    g1, g2 = ember.autograd.grad((a * 3).sum(), [a, a])
    np.testing.assert_array_equal(g1.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(g2.numpy(), [3.0, 3.0])


def test_create_graph_gives_a_differentiable_first_derivative():
    x = leaf([1.0, 2.0, 3.0])
    (g,) = ember.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_array_equal(g.detach().numpy(), [3.0, 12.0, 27.0])
    (g2,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(g2.numpy(), [6.0, 12.0, 18.0])


def test_third_derivative_of_sin():
    x = leaf(0.7)
    (g1,) = ember.autograd.grad(x.sin(), x, create_graph=True)
    (g2,) = ember.autograd.grad(g1, x, create_graph=True)
    (g3,) = ember.autograd.grad(g2, x)
    assert g1.item() == pytest.approx(np.cos(0.7))
    assert g2.item() == pytest.approx(-np.sin(0.7))
    assert g3.item() == pytest.approx(-np.cos(0.7))


@pytest.mark.parametrize("op", ["exp", "sigmoid", "tanh", "sqrt"])
def test_second_derivative_through_ops_that_save_their_output_even_when_it_is_dropped(op):
    """These ops save their output for backward; the output tensor itself is gone by the
    time grad runs (nothing but the graph refers to it), and the second derivative must
    still flow through it."""
    torch = pytest.importorskip("torch")
    values = [0.5, 1.5]
    results = []
    for lib in (ember, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(getattr(x, op)().sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        results.append(g2.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_backward_with_create_graph_makes_grad_differentiable():
    x = leaf([1.0, 2.0])
    (x.exp() * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    gx = x.grad
    x.grad = None
    gx.sum().backward()
    expected = np.exp([1.0, 2.0]) * (2 + np.array([1.0, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_hessian_vector_product_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w0, x0, v0 = rng.standard_normal((3, 3)), rng.standard_normal(3), rng.standard_normal(3)
    out = []
    for lib in (ember, torch):
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0)
        f = ((w @ x).tanh() ** 2).sum() + (x * x * x).sum()
        (g,) = lib.autograd.grad(f, x, create_graph=True)
        (hv,) = lib.autograd.grad(g, x, grad_outputs=lib.tensor(v0))
        out.append(hv.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-10)


def test_gradient_penalty_style_double_backward_reaches_the_weights():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    w0, x0 = rng.standard_normal((4, 3)), rng.standard_normal((5, 4))
    grads = []
    for lib in (ember, torch):
        w = lib.tensor(w0, requires_grad=True)
        x = lib.tensor(x0, requires_grad=True)
        y = (x @ w).sigmoid().sum()
        (gx,) = lib.autograd.grad(y, x, create_graph=True)
        penalty = ((gx * gx).sum(1) - 1).pow(2).mean()
        penalty.backward()
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10)


def test_first_derivative_without_create_graph_is_a_constant():
    x = leaf([1.0, 2.0])
    (g,) = ember.autograd.grad((x ** 3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
