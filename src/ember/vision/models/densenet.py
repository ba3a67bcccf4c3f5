"""DenseNet-121/161/169/201 with torchvision's module names, so ``state_dict`` keys and shapes match torchvision's.

Huang et al., "Densely Connected Convolutional Networks" (2017). Layout (torchvision's)::

    features: conv0 norm0 relu0 pool0 denseblock1 transition1 denseblock2 transition2
              denseblock3 transition3 denseblock4 norm5
    classifier: Linear(num_features, num_classes)

``denseblockK.denselayerJ`` holds ``norm1 relu1 conv1 (1x1 to bn_size * growth_rate) norm2 relu2
conv2 (3x3 to growth_rate)``; every layer sees the concatenation of all earlier feature maps.
``transitionK`` is ``norm relu conv (1x1, halves the channels) pool (2x2 average)``.

Transfer learning recipe (freeze the features, train a new classifier)::

    model = densenet121(weights="densenet121.pth")
    freeze(model)                           # every parameter: requires_grad = False
    model.classifier = nn.Linear(model.classifier.in_features, 5)   # a new, trainable head
    optimizer = ember.optim.Adam(model.classifier.parameters(), lr=1e-3)
"""

from __future__ import annotations

from typing import Any

import ember
from ember import nn
from ember.nn import functional as F

from ._weights import WeightsSpec, build

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int, drop_rate: float) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)

    def forward(self, features):
        x = ember.cat(features, 1) if isinstance(features, (list, tuple)) else features
        out = self.conv1(self.relu1(self.norm1(x)))
        out = self.conv2(self.relu2(self.norm2(out)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        return out


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers: int, num_input_features: int, bn_size: int, growth_rate: int, drop_rate: float):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate)
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features):
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return ember.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.add_module("norm", nn.BatchNorm2d(num_input_features))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module("conv", nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False))
        self.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))


class DenseNet(nn.Module):
    """A densely connected network; build one with `densenet121` and friends.

    Args:
        growth_rate: channels each dense layer adds (k).
        block_config: dense layers per block.
        num_init_features: channels of ``conv0``.
        bn_size: bottleneck width factor (``bn_size * k`` channels in each 1x1 conv).
        drop_rate: dropout after each dense layer.
        num_classes: outputs of ``classifier``.
        memory_efficient: must be False (ember has no gradient checkpointing).
        in_channels: (ember, keyword only) input channels of ``conv0``.
    """

    def __init__(
        self,
        growth_rate: int = 32,
        block_config: tuple[int, ...] = (6, 12, 24, 16),
        num_init_features: int = 64,
        bn_size: int = 4,
        drop_rate: float = 0.0,
        num_classes: int = 1000,
        memory_efficient: bool = False,
        *,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        if memory_efficient:
            # torchvision recomputes activations in backward to save memory; ember keeps them.
            raise NotImplementedError("DenseNet: memory_efficient=True (gradient checkpointing) is not supported by ember")
        self.features = nn.Sequential()
        self.features.add_module(
            "conv0", nn.Conv2d(in_channels, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)
        )
        self.features.add_module("norm0", nn.BatchNorm2d(num_init_features))
        self.features.add_module("relu0", nn.ReLU(inplace=True))
        self.features.add_module("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers, num_features, bn_size, growth_rate, drop_rate)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        out = F.relu(self.features(x))
        out = F.adaptive_avg_pool2d(out, (1, 1)).flatten(1)
        return self.classifier(out)


def _densenet(arch, growth_rate, block_config, num_init_features, weights, num_classes, in_channels, kwargs) -> DenseNet:
    def make(**kw: Any) -> DenseNet:
        return DenseNet(growth_rate, block_config, num_init_features, **kw)

    return build(arch, make, weights, {"num_classes": num_classes, "in_channels": in_channels, **kwargs})


def densenet121(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
                **kwargs: Any) -> DenseNet:  # fmt: skip
    """DenseNet-121 (k=32, blocks 6-12-24-16; 8.0M parameters); ``weights``: ``None`` or a state-dict file."""
    return _densenet("densenet121", 32, (6, 12, 24, 16), 64, weights, num_classes, in_channels, kwargs)


def densenet161(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
                **kwargs: Any) -> DenseNet:  # fmt: skip
    """DenseNet-161 (k=48, blocks 6-12-36-24, 96 initial features); ``weights``: ``None`` or a state-dict file."""
    return _densenet("densenet161", 48, (6, 12, 36, 24), 96, weights, num_classes, in_channels, kwargs)


def densenet169(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
                **kwargs: Any) -> DenseNet:  # fmt: skip
    """DenseNet-169 (k=32, blocks 6-12-32-32); ``weights``: ``None`` or a state-dict file."""
    return _densenet("densenet169", 32, (6, 12, 32, 32), 64, weights, num_classes, in_channels, kwargs)


def densenet201(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
                **kwargs: Any) -> DenseNet:  # fmt: skip
    """DenseNet-201 (k=32, blocks 6-12-48-32); ``weights``: ``None`` or a state-dict file."""
    return _densenet("densenet201", 32, (6, 12, 48, 32), 64, weights, num_classes, in_channels, kwargs)
