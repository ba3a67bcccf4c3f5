"""v2 transform classes: the v1 transforms, taking one input or a structure of inputs (the first image is transformed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ember.vision.transforms import _extra as _e
from ember.vision.transforms import autoaugment as _aa
from ember.vision.transforms import functional as _F
from ember.vision.transforms import transforms as _t
from ember.vision.transforms.transforms import _repr, _rng
from ember.vision.transforms.v2 import functional as F2


def _is_image(x: Any) -> bool:
    return _F._is_pil_image(x) or _F._is_tensor(x) or isinstance(x, np.ndarray)


def _flatten(obj: Any, leaves: list[Any]) -> Callable[[list[Any]], Any]:
    """Collect the leaves of nested tuples/lists/dicts; the returned function rebuilds the structure."""
    if isinstance(obj, (tuple, list)) and not _is_image(obj):
        builders = [_flatten(x, leaves) for x in obj]
        kind = type(obj)
        return lambda new: kind(b(new) for b in builders)
    if isinstance(obj, dict):
        builders = {k: _flatten(v, leaves) for k, v in obj.items()}
        return lambda new: {k: b(new) for k, b in builders.items()}
    i = len(leaves)
    leaves.append(obj)
    return lambda new: new[i]


class Transform:
    """Base of the v2 transforms: ``__call__(*inputs)`` transforms the first image found and passes the rest through."""

    def _transform(self, inpt: Any) -> Any:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __call__(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves: list[Any] = []
        rebuild = _flatten(sample, leaves)
        for i, leaf in enumerate(leaves):
            if _is_image(leaf):
                leaves[i] = self._transform(leaf)
                break
        return rebuild(leaves)

    def forward(self, *inputs: Any) -> Any:
        return self(*inputs)


def _v2(v1_class: type) -> type:
    """A v2 class with the v1 class's constructor, attributes, ``get_params`` and maths."""

    def _transform(self, inpt: Any) -> Any:
        return v1_class.__call__(self, inpt)

    cls = type(v1_class.__name__, (Transform, v1_class), {"_transform": _transform, "__call__": Transform.__call__})
    cls.__doc__ = v1_class.__doc__
    cls.__module__ = __name__
    return cls


Resize = _v2(_t.Resize)
CenterCrop = _v2(_t.CenterCrop)
RandomCrop = _v2(_t.RandomCrop)
RandomResizedCrop = _v2(_t.RandomResizedCrop)
RandomHorizontalFlip = _v2(_t.RandomHorizontalFlip)
RandomVerticalFlip = _v2(_t.RandomVerticalFlip)
RandomRotation = _v2(_t.RandomRotation)
RandomAffine = _v2(_t.RandomAffine)
ColorJitter = _v2(_t.ColorJitter)
Grayscale = _v2(_t.Grayscale)
RandomGrayscale = _v2(_t.RandomGrayscale)
Pad = _v2(_t.Pad)
Normalize = _v2(_t.Normalize)
PILToTensor = _v2(_t.PILToTensor)
ToPILImage = _v2(_t.ToPILImage)
ConvertImageDtype = _v2(_t.ConvertImageDtype)
ToTensor = _v2(_t.ToTensor)
GaussianBlur = _v2(_e.GaussianBlur)
RandomErasing = _v2(_e.RandomErasing)
FiveCrop = _v2(_e.FiveCrop)
TenCrop = _v2(_e.TenCrop)
RandomInvert = _v2(_e.RandomInvert)
RandomPosterize = _v2(_e.RandomPosterize)
RandomSolarize = _v2(_e.RandomSolarize)
RandomAdjustSharpness = _v2(_e.RandomAdjustSharpness)
RandomAutocontrast = _v2(_e.RandomAutocontrast)
RandomEqualize = _v2(_e.RandomEqualize)
AutoAugment = _v2(_aa.AutoAugment)
RandAugment = _v2(_aa.RandAugment)
TrivialAugmentWide = _v2(_aa.TrivialAugmentWide)


