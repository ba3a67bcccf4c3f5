"""Transform classes with torchvision's names, arguments and randomness.

Each transform is a callable object; the random ones draw from ember's default
generator, so ``ember.manual_seed(s)`` makes a pipeline reproducible. They work on PIL
images and on ``(..., C, H, W)`` ember tensors (or NumPy arrays in that layout); see
``functional`` for the details of each kind.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ember import nn
from ember._random import _rng as _ember_rng
from ember.vision.transforms import functional as F
from ember.vision.transforms.functional import InterpolationMode, _interp, _np_dtype, _setup_size


def _rng() -> np.random.Generator:
    """The NumPy generator behind ember's default generator (seeded by ``ember.manual_seed``)."""
    return _ember_rng(None)


def _repr(obj: Any, **fields: Any) -> str:
    inner = ", ".join(f"{k}={v!r}" for k, v in fields.items())
    return f"{type(obj).__name__}({inner})"


class _TransformModule(nn.Module):
    """Base of the transforms torchvision makes ``nn.Module`` s, so they also work inside ``nn.Sequential``.

    ``Module.__init__`` runs in ``__new__``, so each transform's ``__init__`` only sets its own fields.
    """

    def __new__(cls, *args: Any, **kwargs: Any):
        self = super().__new__(cls)
        nn.Module.__init__(self)
        return self

    def forward(self, *args: Any) -> Any:
        return type(self).__call__(self, *args)


def _check_probability(p: float, who: str) -> float:
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{who}: expected a probability p in [0, 1], got {p!r}")
    return float(p)


class Compose:
    """Chain transforms: ``Compose([a, b])(x) == b(a(x))``."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = transforms

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = [f"    {t}" for t in self.transforms]
        return "Compose(\n" + "\n".join(lines) + "\n)"


class ToTensor:
    """PIL image or ``H x W x C`` uint8 array -> float32 ``C x H x W`` tensor in [0, 1]."""

    def __call__(self, pic: Any):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return "ToTensor()"


class PILToTensor:
    """PIL image -> ``C x H x W`` tensor of the same dtype, values unscaled."""

    def __call__(self, pic: Any):
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return "PILToTensor()"


class ToPILImage:
    """``C x H x W`` tensor or ``H x W x C`` array -> PIL image."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic: Any):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return _repr(self, mode=self.mode)


class ConvertImageDtype(_TransformModule):
    """Convert a tensor image to ``dtype``, rescaling values (uint8 255 <-> float 1.0)."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype
        self._np = _np_dtype(dtype)

    def __call__(self, image: Any):
        return F.convert_image_dtype(image, self._np)

    def __repr__(self) -> str:
        return _repr(self, dtype=self.dtype)


class Normalize(_TransformModule):
    """``output[c] = (input[c] - mean[c]) / std[c]`` on float ``(..., C, H, W)`` tensors."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor: Any):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return _repr(self, mean=self.mean, std=self.std)


class Resize(_TransformModule):
    """Resize to ``(h, w)``, or match the smaller edge to an int ``size`` keeping the aspect ratio."""

    def __init__(
        self,
        size: int | Sequence[int],
        interpolation: InterpolationMode | str = InterpolationMode.BILINEAR,
        max_size: int | None = None,
        antialias: bool = True,
    ) -> None:
        if not isinstance(size, (numbers.Integral, Sequence)) or (
            isinstance(size, Sequence) and len(size) not in (1, 2)
        ):
            raise TypeError(f"Resize: expected size as an int or a sequence of 1 or 2 ints, got {size!r}")
        self.size = size
        self.interpolation = InterpolationMode(_interp(interpolation))
        self.max_size = max_size
        self.antialias = antialias

    def __call__(self, img: Any):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return _repr(self, size=self.size, interpolation=self.interpolation.value, max_size=self.max_size, antialias=self.antialias)


