"""Every .grad owns its memory: updating one in place never changes another tensor.

The engine keeps a freshly computed gradient array without copying it when nothing else
can see it (function._owned); these tests pin both sides of that bargain.
"""

import weakref

import numpy as np

import ember
from ember.autograd import Function
from ember.autograd.function import Op


def leaf(values):
    return ember.tensor(values, requires_grad=True)


def test_add_hands_one_gradient_to_both_inputs_but_their_grads_are_separate():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.mul_(2)
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())


def test_sub_and_expand_pass_through_gradients_do_not_alias():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = leaf([5.0])
    (a - b + c.expand(2)).sum().backward()
    grads = [a.grad.numpy(), b.grad.numpy(), c.grad.numpy()]
    for i, g in enumerate(grads):
        for h in grads[i + 1 :]:
            assert not np.shares_memory(g, h)


def test_user_gradient_tensor_is_never_stored_as_grad():
    a = leaf([1.0, 2.0])
    g = ember.ones(2)
    a.clone().backward(g)
    a.grad.add_(1)
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])


def test_user_gradient_through_a_view_is_not_stored_as_grad():
    a = leaf([1.0, 2.0])
    g = ember.ones(2)
    a.view(2).backward(g)
    a.grad.add_(1)
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])


def test_backward_on_the_leaf_itself_copies_the_gradient():
    a = leaf([1.0, 2.0])
    g = ember.ones(2)
    a.backward(g)
    a.grad.mul_(3)
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])


def test_gradient_returned_by_a_hook_and_kept_by_the_user_is_copied():
    kept = ember.zeros(2)
    a = leaf([1.0, 2.0])
    a.register_hook(lambda g: kept)
    (a * 2).sum().backward()
    a.grad.add_(5)
    np.testing.assert_array_equal(kept.numpy(), [0.0, 0.0])


def test_array_held_elsewhere_by_a_backward_is_copied():
    held = []

    class Keeps(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            out = g * 2
            held.append(out._data)
            return out

    a = leaf([1.0, 2.0])
    Keeps.apply(a).sum().backward()
    assert a.grad._data is not held[0]
    a.grad.add_(1)
    np.testing.assert_array_equal(held[0], [2.0, 2.0])


def test_fresh_gradient_from_a_function_is_kept_without_a_copy():
    refs = []

    class Fresh(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            out = g * 2
            refs.append(weakref.ref(out._data))
            return out

    a = leaf([1.0, 2.0])
    Fresh.apply(a).sum().backward()
    assert refs[0]() is a.grad._data


def test_fresh_gradient_from_an_op_is_kept_without_a_copy():
    refs = []

    class Double(Op):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            out = g * 2
            refs.append(weakref.ref(out))
            return out

    a = leaf([1.0, 2.0])
    Double.apply(a).sum().backward()
    assert refs[0]() is a.grad._data


def test_same_array_returned_for_two_inputs_is_copied_for_one_of_them():
    class Both(Op):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            out = g * 1
            return out, out

    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    Both.apply(a, b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())


def test_a_view_returned_as_gradient_is_copied():
    base = []

    class View(Op):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            full = np.concatenate([g, g])
            base.append(full)
            return full[:2]

    a = leaf([1.0, 2.0])
    View.apply(a).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), base[0])


def test_accumulation_into_existing_grad_is_in_place_and_keeps_the_object():
    a = leaf([1.0, 2.0])
    (a * 2).sum().backward()
    first = a.grad
    (a * 3).sum().backward()
    assert a.grad is first
    np.testing.assert_array_equal(first.numpy(), [5.0, 5.0])


def test_create_graph_grads_of_two_leaves_are_distinct_tensors():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward(create_graph=True)
    assert a.grad is not b.grad
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())


def test_retained_grad_does_not_alias_the_leaf_grad():
    a = leaf([1.0, 2.0])
    m = a * 1
    m.retain_grad()
    m.sum().backward()
    assert not np.shares_memory(m.grad.numpy(), a.grad.numpy())
