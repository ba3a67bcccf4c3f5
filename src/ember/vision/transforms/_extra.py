"""More transforms with torchvision's names: ``RandomChoice``, ``RandomOrder``, ``GaussianBlur``, ``RandomErasing``."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ember.vision.transforms import functional as F
from ember.vision.transforms.transforms import _box_draws, _check_probability, _repr, _rng, _TransformModule, _WithProbability


class RandomChoice:
    """Apply one transform picked at random (weights ``p``, uniform by default)."""

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None) -> None:
        if p is not None and len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}")
        self.transforms = transforms
        self.p = p

    def __call__(self, *args: Any) -> Any:
        weights = None if self.p is None else np.asarray(self.p, dtype=np.float64) / float(sum(self.p))
        t = self.transforms[int(_rng().choice(len(self.transforms), p=weights))]
        return t(*args)

    def __repr__(self) -> str:
        return _repr(self, transforms=list(self.transforms), p=self.p)


class RandomOrder:
    """Apply all the transforms, in a random order."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = transforms

    def __call__(self, img: Any) -> Any:
        for i in _rng().permutation(len(self.transforms)):
            img = self.transforms[int(i)](img)
        return img

    def __repr__(self) -> str:
        return _repr(self, transforms=list(self.transforms))


class GaussianBlur(_TransformModule):
    """Blur with a Gaussian whose sigma is drawn uniformly from ``sigma`` (a number means that value)."""

    def __init__(self, kernel_size: int | Sequence[int], sigma: float | Sequence[float] = (0.1, 2.0)) -> None:
        ks = [int(kernel_size)] * 2 if isinstance(kernel_size, numbers.Integral) else [int(k) for k in kernel_size]
        if len(ks) == 1:
            ks = ks * 2
        if any(k <= 0 or k % 2 == 0 for k in ks):
            raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (float(sigma), float(sigma))
        elif len(sigma) != 2 or not 0.0 < sigma[0] <= sigma[1]:
            raise ValueError("sigma values should be positive and of the form (min, max).")
        self.kernel_size = tuple(ks)
        self.sigma = tuple(sigma)

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        return float(_rng().uniform(sigma_min, sigma_max))

    def __call__(self, img: Any):
        s = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, list(self.kernel_size), [s, s])

    def __repr__(self) -> str:
        return _repr(self, kernel_size=self.kernel_size, sigma=self.sigma)


class RandomErasing(_TransformModule):
    """With probability ``p``, overwrite a random rectangle of a tensor image (Zhong et al., 2017).

    Args:
        scale: range of the erased area as a fraction of the image.
        ratio: range of the rectangle's aspect ratio (drawn log-uniformly).
        value: fill: a number, one number per channel, or ``"random"`` (standard normal noise).
        inplace: write into the input tensor.
    """

    def __init__(
        self,
        p: float = 0.5,
        scale: Sequence[float] = (0.02, 0.33),
        ratio: Sequence[float] = (0.3, 3.3),
        value: Any = 0,
        inplace: bool = False,
    ) -> None:
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        self.p = _check_probability(p, "RandomErasing")
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img: Any, scale: Sequence[float], ratio: Sequence[float], value: list[float] | None = None):
        """Draw ``(i, j, h, w, v)``; after 10 misses the whole image is returned unchanged (``v`` is the image)."""
        arr = F._as_array(img, "RandomErasing")
        img_c, img_h, img_w = arr.shape[-3], arr.shape[-2], arr.shape[-1]
        rng = _rng()
        for h, w in _box_draws(rng, img_h * img_w, scale, ratio):
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = rng.standard_normal((img_c, h, w)).astype(arr.dtype)
            else:
                v = np.asarray(value, dtype=arr.dtype)[:, None, None]
            i = int(rng.integers(0, img_h - h + 1))
            j = int(rng.integers(0, img_w - w + 1))
            return i, j, h, w, v
        return 0, 0, img_h, img_w, arr

    def __call__(self, img: Any):
        if _rng().random() >= self.p:
            return img
        arr = F._as_array(img, "RandomErasing")
        if isinstance(self.value, numbers.Number):
            value = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = [float(v) for v in self.value]
        if value is not None and len(value) not in (1, arr.shape[-3]):
            raise ValueError(
                "If value is a sequence, it should have either a single value or "
                f"{arr.shape[-3]} (number of input channels)"
            )
        i, j, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        out = arr if self.inplace else arr.copy()
        if v is not arr:
            out[..., i : i + h, j : j + w] = v
        if F._is_tensor(img):
            if self.inplace:
                if hasattr(img, "_bump_version"):
                    img._bump_version()  # the values changed under any graph that saved this tensor
                return img
            return F._wrap_tensor(out)
        return out

    def __repr__(self) -> str:
        return _repr(self, p=self.p, scale=self.scale, ratio=self.ratio, value=self.value, inplace=self.inplace)


class RandomInvert(_WithProbability):
    """Invert the colours with probability ``p``."""

    _op = staticmethod(F.invert)


class RandomPosterize(_WithProbability):
    """Keep ``bits`` bits per channel with probability ``p`` (uint8 images)."""

    _op, _fields = staticmethod(F.posterize), ("bits",)

    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(p)
        self.bits = bits


class RandomSolarize(_WithProbability):
    """Invert the values at or above ``threshold`` with probability ``p``."""

    _op, _fields = staticmethod(F.solarize), ("threshold",)

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.threshold = threshold


class RandomAdjustSharpness(_WithProbability):
    """Adjust the sharpness by ``sharpness_factor`` with probability ``p``."""

    _op, _fields = staticmethod(F.adjust_sharpness), ("sharpness_factor",)

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.sharpness_factor = sharpness_factor


class RandomAutocontrast(_WithProbability):
    """Stretch the contrast of each channel with probability ``p``."""

    _op = staticmethod(F.autocontrast)


class RandomEqualize(_WithProbability):
    """Equalize the histogram with probability ``p`` (uint8 images)."""

    _op = staticmethod(F.equalize)


class FiveCrop(_TransformModule):
    """The four corner crops and the central crop of ``size`` (a tuple of 5 images)."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = F._setup_size(size, "FiveCrop")

    def __call__(self, img: Any):
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return _repr(self, size=self.size)


class TenCrop(_TransformModule):
    """``FiveCrop`` of the image and of its flipped copy (a tuple of 10 images)."""

    def __init__(self, size: int | Sequence[int], vertical_flip: bool = False) -> None:
        self.size = F._setup_size(size, "TenCrop")
        self.vertical_flip = vertical_flip

    def __call__(self, img: Any):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return _repr(self, size=self.size, vertical_flip=self.vertical_flip)
