"""F.interpolate on uint8 images (bit-exact with torch's fixed-point kernels, every mode torch accepts, its
errors for the others), antialias=True on float images (values, gradients, gradcheck) and F.pad with negative (cropping) pads in every mode: values, gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from helpers import check_against_torch, check_gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RESIZE_MODES = [("bilinear", False, False), ("bilinear", True, False), ("bicubic", False, False), ("bicubic", True, False),
                ("bilinear", False, True), ("bicubic", False, True), ("nearest", None, False), ("nearest-exact", None, False)]


def _img(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


def _same(e, t):
    assert e.dtype == ember.uint8 and tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("size", [(8, 11), (3, 4), (5, 7), (10, 3), (2, 1), (17, 2)])
@pytest.mark.parametrize("mode,align_corners,antialias", RESIZE_MODES)
def test_interpolate_uint8_is_bit_exact_with_torch(mode, align_corners, antialias, size):
    for c in (1, 3, 4):  # torch's 3/4-channel images take a different (AVX) kernel: same numbers
        x = _img((2, c, 5, 7), c)
        _same(F.interpolate(ember.tensor(x), size=size, mode=mode, align_corners=align_corners, antialias=antialias),
              TF.interpolate(torch.tensor(x), size=size, mode=mode, align_corners=align_corners, antialias=antialias))


@pytest.mark.parametrize("recompute", [None, True])
@pytest.mark.parametrize("scale", [1.5, 0.6, 2.0, 0.3])
@pytest.mark.parametrize("mode,align_corners,antialias", RESIZE_MODES[::2])
def test_interpolate_uint8_scale_factor_matches_torch(mode, align_corners, antialias, scale, recompute):
    x = _img((1, 3, 9, 13), 1)
    kw = dict(scale_factor=scale, mode=mode, align_corners=align_corners, antialias=antialias, recompute_scale_factor=recompute)
    _same(F.interpolate(ember.tensor(x), **kw), TF.interpolate(torch.tensor(x), **kw))


@pytest.mark.parametrize("shape,size", [((2, 3, 7), (5,)), ((2, 3, 7), (12,)), ((1, 2, 3, 4, 5), (5, 2, 7))])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_interpolate_uint8_nearest_1d_3d_matches_torch(mode, shape, size):
    x = _img(shape, 2)
    _same(F.interpolate(ember.tensor(x), size=size, mode=mode), TF.interpolate(torch.tensor(x), size=size, mode=mode))


@pytest.mark.parametrize("shape,mode", [((1, 1, 4, 4), "area"), ((1, 1, 4), "area"), ((1, 1, 2, 3, 4), "area"), ((1, 1, 4), "linear"),
                                        ((1, 1, 2, 3, 4), "trilinear")])
def test_interpolate_uint8_modes_torch_rejects_raise_the_same(shape, mode):
    x = _img(shape, 3)
    size = (3,) * (len(shape) - 2)
    with pytest.raises(NotImplementedError) as t_err:
        TF.interpolate(torch.tensor(x), size=size, mode=mode)
    with pytest.raises(NotImplementedError) as e_err:
        F.interpolate(ember.tensor(x), size=size, mode=mode)
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size", [(3, 4), (8, 11), (5, 3), (2, 20)])
@pytest.mark.parametrize("mode,align_corners", [("bilinear", False), ("bilinear", True), ("bicubic", False), ("bicubic", True)])
def test_interpolate_antialias_float_matches_torch_values_and_gradients(mode, align_corners, size, dtype):
    x = np.random.default_rng(7).standard_normal((2, 3, 9, 7)).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    kw = dict(size=size, mode=mode, align_corners=align_corners, antialias=True)
    check_against_torch(lambda a: F.interpolate(a, **kw), lambda a: TF.interpolate(a, **kw), [x], rtol=tol, atol=tol)


def test_interpolate_antialias_float_scale_factor_and_gradcheck():
    x = np.random.default_rng(8).standard_normal((1, 2, 10, 9))
    kw = dict(scale_factor=0.4, mode="bicubic", antialias=True)
    check_against_torch(lambda a: F.interpolate(a, **kw), lambda a: TF.interpolate(a, **kw), [x], rtol=1e-12, atol=1e-12)
    check_gradcheck(lambda a: F.interpolate(a, size=(3, 4), mode="bilinear", antialias=True), [x])


@pytest.mark.parametrize("shape,mode", [((1, 1, 4), "linear"), ((1, 1, 4, 4), "nearest"), ((1, 1, 2, 4, 4), "trilinear"), ((1, 1, 4, 4), "area")])
def test_interpolate_antialias_restrictions_raise_like_torch(shape, mode):
    size = (2,) * (len(shape) - 2)
    with pytest.raises(ValueError) as t_err:
        TF.interpolate(torch.zeros(shape), size=size, mode=mode, antialias=True)
    with pytest.raises(ValueError) as e_err:
        F.interpolate(ember.zeros(shape), size=size, mode=mode, antialias=True)
    assert str(e_err.value) == str(t_err.value)


# -- negative pads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(-1, -2), (-2, -1, -1, -3), (2, -3, -1, 2), (-3, -3), (-6, 0), (0, 0, -5, 0), (-2, 3), (3, -5)])
def test_negative_pad_crops_like_torch_with_gradients(mode, pad):
    x = np.random.default_rng(4).standard_normal((2, 3, 5, 6))
    if mode != "constant" and len(pad) == 2:
        pad = pad + (0, 0)  # torch's non-constant modes pad the last two dims of a 4-D input
    if mode == "circular" and pad[:2] == (3, -5):
        # wraps 3 around the 1 column left after cropping: torch reads overlapping memory (garbage or an
        # error, by input rank); ember refuses
        with pytest.raises(RuntimeError, match="wrapping around more than once"):
            F.pad(ember.tensor(x), pad, mode)
        return
    check_against_torch(lambda a: F.pad(a, pad, mode), lambda a: TF.pad(a, pad, mode), [x])  # noqa: B023


def test_negative_pad_on_5d_and_uint8_matches_torch():
    x = np.random.default_rng(5).standard_normal((1, 2, 4, 5, 6))
    for mode in ("constant", "replicate", "circular", "reflect"):
        check_against_torch(lambda a: F.pad(a, (-1, 2, 1, -2, -1, 1), mode), lambda a: TF.pad(a, (-1, 2, 1, -2, -1, 1), mode), [x])  # noqa: B023
    img = _img((1, 3, 4, 5), 6)
    _same(F.pad(ember.tensor(img), (-1, 2, 0, -1), value=7), TF.pad(torch.tensor(img), (-1, 2, 0, -1), value=7))


@pytest.mark.parametrize("pad", [(1, -7), (-7, 1), (-4, -4), (0, 0, -3, -3), (0, 0, -6, 1)])
def test_constant_pad_cropping_too_much_raises_like_torch(pad):
    x = np.zeros((2, 3, 5, 6))
    with pytest.raises(RuntimeError) as t_err:
        TF.pad(torch.tensor(x), pad)
    with pytest.raises(RuntimeError) as e_err:
        F.pad(ember.tensor(x), pad)
    assert str(e_err.value) == str(t_err.value)
