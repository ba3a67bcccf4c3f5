"""Grayscale and ColorJitter (brightness, contrast, saturation, hue)."""

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F

Image = pytest.importorskip("PIL.Image")


def _rgb_pixels():
    # pure red, green, blue and a mid gray, as a 3 x 1 x 4 float image
    return np.array([[[1.0, 0.0, 0.0, 0.5]], [[0.0, 1.0, 0.0, 0.5]], [[0.0, 0.0, 1.0, 0.5]]], np.float32)


def test_grayscale_of_tensors_uses_torchvisions_weights_02989_0587_0114():
    out = T.Grayscale()(_rgb_pixels())
    assert out.shape == (1, 1, 4)
    np.testing.assert_allclose(out[0, 0], [0.2989, 0.587, 0.114, 0.5 * 0.9999], rtol=1e-6)
    three = T.Grayscale(num_output_channels=3)(_rgb_pixels())
    assert three.shape == (3, 1, 4)
    np.testing.assert_array_equal(three[0], three[2])


def test_grayscale_of_uint8_rounds_like_pillow():
    rng = np.random.default_rng(0)
    hwc = rng.integers(0, 256, size=(6, 7, 3), dtype=np.uint8)
    ours = F.rgb_to_grayscale(np.ascontiguousarray(hwc.transpose(2, 0, 1)))[0]
    pil = np.asarray(T.Grayscale()(Image.fromarray(hwc)))
    assert np.abs(ours.astype(int) - pil.astype(int)).max() <= 1
    assert T.Grayscale(3)(Image.fromarray(hwc)).mode == "RGB"


def test_grayscale_on_a_tensor_returns_a_tensor():
    out = T.Grayscale()(ember.from_numpy(_rgb_pixels()))
    assert isinstance(out, ember.Tensor)
    np.testing.assert_allclose(out.numpy()[0, 0, 0], 0.2989, rtol=1e-6)


def test_adjust_brightness_scales_and_clips():
    x = np.array([[[0.2, 0.6]]], np.float32)
    np.testing.assert_allclose(F.adjust_brightness(x, 1.5), [[[0.3, 0.9]]], rtol=1e-6)
    np.testing.assert_allclose(F.adjust_brightness(x, 2.0), [[[0.4, 1.0]]], rtol=1e-6)
    u8 = np.array([[[100, 200]]], np.uint8)
    np.testing.assert_array_equal(F.adjust_brightness(u8, 1.5), [[[150, 255]]])


def test_adjust_contrast_blends_toward_the_mean_gray():
    x = np.array([[[0.2, 0.6]]], np.float32)  # one channel, mean 0.4
    np.testing.assert_allclose(F.adjust_contrast(x, 0.0), [[[0.4, 0.4]]], rtol=1e-6)
    np.testing.assert_allclose(F.adjust_contrast(x, 2.0), [[[0.0, 0.8]]], atol=1e-6)


def test_adjust_saturation_zero_gives_grayscale_and_one_is_identity():
    x = _rgb_pixels()
    gray = F.adjust_saturation(x, 0.0)
    np.testing.assert_allclose(gray, np.repeat(F.rgb_to_grayscale(x), 3, axis=0), rtol=1e-6)
    np.testing.assert_allclose(F.adjust_saturation(x, 1.0), x)


def test_adjust_hue_rotates_primaries_and_a_full_turn_is_identity():
    x = _rgb_pixels()
    third = F.adjust_hue(x, 1 / 3)  # red -> green -> blue -> red
    np.testing.assert_allclose(third[:, 0, 0], [0.0, 1.0, 0.0], atol=1e-5)
    np.testing.assert_allclose(third[:, 0, 1], [0.0, 0.0, 1.0], atol=1e-5)
    np.testing.assert_allclose(third[:, 0, 3], [0.5, 0.5, 0.5], atol=1e-6)  # grays have no hue
    back = F.adjust_hue(F.adjust_hue(x, 0.5), -0.5)
    np.testing.assert_allclose(back, x, atol=1e-5)
    with pytest.raises(ValueError, match=r"\[-0.5, 0.5\]"):
        F.adjust_hue(x, 0.6)


def test_adjust_hue_on_uint8_and_pil_keeps_dtype_and_shifts_red_to_green():
    u8 = (_rgb_pixels() * 255).astype(np.uint8)
    out = F.adjust_hue(u8, 1 / 3)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[:, 0, 0], [0, 255, 0])
    pil = F.adjust_hue(Image.fromarray(np.ascontiguousarray(u8.transpose(1, 2, 0))), 1 / 3)
    r, g, b = np.asarray(pil)[0, 0].astype(int)
    assert g > 240 and r < 15 and b < 15


def test_color_jitter_argument_ranges_follow_torchvision():
    cj = T.ColorJitter(brightness=0.5, contrast=(0.2, 0.3), saturation=0, hue=0.1)
    assert cj.brightness == (0.5, 1.5)
    assert cj.contrast == (0.2, 0.3)
    assert cj.saturation is None
    assert cj.hue == (-0.1, 0.1)
    assert T.ColorJitter(brightness=2.0).brightness == (0.0, 3.0)  # clipped at 0
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="non-negative"):
        T.ColorJitter(brightness=-1)


def test_color_jitter_is_reproducible_under_manual_seed_and_changes_the_image():
    rng = np.random.default_rng(4)
    x = rng.random((3, 5, 5)).astype(np.float32)
    cj = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    ember.manual_seed(11)
    a = cj(x)
    ember.manual_seed(11)
    b = cj(x)
    c = cj(x)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, x) and not np.allclose(b, c)
    assert a.min() >= 0.0 and a.max() <= 1.0
    pil = Image.fromarray((x.transpose(1, 2, 0) * 255).astype(np.uint8))
    assert cj(pil).size == (5, 5)


def test_random_grayscale_keeps_the_channel_count():
    x = _rgb_pixels()
    out = T.RandomGrayscale(p=1.0)(x)
    assert out.shape == (3, 1, 4)
    np.testing.assert_allclose(out[1], F.rgb_to_grayscale(x)[0], rtol=1e-6)
    np.testing.assert_array_equal(T.RandomApply([T.Lambda(lambda v: v * 0)], p=0.0)(x), x)


def test_uint8_tensor_color_ops_truncate_like_torchvision():
    torch = pytest.importorskip("torch")

    def gray(img):
        r, g, b = img.unbind(-3)
        return (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)

    def blend(a, b, ratio):
        return (ratio * a + (1 - ratio) * b).clamp(0, 255).to(a.dtype)

    x = np.random.default_rng(0).integers(0, 256, (2, 3, 5, 6), dtype=np.uint8)
    t, e = torch.from_numpy(x), ember.from_numpy(x)
    mean = gray(t).float().mean(dim=(-3, -2, -1), keepdim=True)
    cases = [
        (F.rgb_to_grayscale(e), gray(t)),
        (F.adjust_brightness(e, 1.3), blend(t, torch.zeros_like(t), 1.3)),
        (F.adjust_contrast(e, 0.6), blend(t, mean, 0.6)),
        (F.adjust_saturation(e, 1.7), blend(t, gray(t), 1.7)),
    ]
    for got, expected in cases:
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
