"""no_grad, enable_grad, set_grad_enabled, inference_mode: as context managers and decorators."""

import pytest

import ember


def leaf():
    return ember.tensor([1.0, 2.0], requires_grad=True)


def test_no_grad_records_nothing_and_restores_the_mode():
    a = leaf()
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = a * 2
    assert ember.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad


def test_enable_grad_inside_no_grad_records_again():
    a = leaf()
    with ember.no_grad():
        with ember.enable_grad():
            y = a * 2
        z = a * 2
    assert y.requires_grad and not z.requires_grad


def test_mode_is_restored_when_the_block_raises():
    with pytest.raises(ValueError):
        with ember.no_grad():
            raise ValueError
    assert ember.is_grad_enabled()


@pytest.mark.parametrize("make", [lambda: ember.no_grad(), lambda: ember.no_grad], ids=["called", "bare"])
def test_no_grad_as_decorator_with_and_without_parentheses(make):
    decorator = make()

    @decorator
    def double(x):
        """Doubles."""
        return x * 2

    assert not double(leaf()).requires_grad
    assert ember.is_grad_enabled()
    assert double.__name__ == "double" and double.__doc__ == "Doubles."


def test_enable_grad_as_decorator_inside_no_grad():
    @ember.enable_grad()
    def double(x):
        return x * 2

    with ember.no_grad():
        assert double(leaf()).requires_grad
        assert not ember.is_grad_enabled()


def test_set_grad_enabled_as_context_manager():
    a = leaf()
    with ember.set_grad_enabled(False):
        assert not (a * 2).requires_grad
    assert ember.is_grad_enabled()
    with ember.no_grad():
        with ember.set_grad_enabled(True):
            assert (a * 2).requires_grad
        assert not ember.is_grad_enabled()


def test_set_grad_enabled_as_a_plain_call_switches_the_mode_at_once():
    try:
        ember.set_grad_enabled(False)
        assert not ember.is_grad_enabled()
        assert not (leaf() * 2).requires_grad
    finally:
        ember.set_grad_enabled(True)
    assert ember.is_grad_enabled()


def test_set_grad_enabled_as_decorator_leaves_the_mode_alone_until_called():
    @ember.set_grad_enabled(False)
    def double(x):
        return x * 2

    assert ember.is_grad_enabled()
    assert not double(leaf()).requires_grad
    assert ember.is_grad_enabled()


def test_inference_mode_disables_recording_and_false_keeps_it():
    a = leaf()
    with ember.inference_mode():
        assert not (a * 2).requires_grad
    with ember.inference_mode(False):
        assert (a * 2).requires_grad

    @ember.inference_mode()
    def double(x):
        return x * 2

    assert not double(a).requires_grad
    assert ember.is_grad_enabled()


def test_autograd_namespace_exports_the_same_switches():
    assert ember.autograd.no_grad is ember.no_grad
    assert ember.autograd.is_grad_enabled is ember.is_grad_enabled


def test_in_place_on_a_leaf_is_allowed_under_no_grad():
    w = leaf()
    with ember.no_grad():
        w.mul_(2)
    assert w.is_leaf and w.requires_grad
    assert w.tolist() == [2.0, 4.0]


def test_grad_mode_is_restored_after_a_failing_backward():
    class Boom(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")

    with pytest.raises(ValueError):
        Boom.apply(leaf()).sum().backward(create_graph=True)
    assert ember.is_grad_enabled()
    y = Boom.apply(leaf()).sum()
    with ember.no_grad():
        with pytest.raises(ValueError):
            y.backward()
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
