"""Padding, interpolation and pixel shuffling (functional and modules): PyTorch parity of outputs
and gradients for every mode, gradcheck/gradgradcheck, reprs and error messages."""

# ruff: noqa: B023  (the lambdas passed to check_against_torch run at once, inside the loop iteration)

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd.gradcheck import gradgradcheck
from helpers import check_against_torch, check_gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- pad ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape,pad", [((2, 3, 4, 5), (1, 2)), ((2, 3, 4, 5), (1, 2, 0, 3)), ((2, 3, 4, 5), (-1, 2, 1, -2)),
                                       ((2, 3, 4, 5), (1, 1, 1, 1, 1, 1)), ((3, 4), (2, 0)), ((2, 3, 4, 5), (0, 0, 0, 0, 1, 1, 1, 1))])
def test_constant_pad_matches_torch(shape, pad):
    check_against_torch(lambda x: F.pad(x, pad, value=1.5), lambda x: TF.pad(x, pad, value=1.5), [_x(shape)])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 3, 5), (2, 1)), ((3, 5), (2, 3)), ((2, 3, 4, 5), (1, 2, 3, 0)), ((3, 4, 5), (1, 2, 3, 0)),
                                       ((1, 2, 3, 4, 5), (1, 2, 0, 1, 2, 1)), ((2, 3, 4, 5), (-1, 2, 1, -2))])
