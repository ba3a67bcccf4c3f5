"""The 3-D convolution and pooling family (conv3d, conv_transpose3d, max/avg/adaptive/lp pool3d,
max_unpool1d/2d/3d and their modules), the channels-last N-d convolution kernels on 1-D/2-D
inputs, and empty batches through every convolution and pool: PyTorch parity of values,
indices, dtypes and every gradient, float64 gradcheck, error classes."""

# ruff: noqa: B023  (the lambdas passed to check_against_torch run at once, inside the loop iteration)

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd.gradcheck import gradgradcheck
from helpers import check_against_torch, check_gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _rng(seed=0):
    return np.random.default_rng(seed)


@pytest.fixture
def nd_kernels(monkeypatch):
    """Send every 1-D/2-D convolution through the channels-last N-d kernels (conv_nd.py)."""
    import ember._ops.conv as conv_ops

    monkeypatch.setattr(conv_ops, "_ND_MIN_K", 0)


# -- conv3d ----------------------------------------------------------------------------------------------------

CONV3D_CASES = [
    (1, 0, 1, 1), (2, 1, 1, 1), ((1, 2, 1), (1, 0, 2), (1, 1, 2), 1), (1, "same", (1, 2, 1), 2),
    (1, "valid", 1, 3), (2, (0, 1, 1), 2, 1), ((2, 1, 3), 1, 1, 6),
]


@pytest.mark.parametrize("stride,padding,dilation,groups", CONV3D_CASES)
def test_conv3d_matches_torch_values_and_every_gradient(stride, padding, dilation, groups):
    rng = _rng(1)
    x = rng.standard_normal((2, 6, 5, 7, 6))
    w = rng.standard_normal((6, 6 // groups, 3, 2, 3))
    b = rng.standard_normal(6)
    check_against_torch(lambda x, w, b: F.conv3d(x, w, b, stride, padding, dilation, groups),
                        lambda x, w, b: TF.conv3d(x, w, b, stride, padding, dilation, groups), [x, w, b], rtol=1e-6, atol=1e-9)


def test_conv3d_float32_unbatched_and_1x1():
    rng = _rng(2)
    x = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    w = rng.standard_normal((5, 3, 1, 1, 1)).astype(np.float32)
    check_against_torch(lambda x, w: F.conv3d(x, w, stride=2), lambda x, w: TF.conv3d(x, w, stride=2), [x, w], rtol=1e-5, atol=1e-5)
    out = F.conv3d(ember.tensor(x), ember.tensor(w))
    assert out.dtype == ember.float32 and out.shape == (5, 4, 5, 6)


def test_conv3d_gradcheck_and_gradgradcheck():
    rng = _rng(3)
    x, w, b = rng.standard_normal((2, 2, 3, 4, 3)), rng.standard_normal((2, 1, 2, 2, 2)), rng.standard_normal(2)
    fn = lambda x, w, b: F.conv3d(x, w, b, (1, 2, 1), 1, (1, 1, 2), 2)  # noqa: E731
    check_gradcheck(fn, [x, w, b])
    assert gradgradcheck(fn, tuple(ember.tensor(a, requires_grad=True) for a in (x, w, b)))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "zeros"])
def test_conv3d_module_padding_modes_match_torch(mode):
    torch.manual_seed(0)
    t = torch.nn.Conv3d(2, 3, 3, padding=1, padding_mode=mode, dtype=torch.float64)
    e = nn.Conv3d(2, 3, 3, padding=1, padding_mode=mode, dtype=ember.float64)
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = _rng(4).standard_normal((2, 2, 4, 5, 4))
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e(xe), t(xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-10, atol=1e-10)
    assert repr(e) == repr(t)


