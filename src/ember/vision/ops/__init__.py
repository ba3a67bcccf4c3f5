"""Building blocks shared by the models, with torchvision's names (``torchvision.ops``)."""

from ember.vision.ops.misc import Conv2dNormActivation, Permute, SqueezeExcitation
from ember.vision.ops.stochastic_depth import StochasticDepth, stochastic_depth

__all__ = ["Conv2dNormActivation", "Permute", "SqueezeExcitation", "StochasticDepth", "stochastic_depth"]
