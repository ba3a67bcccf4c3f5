"""AutoAugment, RandAugment and TrivialAugmentWide with torchvision's policies, magnitudes and draws.

The ops act on PIL images or uint8 ``(..., C, H, W)`` tensors. Randomness comes from ember's
generator (``ember.manual_seed``).
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

import numpy as np

from ember.vision.transforms import functional as F
from ember.vision.transforms.functional import InterpolationMode, _interp
from ember.vision.transforms.transforms import _rng, _TransformModule

__all__ = ["AutoAugment", "AutoAugmentPolicy", "RandAugment", "TrivialAugmentWide"]


def _apply_op(img: Any, op_name: str, magnitude: float, interpolation: InterpolationMode, fill: Any) -> Any:
    if op_name in ("ShearX", "ShearY"):
        # torchvision shears by atan(magnitude) degrees about the top-left corner
        angle = math.degrees(math.atan(magnitude))
        shear = [angle, 0.0] if op_name == "ShearX" else [0.0, angle]
        return F.affine(img, 0.0, [0, 0], 1.0, shear, interpolation, fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, 0.0, [int(magnitude), 0], 1.0, [0.0, 0.0], interpolation, fill)
    if op_name == "TranslateY":
        return F.affine(img, 0.0, [0, int(magnitude)], 1.0, [0.0, 0.0], interpolation, fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation, fill=fill)
    simple = {
        "Brightness": lambda: F.adjust_brightness(img, 1.0 + magnitude),
        "Color": lambda: F.adjust_saturation(img, 1.0 + magnitude),
        "Contrast": lambda: F.adjust_contrast(img, 1.0 + magnitude),
        "Sharpness": lambda: F.adjust_sharpness(img, 1.0 + magnitude),
        "Posterize": lambda: F.posterize(img, int(magnitude)),
        "Solarize": lambda: F.solarize(img, magnitude),
        "AutoContrast": lambda: F.autocontrast(img),
        "Equalize": lambda: F.equalize(img),
        "Invert": lambda: F.invert(img),
        "Identity": lambda: img,
    }
    if op_name not in simple:
        raise ValueError(f"The provided operator {op_name} is not recognized.")
    return simple[op_name]()


def _fill(fill: Any, img: Any) -> Any:
    if F._is_pil_image(img) or fill is None:
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * F.get_image_num_channels(img)
    return [float(f) for f in fill]


def _posterize_bins(num_bins: int, levels: int) -> np.ndarray:
    # 8 - round(i / ((num_bins - 1) / levels)): from 8 bits down to 8 - levels
    return 8 - np.round(np.arange(num_bins) / ((num_bins - 1) / levels)).astype(np.int64)


class AutoAugmentPolicy(Enum):
    """AutoAugment policies learned on ImageNet, CIFAR-10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# Each sub-policy: two (op, probability, magnitude bin) steps (Cubuk et al., 2019, as torchvision lists them).
_POLICIES: dict[AutoAugmentPolicy, list[tuple[tuple[str, float, int | None], ...]]] = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)), (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)), (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)), (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)), (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)), (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)), (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)), (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)), (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)), (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)), (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)), (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)), (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)), (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)), (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)), (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)), (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)), (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)), (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)), (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)), (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)), (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)), (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)), (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)), (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)), (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)), (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)), (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)), (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)), (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)), (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)), (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)), (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)), (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)), (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}  # fmt: skip


