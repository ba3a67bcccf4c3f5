"""ResNet-18/34/50 with torchvision's module names, so ``state_dict`` keys and shapes match torchvision's.

He et al., "Deep Residual Learning for Image Recognition" (2015). Layout (torchvision's)::

    conv1 (7x7/2) bn1 relu maxpool (3x3/2) layer1..layer4 avgpool fc

``layerK.i`` is a ``BasicBlock`` (``conv1 bn1 relu conv2 bn2`` [+ ``downsample.0`` conv 1x1,
``downsample.1`` bn]) or, for ResNet-50, a ``Bottleneck`` (``conv1 bn1 conv2 bn2 conv3 bn3``).
Weights saved by torchvision (``resnet18-*.pth``) load with ``weights=PATH``.
"""

from __future__ import annotations

import os

from ember import nn

from ._weights import load_weights

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding, no bias (a BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and the identity (or a 1x1 projection) added: ``relu(F(x) + x)``."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (with the stride, as torchvision's "ResNet V1.5"), 1x1 expand by 4, plus the shortcut."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A residual network; build one with `resnet18`, `resnet34` or `resnet50`.

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        layers: blocks per stage, e.g. ``[2, 2, 2, 2]`` for ResNet-18.
        num_classes: outputs of ``fc``.
        in_channels: input channels of ``conv1`` (3 for RGB, 1 for MNIST).
        zero_init_residual: start each block's last BatchNorm at 0, so every block begins as the identity.

    Shape:
        input ``(N, in_channels, H, W)`` with H, W >= 32 recommended (any size works thanks to the
        adaptive average pooling); output ``(N, num_classes)``.
    """

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        layers: list[int],
        num_classes: int = 1000,
        in_channels: int = 3,
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


def _resnet(block, layers, weights, num_classes, in_channels, **kwargs) -> ResNet:
    model = ResNet(block, layers, num_classes=num_classes, in_channels=in_channels, **kwargs)
    if weights is not None:
        load_weights(model, weights)
    return model


def resnet18(
    weights: str | os.PathLike | None = None, num_classes: int = 1000, in_channels: int = 3, **kwargs
) -> ResNet:
    """ResNet-18 (11.7M parameters with 1000 classes); ``weights``: a state-dict file for ``ember.load``."""
    return _resnet(BasicBlock, [2, 2, 2, 2], weights, num_classes, in_channels, **kwargs)


def resnet34(
    weights: str | os.PathLike | None = None, num_classes: int = 1000, in_channels: int = 3, **kwargs
) -> ResNet:
    """ResNet-34 (21.8M parameters); ``weights``: a state-dict file for ``ember.load``."""
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, num_classes, in_channels, **kwargs)


def resnet50(
    weights: str | os.PathLike | None = None, num_classes: int = 1000, in_channels: int = 3, **kwargs
) -> ResNet:
    """ResNet-50 (25.6M parameters, bottleneck blocks); ``weights``: a state-dict file for ``ember.load``."""
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, num_classes, in_channels, **kwargs)