@pytest.mark.parametrize("call", [
    lambda L: L.nn.functional.conv3d(L.zeros(1, 2, 3, 3), L.zeros(1, 2, 1, 1, 1)),  # 4-D input needs 4-D... is unbatched
    lambda L: L.nn.functional.conv3d(L.zeros(1, 2, 3, 3, 3), L.zeros(1, 3, 1, 1, 1)),
    lambda L: L.nn.functional.conv3d(L.zeros(1, 2, 3, 3, 3), L.zeros(1, 2, 4, 1, 1)),
    lambda L: L.nn.functional.conv3d(L.zeros(1, 2, 3, 3, 3), L.zeros(1, 2, 1, 1)),
    lambda L: L.nn.functional.conv3d(L.zeros(1, 2, 3, 3, 3), L.zeros(1, 2, 1, 1, 1), stride=(1, 1)),
    lambda L: L.nn.functional.conv3d(L.zeros(1, 2, 3, 3, 3), L.zeros(1, 2, 1, 1, 1), stride=0),
    lambda L: L.nn.functional.conv3d(L.zeros(1, 2, 3, 3, 3), L.zeros(1, 2, 3, 3, 3), stride=2, padding="same"),
])
def test_conv3d_errors_match_torch_class(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)):
        call(ember)


# -- conv_transpose3d -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stride,padding,output_padding,dilation,groups", [
    (1, 0, 0, 1, 1), (2, 1, 1, 1, 1), ((2, 1, 3), (1, 0, 1), (1, 0, 2), 1, 2), (2, 0, 1, (2, 1, 1), 1),
])
def test_conv_transpose3d_matches_torch(stride, padding, output_padding, dilation, groups):
    rng = _rng(5)
    x = rng.standard_normal((2, 4, 3, 4, 3))
    w = rng.standard_normal((4, 6 // groups, 2, 3, 3))
    b = rng.standard_normal(6)
    check_against_torch(lambda x, w, b: F.conv_transpose3d(x, w, b, stride, padding, output_padding, groups, dilation),
                        lambda x, w, b: TF.conv_transpose3d(x, w, b, stride, padding, output_padding, groups, dilation),
                        [x, w, b], rtol=1e-6, atol=1e-9)


def test_conv_transpose3d_gradcheck_gradgradcheck_and_module_output_size():
    rng = _rng(6)
    x, w, b = rng.standard_normal((1, 2, 2, 3, 2)), rng.standard_normal((2, 2, 2, 2, 2)), rng.standard_normal(2)
    fn = lambda x, w, b: F.conv_transpose3d(x, w, b, 2, 1, 1)  # noqa: E731
    check_gradcheck(fn, [x, w, b])
    assert gradgradcheck(fn, tuple(ember.tensor(a, requires_grad=True) for a in (x, w, b)))
    torch.manual_seed(0)
    t = torch.nn.ConvTranspose3d(2, 3, 3, stride=2, dtype=torch.float64)
    e = nn.ConvTranspose3d(2, 3, 3, stride=2, dtype=ember.float64)
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    xx = rng.standard_normal((1, 2, 3, 3, 3))
    ye, yt = e(ember.tensor(xx), output_size=(8, 7, 8)), t(torch.tensor(xx), output_size=(8, 7, 8))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert repr(e) == repr(t)


# -- the N-d kernels on 1-D/2-D convolutions (the layers large enough to take them in real use) -------------------


@pytest.mark.parametrize("stride,padding,dilation,groups,k", [
    (1, 1, 1, 1, 3), (2, 1, 1, 1, 3), ((1, 2), (2, 0), 2, 2, (3, 2)), (1, "same", 1, 4, 3), (2, 0, 1, 1, 1), (1, 0, 1, 2, 1),
    (1, 3, 1, 1, 3),  # a pad wider than the kernel: dx by col2im, not the full convolution
])
def test_conv2d_nd_kernels_match_torch(nd_kernels, stride, padding, dilation, groups, k):
    rng = _rng(7)
    kk = k if isinstance(k, tuple) else (k, k)
    x, w, b = rng.standard_normal((3, 4, 7, 8)), rng.standard_normal((8, 4 // groups) + kk), rng.standard_normal(8)
    check_against_torch(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
                        lambda x, w, b: TF.conv2d(x, w, b, stride, padding, dilation, groups), [x, w, b], rtol=1e-6, atol=1e-9)


def test_depthwise_conv_nd_kernels_match_torch_and_gradgradcheck(nd_kernels):
    rng = _rng(8)
    x, w = rng.standard_normal((2, 6, 9, 9)), rng.standard_normal((12, 1, 3, 3))
    check_against_torch(lambda x, w: F.conv2d(x, w, None, 2, 1, 1, 6), lambda x, w: TF.conv2d(x, w, None, 2, 1, 1, 6), [x, w], atol=1e-9)
    fn = lambda x, w: F.conv2d(x, w, None, 1, 1, 1, 6)  # noqa: E731
    assert gradgradcheck(fn, (ember.tensor(x[:1, :, :4, :4], requires_grad=True), ember.tensor(w, requires_grad=True)))


def test_conv1d_nd_kernels_and_transposed_match_torch(nd_kernels):
    rng = _rng(9)
    x, w = rng.standard_normal((3, 4, 11)), rng.standard_normal((6, 2, 3))
    check_against_torch(lambda x, w: F.conv1d(x, w, None, 2, 1, 1, 2), lambda x, w: TF.conv1d(x, w, None, 2, 1, 1, 2), [x, w], atol=1e-9)


@pytest.mark.parametrize("nd,stride,padding,output_padding,groups,dilation", [
    (2, 2, 1, 1, 1, 1), (2, (1, 2), 0, 0, 2, (2, 1)), (1, 3, 1, 2, 1, 1), (2, 1, 2, 0, 1, 1),
])
def test_conv_transpose_nd_kernels_match_torch(nd_kernels, nd, stride, padding, output_padding, groups, dilation):
    rng = _rng(21)
    x = rng.standard_normal((2, 4) + (5, 6)[:nd])
    w = rng.standard_normal((4, 6 // groups) + (3, 2)[:nd])
    b = rng.standard_normal(6)
    fe, ft = getattr(F, f"conv_transpose{nd}d"), getattr(TF, f"conv_transpose{nd}d")
    check_against_torch(lambda x, w, b: fe(x, w, b, stride, padding, output_padding, groups, dilation),
                        lambda x, w, b: ft(x, w, b, stride, padding, output_padding, groups, dilation), [x, w, b], atol=1e-9)


def test_conv_transpose2d_with_many_channels_takes_the_nd_kernels():
    """A GAN-decoder-like layer: its weight gradient is one GEMM per chunk, not one per image."""
    import ember._ops.conv_nd as cnd

    calls = []
    original = cnd.conv_weight_grad
    try:
        cnd.conv_weight_grad = lambda *a: calls.append(a[2].n) or original(*a)
        x = ember.randn(3, 64, 4, 4, requires_grad=True)
        m = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        m(x).sum().backward()
    finally:
        cnd.conv_weight_grad = original
    assert calls == [3]
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    t = torch.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
    t.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    t(xt).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv_nd_kernels_in_chunks_of_images_match_one_chunk(monkeypatch):
    """A batch split into several chunks (forced: one image each) sums dW once per chunk."""
    import ember._ops.conv_nd_kernels as cnd

    rng = _rng(10)
    x, w = rng.standard_normal((5, 3, 6, 6, 4)), rng.standard_normal((4, 3, 3, 3, 2))
    monkeypatch.setattr(cnd, "_CHUNK_BYTES", 1)
    check_against_torch(lambda x, w: F.conv3d(x, w, None, (2, 1, 1), 1), lambda x, w: TF.conv3d(x, w, None, (2, 1, 1), 1), [x, w], atol=1e-9)


# -- 3-D pooling -----------------------------------------------------------------------------------------------


MAXPOOL3D_CASES = [
    dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3, 2), stride=(1, 2, 1), dilation=(2, 1, 1)),
    dict(kernel_size=2, ceil_mode=True), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, dilation=1),
]


@pytest.mark.parametrize("kwargs", MAXPOOL3D_CASES)
def test_max_pool3d_matches_torch_values_indices_and_gradient(kwargs):
    x = _rng(11).standard_normal((2, 3, 5, 7, 6))
    check_against_torch(lambda x: F.max_pool3d(x, **kwargs), lambda x: TF.max_pool3d(x, **kwargs), [x])
    ye, ie = F.max_pool3d(ember.tensor(x), return_indices=True, **kwargs)
    yt, it = TF.max_pool3d(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    assert ie.dtype == ember.int64
    np.testing.assert_array_equal(ye.numpy(), yt.numpy())


def test_max_pool3d_ties_pick_the_first_maximum_in_row_major_order_like_torch():
    x = np.zeros((1, 1, 4, 4, 4))
    x[0, 0, 1, 0, 1] = x[0, 0, 0, 1, 1] = x[0, 0, 1, 1, 0] = 5.0
    _, ie = F.max_pool3d(ember.tensor(x), 2, return_indices=True)
    _, it = TF.max_pool3d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(ie.numpy(), it.numpy())


def test_max_pool3d_gradcheck_gradgradcheck_and_unbatched_float32():
    x = _rng(12).permutation(96).reshape(1, 2, 4, 4, 3).astype(np.float64)  # distinct values: no ties
    fn = lambda x: F.max_pool3d(x, 2, 1, 1)  # noqa: E731
    check_gradcheck(fn, [x])
    assert gradgradcheck(fn, (ember.tensor(x, requires_grad=True),))
    x32 = x[0].astype(np.float32)
    check_against_torch(lambda x: F.max_pool3d(x, 2), lambda x: TF.max_pool3d(x, 2), [x32])


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3, 3), stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3), dict(kernel_size=3, stride=2, padding=1, divisor_override=5, ceil_mode=True),
])
def test_avg_pool3d_matches_torch(kwargs):
    x = _rng(13).standard_normal((2, 3, 5, 7, 6))
    check_against_torch(lambda x: F.avg_pool3d(x, **kwargs), lambda x: TF.avg_pool3d(x, **kwargs), [x])
    check_gradcheck(lambda x: F.avg_pool3d(x, **kwargs), [x[:1, :1]])


