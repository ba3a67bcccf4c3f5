"""SqueezeNet 1.0 and 1.1 with torchvision's layout, so state_dict keys match.

Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters" (2016). ``Fire``
modules squeeze with 1x1 convolutions, then expand with 1x1 and 3x3 convolutions side by side;
the classifier is a 1x1 convolution to ``num_classes`` maps, averaged.
"""

from __future__ import annotations

from typing import Any

import ember
from ember import nn

from ._weights import WeightsSpec, build

__all__ = ["Fire", "SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


class Fire(nn.Module):
    """Squeeze (1x1) then expand: ``cat(relu(expand1x1(s)), relu(expand3x3(s)))``."""

    def __init__(self, inplanes: int, squeeze_planes: int, expand1x1_planes: int, expand3x3_planes: int) -> None:
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return ember.cat(
            [self.expand1x1_activation(self.expand1x1(x)), self.expand3x3_activation(self.expand3x3(x))], 1
        )


class SqueezeNet(nn.Module):
    """SqueezeNet ``version`` "1_0" or "1_1" (1.1 needs 2.4x less computation for the same accuracy)."""

    def __init__(self, version: str = "1_0", num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes
        pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)  # noqa: E731
        relu = lambda: nn.ReLU(inplace=True)  # noqa: E731
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), relu(), pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), pool(),
                Fire(512, 64, 256, 256),
            )  # fmt: skip
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2), relu(), pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256),
            )  # fmt: skip
        else:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")
        final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv, relu(), nn.AdaptiveAvgPool2d((1, 1)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(self.features(x)).flatten(1)


def squeezenet1_0(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.0 (1.2M parameters)."""
    return build("squeezenet1_0", lambda **kw: SqueezeNet("1_0", **kw), weights, kwargs)


def squeezenet1_1(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.1 (1.2M parameters, 2.4x less computation than 1.0)."""
    return build("squeezenet1_1", lambda **kw: SqueezeNet("1_1", **kw), weights, kwargs)
