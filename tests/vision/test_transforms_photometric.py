"""Photometric ops (invert, posterize, solarize, sharpness, autocontrast, equalize, gamma) and the AutoAugment family."""

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F
from ember.vision.transforms import v2

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")


def _u8(shape=(2, 3, 9, 11), seed=0, lo=0, hi=256):
    return np.random.default_rng(seed).integers(lo, hi, shape, dtype=np.uint8)


def _blend(a, b, ratio):
    bound = 1.0 if a.is_floating_point() else 255.0
    return (ratio * a + (1.0 - ratio) * b).clamp(0, bound).to(a.dtype)


def _t_sharpness(img, factor):
    kernel = torch.ones(3, 3)
    kernel[1, 1] = 5.0
    kernel = (kernel / kernel.sum()).expand(img.shape[-3], 1, 3, 3)
    x = img.float().reshape(-1, *img.shape[-3:])
    blurred = torch.nn.functional.conv2d(x, kernel, groups=img.shape[-3]).reshape(*img.shape[:-2], img.shape[-2] - 2, -1)
    degenerate = img.clone()
    degenerate[..., 1:-1, 1:-1] = blurred.round().to(img.dtype) if not img.is_floating_point() else blurred
    return _blend(img, degenerate, factor)


def _t_autocontrast(img):
    bound = 255.0
    x = img.float()
    lo, hi = x.amin(dim=(-2, -1), keepdim=True), x.amax(dim=(-2, -1), keepdim=True)
    scale = bound / (hi - lo)
    bad = ~torch.isfinite(scale)
    lo[bad], scale[bad] = 0, 1
    return ((x - lo) * scale).clamp(0, bound).to(img.dtype)


def _t_equalize_channel(ch):
    hist = torch.histc(ch.float(), bins=256, min=0, max=255)
    nonzero = hist[hist != 0]
    step = torch.div(nonzero[:-1].sum(), 255, rounding_mode="floor")
    if step == 0:
        return ch
    lut = torch.div(torch.cumsum(hist, 0) + torch.div(step, 2, rounding_mode="floor"), step, rounding_mode="floor")
    lut = torch.nn.functional.pad(lut, [1, 0])[:-1].clamp(0, 255)
    return lut[ch.long()].to(torch.uint8)


