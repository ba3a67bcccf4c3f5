"""Image transforms with torchvision's names and semantics (``ember.vision.transforms``).

Transforms accept PIL images (Pillow: ``pip install ember[image]``), ember tensors laid
out ``(..., C, H, W)``, and NumPy arrays in that same layout. Random transforms draw
from ember's default generator: ``ember.manual_seed(0)`` makes them repeatable.
"""

from ember.vision.transforms import functional
from ember.vision.transforms._extra import (
    FiveCrop,
    TenCrop,
    GaussianBlur,
    RandomAdjustSharpness,
    RandomAutocontrast,
    RandomChoice,
    RandomEqualize,
    RandomErasing,
    RandomInvert,
    RandomOrder,
    RandomPosterize,
    RandomSolarize,
)
from ember.vision.transforms.autoaugment import AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from ember.vision.transforms.functional import InterpolationMode
from ember.vision.transforms.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    ConvertImageDtype,
    Grayscale,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    RandomAffine,
    RandomApply,
    RandomCrop,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
    ToPILImage,
    ToTensor,
)

__all__ = [
    "FiveCrop",
    "TenCrop",
    "AutoAugment",
    "AutoAugmentPolicy",
    "RandAugment",
    "RandomAdjustSharpness",
    "RandomAutocontrast",
    "RandomEqualize",
    "RandomInvert",
    "RandomPosterize",
    "RandomSolarize",
    "TrivialAugmentWide",
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "ConvertImageDtype",
    "GaussianBlur",
    "RandomChoice",
    "RandomErasing",
    "RandomOrder",
    "Grayscale",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandomAffine",
    "RandomApply",
    "RandomCrop",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomVerticalFlip",
    "Resize",
    "ToPILImage",
    "ToTensor",
    "functional",
]
