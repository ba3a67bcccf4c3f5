"""ToTensor, PILToTensor, ToPILImage, ConvertImageDtype, Normalize, Compose, Lambda."""

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F

Image = pytest.importorskip("PIL.Image")


def test_to_tensor_of_a_2x2_gray_pil_image_is_1x2x2_float32_over_255():
    pil = Image.fromarray(np.array([[0, 255], [51, 102]], dtype=np.uint8))
    t = T.ToTensor()(pil)
    assert isinstance(t, ember.Tensor)
    assert t.dtype == ember.float32
    assert tuple(t.shape) == (1, 2, 2)
    np.testing.assert_allclose(t.numpy(), [[[0.0, 1.0], [0.2, 0.4]]], rtol=1e-6)


def test_to_tensor_moves_channels_first_for_rgb_images_and_hwc_arrays():
    hwc = np.array([[[255, 0, 51], [0, 255, 102]]], dtype=np.uint8)  # H=1, W=2, C=3
    expected = np.array([[[1.0, 0.0]], [[0.0, 1.0]], [[0.2, 0.4]]], dtype=np.float32)
    np.testing.assert_allclose(T.ToTensor()(Image.fromarray(hwc)).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(T.ToTensor()(hwc).numpy(), expected, rtol=1e-6)


def test_to_tensor_keeps_non_uint8_arrays_unscaled_like_torchvision():
    arr = np.array([[0.5, 2.0]], dtype=np.float64)
    t = T.ToTensor()(arr)
    assert t.dtype == ember.float64
    np.testing.assert_array_equal(t.numpy(), [[[0.5, 2.0]]])


def test_to_tensor_rejects_bad_inputs_with_the_shape_it_got():
    with pytest.raises(ValueError, match=r"\(2, 2, 2, 2\)"):
        T.ToTensor()(np.zeros((2, 2, 2, 2), np.uint8))
    with pytest.raises(TypeError, match="list"):
        T.ToTensor()([[1, 2]])


def test_pil_to_tensor_keeps_uint8_values():
    hwc = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    t = T.PILToTensor()(Image.fromarray(hwc))
    assert t.dtype == ember.uint8
    np.testing.assert_array_equal(t.numpy(), hwc.transpose(2, 0, 1))


def test_to_pil_image_round_trips_uint8_and_scales_floats():
    hwc = np.arange(12, dtype=np.uint8).reshape(2, 2, 3) * 20
    img = T.ToPILImage()(ember.from_numpy(np.ascontiguousarray(hwc.transpose(2, 0, 1))))
    assert img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), hwc)
    gray = T.ToPILImage()(ember.tensor([[[0.0, 0.5], [1.0, 0.25]]]))
    assert gray.mode == "L"
    np.testing.assert_array_equal(np.asarray(gray), [[0, 127], [255, 63]])


def test_convert_image_dtype_follows_torchvision_scaling_rules():
    u8 = ember.from_numpy(np.array([[[0, 128, 255]]], dtype=np.uint8))
    f = T.ConvertImageDtype(ember.float32)(u8)
    assert f.dtype == ember.float32
    np.testing.assert_allclose(f.numpy(), [[[0.0, 128 / 255, 1.0]]], rtol=1e-6)
    back = T.ConvertImageDtype(ember.uint8)(f)
    np.testing.assert_array_equal(back.numpy(), [[[0, 128, 255]]])
    # float -> uint8 multiplies by 255.999 and truncates: 0.5 -> 127
    np.testing.assert_array_equal(F.convert_image_dtype(np.array([0.5, 1.0], np.float32), np.uint8), [127, 255])
    # integer -> wider integer shifts levels up: uint8 255 -> int16 (255+1) * 128 - 128
    np.testing.assert_array_equal(F.convert_image_dtype(np.array([1, 255], np.uint8), np.int16), [128, 32640])
    with pytest.raises(RuntimeError, match="safely"):
        F.convert_image_dtype(np.zeros(2, np.float32), np.int64)


def test_normalize_subtracts_mean_and_divides_by_std_per_channel():
    x = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
    out = T.Normalize(mean=[1.0, 2.0], std=[2.0, 4.0])(ember.from_numpy(x.copy()))
    expected = np.stack([(x[0] - 1.0) / 2.0, (x[1] - 2.0) / 4.0])
    np.testing.assert_allclose(out.numpy(), expected)
    # a batch (N, C, H, W) broadcasts the same way
    batch = np.stack([x, x + 1])
    np.testing.assert_allclose(F.normalize(batch, [1.0, 2.0], [2.0, 4.0])[1], (np.stack([x[0] + 1, x[1] + 1]) - [[[1.0]], [[2.0]]]) / [[[2.0]], [[4.0]]])


def test_normalize_inplace_writes_into_the_input_and_default_does_not():
    data = np.ones((1, 2, 2), np.float32)
    t = ember.from_numpy(data)
    out = T.Normalize([0.5], [0.25])(t)
    assert np.all(data == 1.0) and np.allclose(out.numpy(), 2.0)
    same = T.Normalize([0.5], [0.25], inplace=True)(t)
    assert same is t
    np.testing.assert_allclose(data, 2.0)


def test_normalize_refuses_integer_images_zero_std_and_pil():
    with pytest.raises(TypeError, match="float"):
        F.normalize(np.zeros((1, 2, 2), np.uint8), [0.0], [1.0])
    with pytest.raises(ValueError, match="zero"):
        F.normalize(np.zeros((1, 2, 2), np.float32), [0.0], [0.0])
    with pytest.raises(ValueError, match="3 values"):
        F.normalize(np.zeros((3, 2, 2), np.float32), [0.0, 0.0], [1.0, 1.0])
    with pytest.raises(TypeError, match="PIL"):
        F.normalize(Image.new("L", (2, 2)), [0.0], [1.0])


def test_compose_applies_in_order_and_lambda_wraps_functions():
    pipeline = T.Compose([T.Lambda(lambda v: v + 1), T.Lambda(lambda v: v * 10)])
    assert pipeline(1) == 20
    assert "Lambda()" in repr(pipeline)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)


def test_mnist_style_pipeline_gives_normalised_float_tensor():
    pil = Image.fromarray(np.full((28, 28), 255, np.uint8))
    out = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])(pil)
    assert tuple(out.shape) == (1, 28, 28)
    np.testing.assert_allclose(out.numpy(), (1.0 - 0.1307) / 0.3081, rtol=1e-5)