def _space(num_bins: int, image_size: list[int], wide: bool, identity: bool, invert: bool) -> dict[str, tuple[np.ndarray, bool]]:
    """op name -> (magnitude per bin, whether the sign is drawn at random)."""
    top = 0.99 if wide else 0.9
    lin = lambda hi: np.linspace(0.0, hi, num_bins)  # noqa: E731
    space: dict[str, tuple[np.ndarray, bool]] = {"Identity": (np.array(0.0), False)} if identity else {}
    space.update({
        "ShearX": (lin(0.99 if wide else 0.3), True),
        "ShearY": (lin(0.99 if wide else 0.3), True),
        "TranslateX": (lin(32.0 if wide else 150.0 / 331.0 * image_size[0]), True),
        "TranslateY": (lin(32.0 if wide else 150.0 / 331.0 * image_size[1]), True),
        "Rotate": (lin(135.0 if wide else 30.0), True),
        "Brightness": (lin(top), True),
        "Color": (lin(top), True),
        "Contrast": (lin(top), True),
        "Sharpness": (lin(top), True),
        "Posterize": (_posterize_bins(num_bins, 6 if wide else 4), False),
        "Solarize": (np.linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (np.array(0.0), False),
        "Equalize": (np.array(0.0), False),
    })  # fmt: skip
    if invert:
        space["Invert"] = (np.array(0.0), False)
    return space


class AutoAugment(_TransformModule):
    """Apply one of the policy's 25 learned sub-policies, drawn at random (Cubuk et al., 2019)."""

    def __init__(
        self,
        policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
        interpolation: InterpolationMode = InterpolationMode.NEAREST,
        fill: Any = None,
    ) -> None:
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy = policy
        self.interpolation = InterpolationMode(_interp(interpolation))
        self.fill = fill
        self.policies = _POLICIES[policy]

    @staticmethod
    def get_params(transform_num: int) -> tuple[int, np.ndarray, np.ndarray]:
        """Draw ``(sub-policy index, two probabilities, two signs)``."""
        rng = _rng()
        return int(rng.integers(0, transform_num)), rng.random(2), rng.integers(0, 2, 2)

    def __call__(self, img: Any) -> Any:
        fill = _fill(self.fill, img)
        transform_id, probs, signs = self.get_params(len(self.policies))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, signed = _space(10, F.get_image_size(img), False, False, True)[op_name]
                magnitude = float(magnitudes[magnitude_id]) if magnitude_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude = -magnitude
                img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"AutoAugment(policy={self.policy}, fill={self.fill})"


class _RandomOps(_TransformModule):
    """RandAugment's and TrivialAugmentWide's step, ``_num_draws()`` times: one op of the search space drawn
    uniformly, at the magnitude bin ``_magnitude_bin`` picks, negated at random for signed ops (random draws in
    that order, as torchvision makes them)."""

    _wide = False  # TrivialAugmentWide's wider magnitude ranges (which do not depend on the image size)

    def __init__(
        self, num_magnitude_bins: int = 31, interpolation: InterpolationMode = InterpolationMode.NEAREST, fill: Any = None
    ) -> None:
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = InterpolationMode(_interp(interpolation))
        self.fill = fill

    def _num_draws(self) -> int:
        return 1

    def _magnitude_bin(self, rng: np.random.Generator, magnitudes: np.ndarray) -> int:
        raise NotImplementedError

    def __call__(self, img: Any) -> Any:
        fill = _fill(self.fill, img)
        rng = _rng()
        for _ in range(self._num_draws()):
            size = [0, 0] if self._wide else F.get_image_size(img)
            space = _space(self.num_magnitude_bins, size, self._wide, True, False)
            op_name = list(space)[int(rng.integers(0, len(space)))]
            magnitudes, signed = space[op_name]
            magnitude = float(magnitudes[self._magnitude_bin(rng, magnitudes)]) if magnitudes.ndim > 0 else 0.0
            if signed and rng.integers(0, 2):
                magnitude = -magnitude
            img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img


class RandAugment(_RandomOps):
    """Apply ``num_ops`` ops drawn uniformly, all at the same ``magnitude`` bin (Cubuk et al., 2020)."""

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        interpolation: InterpolationMode = InterpolationMode.NEAREST,
        fill: Any = None,
    ) -> None:
        self.num_ops = num_ops
        self.magnitude = magnitude
        super().__init__(num_magnitude_bins, interpolation, fill)

    def _num_draws(self) -> int:
        return self.num_ops

    def _magnitude_bin(self, rng: np.random.Generator, magnitudes: np.ndarray) -> int:
        return self.magnitude

    def __repr__(self) -> str:
        return (
            f"RandAugment(num_ops={self.num_ops}, magnitude={self.magnitude}, "
            f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self.interpolation}, fill={self.fill})"
        )


class TrivialAugmentWide(_RandomOps):
    """Apply one op drawn uniformly, at a magnitude drawn uniformly (Müller and Hutter, 2021)."""

    _wide = True

    def _magnitude_bin(self, rng: np.random.Generator, magnitudes: np.ndarray) -> int:
        return int(rng.integers(0, len(magnitudes)))

    def __repr__(self) -> str:
        return (
            f"TrivialAugmentWide(num_magnitude_bins={self.num_magnitude_bins}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )
