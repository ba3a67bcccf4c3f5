"""The backward pass: what reaches .grad, when it raises, and that it scales to deep graphs."""

import gc
import weakref

import numpy as np
import pytest

import ember
from ember.autograd import Function


def leaf(values, dtype=None):
    return ember.tensor(values, dtype=dtype, requires_grad=True)


def test_backward_of_scalar_fills_leaf_grads_with_the_derivative():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0])


def test_grads_accumulate_over_backward_calls():
    a = leaf([1.0, 2.0])
    (a * a).sum().backward()
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 8.0])


def test_a_leaf_used_twice_gets_the_sum_of_both_paths():
    a = leaf([1.0, 2.0])
    (a * 3 + a * a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [5.0, 7.0])


def test_diamond_graph_runs_the_shared_node_once_with_the_summed_gradient():
    calls = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(g.numpy().copy())
            return g

    a = leaf([1.0, 2.0])
    s = Spy.apply(a)
    (s * 2 + s * 3).sum().backward()
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], [5.0, 5.0])
    np.testing.assert_array_equal(a.grad.numpy(), [5.0, 5.0])


def test_non_scalar_output_without_gradient_raises_pytorchs_error():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()


def test_non_scalar_output_with_gradient_computes_the_vector_jacobian_product():
    a = leaf([1.0, 2.0])
    (a * a).backward(ember.tensor([1.0, 10.0]))
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 40.0])


def test_gradient_of_the_wrong_shape_is_refused():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of .*\[3\].* and output\[0\] has a shape of .*\[2\]"):
        y.backward(ember.ones(3))


def test_gradient_of_another_dtype_is_cast_to_the_output_dtype():
    a = leaf([1.0, 2.0])
    (a * 2).backward(ember.ones(2, dtype=ember.float64))
    assert a.grad.dtype is ember.float32
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        ember.ones(2).sum().backward()


def test_backward_on_integer_scalar_is_refused():
    with pytest.raises(RuntimeError, match="only for real scalar outputs"):
        ember.autograd.backward(ember.tensor(3), None)


def test_second_backward_after_freeing_raises_pytorchs_message():
    a = leaf([1.0, 2.0])
    y = (a * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    a = leaf([1.0, 2.0])
    y = (a * a).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 8.0])


def test_saved_tensors_are_released_after_backward():
    a = leaf([1.0, 2.0])
    y = a * a
    node = y.grad_fn
    assert node._saved
    y.sum().backward()
    assert node._saved == ()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        _ = node.saved_tensors


def test_graph_without_saved_tensors_can_backward_twice_like_pytorch():
    a = leaf([1.0, 2.0])
    y = (a + 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


def test_ten_thousand_op_chain_backpropagates_without_recursion():
    a = leaf([1.0])
    y = a
    for _ in range(10_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0])


def test_ten_thousand_op_chain_through_autograd_grad_with_create_graph():
    a = leaf([2.0], dtype=ember.float64)
    y = a
    for _ in range(10_000):
        y = y + 0.0
    (g,) = ember.autograd.grad((y * y).sum(), a, create_graph=True)
    assert g.item() == 4.0
    (g2,) = ember.autograd.grad(g.sum(), a)
    assert g2.item() == 2.0


def test_broadcast_inputs_get_gradients_in_their_own_shape():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.ones(4))
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_array_equal(a.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 3.0))


def test_leaf_grad_has_the_leafs_dtype_across_a_cast():
    a = leaf([1.0, 2.0], dtype=ember.float64)
    (a.float() * 2).sum().backward()
    assert a.grad.dtype is ember.float64


def test_backward_with_several_roots_adds_their_contributions():
    a = leaf([1.0, 2.0])
    ember.autograd.backward([(a * 2).sum(), (a * a).sum()])
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 6.0])


def test_backward_roots_where_one_feeds_the_other():
    a = leaf([1.0, 2.0])
    m = a * 3
    ember.autograd.backward([m, m.sum()], [ember.ones(2), None])
    np.testing.assert_array_equal(a.grad.numpy(), [6.0, 6.0])


def test_backward_from_a_leaf_accumulates_the_gradient_itself():
    a = leaf([1.0, 2.0])
    a.backward(ember.tensor([3.0, 4.0]))
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])


def test_backward_inputs_accumulates_only_into_those_tensors():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a * b).sum().backward(inputs=[a])
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    assert b.grad is None


def test_backward_inputs_can_name_a_non_leaf():
    a = leaf([1.0, 2.0])
    m = a * 2
    (m * m).sum().backward(inputs=[m])
    np.testing.assert_array_equal(m.grad.numpy(), [4.0, 8.0])
    assert a.grad is None


def test_backward_inputs_empty_is_refused():
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (leaf([1.0]) * 2).sum().backward(inputs=[])


def test_no_graph_is_recorded_when_no_input_requires_grad():
    y = ember.ones(2) * ember.ones(2) + 1
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


def test_integer_outputs_of_differentiable_inputs_have_no_grad_fn():
    a = leaf([1.0, 2.0])
    idx = a.argmax()
    assert idx.grad_fn is None and not idx.requires_grad
    assert not (a > 1).requires_grad


def test_a_path_whose_backward_returns_none_contributes_nothing():
    class Stop(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, g):
            return None

    a = leaf([1.0, 2.0])
    Stop.apply(a * 2).sum().backward()
    assert a.grad is None
    b = leaf([1.0, 2.0])
    (Stop.apply(b * 2) + b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_custom_function_below_a_none_path_gets_materialized_zeros():
    seen = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen.append(g.numpy().copy())
            return g * 2

    class Stop(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, g):
            return None

    a = leaf([1.0, 2.0])
    Stop.apply(Spy.apply(a)).sum().backward()
    np.testing.assert_array_equal(seen[0], [0.0, 0.0])  # PyTorch does the same
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])


def test_zero_dim_ops_produce_tensors_and_differentiate():
    x = leaf(2.0)
    y = x ** 3 * x + 1
    assert isinstance(y, ember.Tensor) and y.shape == ()
    y.backward()
    assert x.grad.item() == 32.0


def test_empty_tensors_backpropagate_empty_gradients():
    a = leaf(np.zeros((0, 3)))
    (a * 2).sum().backward()
    assert a.grad.shape == (0, 3)


def test_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        a = leaf([1.0, 2.0])
        y = (a * a).exp()
        y.retain_grad()
        y.sum().backward()
        node_ref = weakref.ref(y.grad_fn)
        acc_ref = weakref.ref(a._accumulator)
        leaf_ref = weakref.ref(a)
        del y
        assert node_ref() is None
        del a
        assert leaf_ref() is None and acc_ref() is None
    finally:
        gc.enable()


def test_anomaly_mode_names_the_node_that_returned_nan():
    a = leaf([0.0])
    with ember.autograd.detect_anomaly():
        assert ember.autograd.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match="Function 'DivBackward0' returned nan values in its 1th output"):
            (a / a).sum().backward()
    assert not ember.autograd.is_anomaly_enabled()


def test_backward_matches_torch_on_a_small_network():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w1, w2 = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    grads = []
    for lib in (ember, torch):
        tw1 = lib.tensor(w1, requires_grad=True)
        tw2 = lib.tensor(w2, requires_grad=True)
        h = (lib.tensor(x) @ tw1).tanh()
        loss = ((h @ tw2).sigmoid() * h.sum(1, keepdim=True)).mean()
        loss.backward()
        grads.append((tw1.grad.numpy(), tw2.grad.numpy()))
    for e, t in zip(*grads):
        np.testing.assert_allclose(e, t, rtol=1e-10)
