"""ember.autograd.Function: PyTorch's custom-function protocol."""

import numpy as np
import pytest

import ember
from ember.autograd import Function


def leaf(values, dtype=None):
    return ember.tensor(values, dtype=dtype, requires_grad=True)


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


def test_apply_records_a_node_named_like_pytorch():
    x = leaf([0.0, 1.0])
    y = Exp.apply(x)
    assert y.requires_grad and y.grad_fn.name() == "ExpBackward"
    assert "grad_fn=<ExpBackward>" in repr(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.0, 1.0]), rtol=1e-6)


def test_forward_runs_without_grad_and_backward_with_grad_only_under_create_graph():
    modes = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            modes.append(("forward", ember.is_grad_enabled()))
            return x * 2

        @staticmethod
        def backward(ctx, g):
            modes.append(("backward", ember.is_grad_enabled()))
            return g * 2

    x = leaf([1.0])
    Probe.apply(x).sum().backward()
    Probe.apply(x).sum().backward(create_graph=True)
    assert modes == [("forward", False), ("backward", False), ("forward", False), ("backward", True)]


def test_non_tensor_arguments_and_needs_input_grad():
    seen = []

    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k, y):
            seen.append(ctx.needs_input_grad)
            ctx.k = k
            return x * k + y

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return g * ctx.k, None, g

    x = leaf([1.0, 2.0])
    y = ember.ones(2)
    Scale.apply(x, 3.0, y).sum().backward()
    assert seen == [(True, False, False), (True, False, False)]
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_keyword_arguments_reach_forward():
    class Pow(Function):
        @staticmethod
        def forward(ctx, x, exponent=2):
            ctx.exponent = exponent
            ctx.save_for_backward(x)
            return x ** exponent

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.exponent * x ** (ctx.exponent - 1)

    x = leaf([2.0])
    Pow.apply(x, exponent=3).backward()
    assert x.grad.item() == 12.0