class CenterCrop(_TransformModule):
    """Crop the centre; zero-pads images smaller than ``size``."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _setup_size(size, "CenterCrop")

    def __call__(self, img: Any):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return _repr(self, size=self.size)


class Pad(_TransformModule):
    """Pad the borders (see ``functional.pad`` for the padding forms and modes)."""

    def __init__(self, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant") -> None:
        F._parse_padding(padding)  # validate now, not at the first image
        if padding_mode not in F._PAD_MODES:
            raise ValueError(f"Pad: padding_mode must be one of {', '.join(F._PAD_MODES)}, got {padding_mode!r}")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img: Any):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return _repr(self, padding=self.padding, fill=self.fill, padding_mode=self.padding_mode)


class Lambda:
    """Wrap a user function as a transform."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: expected a callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


class RandomApply(_TransformModule):
    """Apply a list of transforms together with probability ``p``."""

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        self.transforms = transforms
        self.p = _check_probability(p, "RandomApply")

    def __call__(self, img: Any) -> Any:
        if self.p < _rng().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _repr(self, p=self.p, transforms=list(self.transforms))


class RandomCrop(_TransformModule):
    """Crop a random ``size`` box, optionally padding first.

    Args:
        padding: padding applied before cropping (same forms as ``Pad``).
        pad_if_needed: pad images smaller than ``size`` so a crop always fits.
        fill, padding_mode: as for ``Pad``.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: Any = 0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = _setup_size(size, "RandomCrop")
        if padding is not None:
            F._parse_padding(padding)
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img: Any, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """Draw ``(top, left, height, width)`` of a random crop."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        rng = _rng()
        i = int(rng.integers(0, h - th + 1))
        j = int(rng.integers(0, w - tw + 1))
        return i, j, th, tw

    def __call__(self, img: Any):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return _repr(self, size=self.size, padding=self.padding)


def _box_draws(rng, area: int, scale: Sequence[float], ratio: Sequence[float]):
    """Ten draws of ``(round(sqrt(a * r)), round(sqrt(a / r)))``, ``a`` a uniform ``scale`` fraction of ``area``
    and ``r`` log-uniform in ``ratio``: the boxes RandomResizedCrop and RandomErasing try, in torchvision's order."""
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        a = area * rng.uniform(scale[0], scale[1])
        r = math.exp(rng.uniform(log_ratio[0], log_ratio[1]))
        yield int(round(math.sqrt(a * r))), int(round(math.sqrt(a / r)))


class RandomResizedCrop(_TransformModule):
    """Crop a random area (fraction ``scale``, aspect ``ratio``) and resize it to ``size``."""

    def __init__(
        self,
        size: int | Sequence[int],
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: InterpolationMode | str = InterpolationMode.BILINEAR,
        antialias: bool = True,
    ) -> None:
        self.size = _setup_size(size, "RandomResizedCrop")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"RandomResizedCrop: scale and ratio should be (min, max), got scale={scale}, ratio={ratio}")
        self.scale = scale
        self.ratio = ratio
        self.interpolation = InterpolationMode(_interp(interpolation))
        self.antialias = antialias

    @staticmethod
    def get_params(img: Any, scale: Sequence[float], ratio: Sequence[float]) -> tuple[int, int, int, int]:
        """Draw ``(top, left, height, width)``; falls back to a central crop after 10 misses."""
        _, height, width = F.get_dimensions(img)
        rng = _rng()
        for w, h in _box_draws(rng, height * width, scale, ratio):
            if 0 < w <= width and 0 < h <= height:
                i = int(rng.integers(0, height - h + 1))
                j = int(rng.integers(0, width - w + 1))
                return i, j, h, w
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img: Any):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self) -> str:
        return _repr(self, size=self.size, scale=self.scale, ratio=self.ratio, interpolation=self.interpolation.value)


class _WithProbability(_TransformModule):
    """Apply ``_op(img, *fields)`` with probability ``p``; ``__repr__`` shows the ``_fields`` and ``p``.

    (No ``_apply`` hook here: that name is ``nn.Module``'s, for ``.to()`` / ``.float()``; nor ``_transform``,
    the v2 classes' hook.)
    """

    _op: Callable[..., Any]  # a functional op, as a staticmethod
    _fields: tuple[str, ...] = ()

    def __init__(self, p: float = 0.5) -> None:
        self.p = _check_probability(p, type(self).__name__)

    def __call__(self, img: Any):
        if _rng().random() >= self.p:
            return img
        return self._op(img, *(getattr(self, k) for k in self._fields))

    def __repr__(self) -> str:
        return _repr(self, **{k: getattr(self, k) for k in self._fields}, p=self.p)