@pytest.mark.parametrize("size", [(2, 3, 2), 1, (3, None, 4), (5, 7, 6), (4, 5, 4)])
def test_adaptive_pools_3d_match_torch(size):
    x = _rng(14).standard_normal((2, 3, 5, 7, 6))
    check_against_torch(lambda x: F.adaptive_avg_pool3d(x, size), lambda x: TF.adaptive_avg_pool3d(x, size), [x])
    check_against_torch(lambda x: F.adaptive_max_pool3d(x, size), lambda x: TF.adaptive_max_pool3d(x, size), [x])
    _, ie = F.adaptive_max_pool3d(ember.tensor(x), size, return_indices=True)
    _, it = TF.adaptive_max_pool3d(torch.tensor(x), size, return_indices=True)
    np.testing.assert_array_equal(ie.numpy(), it.numpy())


def test_adaptive_pools_3d_gradcheck():
    x = _rng(15).permutation(60).reshape(1, 1, 3, 4, 5).astype(np.float64)
    check_gradcheck(lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)), [x])
    check_gradcheck(lambda x: F.adaptive_max_pool3d(x, (2, 3, 2)), [x])


@pytest.mark.parametrize("p,kwargs", [(2, dict(kernel_size=2)), (3, dict(kernel_size=(2, 3, 2), stride=1)), (1.5, dict(kernel_size=2, ceil_mode=True))])
def test_lp_pool3d_matches_torch(p, kwargs):
    x = np.abs(_rng(16).standard_normal((2, 2, 5, 6, 5))) + 0.1
    check_against_torch(lambda x: F.lp_pool3d(x, p, **kwargs), lambda x: TF.lp_pool3d(x, p, **kwargs), [x])