def test_multiple_outputs_share_one_node_and_missing_gradients_are_zeros():
    got = []

    class SumProd(Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x + y, x * y

        @staticmethod
        def backward(ctx, g_sum, g_prod):
            got.append((g_sum.numpy().copy(), g_prod.numpy().copy()))
            x, y = ctx.saved_tensors
            return g_sum + g_prod * y, g_sum + g_prod * x

    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    s, p = SumProd.apply(x, y)
    assert s.grad_fn is p.grad_fn
    p.sum().backward()
    np.testing.assert_array_equal(got[0][0], [0.0, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_set_materialize_grads_false_passes_none_for_unused_outputs():
    got = []

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            got.append((g1 is None, g2 is None))
            return g1 * 2

    x = leaf([1.0])
    a, _ = Two.apply(x)
    a.sum().backward()
    assert got == [(False, True)]


def test_mark_non_differentiable_outputs_get_no_grad_fn():
    class MaxWithIndexMask(Function):
        @staticmethod
        def forward(ctx, x):
            mask = (x == x.max()).to(x.dtype)
            ctx.mark_non_differentiable(mask)
            ctx.save_for_backward(mask)
            return x.max(), mask

        @staticmethod
        def backward(ctx, g, g_mask):
            (mask,) = ctx.saved_tensors
            return g * mask

    x = leaf([1.0, 3.0, 2.0])
    v, mask = MaxWithIndexMask.apply(x)
    assert v.requires_grad and not mask.requires_grad and mask.grad_fn is None
    v.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_integer_outputs_are_not_differentiable():
    class Argmax(Function):
        @staticmethod
        def forward(ctx, x):
            return x.argmax()

        @staticmethod
        def backward(ctx, g):
            return None

    assert not Argmax.apply(leaf([1.0, 2.0])).requires_grad


def test_non_tensor_outputs_are_returned_as_is():
    class WithCount(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 7

        @staticmethod
        def backward(ctx, g, _):
            return g * 2

    x = leaf([1.0])
    y, n = WithCount.apply(x)
    assert n == 7
    y.sum().backward()
    assert x.grad.item() == 2.0


def test_returning_an_input_gives_a_new_tensor_that_views_it():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = leaf([1.0, 2.0])
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and y.grad_fn is not None
    assert np.shares_memory(y.detach().numpy(), x.detach().numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_mark_dirty_rebases_the_modified_input():
    class DoubleInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = leaf([1.0, 2.0])
    a = x.clone()
    b = DoubleInPlace.apply(a)
    assert b is a and a.grad_fn.name() == "DoubleInPlaceBackward"
    (a * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_mark_dirty_on_a_leaf_that_requires_grad_is_refused():
    class Dirty(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        Dirty.apply(leaf([1.0]))


def test_saved_none_comes_back_as_none():
    class SaveNone(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            x, nothing = ctx.saved_tensors
            assert nothing is None
            return g * 2

    x = leaf([1.0])
    SaveNone.apply(x).sum().backward()
    assert x.grad.item() == 2.0


def test_saving_a_non_tensor_is_refused():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="save_for_backward can only save variables"):
        Bad.apply(leaf([1.0]))


def test_saved_input_modified_in_place_makes_backward_raise():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = leaf([1.0, 2.0])
    m = x * 1
    y = Square.apply(m)
    m.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_saved_output_modified_in_place_makes_backward_raise():
    x = leaf([0.0, 1.0])
    y = Exp.apply(x)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_wrong_number_of_gradients_is_refused():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, g

    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match=r"returned an incorrect number of gradients \(expected 1, got 2\)"):
        TooMany.apply(leaf([1.0])).sum().backward()
    with pytest.raises(RuntimeError, match=r"returned an incorrect number of gradients \(expected 2, got 1\)"):
        TooFew.apply(leaf([1.0]), leaf([1.0])).sum().backward()


def test_extra_none_gradients_are_accepted():
    class ExtraNone(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    x = leaf([1.0])
    ExtraNone.apply(x).sum().backward()
    assert x.grad.item() == 2.0


def test_gradient_of_the_wrong_shape_is_refused_broadcastable_one_is_summed():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return ember.ones(3)

    class Broadcast(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return ember.ones(4, 2)

    with pytest.raises(RuntimeError, match=r"invalid gradient at index 0 - got \[3\] but expected shape compatible with \[2\]"):
        BadShape.apply(leaf([1.0, 2.0])).backward()
    x = leaf([1.0, 2.0])
    Broadcast.apply(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_no_graph_when_inputs_do_not_require_grad_or_grad_is_off():
    assert Exp.apply(ember.ones(2)).grad_fn is None
    with ember.no_grad():
        assert Exp.apply(leaf([1.0])).grad_fn is None


def test_custom_function_second_derivative_through_saved_output():
    x = leaf([0.5, 1.5], dtype=ember.float64)
    (g,) = ember.autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
    (g2,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), np.exp([0.5, 1.5]))


def test_calling_a_function_instance_is_refused_like_pytorch():
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward method is deprecated"):
        Exp()(leaf([1.0]))


def test_custom_function_matches_torch_custom_function():
    torch = pytest.importorskip("torch")

    def make(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, w):
                ctx.save_for_backward(x, w)
                return (x ** 3) * w

            @staticmethod
            def backward(ctx, g):
                x, w = ctx.saved_tensors
                return g * 3 * x ** 2 * w, (g * x ** 3).sum(0)

        return Cube

    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal((4, 3)), rng.standard_normal(3)
    out = []
    for lib in (ember, torch):
        x, w = lib.tensor(x0, requires_grad=True), lib.tensor(w0, requires_grad=True)
        make(lib).apply(x, w).tanh().sum().backward()
        out.append((x.grad.numpy(), w.grad.numpy()))
    for e, t in zip(*out):
        np.testing.assert_allclose(e, t, rtol=1e-12)