class RandomHorizontalFlip(_WithProbability):
    """Mirror left-right with probability ``p``."""

    _op = staticmethod(F.hflip)


class RandomVerticalFlip(_WithProbability):
    """Mirror top-bottom with probability ``p``."""

    _op = staticmethod(F.vflip)


def _setup_range(value: Any, name: str, who: str, center: float = 0.0) -> tuple[float, float]:
    """A number ``d`` becomes ``(center - d, center + d)``; a pair is taken as (min, max)."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{who}: if {name} is a single number it must be non-negative, got {value}")
        return (center - float(value), center + float(value))
    if isinstance(value, Sequence) and len(value) == 2:
        return (float(value[0]), float(value[1]))
    raise ValueError(f"{who}: expected {name} as a number or a sequence (min, max), got {value!r}")


class RandomRotation(_TransformModule):
    """Rotate by an angle drawn uniformly from ``degrees`` (``d`` means ``(-d, d)``), counter-clockwise."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        interpolation: InterpolationMode | str = InterpolationMode.NEAREST,
        expand: bool = False,
        center: Sequence[float] | None = None,
        fill: Any = 0,
    ) -> None:
        self.degrees = _setup_range(degrees, "degrees", "RandomRotation")
        self.interpolation = InterpolationMode(_interp(interpolation))
        self.expand = expand
        self.center = center
        self.fill = fill

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        """Draw the rotation angle."""
        return float(_rng().uniform(degrees[0], degrees[1]))

    def __call__(self, img: Any):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def __repr__(self) -> str:
        return _repr(self, degrees=self.degrees, interpolation=self.interpolation.value, expand=self.expand, fill=self.fill)


class RandomAffine(_TransformModule):
    """Random rotation, translation, scale and shear about the image centre.

    Args:
        degrees: rotation range (``d`` means ``(-d, d)``).
        translate: ``(a, b)``: horizontal shift drawn from ``[-a*W, a*W]``, vertical from
            ``[-b*H, b*H]`` (rounded to whole pixels).
        scale: ``(min, max)`` scale factor range.
        shear: ``d``, ``(min, max)`` along x, or ``(xmin, xmax, ymin, ymax)``.
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: InterpolationMode | str = InterpolationMode.NEAREST,
        fill: Any = 0,
        center: Sequence[float] | None = None,
    ) -> None:
        self.degrees = _setup_range(degrees, "degrees", "RandomAffine")
        if translate is not None:
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError(f"RandomAffine: expected translate as two fractions in [0, 1], got {translate!r}")
        if scale is not None:
            if len(scale) != 2 or not all(s > 0 for s in scale):
                raise ValueError(f"RandomAffine: expected scale as two positive numbers (min, max), got {scale!r}")
        if shear is not None:
            if isinstance(shear, numbers.Number):
                shear = _setup_range(shear, "shear", "RandomAffine")
            elif len(shear) not in (2, 4):
                raise ValueError(f"RandomAffine: expected shear as a number or 2 or 4 numbers, got {shear!r}")
            shear = tuple(float(s) for s in shear)
        self.translate = translate
        self.scale = scale
        self.shear = shear
        self.interpolation = InterpolationMode(_interp(interpolation))
        self.fill = fill
        self.center = center

    @staticmethod
    def get_params(
        degrees: Sequence[float],
        translate: Sequence[float] | None,
        scale_ranges: Sequence[float] | None,
        shears: Sequence[float] | None,
        img_size: Sequence[int],
    ) -> tuple[float, tuple[int, int], float, tuple[float, float]]:
        """Draw ``(angle, (tx, ty), scale, (shear_x, shear_y))``; ``img_size`` is ``[W, H]``."""
        rng = _rng()
        angle = float(rng.uniform(degrees[0], degrees[1]))
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = int(round(rng.uniform(-max_dx, max_dx)))
            ty = int(round(rng.uniform(-max_dy, max_dy)))
            translations = (tx, ty)
        else:
            translations = (0, 0)
        scale = float(rng.uniform(scale_ranges[0], scale_ranges[1])) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = float(rng.uniform(shears[0], shears[1]))
            if len(shears) == 4:
                shear_y = float(rng.uniform(shears[2], shears[3]))
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img: Any):
        angle, translations, scale, shear = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, F.get_image_size(img)
        )
        return F.affine(img, angle, translations, scale, shear, self.interpolation, self.fill, self.center)

    def __repr__(self) -> str:
        return _repr(self, degrees=self.degrees, translate=self.translate, scale=self.scale, shear=self.shear)


def _jitter_range(value: Any, name: str, center: float, bound: tuple[float, float], clip_first_on_zero: bool):
    """torchvision's ColorJitter argument rule; ``None`` means "leave this property alone"."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"ColorJitter: if {name} is a single number it must be non-negative, got {value}")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"ColorJitter: expected {name} as a number or a sequence (min, max), got {value!r}")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"ColorJitter: {name} values should be between {bound}, got {value}")
    if value[0] == value[1] == center:
        return None
    return tuple(value)