def test_non_constant_pad_matches_torch(mode, shape, pad):
    check_against_torch(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode), [_x(shape, 1)])


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.pad(ember.randn(3), (1, 1, 1)), RuntimeError, "Padding length must be divisible by 2"),
    (lambda: F.pad(ember.randn(3), (1, 1, 1, 1)), RuntimeError, "Padding length should be less than or equal to two times the input dimension but got padding length 4 and input of dimension 1"),
    (lambda: F.pad(ember.randn(3), (1, 1), "reflect"), NotImplementedError, "Padding size 2 is not supported for 1D input tensor"),
    (lambda: F.pad(ember.randn(1, 1, 3, 3), (3, 3, 1, 1), "reflect"), RuntimeError, r"Argument #4: Padding size should be less than the corresponding input dimension, but got: padding \(3, 3\) at dimension 3 of input \[1, 1, 3, 3\]"),
    (lambda: F.pad(ember.randn(1, 1, 3, 3), (4, 3, 1, 1), "circular"), RuntimeError, "Padding value causes wrapping around more than once."),
    (lambda: F.pad(ember.randn(1, 1, 3, 3), (1, 1), "foo"), NotImplementedError, "Unrecognised padding mode foo"),
    (lambda: F.pad(ember.randn(1, 1, 3, 3), (1, 1, 1, 1), "reflect", value=2), RuntimeError, 'Padding mode "reflect" doesn\'t take in value argument'),
])
def test_pad_errors_match_torch(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("name,args", [
    ("ZeroPad2d", (2,)), ("ZeroPad2d", ((1, 2, 3, 4),)), ("ZeroPad1d", (2,)), ("ConstantPad2d", (2, 3.5)), ("ConstantPad1d", (2, 1.0)),
    ("ConstantPad3d", (1, -1.0)), ("ReflectionPad2d", (1,)), ("ReflectionPad1d", ((1, 2),)), ("ReplicationPad2d", (1,)),
    ("ReplicationPad1d", (2,)), ("CircularPad2d", (1,)), ("CircularPad1d", ((1, 0),)), ("ReflectionPad3d", (1,)), ("ReplicationPad3d", (1,)),
])
def test_padding_modules_match_torch(name, args):
    e, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(e) == repr(t)
    nd = int(name[-2])
    check_against_torch(e, t, [_x((2, 3) + (4, 5, 6)[:nd], 2)])


# -- interpolate -------------------------------------------------------------------------------------------------

SIZES = [dict(scale_factor=2), dict(scale_factor=1.7), dict(scale_factor=0.5), dict(size=7), dict(size="per-dim"),
         dict(scale_factor="per-dim"), dict(scale_factor=1.7, recompute_scale_factor=True)]
MODES = [("nearest", (2, 3, 5)), ("nearest", (2, 3, 4, 5)), ("nearest", (1, 2, 3, 4, 5)), ("nearest-exact", (2, 3, 4, 5)),
         ("linear", (2, 3, 5)), ("bilinear", (2, 3, 4, 5)), ("bicubic", (2, 3, 4, 5)), ("trilinear", (1, 2, 3, 4, 5)),
         ("area", (2, 3, 6, 5)), ("area", (2, 3, 7)), ("area", (1, 2, 3, 4, 5))]


@pytest.mark.parametrize("mode,shape", MODES)
@pytest.mark.parametrize("size_kw", range(len(SIZES)))
def test_interpolate_matches_torch(mode, shape, size_kw):
    nd = len(shape) - 2
    kw = dict(SIZES[size_kw])
    if kw.get("size") == "per-dim":
        kw["size"] = tuple(range(3, 3 + nd))
    if kw.get("scale_factor") == "per-dim":
        kw["scale_factor"] = tuple([2.5, 1.5, 3.0][:nd])
    for align in ([None] if mode in ("nearest", "nearest-exact", "area") else [False, True]):
        x = _x(shape, 3)
        check_against_torch(lambda x: F.interpolate(x, mode=mode, align_corners=align, **kw), lambda x: TF.interpolate(x, mode=mode, align_corners=align, **kw),
                            [x], rtol=1e-6, atol=1e-7)
        check_against_torch(lambda x: F.interpolate(x, mode=mode, align_corners=align, **kw), lambda x: TF.interpolate(x, mode=mode, align_corners=align, **kw),
                            [x.astype(np.float32)], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.interpolate(ember.randn(2, 3), scale_factor=2), NotImplementedError, r"Input Error: Only 3D, 4D and 5D input Tensors supported \(got 2D\)"),
    (lambda: F.interpolate(ember.randn(1, 2, 3), scale_factor=2, mode="bilinear"), NotImplementedError, "Got 3D input, but bilinear mode needs 4D input"),
    (lambda: F.interpolate(ember.randn(1, 2, 3, 3), scale_factor=2, align_corners=True), ValueError, "align_corners option can only be set with the interpolating modes"),
    (lambda: F.interpolate(ember.randn(1, 2, 3, 3)), ValueError, "either size or scale_factor should be defined"),
    (lambda: F.interpolate(ember.randn(1, 2, 3, 3), size=2, scale_factor=2), ValueError, "only one of size or scale_factor should be defined"),
    (lambda: F.interpolate(ember.randn(1, 2, 3, 3), size=(2, 3, 4)), ValueError, "Input and output must have the same number of spatial dimensions"),
    (lambda: F.interpolate(ember.randn(1, 2, 3, 3), size=2, mode="foo"), NotImplementedError, r"\(got foo\)"),
])
def test_interpolate_errors_match_torch(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_upsample_modules_and_deprecated_functions_match_torch():
    x = _x((2, 3, 4, 5), 4)
    for args, kwargs in [((), dict(scale_factor=2)), ((), dict(size=(3, 4), mode="bilinear", align_corners=True)), ((), dict(scale_factor=(1.5, 2), mode="bicubic"))]:
        e, t = nn.Upsample(*args, **kwargs), torch.nn.Upsample(*args, **kwargs)
        assert repr(e) == repr(t)
        check_against_torch(e, t, [x])
    for name in ("UpsamplingNearest2d", "UpsamplingBilinear2d"):
        e, t = getattr(nn, name)(scale_factor=2), getattr(torch.nn, name)(scale_factor=2)
        assert repr(e) == repr(t)
        check_against_torch(e, t, [x])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(lambda x: F.upsample(x, scale_factor=2, mode="bilinear"), lambda x: TF.upsample(x, scale_factor=2, mode="bilinear"), [x])
        check_against_torch(lambda x: F.upsample_bilinear(x, scale_factor=2), lambda x: TF.upsample_bilinear(x, scale_factor=2), [x])
        check_against_torch(lambda x: F.upsample_nearest(x, size=(5, 7)), lambda x: TF.upsample_nearest(x, size=(5, 7)), [x])


# -- pixel shuffle ---------------------------------------------------------------------------------------------------


def test_pixel_shuffle_unshuffle_channel_shuffle_match_torch():
    x = _x((2, 8, 3, 4), 5)
    check_against_torch(lambda x: F.pixel_shuffle(x, 2), lambda x: TF.pixel_shuffle(x, 2), [x])
    check_against_torch(lambda x: F.pixel_unshuffle(x, 2), lambda x: TF.pixel_unshuffle(x, 2), [_x((2, 3, 4, 6), 6)])
    check_against_torch(lambda x: F.pixel_shuffle(x, 2), lambda x: TF.pixel_shuffle(x, 2), [_x((8, 3, 4), 7)])  # no batch
    check_against_torch(lambda x: F.channel_shuffle(x, 2), lambda x: TF.channel_shuffle(x, 2), [x])
    for name, arg in [("PixelShuffle", 2), ("PixelUnshuffle", 2), ("ChannelShuffle", 4)]:
        e, t = getattr(nn, name)(arg), getattr(torch.nn, name)(arg)
        assert repr(e) == repr(t)
        check_against_torch(e, t, [_x((2, 8, 4, 4), 8)])
    with pytest.raises(RuntimeError, match=r"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size\(-3\)=3 is not divisible by 4"):
        F.pixel_shuffle(ember.randn(1, 3, 3, 3), 2)
    with pytest.raises(RuntimeError, match=r"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size\(-2\)=3 is not divisible by 2"):
        F.pixel_unshuffle(ember.randn(1, 3, 3, 3), 2)


# -- finite differences --------------------------------------------------------------------------------------------


def test_resample_gradcheck_and_gradgradcheck():
    x = _x((1, 2, 3, 4), 9)
    fns = [lambda x: F.pad(x, (1, 2, 1, 0), "reflect"), lambda x: F.pad(x, (1, -2, 1, 0)), lambda x: F.pad(x, (2, 1, 0, 1), "circular"),
           lambda x: F.pad(x, (1, 1, 2, 0), "replicate"), lambda x: F.interpolate(x, scale_factor=2),
           lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"), lambda x: F.interpolate(x, size=(5, 3), mode="bicubic", align_corners=True),
           lambda x: F.pixel_shuffle(F.pad(x, (0, 0, 0, 0, 1, 1)), 2)]
    xe = ember.tensor(x, requires_grad=True)
    for fn in fns:
        check_gradcheck(fn, [x])
        assert gradgradcheck(fn, (xe,))