def test_lp_pool1d_matches_torch():
    x = np.abs(_rng(17).standard_normal((2, 3, 9))) + 0.1
    check_against_torch(lambda x: F.lp_pool1d(x, 2, 3, 2), lambda x: TF.lp_pool1d(x, 2, 3, 2), [x])


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool_matches_torch_with_indices_from_max_pool(nd):
    shape = (2, 3) + (7, 6, 5)[:nd]
    x = _rng(18).standard_normal(shape)
    pool_e, pool_t = getattr(F, f"max_pool{nd}d"), getattr(TF, f"max_pool{nd}d")
    unpool_e, unpool_t = getattr(F, f"max_unpool{nd}d"), getattr(TF, f"max_unpool{nd}d")
    ye, ie = pool_e(ember.tensor(x), 2, return_indices=True)
    yt, it = pool_t(torch.tensor(x), 2, return_indices=True)
    out_size = shape[2:]
    check_against_torch(lambda y: unpool_e(y, ie, 2, output_size=out_size), lambda y: unpool_t(y, it, 2, output_size=out_size),
                        [yt.numpy()])
    even = _rng(18).standard_normal((2, 3) + (8, 6, 4)[:nd])  # the default output size holds every index
    ye2, ie2 = pool_e(ember.tensor(even), 2, return_indices=True)
    yt2, it2 = pool_t(torch.tensor(even), 2, return_indices=True)
    check_against_torch(lambda y: unpool_e(y, ie2, 2), lambda y: unpool_t(y, it2, 2), [yt2.numpy()])
    me, mt = getattr(nn, f"MaxUnpool{nd}d")(2), getattr(torch.nn, f"MaxUnpool{nd}d")(2)
    np.testing.assert_array_equal(me(ye2, ie2).numpy(), mt(yt2, it2).numpy())
    assert repr(me) == repr(mt)