class ColorJitter(_TransformModule):
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    A number ``v`` for brightness/contrast/saturation means a factor drawn from
    ``[max(0, 1 - v), 1 + v]``; for hue, a shift drawn from ``[-v, v]`` with ``v <= 0.5``.
    """

    def __init__(self, brightness: Any = 0, contrast: Any = 0, saturation: Any = 0, hue: Any = 0) -> None:
        self.brightness = _jitter_range(brightness, "brightness", 1.0, (0.0, math.inf), True)
        self.contrast = _jitter_range(contrast, "contrast", 1.0, (0.0, math.inf), True)
        self.saturation = _jitter_range(saturation, "saturation", 1.0, (0.0, math.inf), True)
        self.hue = _jitter_range(hue, "hue", 0.0, (-0.5, 0.5), False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """Draw ``(order, b, c, s, h)``: a permutation of the four adjustments and their factors."""
        rng = _rng()
        order = rng.permutation(4)
        b = None if brightness is None else float(rng.uniform(brightness[0], brightness[1]))
        c = None if contrast is None else float(rng.uniform(contrast[0], contrast[1]))
        s = None if saturation is None else float(rng.uniform(saturation[0], saturation[1]))
        h = None if hue is None else float(rng.uniform(hue[0], hue[1]))
        return order, b, c, s, h

    def __call__(self, img: Any):
        order, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        for fn_id in order:
            if fn_id == 0 and b is not None:
                img = F.adjust_brightness(img, b)
            elif fn_id == 1 and c is not None:
                img = F.adjust_contrast(img, c)
            elif fn_id == 2 and s is not None:
                img = F.adjust_saturation(img, s)
            elif fn_id == 3 and h is not None:
                img = F.adjust_hue(img, h)
        return img

    def __repr__(self) -> str:
        return _repr(self, brightness=self.brightness, contrast=self.contrast, saturation=self.saturation, hue=self.hue)


class Grayscale(_TransformModule):
    """Convert to grayscale with 1 or 3 output channels (luma 0.299 R + 0.587 G + 0.114 B)."""

    def __init__(self, num_output_channels: int = 1) -> None:
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels must be 1 or 3, got {num_output_channels}")
        self.num_output_channels = num_output_channels

    def __call__(self, img: Any):
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self) -> str:
        return _repr(self, num_output_channels=self.num_output_channels)


class RandomGrayscale(_TransformModule):
    """Convert to grayscale with probability ``p``, keeping the number of channels."""

    def __init__(self, p: float = 0.1) -> None:
        self.p = _check_probability(p, "RandomGrayscale")

    def __call__(self, img: Any):
        if _rng().random() < self.p:
            return F.rgb_to_grayscale(img, F.get_image_num_channels(img))
        return img

    def __repr__(self) -> str:
        return _repr(self, p=self.p)
