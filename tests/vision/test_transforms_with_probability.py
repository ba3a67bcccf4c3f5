"""Transforms applied with probability ``p``: torchvision's reprs, and they stay ``nn.Module`` s (``.float()``, ``.to()``)."""

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import v2


@pytest.mark.parametrize(
    "make, text",
    [
        (lambda: T.RandomInvert(), "RandomInvert(p=0.5)"),
        (lambda: T.RandomPosterize(3), "RandomPosterize(bits=3, p=0.5)"),
        (lambda: T.RandomSolarize(0.5, p=0.2), "RandomSolarize(threshold=0.5, p=0.2)"),
        (lambda: T.RandomAdjustSharpness(2.0), "RandomAdjustSharpness(sharpness_factor=2.0, p=0.5)"),
        (lambda: T.RandomHorizontalFlip(), "RandomHorizontalFlip(p=0.5)"),
        (lambda: T.RandomVerticalFlip(0.3), "RandomVerticalFlip(p=0.3)"),
        (lambda: v2.RandomPosterize(2), "RandomPosterize(bits=2, p=0.5)"),
    ],
)
def test_repr_names_the_arguments_and_not_module_internals(make, text):
    assert repr(make()) == text


@pytest.mark.parametrize("cls", [T.RandomInvert, T.RandomAutocontrast, T.RandomEqualize, T.RandomHorizontalFlip])
def test_module_conversions_return_the_transform_unchanged(cls):
    t = cls(p=1.0)
    assert t.float() is t and t.to("cpu") is t and t.double() is t
    assert t.p == 1.0


def test_probability_one_always_applies_and_zero_never_does():
    ember.manual_seed(0)
    x = np.arange(12, dtype=np.uint8).reshape(1, 3, 4)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(x), x[..., ::-1, :])
    np.testing.assert_array_equal(T.RandomInvert(p=1.0)(x), 255 - x)
    for t in (T.RandomHorizontalFlip(p=0.0), T.RandomInvert(p=0.0), T.RandomPosterize(1, p=0.0)):
        assert t(x) is x


def test_probability_outside_zero_one_is_refused_naming_the_transform():
    with pytest.raises(ValueError, match=r"RandomPosterize: expected a probability p in \[0, 1\], got 1.5"):
        T.RandomPosterize(2, p=1.5)
    with pytest.raises(ValueError, match="RandomHorizontalFlip: expected a probability"):
        T.RandomHorizontalFlip(-0.1)