@pytest.mark.parametrize("name,args", [
    ("MaxPool3d", (3, 2, 1)), ("AvgPool3d", (2,)), ("AdaptiveAvgPool3d", ((2, 3, 2),)), ("AdaptiveMaxPool3d", (2,)), ("LPPool3d", (2, 2)),
])
def test_pool3d_modules_match_torch(name, args):
    x = np.abs(_rng(19).standard_normal((2, 3, 5, 6, 5))) + 0.1
    e, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    check_against_torch(lambda x: e(x), lambda x: t(x), [x])
    assert repr(e) == repr(t)


@pytest.mark.parametrize("call", [
    lambda L: L.nn.functional.max_pool3d(L.zeros(2, 3, 4, 4, 4), 2, padding=2),
    lambda L: L.nn.functional.max_pool3d(L.zeros(2, 3, 4, 4, 4), 2, stride=0),
    lambda L: L.nn.functional.max_pool3d(L.zeros(3, 5), 2),
    lambda L: L.nn.functional.max_pool3d(L.zeros(2, 3, 4, 4, 4), (2, 2)),
    lambda L: L.nn.functional.max_pool3d(L.zeros(2, 3, 4, 4, 4), 9),
    lambda L: L.nn.functional.max_pool3d(L.zeros(2, 3, 4, 4, 4), 2, dilation=0),
    lambda L: L.nn.functional.avg_pool3d(L.zeros(2, 3, 4, 4, 4), 9),
    lambda L: L.nn.functional.avg_pool3d(L.zeros(2, 3, 4, 4, 4), 2, divisor_override=0),
    lambda L: L.nn.functional.avg_pool3d(L.zeros(3, 5), 2),
    lambda L: L.nn.functional.adaptive_avg_pool3d(L.zeros(3, 5), 2),
    lambda L: L.nn.functional.adaptive_max_pool3d(L.zeros(3, 5), 2),
    lambda L: L.nn.functional.adaptive_max_pool3d(L.zeros(2, 3, 4, 4, 4), (2, 2)),
])
def test_pool3d_errors_match_torch(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value), match=_escape_start(str(te.value))):
        call(ember)


def _escape_start(message: str) -> str:
    import re

    return re.escape(message.splitlines()[0][:40])


# -- BatchNorm3d / InstanceNorm3d -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["BatchNorm3d", "InstanceNorm3d"])
def test_norm3d_matches_torch(name):
    x = _rng(20).standard_normal((3, 4, 3, 4, 5))
    kwargs = dict(affine=True) if name == "InstanceNorm3d" else {}
    e, t = getattr(nn, name)(4, **kwargs).double(), getattr(torch.nn, name)(4, **kwargs).double()
    check_against_torch(lambda x: e(x), lambda x: t(x), [x], rtol=1e-6, atol=1e-8)


# -- empty batches through every convolution and pool ------------------------------------------------------------------

