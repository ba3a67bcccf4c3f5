"""transforms.v2 and the extra v1 transforms (GaussianBlur, RandomErasing, RandomChoice, RandomOrder)."""

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import v2

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")


def _rgb(h=20, w=30, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_to_image_gives_uint8_chw_tensors():
    arr = _rgb()
    for inpt in (Image.fromarray(arr), arr):
        out = v2.ToImage()(inpt)
        assert isinstance(out, ember.Tensor) and out.dtype == ember.uint8
        np.testing.assert_array_equal(out.numpy(), arr.transpose(2, 0, 1))
    gray = v2.ToImage()(arr[..., 0])
    assert tuple(gray.shape) == (1, 20, 30)
    t = ember.rand(3, 4, 4)
    assert v2.ToImage()(t) is t


def test_to_dtype_scale_matches_torchvisions_conversion_rules():
    arr = _rgb().transpose(2, 0, 1).copy()
    x = ember.from_numpy(arr)
    scaled = v2.ToDtype(ember.float32, scale=True)(x)
    np.testing.assert_allclose(scaled.numpy(), (torch.from_numpy(arr).float() / 255).numpy(), rtol=0, atol=0)
    plain = v2.ToDtype(ember.float32)(x)  # scale=False by default: values kept
    assert plain.dtype == ember.float32 and plain.numpy().max() == arr.max()
    f = np.random.default_rng(1).random((3, 4, 5)).astype(np.float32)
    back = v2.ToDtype(ember.uint8, scale=True)(ember.from_numpy(f))
    expected = torch.from_numpy(f).mul(255 + 1.0 - 1e-3).to(torch.uint8)  # torchvision's float -> int rule
    np.testing.assert_array_equal(back.numpy(), expected.numpy())
    with pytest.raises(NotImplementedError, match="dict of dtypes"):
        v2.ToDtype({"others": None})


def test_v2_to_image_to_dtype_equals_v1_to_tensor():
    img = Image.fromarray(_rgb())
    v2_out = v2.Compose([v2.ToImage(), v2.ToDtype(ember.float32, scale=True)])(img)
    np.testing.assert_array_equal(v2_out.numpy(), T.ToTensor()(img).numpy())


def test_v2_pipeline_is_the_v1_pipeline_under_the_same_seed():
    img = Image.fromarray(_rgb(40, 50))

    def pipeline(ns):
        return ns.Compose([
            ns.RandomResizedCrop(24, scale=(0.3, 1.0)),
            ns.RandomHorizontalFlip(),
            ns.ColorJitter(0.4, 0.4, 0.4, 0.1),
            ns.RandomRotation(15),
            ns.PILToTensor(),
            ns.ConvertImageDtype(ember.float32),
            ns.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
        ])  # fmt: skip

    ember.manual_seed(7)
    a = pipeline(v2)(img).numpy()
    ember.manual_seed(7)
    b = pipeline(T)(img).numpy()
    np.testing.assert_array_equal(a, b)
    ember.manual_seed(7)
    np.testing.assert_array_equal(pipeline(v2)(img).numpy(), a)  # manual_seed makes it repeatable
    ember.manual_seed(8)
    assert not np.array_equal(pipeline(v2)(img).numpy(), a)


def test_v2_passes_labels_and_structures_through():
    img = Image.fromarray(_rgb())
    t = v2.Compose([v2.ToImage(), v2.CenterCrop(10), v2.ToDtype(ember.float32, scale=True)])
    out, label = t(img, 3)
    assert tuple(out.shape) == (3, 10, 10) and label == 3
    d = t({"image": img, "label": 1, "meta": ("a", 2)})
    assert tuple(d["image"].shape) == (3, 10, 10) and d["label"] == 1 and d["meta"] == ("a", 2)
    assert v2.RandomHorizontalFlip(p=1.0)(img, "x")[1] == "x"
    ember.manual_seed(0)
    kept = v2.RandomApply([v2.CenterCrop(4)], p=0.0)(img, 5)
    assert kept[0] is img and kept[1] == 5
    # only the first image is transformed, like torchvision's plain-tensor rule
    x, y = ember.rand(3, 8, 8), ember.rand(3, 8, 8)
    fx, fy = v2.RandomVerticalFlip(p=1.0)(x, y)
    np.testing.assert_array_equal(fx.numpy(), x.numpy()[:, ::-1])
    assert fy is y


def test_v2_lambda_with_types():
    lam = v2.Lambda(lambda v: v * 10, int)
    assert lam(1, 2.5, "s") == (10, 2.5, "s")
    assert v2.Lambda(lambda im: im.shape)(np.zeros((3, 2, 2)), 4) == ((3, 2, 2), 4)


def _torch_blur(x, k, sigma):
    half = (k - 1) * 0.5
    g = torch.exp(-0.5 * (torch.linspace(-half, half, k, dtype=torch.float64) / sigma) ** 2)
    g = (g / g.sum()).float()
    kernel = (g[:, None] * g[None, :]).expand(x.shape[0], 1, k, k)
    padded = torch.nn.functional.pad(x[None], [k // 2] * 4, mode="reflect")
    return torch.nn.functional.conv2d(padded, kernel, groups=x.shape[0])[0]


def test_gaussian_blur_matches_a_torch_convolution():
    x = np.random.default_rng(3).random((3, 9, 11)).astype(np.float32)
    got = T.functional.gaussian_blur(ember.from_numpy(x), [5, 5], [1.3, 1.3]).numpy()
    np.testing.assert_allclose(got, _torch_blur(torch.from_numpy(x), 5, 1.3).numpy(), rtol=1e-5, atol=1e-6)
    u8 = _rgb(9, 11).transpose(2, 0, 1).copy()
    got8 = T.functional.gaussian_blur(ember.from_numpy(u8), 3, 0.8).numpy()
    ref8 = _torch_blur(torch.from_numpy(u8).float(), 3, 0.8).round().to(torch.uint8).numpy()
    assert got8.dtype == np.uint8 and np.abs(got8.astype(int) - ref8.astype(int)).max() <= 1  # float32 rounding ties
    pil = T.GaussianBlur(3, sigma=(0.5, 0.5))(Image.fromarray(_rgb(9, 11)))
    chw = ember.from_numpy(_rgb(9, 11).transpose(2, 0, 1).copy())
    np.testing.assert_array_equal(np.asarray(pil).transpose(2, 0, 1), T.functional.gaussian_blur(chw, 3, 0.5).numpy())
    with pytest.raises(ValueError, match="odd and positive"):
        T.GaussianBlur(4)


def test_random_erasing_overwrites_one_rectangle_in_range():
    x = np.random.default_rng(4).random((3, 20, 20)).astype(np.float32)
    t = ember.from_numpy(x.copy())
    ember.manual_seed(0)
    out = T.RandomErasing(p=1.0, value=(1.0, 2.0, 3.0))(t).numpy()
    changed = np.any(out != x, axis=0)
    rows, cols = np.where(changed)
    top, left, h, w = rows.min(), cols.min(), np.ptp(rows) + 1, np.ptp(cols) + 1
    assert changed.sum() == h * w  # a filled rectangle
    assert 0.02 * 400 * 0.5 <= h * w <= 0.33 * 400 * 1.5
    for c, v in enumerate((1.0, 2.0, 3.0)):
        assert (out[c, top : top + h, left : left + w] == v).all()
    np.testing.assert_array_equal(t.numpy(), x)  # not in place by default
    same = ember.from_numpy(x.copy())
    assert T.RandomErasing(p=0.0)(same) is same
    ember.manual_seed(0)
    inplace = ember.from_numpy(x.copy())
    assert T.RandomErasing(p=1.0, value="random", inplace=True)(inplace) is inplace
    assert not np.array_equal(inplace.numpy(), x)
    with pytest.raises(ValueError, match="should have either a single value or 3"):
        T.RandomErasing(p=1.0, value=(1.0, 2.0))(t)


def test_random_choice_and_random_order():
    add1, times2 = (lambda v: v + 1), (lambda v: v * 2)
    assert T.RandomChoice([add1, times2], p=[0.0, 1.0])(3) == 6
    ember.manual_seed(0)
    results = {T.RandomOrder([add1, times2])(3) for _ in range(30)}
    assert results == {8, 7}  # (3 + 1) * 2 or 3 * 2 + 1
    assert v2.RandomChoice([add1], p=[1.0])(1) == 2
    with pytest.raises(ValueError, match="Length of p doesn't match"):
        T.RandomChoice([add1], p=[0.5, 0.5])


@pytest.mark.parametrize("size", [(9, 11), (30, 40), (17, 50)])
@pytest.mark.parametrize("antialias", [True, False])
def test_bicubic_resize_of_tensors_matches_torch_interpolate(size, antialias):
    x = np.random.default_rng(5).random((2, 3, 17, 23)).astype(np.float32)
    got = T.Resize(size, interpolation=T.InterpolationMode.BICUBIC, antialias=antialias)(ember.from_numpy(x))
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode="bicubic", antialias=antialias, align_corners=False)
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)
    u8 = (x * 255).round().astype(np.uint8)
    got8 = v2.Resize(size, interpolation=v2.InterpolationMode.BICUBIC, antialias=antialias)(ember.from_numpy(u8)).numpy()
    ref8 = torch.nn.functional.interpolate(torch.from_numpy(u8).float(), size=size, mode="bicubic", antialias=antialias)
    ref8 = ref8.clamp(0, 255).round().to(torch.uint8).numpy()  # torchvision's uint8 rule: clamp, round
    assert got8.dtype == np.uint8 and np.abs(got8.astype(int) - ref8.astype(int)).max() <= 1


def test_mixup_blends_images_and_one_hot_labels():
    x = np.random.default_rng(6).random((4, 3, 5, 5)).astype(np.float32)
    y = np.array([0, 2, 1, 2])
    ember.manual_seed(3)
    imgs, labels = v2.MixUp(alpha=0.4, num_classes=3)(ember.from_numpy(x), ember.from_numpy(y))
    onehot = np.eye(3, dtype=np.float32)[y]
    lam = float(labels.numpy()[0, 0])  # sample 0 is class 0, mixed with sample 3 (class 2)
    np.testing.assert_allclose(imgs.numpy(), lam * x + (1 - lam) * np.roll(x, 1, 0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(labels.numpy(), lam * onehot + (1 - lam) * np.roll(onehot, 1, 0), rtol=1e-6)
    assert labels.dtype == ember.float32 and tuple(labels.shape) == (4, 3)
    with pytest.raises(ValueError, match="pass num_classes"):
        v2.MixUp()(ember.from_numpy(x), ember.from_numpy(y))


def test_cutmix_pastes_one_box_and_mixes_labels_by_area():
    x = np.arange(4, dtype=np.float32)[:, None, None, None] * np.ones((4, 2, 8, 8), np.float32)
    y = np.array([0, 1, 2, 3])
    for seed in range(5):
        ember.manual_seed(seed)
        imgs, labels = v2.CutMix(num_classes=4)((ember.from_numpy(x), ember.from_numpy(y)))
        out = imgs.numpy()
        pasted = out[1, 0] == 0  # sample 1 gets its box from sample 0
        area = pasted.mean()
        if pasted.any():
            rows, cols = np.where(pasted)
            assert pasted.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)  # one rectangle
        np.testing.assert_allclose(labels.numpy()[1], [area, 1 - area, 0, 0], rtol=1e-6, atol=1e-7)


def test_five_and_ten_crop_positions():
    x = np.arange(2 * 6 * 7, dtype=np.float32).reshape(2, 6, 7)
    crops = T.FiveCrop((3, 4))(ember.from_numpy(x))
    expected = [x[:, :3, :4], x[:, :3, 3:], x[:, 3:, :4], x[:, 3:, 3:], x[:, 2:5, 2:6]]  # centre: round(1.5)=2, round(1.5)=2
    assert len(crops) == 5
    for got, want in zip(crops, expected):
        np.testing.assert_array_equal(got.numpy(), want)
    ten = T.TenCrop(3)(Image.fromarray(_rgb(6, 7)))
    assert len(ten) == 10 and all(c.size == (3, 3) for c in ten)
    np.testing.assert_array_equal(np.asarray(ten[5]), np.asarray(ten[1])[:, ::-1])  # mirrored top-left is the old top-right
    with pytest.raises(ValueError, match="bigger than input size"):
        T.FiveCrop(8)(ember.from_numpy(x))


def test_transforms_are_modules_usable_in_nn_sequential_like_torchvision():
    from ember import nn

    x = np.random.default_rng(7).random((2, 3, 10, 12)).astype(np.float32)
    seq = nn.Sequential(T.CenterCrop(8), T.Normalize((0.5, 0.4, 0.3), (0.2, 0.2, 0.2)))
    out = seq(ember.from_numpy(x)).numpy()
    expected = (x[:, :, 1:9, 2:10] - np.array([0.5, 0.4, 0.3], np.float32)[:, None, None]) / np.float32(0.2)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert isinstance(T.RandomResizedCrop(4), nn.Module) and isinstance(v2.Resize(4), nn.Module)
    assert not isinstance(T.ToTensor(), nn.Module) and not isinstance(T.Compose([]), nn.Module)  # as in torchvision
    seq.eval()  # Module API works on them
    np.testing.assert_allclose(T.CenterCrop(8).forward(ember.from_numpy(x)).numpy(), x[:, :, 1:9, 2:10])


def test_v2_exports_every_v1_name_as_its_own_transform():
    # torchvision's v2 offers each v1 transform; v2's __all__ is built from v1's, so each name must resolve
    for name in T.__all__:
        obj = getattr(v2, name)
        v1_obj = getattr(T, name)
        if isinstance(v1_obj, type) and name not in ("AutoAugmentPolicy", "InterpolationMode"):
            assert obj is not v1_obj and obj.__module__.startswith("ember.vision.transforms.v2"), name
    assert v2.functional is not T.functional
    assert {"CutMix", "MixUp", "ToImage", "ToDtype", "Transform"} <= set(v2.__all__)
    assert len(set(v2.__all__)) == len(v2.__all__)


def test_v2_containers_are_v2_transforms():
    from ember.vision.transforms import v2

    flip = v2.RandomHorizontalFlip(p=1.0)
    for container in (v2.Compose([flip]), v2.RandomApply([flip], p=1.0), v2.RandomChoice([flip]), v2.RandomOrder([flip])):
        assert isinstance(container, v2.Transform), type(container)
        img = ember.arange(6.0).reshape(1, 2, 3)
        assert ember.equal(container(img), img.flip(-1))
