"""The torch names added for issue 10 that the op registry cannot drive: factories (windows, range),
switches, errors and warnings, in-place/strided storage behaviour and the legacy Tensor.new."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _same_error(fn):
    """Run ``fn(torch)`` and ``fn(ember)``: both raise the same exception class with the same message."""
    with pytest.raises(Exception) as expected:
        fn(torch)
    with pytest.raises(type(expected.value)) as got:
        fn(ember)
    assert str(got.value) == str(expected.value)


# -- windows ------------------------------------------------------------------------------------------

WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_window_values_and_dtype_match_torch(name, n, periodic, dtype):
    got = getattr(ember, name)(n, periodic, dtype=getattr(ember, dtype))
    want = getattr(torch, name)(n, periodic, dtype=getattr(torch, dtype))
    assert got.dtype == getattr(ember, dtype) and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12 if dtype == "float64" else 2e-6,
                               atol=1e-12 if dtype == "float64" else 1e-7)


def test_window_extra_parameters_and_requires_grad_match_torch():
    for e, t in [(ember.hamming_window(7, True, 0.5, 0.5), torch.hamming_window(7, True, 0.5, 0.5)),
                 (ember.kaiser_window(9, False, 5.0), torch.kaiser_window(9, False, 5.0)),
                 (ember.hann_window(4, requires_grad=True, dtype=ember.float64),
                  torch.hann_window(4, requires_grad=True, dtype=torch.float64))]:
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6)
        assert e.requires_grad == t.requires_grad
    assert ember.hann_window(3).dtype == ember.float32


@pytest.mark.parametrize("name", WINDOWS)
def test_window_errors_match_torch(name):
    _same_error(lambda L: getattr(L, name)(-1))
    _same_error(lambda L: getattr(L, name)(3, dtype=L.int64))
    _same_error(lambda L: getattr(L, name)(3.0))


# -- range and chain_matmul (deprecated, warn) ------------------------------------------------------------


@pytest.mark.parametrize("args", [(0, 3), (0, 1, 0.25), (3, 0, -1), (1.5, 4.5), (0, 2.9, 0.7)])
def test_range_is_inclusive_and_warns_like_torch(args):
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        got = ember.range(*args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.range(*args)
    assert got.dtype == ember.float32
    np.testing.assert_allclose(got.numpy(), want.numpy())


def test_range_dtype_and_errors_match_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, want = ember.range(1, 4, dtype=ember.int64), torch.range(1, 4, dtype=torch.int64)
        assert got.dtype == ember.int64 and got.tolist() == want.tolist()
        _same_error(lambda L: L.range(3, 0))
        _same_error(lambda L: L.range(0, 3, 0))
        with pytest.raises(TypeError):  # torch.range has no one-argument form
            ember.range(3)


def test_chain_matmul_warns_and_checks_like_torch():
    a = np.random.default_rng(0).standard_normal((2, 3))
    with pytest.warns(UserWarning, match="torch.chain_matmul is deprecated"):
        got = ember.chain_matmul(ember.tensor(a))
    np.testing.assert_allclose(got.numpy(), a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_error(lambda L: L.chain_matmul())
        _same_error(lambda L: L.chain_matmul(L.ones(3), L.ones(3)))


# -- strided storage ----------------------------------------------------------------------------------------


def test_as_strided_errors_match_torch():
    _same_error(lambda L: L.arange(12.0).reshape(3, 4).as_strided((3, 3), (4, 1), 10))
    _same_error(lambda L: L.arange(12.0).as_strided((2, 2), (1, -1)))
    _same_error(lambda L: L.arange(12.0).as_strided((2,), (1,), -1))
    _same_error(lambda L: L.arange(12.0).as_strided((2, 2), (1,)))
    _same_error(lambda L: L.arange(12.0).as_strided((-1,), (1,)))
    _same_error(lambda L: L.as_strided(L.arange(12.0), (2, 2), (1, 1), 1.0))


def test_as_strided_is_a_view_of_the_storage_and_as_strided_in_place_regeometries():
    x = ember.arange(12.0)
    v = x[2:].as_strided((2, 2), (1, 1))  # default offset: the view's own (2)
    assert v.tolist() == [[2.0, 3.0], [3.0, 4.0]]
    v[0, 0] = 100.0
    assert x[2].item() == 100.0
    t = torch.arange(12.0)
    assert t.as_strided_((2, 2), (1, 1), 3) is t
    assert x.as_strided_((2, 2), (1, 1), 3) is x
    assert x.tolist() == t.tolist() and x.stride() == t.stride()
    assert ember.as_strided(x, (0,), (1,), 13).shape == (0,)  # an empty view needs no storage


def test_as_strided_in_place_refuses_a_leaf_that_requires_grad():
    _same_error(lambda L: L.zeros(3, 4, requires_grad=True).as_strided_((2, 2), (1, 1)))


def test_as_strided_scatter_gradients_are_right_by_finite_differences():
    rng = np.random.default_rng(1)
    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    s = ember.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: ember.as_strided_scatter(a, b, (2, 2), (1, 2), 1), (x, s))
    assert ember.autograd.gradgradcheck(lambda a, b: ember.as_strided_scatter(a, b, (2, 2), (1, 2), 1), (x, s))


@pytest.mark.parametrize("call", [
    lambda L: L.slice_scatter(L.zeros(3, 4), L.ones(3, 3), 1, 0, None, 2),
    lambda L: L.slice_scatter(L.zeros(3, 4), L.ones(3, 4), step=0),
    lambda L: L.slice_scatter(L.zeros(()), L.ones(())),
    lambda L: L.select_scatter(L.zeros(3, 4), L.ones(4), 0, 3),
    lambda L: L.select_scatter(L.zeros(3, 4), L.ones(1, 4), 0, 0),
    lambda L: L.select_scatter(L.zeros(()), L.ones(()), 0, 0),
    lambda L: L.diagonal_scatter(L.zeros(3, 4), L.ones(2), 1),
    lambda L: L.diagonal_scatter(L.zeros(3, 4), L.ones(3), 0, 1, 1),
    lambda L: L.diagonal_scatter(L.zeros(3), L.ones(3)),
    lambda L: L.as_strided_scatter(L.zeros(3, 4), L.ones(2, 3), (2, 2), (1, 2), 1),
    lambda L: L.as_strided_scatter(L.zeros(3, 4), L.ones(2, 2), (2, 2), (1, 2), 100),
    lambda L: L.split_with_sizes(L.zeros(3, 4), [1, 2], 1),
    lambda L: L.zeros(3, 4).sum_to_size(2, 4),
    lambda L: L.zeros(3, 4).sum_to_size(1, 3, 4),
])
def test_scatter_split_and_sum_to_size_errors_match_torch(call):
    _same_error(call)


def test_scatter_keeps_input_dtype_and_casts_the_gradient_back_to_src():
    x = ember.zeros(2, 3, requires_grad=True)
    s = ember.ones(2, 3, dtype=ember.float64, requires_grad=True)
    y = ember.slice_scatter(x, s)
    assert y.dtype == ember.float32
    y.sum().backward()
    assert s.grad.dtype == ember.float64 and s.grad.tolist() == [[1.0] * 3] * 2


# -- small top-level functions and methods --------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda L: L.fill(L.zeros(3), L.ones(2)),
    lambda L: L.constant_pad_nd(L.zeros(3, 4), (1,)),
    lambda L: L.addr(L.zeros(2, 3), L.ones(2, 1), L.ones(3)),
    lambda L: L.addr(L.zeros(2, 3, dtype=L.int64), L.ones(2, dtype=L.int64), L.ones(3, dtype=L.int64), alpha=1.5),
    lambda L: L.renorm(L.ones(3, 4), 0, 0, 1),
    lambda L: L.renorm(L.ones(3, 4), 2, 0, -1),
    lambda L: L.renorm(L.ones(3), 2, 0, 1),
    lambda L: L.renorm(L.ones(3, 4), 2, 2, 1),
    lambda L: L.frexp(L.tensor([1, 2])),
    lambda L: L.histogram(L.tensor([1.0, 2.0]), 0),
    lambda L: L.histogram(L.tensor([1.0, 2.0]), 3, range=(5.0, 1.0)),
    lambda L: L.histogram(L.tensor([1.0, float("nan")]), 3),
    lambda L: L.histogram(L.tensor([1, 2]), 3),
    lambda L: L.tensor([1.0, 2.0]).is_nonzero(),
    lambda L: L.tensor([]).is_nonzero(),
    lambda L: L.set_deterministic_debug_mode("x"),
    lambda L: L.set_deterministic_debug_mode(3),
])
def test_errors_match_torch(call):
    _same_error(call)


def test_frexp_values_exponent_dtype_and_out_tuple_match_torch():
    values = [0.0, 1.0, -3.5, 1e-310, float("inf"), float("nan"), -0.0, 2.0**60]
    got, want = ember.frexp(ember.tensor(values, dtype=ember.float64)), torch.frexp(torch.tensor(values, dtype=torch.float64))
    np.testing.assert_array_equal(got.mantissa.numpy(), want.mantissa.numpy())
    np.testing.assert_array_equal(got.exponent.numpy(), want.exponent.numpy())
    assert got.exponent.dtype == ember.int32
    m, e = ember.empty(0), ember.empty(0, dtype=ember.int32)
    ret = ember.frexp(ember.tensor([8.0, 0.25]), out=(m, e))
    assert ret[0] is m and m.tolist() == [0.5, 0.5] and e.tolist() == [4, -1]


def test_tensor_new_matches_torch_legacy_constructor():
    for L in (torch, ember):
        x = L.zeros(2, dtype=L.float64)
        assert tuple(x.new(2, 3).shape) == (2, 3) and x.new(2, 3).dtype == L.float64
        assert x.new([1, 2]).tolist() == [1.0, 2.0] and x.new([1, 2]).dtype == L.float64
        assert x.new((2, 3)).tolist() == [2.0, 3.0]
        assert tuple(x.new(L.Size([2, 3])).shape) == (2, 3)
        assert tuple(x.new().shape) == (0,)
    assert ember.tensor([2.0]).is_nonzero() and not ember.tensor([0]).is_nonzero()


def test_is_inference_isreal_detach_and_multinomial_method():
    x = ember.ones(2, 3, requires_grad=True)
    assert ember.is_inference(x) is False and x.is_inference() is False
    assert ember.isreal(x).dtype == ember.bool and bool(ember.isreal(x).all())
    d = ember.detach(x)
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.detach().numpy())
    ember.manual_seed(0)
    s = ember.tensor([0.0, 1.0, 0.0]).multinomial(4, replacement=True)
    assert s.tolist() == [1, 1, 1, 1]


def test_losses_at_the_top_level_take_an_int_reduction():
    x, t = ember.randn(3, 4), ember.rand(3, 4)
    with pytest.raises(TypeError):
        ember.kl_div(x, t, "mean")
    with pytest.raises(TypeError):
        torch.kl_div(torch.randn(3), torch.rand(3), "mean")
    assert ember.kl_div(x, t).shape == (3, 4) and ember.kl_div(x, t, 1).shape == ()


def test_ctc_loss_at_the_top_level_matches_torch():
    rng = np.random.default_rng(0)
    lp = rng.standard_normal((6, 2, 4))
    lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
    targets = np.array([[1, 2], [3, 3]])
    for reduction in (0, 1, 2):
        e_lp, t_lp = ember.tensor(lp, requires_grad=True), torch.tensor(lp, requires_grad=True)
        e = ember.ctc_loss(e_lp, ember.tensor(targets), [6, 5], [2, 2], 0, reduction)
        t = torch.ctc_loss(t_lp, torch.tensor(targets), [6, 5], [2, 2], 0, reduction)
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-9)
        e.sum().backward()
        t.sum().backward()
        np.testing.assert_allclose(e_lp.grad.numpy(), t_lp.grad.numpy(), rtol=1e-7, atol=1e-10)


# -- switches ----------------------------------------------------------------------------------------------


def test_anomaly_switches_behave_like_torch():
    try:
        for L in (torch, ember):
            assert L.is_anomaly_enabled() is False and L.is_anomaly_check_nan_enabled() is True
            L.set_anomaly_enabled(True)
            assert L.is_anomaly_enabled() and L.is_anomaly_check_nan_enabled()
            L.set_anomaly_enabled(True, False)
            assert L.is_anomaly_enabled() and not L.is_anomaly_check_nan_enabled()
            L.set_anomaly_enabled(False)
            assert not L.is_anomaly_enabled()
    finally:
        torch.set_anomaly_enabled(False)
        ember.set_anomaly_enabled(False)


def test_anomaly_mode_set_at_the_top_level_checks_backward_for_nan():
    x = ember.tensor([0.0], requires_grad=True)
    ember.set_anomaly_enabled(True)
    try:
        with pytest.raises(RuntimeError):
            ember.sqrt(x * 0 - 1).sum().backward()
    finally:
        ember.set_anomaly_enabled(False)


def test_warn_always_and_deterministic_debug_mode_round_trip_like_torch():
    try:
        for L in (torch, ember):
            assert L.is_warn_always_enabled() is False
            L.set_warn_always(True)
            assert L.is_warn_always_enabled() is True
            L.set_warn_always(False)
            for mode, code in (("warn", 1), ("error", 2), (0, 0), (1, 1), ("default", 0)):
                L.set_deterministic_debug_mode(mode)
                assert L.get_deterministic_debug_mode() == code
                assert L.are_deterministic_algorithms_enabled() == (code != 0)
    finally:
        torch.set_deterministic_debug_mode(0)
        ember.set_deterministic_debug_mode(0)


def test_flush_denormal_reports_it_changes_nothing_and_init_num_threads_is_a_no_op():
    assert ember.set_flush_denormal(True) is False
    assert np.float64(1e-310) * 1 != 0  # denormals still computed
    assert ember.init_num_threads() is None


@pytest.mark.parametrize("call", [
    lambda L, out: L.addr(L.ones(2, 3), L.ones(2), L.ones(3), out=out),
    lambda L, out: L.renorm(L.ones(2, 3), 2, 0, 1.0, out=out),
    lambda L, out: L.special.i1(L.ones(2, 3), out=out),
    lambda L, out: L.special.erfcx(L.ones(2, 3), out=out),
    lambda L, out: L.igamma(L.ones(2, 3), L.ones(3), out=out),
    lambda L, out: L.special.zeta(L.ones(2, 3) * 2, 1.0, out=out),
    lambda L, out: L.special.chebyshev_polynomial_t(L.ones(2, 3) * 0.5, 3, out=out),
    lambda L, out: L.special.bessel_j0(L.ones(2, 3), out=out),
])
def test_out_argument_writes_like_torch(call):
    e_out, t_out = ember.empty(2, 3), torch.empty(2, 3)
    assert call(ember, e_out) is e_out
    call(torch, t_out)
    np.testing.assert_allclose(e_out.numpy(), t_out.numpy(), rtol=1e-5)
    with pytest.raises(RuntimeError):
        call(ember, ember.empty(2, 3, dtype=ember.int64))
    with pytest.raises(RuntimeError):
        call(torch, torch.empty(2, 3, dtype=torch.int64))


def test_histogram_out_tuple():
    hist, edges = ember.empty(0), ember.empty(0)
    ret = ember.histogram(ember.tensor([1.0, 2.0, 1.0, 4.0]), 3, out=(hist, edges))
    want = torch.histogram(torch.tensor([1.0, 2.0, 1.0, 4.0]), 3)
    assert ret[0] is hist and hist.tolist() == want.hist.tolist() and edges.tolist() == want.bin_edges.tolist()


def test_as_strided_in_place_on_a_graph_tensor_backpropagates_like_torch():
    a = np.arange(12.0).reshape(3, 4)
    grads = []
    for L in (torch, ember):
        y = L.tensor(a, requires_grad=True)
        z = y * 2
        z.as_strided_((2, 2), (1, 1), 1)
        (z * z).sum().backward()
        grads.append(np.asarray(y.grad.tolist()))
    np.testing.assert_array_equal(grads[0], grads[1])