def test_invert_posterize_solarize_match_torchvisions_formulas():
    x = _u8()
    t, e = torch.from_numpy(x), ember.from_numpy(x)
    np.testing.assert_array_equal(F.invert(e).numpy(), (255 - t).numpy())
    f = np.random.default_rng(1).random((3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(F.invert(ember.from_numpy(f)).numpy(), 1.0 - f, rtol=0, atol=0)
    for bits in (1, 3, 8):
        np.testing.assert_array_equal(F.posterize(e, bits).numpy(), (t & -int(2 ** (8 - bits))).numpy())
    np.testing.assert_array_equal(F.solarize(e, 128).numpy(), torch.where(t >= 128, 255 - t, t).numpy())
    with pytest.raises(TypeError, match="only uint8"):
        F.posterize(ember.from_numpy(f), 4)
    with pytest.raises(TypeError, match="Threshold should be less than bound"):
        F.solarize(ember.from_numpy(f), 2.0)


@pytest.mark.parametrize("factor", [0.0, 0.5, 2.0])
def test_adjust_sharpness_matches_torch(factor):
    x = _u8()
    got = F.adjust_sharpness(ember.from_numpy(x), factor).numpy()
    ref = _t_sharpness(torch.from_numpy(x), factor).numpy()
    assert np.abs(got.astype(int) - ref.astype(int)).max() <= 1  # float32 summation order at .5 ties
    assert (got != ref).mean() < 0.01
    f = x.astype(np.float32) / 255
    np.testing.assert_allclose(F.adjust_sharpness(ember.from_numpy(f), factor).numpy(), _t_sharpness(torch.from_numpy(f), factor).numpy(), atol=1e-6)


def test_autocontrast_and_equalize_match_torch():
    x = _u8(lo=40, hi=200)
    x[0, 1] = 77  # a flat channel stays as it is
    got = F.autocontrast(ember.from_numpy(x)).numpy()
    np.testing.assert_array_equal(got, _t_autocontrast(torch.from_numpy(x)).numpy())
    assert (got[0, 1] == 77).all() and got[0, 0].min() == 0 and got[0, 0].max() == 255
    eq = F.equalize(ember.from_numpy(x)).numpy()
    t = torch.from_numpy(x)
    ref = torch.stack([torch.stack([_t_equalize_channel(c) for c in img]) for img in t]).numpy()
    np.testing.assert_array_equal(eq, ref)


def test_adjust_gamma_matches_torch():
    x = _u8()
    got = F.adjust_gamma(ember.from_numpy(x), 0.5, 1.2).numpy()
    ref = (1.2 * (torch.from_numpy(x).float() / 255) ** 0.5).clamp(0, 1).mul(256 - 1e-3).to(torch.uint8).numpy()
    np.testing.assert_array_equal(got, ref)


def test_pil_path_uses_pillow():
    from PIL import ImageEnhance, ImageOps

    img = Image.fromarray(_u8((9, 11, 3)))
    for got, expected in [
        (F.invert(img), ImageOps.invert(img)),
        (F.posterize(img, 3), ImageOps.posterize(img, 3)),
        (F.solarize(img, 100), ImageOps.solarize(img, 100)),
        (F.autocontrast(img), ImageOps.autocontrast(img)),
        (F.equalize(img), ImageOps.equalize(img)),
        (F.adjust_sharpness(img, 2.0), ImageEnhance.Sharpness(img).enhance(2.0)),
    ]:
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_random_photometric_transforms_apply_with_probability_p():
    x = ember.from_numpy(_u8())
    assert T.RandomInvert(p=0.0)(x) is x
    np.testing.assert_array_equal(T.RandomInvert(p=1.0)(x).numpy(), 255 - x.numpy())
    np.testing.assert_array_equal(T.RandomPosterize(2, p=1.0)(x).numpy(), x.numpy() & 0xC0)
    np.testing.assert_array_equal(v2.RandomEqualize(p=1.0)(x).numpy(), F.equalize(x).numpy())
    assert "bits=2" in repr(T.RandomPosterize(2))


def test_autoaugment_applies_the_drawn_subpolicy(monkeypatch):
    img = ember.from_numpy(_u8((3, 16, 16)))
    aa = T.AutoAugment(T.AutoAugmentPolicy.IMAGENET)
    # sub-policy 14 is (Color, 0.6, bin 4), (Contrast, 1.0, bin 8); magnitudes linspace(0, 0.9, 10)
    monkeypatch.setattr(T.AutoAugment, "get_params", staticmethod(lambda n: (14, np.array([0.5, 0.2]), np.array([1, 0]))))
    expected = F.adjust_contrast(F.adjust_saturation(img, 1.0 + 0.4), 1.0 - 0.8)
    np.testing.assert_array_equal(aa(img).numpy(), expected.numpy())
    # a probability draw above p skips the step
    monkeypatch.setattr(T.AutoAugment, "get_params", staticmethod(lambda n: (14, np.array([0.7, 0.2]), np.array([1, 1]))))
    np.testing.assert_array_equal(aa(img).numpy(), F.adjust_contrast(img, 1.8).numpy())


@pytest.mark.parametrize(
    "make", [lambda: T.AutoAugment(T.AutoAugmentPolicy.CIFAR10), lambda: T.RandAugment(), lambda: T.TrivialAugmentWide()]
)
def test_augment_policies_are_reproducible_and_keep_type_and_shape(make):
    x = ember.from_numpy(_u8((3, 20, 24), seed=3))
    pil = Image.fromarray(x.numpy().transpose(1, 2, 0))
    t = make()
    ember.manual_seed(11)
    outs = [t(x).numpy() for _ in range(8)]
    ember.manual_seed(11)
    again = [t(x).numpy() for _ in range(8)]
    for a, b in zip(outs, again):
        np.testing.assert_array_equal(a, b)
        assert a.shape == (3, 20, 24) and a.dtype == np.uint8
    assert any(not np.array_equal(o, x.numpy()) for o in outs)
    out = t(pil)
    assert isinstance(out, Image.Image) and out.size == (24, 20)
