"""Tensor hooks, node hooks, retain_grad, detach: when they run and what they change."""

import numpy as np
import pytest

import ember


def leaf(values):
    return ember.tensor(values, requires_grad=True)


def test_leaf_hook_sees_the_gradient_and_its_return_value_replaces_it():
    a = leaf([1.0, 2.0])
    seen = []
    a.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (a * 2).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])
    np.testing.assert_array_equal(a.grad.numpy(), [20.0, 20.0])


def test_removed_hook_no_longer_runs():
    a = leaf([1.0, 2.0])
    handle = a.register_hook(lambda g: g * 10)
    handle.remove()
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


def test_removing_one_hook_keeps_the_others():
    a = leaf([1.0])
    first = a.register_hook(lambda g: g * 2)
    a.register_hook(lambda g: g * 3)
    first.remove()
    a.register_hook(lambda g: g * 5)
    a.sum().backward()
    assert a.grad.item() == 15.0


def test_leaf_hooks_run_in_registration_order():
    a = leaf([1.0])
    a.register_hook(lambda g: g + 1)
    a.register_hook(lambda g: g * 10)
    a.sum().backward()
    assert a.grad.item() == 20.0


def test_non_leaf_hook_changes_what_flows_further_back():
    a = leaf([1.0, 2.0])
    b = a * 2
    b.register_hook(lambda g: g + 1)
    (b * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [10.0, 18.0])


def test_hook_on_tensor_without_grad_is_refused():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        ember.ones(2).register_hook(lambda g: g)


def test_retain_grad_keeps_the_gradient_of_a_non_leaf():
    a = leaf([1.0, 2.0, 3.0])
    h = a * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [4.0, 8.0, 12.0])
    np.testing.assert_array_equal(a.grad.numpy(), [8.0, 16.0, 24.0])
    assert h.retains_grad and not h.is_leaf


def test_retained_grad_is_taken_after_hooks_whatever_the_registration_order():
    a = leaf([1.0, 2.0])
    b = a * 2
    b.retain_grad()
    b.register_hook(lambda g: g * 100)
    (b * 3).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [300.0, 300.0])
    np.testing.assert_array_equal(a.grad.numpy(), [600.0, 600.0])


def test_retained_grad_accumulates_over_backward_calls():
    a = leaf([1.0])
    b = a * 2
    b.retain_grad()
    (b * 3).sum().backward(retain_graph=True)
    (b * 3).sum().backward()
    assert b.grad.item() == 6.0


def test_retain_grad_on_a_leaf_is_a_no_op():
    a = leaf([1.0, 2.0])
    a.retain_grad()
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


def test_retain_grad_without_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        ember.ones(2).retain_grad()


def test_reading_grad_of_a_non_leaf_warns_like_pytorch():
    b = leaf([1.0]) * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert b.grad is None


def test_post_accumulate_grad_hook_runs_after_grad_is_updated():
    a = leaf([1.0, 2.0])
    seen = []
    a.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (a * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])


def test_post_accumulate_grad_hook_is_refused_on_non_leaf():
    with pytest.raises(RuntimeError, match="non-leaf"):
        (leaf([1.0]) * 2).register_post_accumulate_grad_hook(lambda t: None)


def test_node_hooks_see_grad_inputs_and_grad_outputs():
    a = leaf([1.0, 2.0])
    y = a * 3
    calls = []
    y.grad_fn.register_hook(lambda gin, gout: calls.append((gin[0].numpy().copy(), gout[0].numpy().copy())))
    y.sum().backward()
    np.testing.assert_array_equal(calls[0][0], [3.0, 3.0])
    np.testing.assert_array_equal(calls[0][1], [1.0, 1.0])


def test_node_prehook_can_replace_the_incoming_gradient():
    a = leaf([1.0, 2.0])
    y = a * 3
    y.grad_fn.register_prehook(lambda gout: (gout[0] * 2,))
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [6.0, 6.0])