EMPTY_CASES = {
    "conv1d": (lambda L, x: L.nn.functional.conv1d(x, L.ones(4, 3, 3, dtype=L.float64)), (0, 3, 8)),
    "conv2d": (lambda L, x: L.nn.functional.conv2d(x, L.ones(4, 3, 3, 3, dtype=L.float64), padding=1), (0, 3, 8, 8)),
    "conv2d_strided_grouped": (lambda L, x: L.nn.functional.conv2d(x, L.ones(6, 1, 3, 3, dtype=L.float64), stride=2, groups=3), (0, 3, 8, 8)),
    "conv3d": (lambda L, x: L.nn.functional.conv3d(x, L.ones(4, 3, 3, 3, 3, dtype=L.float64)), (0, 3, 5, 5, 5)),
    "conv_transpose1d": (lambda L, x: L.nn.functional.conv_transpose1d(x, L.ones(3, 4, 3, dtype=L.float64)), (0, 3, 8)),
    "conv_transpose2d": (lambda L, x: L.nn.functional.conv_transpose2d(x, L.ones(3, 4, 3, 3, dtype=L.float64), stride=2), (0, 3, 8, 8)),
    "conv_transpose3d": (lambda L, x: L.nn.functional.conv_transpose3d(x, L.ones(3, 4, 3, 3, 3, dtype=L.float64)), (0, 3, 4, 4, 4)),
    "max_pool1d": (lambda L, x: L.nn.functional.max_pool1d(x, 2), (0, 3, 8)),
    "max_pool2d": (lambda L, x: L.nn.functional.max_pool2d(x, 3, 2, 1), (0, 3, 8, 8)),
    "max_pool3d": (lambda L, x: L.nn.functional.max_pool3d(x, 2), (0, 3, 4, 4, 4)),
    "avg_pool1d": (lambda L, x: L.nn.functional.avg_pool1d(x, 2), (0, 3, 8)),
    "avg_pool2d": (lambda L, x: L.nn.functional.avg_pool2d(x, 3, 2, 1), (0, 3, 8, 8)),
    "avg_pool3d": (lambda L, x: L.nn.functional.avg_pool3d(x, 2), (0, 3, 4, 4, 4)),
    "adaptive_avg_pool1d": (lambda L, x: L.nn.functional.adaptive_avg_pool1d(x, 3), (0, 3, 8)),
    "adaptive_avg_pool2d": (lambda L, x: L.nn.functional.adaptive_avg_pool2d(x, 3), (0, 3, 8, 8)),
    "adaptive_avg_pool3d": (lambda L, x: L.nn.functional.adaptive_avg_pool3d(x, 3), (0, 3, 4, 4, 4)),
    "adaptive_max_pool1d": (lambda L, x: L.nn.functional.adaptive_max_pool1d(x, 3), (0, 3, 8)),
    "adaptive_max_pool2d": (lambda L, x: L.nn.functional.adaptive_max_pool2d(x, 3), (0, 3, 8, 8)),
    "adaptive_max_pool3d": (lambda L, x: L.nn.functional.adaptive_max_pool3d(x, 3), (0, 3, 4, 4, 4)),
    "lp_pool1d": (lambda L, x: L.nn.functional.lp_pool1d(x, 2, 2), (0, 3, 8)),
    "lp_pool2d": (lambda L, x: L.nn.functional.lp_pool2d(x, 2, 2), (0, 3, 8, 8)),
    "lp_pool3d": (lambda L, x: L.nn.functional.lp_pool3d(x, 2, 2), (0, 3, 4, 4, 4)),
    "unfold": (lambda L, x: L.nn.functional.unfold(x, 2), (0, 3, 8, 8)),
    "fold": (lambda L, x: L.nn.functional.fold(x, (4, 4), 2), (0, 12, 9)),
}


@pytest.mark.parametrize("name", sorted(EMPTY_CASES))
def test_empty_batch_matches_torch_with_gradients(name):
    fn, shape = EMPTY_CASES[name]
    outs = []
    for lib in (torch, ember):
        x = lib.zeros(shape, dtype=lib.float64, requires_grad=True)
        y = fn(lib, x)
        y.sum().backward()
        outs.append((tuple(y.shape), str(y.dtype).split(".")[-1], tuple(x.grad.shape)))
    assert outs[1] == outs[0]


def test_conv2d_empty_batch_weight_gradient_is_zero_like_torch():
    w = ember.ones(4, 3, 3, 3, requires_grad=True)
    b = ember.ones(4, requires_grad=True)
    F.conv2d(ember.zeros(0, 3, 8, 8), w, b, padding=1).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((4, 3, 3, 3), np.float32))
    np.testing.assert_array_equal(b.grad.numpy(), np.zeros(4, np.float32))
    assert w.grad.dtype == ember.float32
