"""Resize, crops, flips, Pad, rotations and affine maps on PIL images, tensors and arrays."""

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F

Image = pytest.importorskip("PIL.Image")


def _chw(h=4, w=5, c=1, dtype=np.uint8):
    return np.arange(c * h * w, dtype=dtype).reshape(c, h, w)


# ------------------------------------------------------------------------- Resize


@pytest.mark.parametrize(
    "hw, size, expected",
    [
        ((100, 50), 25, (50, 25)),  # portrait: width is the smaller edge
        ((50, 100), 25, (25, 50)),  # landscape: height is the smaller edge
        ((30, 45), 20, (20, 30)),
        ((33, 50), 10, (10, 15)),  # int(10 * 50 / 33) = 15 (truncated)
        ((40, 40), [12], (12, 12)),  # a 1-sequence acts like an int
        ((40, 60), (7, 9), (7, 9)),  # (h, w) is taken literally
    ],
)
def test_resize_output_size_follows_the_smaller_edge_rule(hw, size, expected):
    arr = np.zeros((1,) + hw, np.float32)
    assert F.resize(arr, size).shape[-2:] == expected
    pil = Image.new("L", (hw[1], hw[0]))
    assert T.Resize(size)(pil).size == (expected[1], expected[0])


def test_resize_max_size_caps_the_longer_edge():
    arr = np.zeros((1, 100, 200), np.float32)
    assert F.resize(arr, 50, max_size=80).shape[-2:] == (40, 80)
    with pytest.raises(ValueError, match="max_size"):
        F.resize(arr, 50, max_size=40)
    with pytest.raises(ValueError, match="single int"):
        F.resize(arr, (50, 50), max_size=80)


def test_resize_nearest_upsampling_repeats_pixels():
    arr = np.array([[[1, 2], [3, 4]]], np.uint8)
    out = F.resize(arr, (4, 4), interpolation="nearest")
    np.testing.assert_array_equal(out[0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    assert out.dtype == np.uint8


def test_resize_bilinear_upsampling_interpolates_with_half_pixel_centres():
    arr = np.array([[[0.0, 4.0]]], np.float32)  # 1 x 2
    out = F.resize(arr, (1, 4), interpolation=T.InterpolationMode.BILINEAR)
    # output centres map to input x = -0.25, 0.25, 0.75, 1.25 -> clamp, 1/4, 3/4, clamp
    np.testing.assert_allclose(out[0, 0], [0.0, 1.0, 3.0, 4.0])


def test_resize_on_a_tensor_returns_a_tensor_of_the_same_dtype():
    t = ember.from_numpy(np.full((3, 8, 8), 200, np.uint8))
    out = T.Resize(4)(t)
    assert isinstance(out, ember.Tensor) and out.dtype == ember.uint8
    assert tuple(out.shape) == (3, 4, 4)
    assert np.all(out.numpy() == 200)


@pytest.mark.parametrize("size", [(14, 18), (3, 4), (5, 13)])
@pytest.mark.parametrize("antialias", [False, True])
def test_resize_bilinear_matches_torch_interpolate(size, antialias):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).random((2, 3, 7, 9)).astype(np.float32)
    ours = F.resize(x, size, antialias=antialias)
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode="bilinear", align_corners=False, antialias=antialias)
    np.testing.assert_allclose(ours, ref.numpy(), atol=1e-6)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_resize_nearest_matches_torch_interpolate(mode):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random((1, 2, 7, 9)).astype(np.float32)
    for size in [(3, 4), (14, 20), (5, 13)]:
        ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode=mode)
        np.testing.assert_array_equal(F.resize(x, size, interpolation=mode), ref.numpy())


def test_resize_antialiased_shrink_of_uint8_matches_pillow_within_one_level():
    img = (np.random.default_rng(2).random((20, 30)) * 255).astype(np.uint8)
    ours = F.resize(img[None], (7, 11))[0]
    pil = np.asarray(Image.fromarray(img).resize((11, 7), Image.Resampling.BILINEAR))
    assert np.abs(ours.astype(int) - pil.astype(int)).max() <= 1


# ------------------------------------------------------------------------- crops


def test_center_crop_takes_the_rounded_centre_box():
    arr = _chw(6, 7)
    out = T.CenterCrop((2, 3))(arr)
    # top = round((6 - 2) / 2) = 2, left = round((7 - 3) / 2) = 2
    np.testing.assert_array_equal(out, arr[:, 2:4, 2:5])
    # halves round to even as in torchvision: top = round(0.5) = 0, left = round(1.5) = 2
    np.testing.assert_array_equal(F.center_crop(arr, (5, 4)), arr[:, 0:5, 2:6])


def test_center_crop_pads_with_zeros_when_the_image_is_smaller():
    arr = np.ones((1, 2, 2), np.uint8)
    out = F.center_crop(arr, 4)
    expected = np.zeros((1, 4, 4), np.uint8)
    expected[:, 1:3, 1:3] = 1
    np.testing.assert_array_equal(out, expected)


