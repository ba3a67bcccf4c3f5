"""Pooling (max/avg 1-D and 2-D, adaptive avg/max, lp pooling, max unpooling) and the pooling
modules: PyTorch parity of outputs, indices and gradients (including ties, where the first
maximum gets the gradient), gradcheck, reprs and error messages."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd.gradcheck import gradgradcheck
from helpers import check_against_torch, check_gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _x(shape, seed=0, ties=True):
    x = np.random.default_rng(seed).standard_normal(shape)
    if ties:  # equal values inside windows, like the zeros a ReLU produces
        x[..., :2, :3] = 0.5
    return x


MAX2D = [c for c in itertools.product([1, 2, 3, (2, 3)], [None, 1, 2, (1, 3)], [0, 1], [1, 2], [False, True])
         if not (c[2] and any(c[2] > (c[3] * (k - 1) + 1) // 2 for k in (c[0] if isinstance(c[0], tuple) else (c[0], c[0]))))]


@pytest.mark.parametrize("k,s,p,d,ceil", MAX2D[::3])
def test_max_pool2d_matches_torch_with_indices(k, s, p, d, ceil):
    x = _x((2, 3, 7, 8), seed=len(MAX2D))
    check_against_torch(lambda x: F.max_pool2d(x, k, s, p, d, ceil, True), lambda x: TF.max_pool2d(x, k, s, p, d, ceil, True), [x])


def test_max_pool2d_ties_route_gradient_to_first_maximum():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = 1.0  # two maxima in the first window
    e, t = check_against_torch(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), [x])
    xe = ember.tensor(x, requires_grad=True)
    F.max_pool2d(xe, 2).sum().backward()
    assert xe.grad.numpy()[0, 0, :2, :2].tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_max_pool2d_relu_zeros_and_float32_reshape_path():
    x = np.maximum(np.random.default_rng(1).standard_normal((4, 6, 28, 28)), 0).astype(np.float32)
    check_against_torch(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), [x])
    check_against_torch(lambda x: F.max_pool2d(x, 3), lambda x: TF.max_pool2d(x, 3), [x[:, :, :26, :25]])  # uncovered border


def test_max_pool_propagates_nan_and_handles_integers():
    x = np.random.default_rng(2).standard_normal((1, 1, 4, 4))
    x[0, 0, 0, 0] = np.nan
    out = F.max_pool2d(ember.tensor(x), 2).numpy()
    assert np.isnan(out[0, 0, 0, 0]) and np.isfinite(out[0, 0, 1, 1])
    xi = np.arange(16).reshape(1, 1, 4, 4)
    assert F.max_pool2d(ember.tensor(xi), 2).tolist() == TF.max_pool2d(torch.tensor(xi), 2).tolist()


AVG2D = [c for c in itertools.product([1, 2, 3, (2, 3)], [None, 1, 2, (1, 3)], [0, 1], [False, True], [False, True], [None, 3])
         if not (c[2] and any(c[2] > k // 2 for k in (c[0] if isinstance(c[0], tuple) else (c[0], c[0]))))]


@pytest.mark.parametrize("k,s,p,ceil,cip,div", AVG2D[::5])
def test_avg_pool2d_matches_torch(k, s, p, ceil, cip, div):
    x = _x((2, 3, 7, 8), seed=3, ties=False)
    check_against_torch(lambda x: F.avg_pool2d(x, k, s, p, ceil, cip, div), lambda x: TF.avg_pool2d(x, k, s, p, ceil, cip, div), [x])


@pytest.mark.parametrize("k,s,p,d,ceil", [(1, None, 0, 1, False), (2, None, 0, 1, False), (3, 2, 1, 1, True), (3, 1, 1, 2, False), (2, 2, 1, 1, True)])
def test_pool1d_matches_torch(k, s, p, d, ceil):
    x = np.random.default_rng(4).standard_normal((2, 3, 9))
    check_against_torch(lambda x: F.max_pool1d(x, k, s, p, d, ceil, True), lambda x: TF.max_pool1d(x, k, s, p, d, ceil, True), [x])
    if d == 1:
        check_against_torch(lambda x: F.avg_pool1d(x, k, s, p, ceil, False), lambda x: TF.avg_pool1d(x, k, s, p, ceil, False), [x])
    check_against_torch(lambda x: F.max_pool1d(x, k, s, p, d, ceil), lambda x: TF.max_pool1d(x, k, s, p, d, ceil), [x[0]])  # unbatched


@pytest.mark.parametrize("size", [1, 2, 3, (4, 5), (None, 3), (7, 8), (9, 11)])
def test_adaptive_pool2d_matches_torch(size):
    x = _x((2, 3, 7, 8), seed=5)
    check_against_torch(lambda x: F.adaptive_avg_pool2d(x, size), lambda x: TF.adaptive_avg_pool2d(x, size), [x])
    check_against_torch(lambda x: F.adaptive_max_pool2d(x, size, True), lambda x: TF.adaptive_max_pool2d(x, size, True), [x])
    check_against_torch(lambda x: F.adaptive_max_pool2d(x, size), lambda x: TF.adaptive_max_pool2d(x, size), [x[0]])


@pytest.mark.parametrize("size", [1, 2, 3, 4, 9])
def test_adaptive_pool1d_matches_torch(size):
    x = np.random.default_rng(6).standard_normal((2, 3, 7))
    check_against_torch(lambda x: F.adaptive_avg_pool1d(x, size), lambda x: TF.adaptive_avg_pool1d(x, size), [x])
    check_against_torch(lambda x: F.adaptive_max_pool1d(x, size, True), lambda x: TF.adaptive_max_pool1d(x, size, True), [x])


def test_lp_pool_and_max_unpool_match_torch():
    rng = np.random.default_rng(7)
    x = np.abs(rng.standard_normal((2, 3, 8, 8))) + 0.1
    check_against_torch(lambda x: F.lp_pool2d(x, 2, 2), lambda x: TF.lp_pool2d(x, 2, 2), [x])
    check_against_torch(lambda x: F.lp_pool1d(x, 3, 2), lambda x: TF.lp_pool1d(x, 3, 2), [x[0]])
    out, idx = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    check_against_torch(lambda o: F.max_unpool2d(o, ember.tensor(idx.numpy()), 2), lambda o: TF.max_unpool2d(o, idx, 2), [out.numpy()])
    out1, idx1 = TF.max_pool1d(torch.tensor(x[0]), 2, return_indices=True)
    check_against_torch(lambda o: F.max_unpool1d(o, ember.tensor(idx1.numpy()), 2), lambda o: TF.max_unpool1d(o, idx1, 2), [out1.numpy()])


def test_pool_gradcheck_and_gradgradcheck():
    x = np.random.default_rng(8).standard_normal((1, 2, 5, 5))
    for fn in [lambda x: F.max_pool2d(x, 2), lambda x: F.max_pool2d(x, 3, 1, 1), lambda x: F.avg_pool2d(x, 3, 2, 1, True, False),
               lambda x: F.adaptive_avg_pool2d(x, 3), lambda x: F.adaptive_max_pool2d(x, 3), lambda x: F.avg_pool1d(x[0], 2)]:
        check_gradcheck(fn, [x])
    xe = ember.tensor(x, requires_grad=True)
    for fn in [lambda x: F.max_pool2d(x, 2), lambda x: F.avg_pool2d(x, 3, 2, 1), lambda x: F.adaptive_avg_pool2d(x, 3)]:
        assert gradgradcheck(fn, (xe,))


# -- modules -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda m: m.MaxPool2d(2),
    lambda m: m.MaxPool2d(3, 2, 1, ceil_mode=True),
    lambda m: m.MaxPool1d(2),
    lambda m: m.AvgPool2d(2),
    lambda m: m.AvgPool2d(3, 1, 1, True, False, 2),
    lambda m: m.AvgPool1d(3),
    lambda m: m.AdaptiveAvgPool2d((None, 3)),
    lambda m: m.AdaptiveAvgPool1d(3),
    lambda m: m.AdaptiveMaxPool2d(2),
    lambda m: m.AdaptiveMaxPool1d(2),
    lambda m: m.LPPool2d(2, 3),
    lambda m: m.LPPool1d(2, 3),
    lambda m: m.MaxUnpool2d(2),
])
def test_pool_module_repr_and_forward_match_torch(make):
    e, t = make(nn), make(torch.nn)
    assert repr(e) == repr(t)
    if isinstance(t, torch.nn.MaxUnpool2d):
        return
    shape = (2, 3, 8) if "1d" in type(t).__name__ else (2, 3, 8, 9)
    x = np.abs(np.random.default_rng(9).standard_normal(shape)) + 0.1
    check_against_torch(e, t, [x])


def test_maxpool_module_return_indices():
    x = _x((2, 3, 6, 6))
    check_against_torch(nn.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2, return_indices=True), [x])


# -- errors ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.max_pool2d(ember.randn(2, 3), 2), RuntimeError, "non-empty 3D or 4D \\(batch mode\\) tensor expected for input"),
    (lambda: F.max_pool2d(ember.randn(1, 1, 4, 4), 3, padding=2), RuntimeError, "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
    (lambda: F.max_pool2d(ember.randn(1, 1, 2, 2), 3), RuntimeError, r"Given input size: \(1x2x2\). Calculated output size: \(1x0x0\). Output size is too small"),
    (lambda: F.max_pool1d(ember.randn(2, 3, 4, 5), 2), RuntimeError, r"max_pool1d: Expected 2D or 3D \(batch mode\) tensor with optional 0 dim batch size for input, but got:\[2, 3, 4, 5\]"),
    (lambda: F.avg_pool1d(ember.randn(2, 3, 4, 5), 2), RuntimeError, "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' \\(while checking arguments for avg_pool1d\\)"),
    (lambda: F.adaptive_avg_pool2d(ember.randn(2, 3), 2), RuntimeError, r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[2, 3\]"),
    (lambda: F.max_pool2d(ember.randn(1, 1, 4, 4), 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool2d(ember.randn(1, 1, 4, 4), 2, dilation=0), RuntimeError, "dilation should be greater than zero"),
    (lambda: F.max_pool2d(ember.randn(1, 0, 5, 5), 2), RuntimeError, "Expected 3D or 4D \\(batch mode\\) tensor with optional 0 dim batch size"),
])
def test_pool_errors_match_torch(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_pool_empty_batch_and_output_shapes():
    assert F.max_pool2d(ember.randn(0, 1, 5, 5), 2).shape == (0, 1, 2, 2)
    assert F.max_pool2d(ember.randn(1, 1, 5, 5), 2, ceil_mode=True).shape == (1, 1, 3, 3)
    assert F.adaptive_avg_pool2d(ember.randn(1, 3, 5, 5), (None, 2)).shape == (1, 3, 5, 2)


def test_max_unpool_gradcheck():
    x = np.random.default_rng(10).standard_normal((1, 2, 2, 2))
    idx = ember.tensor(np.array([[[[0, 3], [9, 14]], [[5, 2], [8, 15]]]]))
    check_gradcheck(lambda x: F.max_unpool2d(x, idx, 2), [x])
