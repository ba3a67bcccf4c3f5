"""torchvision's ``transforms.v2`` names on ember's transforms.

v2 transforms take one input or several (``t(img, label)``, a tuple or a dict): the first image
(PIL image, tensor or NumPy array) is transformed and everything else passes through unchanged,
as torchvision does for a plain tensor with labels. ``ToImage`` and ``ToDtype`` replace
``ToTensor``: ``Compose([ToImage(), ToDtype(ember.float32, scale=True)])`` is ``ToTensor()``.
Randomness comes from ember's generator (``ember.manual_seed``).
"""

from ember.vision.transforms.v2 import functional
from ember.vision.transforms.v2._transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    ConvertImageDtype,
    GaussianBlur,
    Grayscale,
    Identity,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    RandomAffine,
    RandomApply,
    RandomChoice,
    RandomCrop,
    RandomErasing,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomOrder,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
    ToDtype,
    ToImage,
    ToPILImage,
    ToPureTensor,
    ToTensor,
    Transform,
)
from ember.vision.transforms.functional import InterpolationMode

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "ConvertImageDtype",
    "GaussianBlur",
    "Grayscale",
    "Identity",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandomAffine",
    "RandomApply",
    "RandomChoice",
    "RandomCrop",
    "RandomErasing",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomOrder",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomVerticalFlip",
    "Resize",
    "ToDtype",
    "ToImage",
    "ToPILImage",
    "ToPureTensor",
    "ToTensor",
    "Transform",
    "functional",
]