class ToImage(Transform):
    """PIL image or ``(H, W, C)`` array -> uint8 ``(C, H, W)`` tensor (values unscaled); tensors pass unchanged."""

    def _transform(self, inpt: Any) -> Any:
        return F2.to_image(inpt)

    def __repr__(self) -> str:
        return "ToImage()"


class ToDtype(Transform):
    """Cast the image to ``dtype``; ``scale=True`` also rescales values (uint8 0..255 -> float 0..1)."""

    def __init__(self, dtype: Any, scale: bool = False) -> None:
        if isinstance(dtype, dict):
            raise NotImplementedError("ToDtype: a dict of dtypes per input type is not supported by ember; pass one dtype")
        self.dtype = dtype
        self.scale = scale

    def _transform(self, inpt: Any) -> Any:
        return F2.to_dtype(inpt, self.dtype, scale=self.scale)

    def __repr__(self) -> str:
        return _repr(self, dtype=self.dtype, scale=self.scale)


class ToPureTensor(Transform):
    """Leaves tensors as they are (ember has no tensor subclasses to strip)."""

    def _transform(self, inpt: Any) -> Any:
        return inpt

    def __repr__(self) -> str:
        return "ToPureTensor()"


class Identity(ToPureTensor):
    """Returns its input."""

    def __repr__(self) -> str:
        return "Identity()"


class Lambda(Transform):
    """Apply ``lambd`` to the first image, or, when ``types`` are given, to every input of those types."""

    def __init__(self, lambd: Callable, *types: type) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd
        self.types = types

    def _transform(self, inpt: Any) -> Any:
        return self.lambd(inpt)

    def __call__(self, *inputs: Any) -> Any:
        if not self.types:
            return super().__call__(*inputs)
        leaves: list[Any] = []
        rebuild = _flatten(inputs if len(inputs) > 1 else inputs[0], leaves)
        return rebuild([self.lambd(x) if isinstance(x, self.types) else x for x in leaves])

    def __repr__(self) -> str:
        return f"Lambda({getattr(self.lambd, '__name__', 'lambda')}, types={list(self.types)})"


def _run(transforms: Sequence[Callable], inputs: tuple[Any, ...]) -> Any:
    needs_unpacking = len(inputs) > 1
    outputs: Any = inputs if needs_unpacking else inputs[0]
    for t in transforms:
        outputs = t(*inputs)
        inputs = outputs if needs_unpacking else (outputs,)
    return outputs


class Compose(Transform):
    """Chain transforms; several inputs are handed on together (``Compose(ts)(img, label)``)."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        self.transforms = transforms

    def __call__(self, *inputs: Any) -> Any:
        return _run(self.transforms, inputs)

    forward = __call__

    def __repr__(self) -> str:
        return "Compose(\n" + "\n".join(f"    {t}" for t in self.transforms) + "\n)"


class RandomApply(Compose):
    """Apply all the transforms with probability ``p``."""

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        super().__init__(transforms)
        self.p = _t._check_probability(p, "RandomApply")

    def __call__(self, *inputs: Any) -> Any:
        if _rng().random() >= self.p:
            return inputs if len(inputs) > 1 else inputs[0]
        return _run(self.transforms, inputs)

    forward = __call__

    def __repr__(self) -> str:
        return _repr(self, p=self.p, transforms=list(self.transforms))


class RandomChoice(Transform, _e.RandomChoice):
    """Apply one transform picked at random (weights ``p``)."""

    __call__ = _e.RandomChoice.__call__


class RandomOrder(Transform, _e.RandomOrder):
    """Apply all the transforms in a random order; several inputs are handed on together."""

    def __call__(self, *inputs: Any) -> Any:
        order = [self.transforms[int(i)] for i in _rng().permutation(len(self.transforms))]
        return _run(order, inputs)
