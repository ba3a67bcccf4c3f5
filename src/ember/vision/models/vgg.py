"""VGG-11/13/16/19, with and without batch norm, in torchvision's layout so state_dict keys match.

Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition" (2014).
``features`` is one ``nn.Sequential`` of ``Conv2d(3x3, padding 1) [BatchNorm2d] ReLU`` and
``MaxPool2d(2)`` entries; ``avgpool`` pools to 7x7; ``classifier`` is three linear layers.
"""

from __future__ import annotations

from typing import Any

from ember import nn

from ._weights import WeightsSpec, build

__all__ = ["VGG", "make_layers", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]

# Output channels of each convolution, "M" a 2x2 max pool (torchvision's configurations A, B, D, E).
cfgs: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_layers(cfg: list[int | str], batch_norm: bool = False) -> nn.Sequential:
    """The ``features`` stack of a configuration."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """``features`` -> 7x7 adaptive average pool -> ``classifier`` (4096-4096-``num_classes``)."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True, dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _vgg(arch: str, cfg: str, batch_norm: bool, weights: WeightsSpec, kwargs: dict[str, Any]) -> VGG:
    def make(**kw: Any) -> VGG:
        if weights is not None:
            kw["init_weights"] = False  # the loaded weights replace them anyway
        return VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kw)

    return build(arch, make, weights, kwargs)


def vgg11(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 (configuration A, 132.9M parameters)."""
    return _vgg("vgg11", "A", False, weights, kwargs)


def vgg11_bn(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 with batch normalisation."""
    return _vgg("vgg11_bn", "A", True, weights, kwargs)


def vgg13(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 (configuration B)."""
    return _vgg("vgg13", "B", False, weights, kwargs)


def vgg13_bn(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 with batch normalisation."""
    return _vgg("vgg13_bn", "B", True, weights, kwargs)


def vgg16(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 (configuration D, 138.4M parameters)."""
    return _vgg("vgg16", "D", False, weights, kwargs)


def vgg16_bn(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 with batch normalisation."""
    return _vgg("vgg16_bn", "D", True, weights, kwargs)


def vgg19(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 (configuration E)."""
    return _vgg("vgg19", "E", False, weights, kwargs)


def vgg19_bn(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 with batch normalisation."""
    return _vgg("vgg19_bn", "E", True, weights, kwargs)
