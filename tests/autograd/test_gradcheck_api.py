"""gradcheck and gradgradcheck: PyTorch's arguments, and they catch wrong derivatives."""

import numpy as np
import pytest

import ember
from ember.autograd import Function, GradcheckError, gradcheck, gradgradcheck


def leaf(values):
    return ember.tensor(values, dtype=ember.float64, requires_grad=True)


class WrongSquare(Function):
    """Forward x^2, backward claims the derivative is 1."""

    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, g):
        return g


class CubeWithFrozenSecondDerivative(Function):
    """Right first derivative, but it detaches x, so its own derivative is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x.detach()


def test_gradcheck_passes_for_correct_ops():
    x, w = leaf([[0.3, -1.2], [0.7, 2.0]]), leaf([0.5, -0.25])
    assert gradcheck(lambda a, b: (a @ b).tanh() * a.sum(), (x, w))


def test_gradcheck_detects_a_wrong_backward():
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(WrongSquare.apply, (leaf([1.0, 2.0]),))


def test_gradcheck_returns_false_without_raising_when_asked():
    assert gradcheck(WrongSquare.apply, (leaf([1.0, 2.0]),), raise_exception=False) is False


def test_gradcheck_names_the_output_and_input_that_disagree():
    x, y = leaf([1.0, 2.0]), leaf([1.5, 2.5])
    with pytest.raises(GradcheckError, match="for output 1 with respect to input 1"):
        gradcheck(lambda a, b: (a * 2, WrongSquare.apply(b)), (x, y))


def test_gradcheck_tolerances_are_pytorchs_arguments():
    class SlightlyOff(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2.01

    x = leaf([1.0])
    assert not gradcheck(SlightlyOff.apply, (x,), raise_exception=False)
    assert gradcheck(SlightlyOff.apply, (x,), atol=2e-2, rtol=0.0)
    assert gradcheck(SlightlyOff.apply, (x,), eps=1e-4, atol=0.0, rtol=1e-2)


def test_gradcheck_perturbs_non_contiguous_inputs():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ember.float64).t().requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda t: (t * t * ember.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ember.float64)).sum(0), (x,))
    assert x.tolist() == [[1.0, 3.0], [2.0, 4.0]]  # restored exactly


def test_gradcheck_skips_inputs_that_do_not_require_grad_and_non_tensors():
    x = leaf([1.0, 2.0])
    assert gradcheck(lambda a, b, k: a * b * k, (x, ember.tensor([3.0, 4.0], dtype=ember.float64), 2.0))


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2, (ember.ones(2, dtype=ember.float64),))


def test_gradcheck_warns_for_single_precision_inputs():
    with pytest.warns(UserWarning, match="not a double precision"):
        gradcheck(lambda a: a * 2, (ember.ones(2, requires_grad=True),), atol=1e-2, rtol=1e-2, eps=1e-3)


def test_gradgradcheck_passes_for_correct_second_derivatives():
    x = leaf([0.3, -0.8, 1.1])
    assert gradgradcheck(lambda t: (t.sin() * t.exp()).sum() * t, (x,))


def test_gradgradcheck_detects_a_wrong_double_backward_that_gradcheck_accepts():
    x = leaf([0.5, -1.5])
    assert gradcheck(CubeWithFrozenSecondDerivative.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(CubeWithFrozenSecondDerivative.apply, (x,))


def test_gradgradcheck_accepts_explicit_grad_outputs():
    x = leaf([0.5, -1.5])
    go = ember.tensor([1.0, -2.0], dtype=ember.float64, requires_grad=True)
    assert gradgradcheck(lambda t: t ** 3, (x,), (go,))


def test_helpers_check_gradcheck_runs_in_float64():
    from helpers import check_gradcheck

    rng = np.random.default_rng(0)
    check_gradcheck(lambda a, b: (a * b).sigmoid(), [rng.standard_normal(3), rng.standard_normal(3)])


@pytest.mark.parametrize("option", ["check_batched_grad", "check_batched_forward_grad", "check_forward_ad",
                                    "check_grad_dtypes", "masked"])
def test_gradcheck_refuses_checks_it_cannot_perform(option):
    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match=option):
        ember.autograd.gradcheck(lambda t: t.sin(), (x,), **{option: True})
    assert ember.autograd.gradcheck(lambda t: t.sin(), (x,), **{option: False})


@pytest.mark.parametrize("option", ["check_batched_grad", "check_fwd_over_rev", "check_grad_dtypes", "masked"])
def test_gradgradcheck_refuses_checks_it_cannot_perform(option):
    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match=option):
        ember.autograd.gradgradcheck(lambda t: t.sin(), (x,), **{option: True})


def test_gradcheck_fast_mode_runs_the_full_check_and_still_catches_a_wrong_gradient():
    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert not ember.autograd.gradcheck(Wrong.apply, (x,), fast_mode=True, raise_exception=False)
