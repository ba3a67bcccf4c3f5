"""Building blocks shared by the models, with torchvision's names (``torchvision.ops``)."""

from ember.vision.ops.misc import Conv2dNormActivation, SqueezeExcitation

__all__ = ["Conv2dNormActivation", "SqueezeExcitation"]