def test_center_crop_on_pil_matches_the_array_path():
    arr = _chw(9, 8)[0]
    pil = T.CenterCrop((4, 3))(Image.fromarray(arr))
    np.testing.assert_array_equal(np.asarray(pil), F.center_crop(arr[None], (4, 3))[0])


def test_crop_outside_the_image_is_zero_filled():
    arr = _chw(3, 3) + 1
    out = F.crop(arr, -1, 1, 3, 3)
    np.testing.assert_array_equal(out[0], [[0, 0, 0], [2, 3, 0], [5, 6, 0]])
    pil = F.crop(Image.fromarray(arr[0]), -1, 1, 3, 3)
    np.testing.assert_array_equal(np.asarray(pil), out[0])


def test_random_crop_output_comes_from_the_input_and_is_seed_reproducible():
    arr = _chw(10, 12)
    crop = T.RandomCrop((4, 5))
    ember.manual_seed(3)
    first = crop(arr)
    ember.manual_seed(3)
    second = crop(arr)
    np.testing.assert_array_equal(first, second)
    assert first.shape == (1, 4, 5)
    top, left = divmod(int(first[0, 0, 0]), 12)
    np.testing.assert_array_equal(first, arr[:, top : top + 4, left : left + 5])


def test_random_crop_with_padding_and_pad_if_needed():
    arr = np.ones((1, 3, 3), np.uint8)
    padded = T.RandomCrop(7, padding=2)(arr)  # 3 + 2 + 2 = 7: the only crop is everything
    assert padded.shape == (1, 7, 7) and padded.sum() == 9 and padded[0, 2:5, 2:5].all()
    grown = T.RandomCrop((5, 6), pad_if_needed=True, fill=9)(arr)
    assert grown.shape == (1, 5, 6)
    assert (grown == 9).sum() == 30 - 9
    with pytest.raises(ValueError, match="larger than the input"):
        T.RandomCrop(5)(arr)


def test_random_resized_crop_gives_the_requested_size_on_all_kinds():
    ember.manual_seed(0)
    rrc = T.RandomResizedCrop(8, scale=(0.5, 1.0))
    assert rrc(np.random.default_rng(0).random((3, 20, 30)).astype(np.float32)).shape == (3, 8, 8)
    assert rrc(Image.new("RGB", (30, 20))).size == (8, 8)
    assert tuple(rrc(ember.zeros(1, 20, 30)).shape) == (1, 8, 8)
    i, j, h, w = T.RandomResizedCrop.get_params(np.zeros((1, 20, 30)), (0.5, 1.0), (0.75, 4 / 3))
    assert 0.5 * 600 * 0.8 <= h * w <= 600 and 0 <= i <= 20 - h and 0 <= j <= 30 - w


# ------------------------------------------------------------------------- flips


def test_flips_mirror_the_right_axis_for_every_image_kind():
    arr = _chw(2, 3)
    np.testing.assert_array_equal(F.hflip(arr)[0], [[2, 1, 0], [5, 4, 3]])
    np.testing.assert_array_equal(F.vflip(arr)[0], [[3, 4, 5], [0, 1, 2]])
    np.testing.assert_array_equal(np.asarray(F.hflip(Image.fromarray(arr[0]))), arr[0, :, ::-1])
    np.testing.assert_array_equal(np.asarray(F.vflip(Image.fromarray(arr[0]))), arr[0, ::-1])
    np.testing.assert_array_equal(F.hflip(ember.from_numpy(arr)).numpy(), arr[..., ::-1])


def test_random_flips_honour_p_zero_and_one():
    arr = _chw(2, 3)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(arr), arr[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(arr), arr)
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(arr), arr[..., ::-1, :])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        T.RandomVerticalFlip(p=1.5)


def test_random_horizontal_flip_flips_about_half_the_time():
    arr = _chw(1, 2)
    ember.manual_seed(0)
    flips = sum(int(T.RandomHorizontalFlip()(arr)[0, 0, 0] == 1) for _ in range(400))
    assert 160 < flips < 240


# ------------------------------------------------------------------------- Pad


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_modes_match_np_pad(mode):
    arr = _chw(3, 4, c=2)
    out = F.pad(arr, [1, 2, 3, 1], padding_mode=mode)  # left, top, right, bottom
    widths = [(0, 0), (2, 1), (1, 3)]
    expected = np.pad(arr, widths, mode=mode) if mode != "constant" else np.pad(arr, widths)
    np.testing.assert_array_equal(out, expected)
    pil = F.pad(Image.fromarray(arr[0]), [1, 2, 3, 1], padding_mode=mode)
    np.testing.assert_array_equal(np.asarray(pil), expected[0])


