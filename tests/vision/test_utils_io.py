"""ember.vision.utils (make_grid, save_image) and ember.vision.io against torch-built references."""

import math

import numpy as np
import pytest

import ember
import ember.vision as vision
from ember.vision import io as vio
from ember.vision.utils import make_grid, save_image

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")


def _torch_grid(t, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """torchvision's documented make_grid, written with torch ops."""
    if t.dim() == 2:
        t = t[None]
    if t.dim() == 3:
        t = (t.repeat(3, 1, 1) if t.size(0) == 1 else t)[None]
    if t.size(1) == 1:
        t = t.repeat(1, 3, 1, 1)
    if normalize:
        t = t.clone()
        imgs = list(t) if scale_each else [t]
        for img in imgs:
            lo, hi = value_range if value_range is not None else (float(img.min()), float(img.max()))
            img.clamp_(lo, hi).sub_(lo).div_(max(hi - lo, 1e-5))
    if t.size(0) == 1:
        return t[0]
    n = t.size(0)
    xm = min(nrow, n)
    ym = math.ceil(n / xm)
    h, w = t.size(2) + padding, t.size(3) + padding
    grid = torch.full((t.size(1), h * ym + padding, w * xm + padding), float(pad_value), dtype=t.dtype)
    for k in range(n):
        y, x = divmod(k, xm)
        grid[:, y * h + padding : (y + 1) * h, x * w + padding : (x + 1) * w] = t[k]
    return grid


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((5, 3, 4, 6), {}),
        ((5, 1, 4, 6), {"nrow": 2, "padding": 1, "pad_value": 0.5}),
        ((7, 3, 3, 3), {"nrow": 3, "padding": 0}),
        ((4, 3, 5, 5), {"normalize": True}),
        ((4, 3, 5, 5), {"normalize": True, "scale_each": True}),
        ((4, 3, 5, 5), {"normalize": True, "value_range": (-1.0, 1.0)}),
        ((2, 3, 5, 5), {"nrow": 8}),
        ((1, 3, 5, 5), {"padding": 3}),  # one image: returned as it is
        ((1, 5, 5), {}),  # a single 1-channel image: three channels
        ((5, 5), {}),
    ],
)
def test_make_grid_matches_torchvisions_layout(shape, kwargs):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    got = make_grid(ember.from_numpy(x.copy()), **kwargs)
    expected = _torch_grid(torch.from_numpy(x.copy()), **kwargs)
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)


def test_make_grid_explicit_positions_and_lists():
    imgs = [ember.full((3, 2, 2), float(i + 1)) for i in range(3)]
    g = make_grid(imgs, nrow=2, padding=1, pad_value=-1.0).numpy()
    assert g.shape == (3, 7, 7)
    assert (g[:, 1:3, 1:3] == 1).all() and (g[:, 1:3, 4:6] == 2).all() and (g[:, 4:6, 1:3] == 3).all()
    assert (g[:, 4:6, 4:6] == -1).all() and (g[:, 0, :] == -1).all()  # the missing 4th tile stays padding
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(ember.rand(2, 3, 2, 2), normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(np.zeros((2, 3, 2, 2)))


def test_save_image_rounds_like_torchvision(tmp_path):
    x = np.random.default_rng(1).random((3, 3, 4, 5)).astype(np.float32) * 1.2 - 0.1
    save_image(ember.from_numpy(x), tmp_path / "g.png", nrow=2, padding=1)
    grid = _torch_grid(torch.from_numpy(x), nrow=2, padding=1)
    expected = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "g.png")), expected)
    save_image(ember.from_numpy(x[0]), tmp_path / "one.jpg", format="PNG")  # format wins over the name
    assert Image.open(tmp_path / "one.jpg").format == "PNG"


def test_io_round_trips_png_and_modes(tmp_path):
    rgb = np.random.default_rng(2).integers(0, 256, (3, 6, 7), dtype=np.uint8)
    vio.write_png(ember.from_numpy(rgb), tmp_path / "a.png")
    back = vio.read_image(tmp_path / "a.png")
    assert back.dtype == ember.uint8 and tuple(back.shape) == (3, 6, 7)
    np.testing.assert_array_equal(back.numpy(), rgb)
    gray = vio.read_image(str(tmp_path / "a.png"), vio.ImageReadMode.GRAY).numpy()
    expected = np.asarray(Image.fromarray(rgb.transpose(1, 2, 0)).convert("L"))[None]
    np.testing.assert_array_equal(gray, expected)
    data = vio.read_file(tmp_path / "a.png")
    assert data.dtype == ember.uint8 and data.dim() == 1
    np.testing.assert_array_equal(vio.decode_image(data).numpy(), rgb)
    rgba = vio.read_image(tmp_path / "a.png", mode=vio.ImageReadMode.RGB_ALPHA).numpy()
    assert rgba.shape == (4, 6, 7) and (rgba[3] == 255).all()
    vio.write_jpeg(ember.from_numpy(rgb), tmp_path / "a.jpg", quality=95)
    assert tuple(vio.read_image(tmp_path / "a.jpg").shape) == (3, 6, 7)
    with pytest.raises(ValueError, match=r"write_png: expected a uint8 tensor of shape \(1\|3\|4, H, W\)"):
        vio.write_png(ember.rand(3, 4, 4), tmp_path / "b.png")


def test_vision_package_has_torchvisions_submodules():
    assert vision.__version__.count(".") == 2
    from ember.vision import datasets, io, models, transforms, utils  # noqa: F401
    from ember.vision.transforms import functional, v2  # noqa: F401
    from ember.vision.transforms.v2 import functional as F2  # noqa: F401

    assert vision.utils.make_grid is make_grid and callable(vision.models.resnet18)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        vision.nope  # noqa: B018