def test_grad_fn_exposes_next_functions_and_pytorch_names():
    a = leaf([1.0, 2.0])
    y = (a * 2).sum()
    assert y.grad_fn.name() == "SumBackward0"
    mul = y.grad_fn.next_functions[0][0]
    assert mul.name() == "MulBackward0"
    acc, _ = mul.next_functions[0]
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is a
    assert mul.next_functions[1] == (None, 0)


@pytest.mark.parametrize(
    "expr, name",
    [
        ("a + b", "AddBackward0"),
        ("a - b", "SubBackward0"),
        ("a * b", "MulBackward0"),
        ("a / b", "DivBackward0"),
        ("-a", "NegBackward0"),
        ("a.sum()", "SumBackward0"),
        ("a.mean()", "MeanBackward0"),
        ("a.exp()", "ExpBackward0"),
        ("a.log()", "LogBackward0"),
        ("a.view(2, 1)", "ViewBackward0"),
        ("a @ b", "DotBackward0"),
        ("a.clone()", "CloneBackward0"),
        ("a.tanh()", "TanhBackward0"),
        ("a.sigmoid()", "SigmoidBackward0"),
    ],
)
def test_grad_fn_names_match_pytorch(expr, name):
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])  # noqa: F841 - used by eval
    y = eval(expr)
    assert y.grad_fn.name() == name
    assert f"grad_fn=<{name}>" in repr(y)


def test_detach_shares_storage_and_leaves_the_graph():
    a = leaf([1.0, 2.0])
    d = (a * 2).detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d2 = a.detach()
    d2.add_(1)
    np.testing.assert_array_equal(a.detach().numpy(), [2.0, 3.0])


def test_detach_in_place_turns_a_result_into_a_leaf():
    a = leaf([1.0, 2.0])
    b = a * 2
    assert b.detach_() is b
    assert b.grad_fn is None and not b.requires_grad and b.is_leaf


def test_requires_grad_cannot_be_switched_off_on_a_non_leaf():
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        (leaf([1.0]) * 2).requires_grad_(False)


def test_requires_grad_is_refused_for_integer_tensors():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        ember.ones(2, dtype=ember.int64).requires_grad_()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        ember.tensor([1, 2], requires_grad=True)


def test_requires_grad_setter_and_method_agree():
    a = ember.ones(2)
    a.requires_grad = True
    assert a.requires_grad and a.is_leaf
    assert a.requires_grad_(False) is a and not a.requires_grad


def test_grad_assignment_is_validated_like_pytorch():
    a = leaf([1.0, 2.0])
    a.grad = ember.ones(2)
    with pytest.raises(RuntimeError, match="assign a gradient of size"):
        a.grad = ember.ones(3)
    with pytest.raises(RuntimeError, match="dtype"):
        a.grad = ember.ones(2, dtype=ember.float64)
    with pytest.raises(TypeError, match="expected to be a Tensor or None"):
        a.grad = [1.0, 2.0]
    a.grad = None
    assert a.grad is None


def test_setting_grad_to_none_restarts_accumulation():
    a = leaf([1.0])
    (a * 2).sum().backward()
    a.grad = None
    (a * 3).sum().backward()
    assert a.grad.item() == 3.0


def test_retained_grad_follows_in_place_changes_while_old_hooks_see_the_old_value():
    a = leaf([1.0, 1.0])
    b = a * 1
    b.retain_grad()
    before, after = [], []
    b.register_hook(lambda g: before.append(g.tolist()))
    b.mul_(3)
    b.register_hook(lambda g: after.append(g.tolist()))
    (b * b).sum().backward()
    assert b.grad.tolist() == [6.0, 6.0]  # gradient of the latest value, as in PyTorch
    assert before == [[18.0, 18.0]] and after == [[6.0, 6.0]]
    assert a.grad.tolist() == [18.0, 18.0]


def test_hook_may_not_change_the_shape_or_dtype_of_the_gradient():
    a = leaf([1.0, 2.0])
    a.register_hook(lambda g: ember.ones(3))
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        (a * 2).sum().backward()
    b = leaf([1.0, 2.0])
    m = b * 2
    m.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="has changed the type of value"):
        m.sum().backward()