def test_pad_forms_and_fill():
    arr = np.zeros((1, 2, 2), np.uint8)
    assert F.pad(arr, 1).shape == (1, 4, 4)
    assert F.pad(arr, (1, 2)).shape == (1, 6, 4)  # (left/right, top/bottom)
    out = T.Pad(1, fill=7)(arr)
    assert out.sum() == 7 * 12
    rgb = np.zeros((3, 1, 1), np.uint8)
    colored = F.pad(rgb, 1, fill=(1, 2, 3))
    np.testing.assert_array_equal(colored[:, 0, 0], [1, 2, 3])
    pil = F.pad(Image.new("RGB", (1, 1)), 1, fill=(1, 2, 3))
    np.testing.assert_array_equal(np.asarray(pil)[0, 0], [1, 2, 3])
    np.testing.assert_array_equal(F.pad(_chw(3, 3), -1), _chw(3, 3)[:, 1:2, 1:2])
    with pytest.raises(ValueError, match="padding_mode"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match=r"got \(1, 2, 3\)"):
        F.pad(arr, (1, 2, 3))


# ------------------------------------------------------------------------- rotation / affine


def test_rotate_by_90_is_a_counter_clockwise_quarter_turn():
    sq = _chw(4, 4)
    np.testing.assert_array_equal(F.rotate(sq, 90)[0], np.rot90(sq[0]))
    np.testing.assert_array_equal(np.asarray(F.rotate(Image.fromarray(sq[0]), 90)), np.rot90(sq[0]))
    rect = _chw(3, 5)
    expanded = F.rotate(rect, 90, expand=True)
    assert expanded.shape == (1, 5, 3)
    np.testing.assert_array_equal(expanded[0], np.rot90(rect[0]))


def test_rotate_fills_the_corners_that_come_from_outside():
    arr = np.full((1, 5, 5), 9, np.uint8)
    out = F.rotate(arr, 45, fill=1)
    assert out[0, 0, 0] == 1 and out[0, 2, 2] == 9


def test_random_rotation_draws_its_angle_in_range_and_is_reproducible():
    ember.manual_seed(5)
    angles = [T.RandomRotation((10, 20)).get_params((10.0, 20.0)) for _ in range(50)]
    assert all(10 <= a <= 20 for a in angles)
    arr = np.random.default_rng(0).random((1, 9, 9)).astype(np.float32)
    rot = T.RandomRotation(30)
    ember.manual_seed(1)
    a = rot(arr)
    ember.manual_seed(1)
    np.testing.assert_array_equal(a, rot(arr))
    with pytest.raises(ValueError, match="non-negative"):
        T.RandomRotation(-3)


def test_affine_translation_shifts_pixels_right_and_down():
    arr = _chw(4, 4) + 1
    out = F.affine(arr, angle=0.0, translate=(1, 2), scale=1.0, shear=0.0)
    expected = np.zeros_like(arr)
    expected[:, 2:, 1:] = arr[:, :2, :3]
    np.testing.assert_array_equal(out, expected)
    pil = F.affine(Image.fromarray(arr[0]), angle=0.0, translate=(1, 2), scale=1.0, shear=0.0)
    np.testing.assert_array_equal(np.asarray(pil), expected[0])


def test_affine_bilinear_matches_torch_grid_sample():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).random((1, 2, 6, 7)).astype(np.float32)
    angle, translate, scale, shear = 30.0, (1.0, -1.0), 1.2, (10.0, 0.0)
    ours = F.affine(x, angle, translate, scale, shear, interpolation="bilinear")
    # torchvision's tensor path: grid = normalised inverse map, grid_sample(align_corners=False)
    from ember.vision.transforms import _array

    m = np.array(_array.inverse_affine_matrix([0.0, 0.0], angle, translate, scale, shear)).reshape(2, 3)
    h, w = x.shape[-2:]
    ys, xs = np.meshgrid(np.arange(h) + 0.5 - h / 2, np.arange(w) + 0.5 - w / 2, indexing="ij")
    pts = np.stack([xs, ys, np.ones_like(xs)], -1) @ m.T
    grid = torch.from_numpy((pts / [w / 2, h / 2])[None].astype(np.float32))
    ref = torch.nn.functional.grid_sample(torch.from_numpy(x), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    np.testing.assert_allclose(ours, ref.numpy(), atol=1e-5)


def test_random_affine_validates_and_keeps_shape():
    ember.manual_seed(0)
    t = T.RandomAffine(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5)
    assert t(np.zeros((1, 28, 28), np.uint8)).shape == (1, 28, 28)
    assert t(Image.new("L", (28, 28))).size == (28, 28)
    angle, (tx, ty), scale, (sx, sy) = T.RandomAffine.get_params((-15, 15), (0.1, 0.2), (0.9, 1.1), (-5, 5), [28, 28])
    assert -15 <= angle <= 15 and abs(tx) <= 3 and abs(ty) <= 6 and 0.9 <= scale <= 1.1 and -5 <= sx <= 5 and sy == 0
    with pytest.raises(ValueError, match="translate"):
        T.RandomAffine(0, translate=(1.5, 0))
    with pytest.raises(ValueError, match="scale"):
        T.RandomAffine(0, scale=(0.0, 1.0))
