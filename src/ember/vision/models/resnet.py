"""ResNet-18/34/50/101/152, ResNeXt and Wide ResNet with torchvision's module names.

The ``state_dict`` keys and shapes match torchvision's.

He et al., "Deep Residual Learning for Image Recognition" (2015). Layout (torchvision's)::

    conv1 (7x7/2) bn1 relu maxpool (3x3/2) layer1..layer4 avgpool fc

``layerK.i`` is a ``BasicBlock`` (``conv1 bn1 relu conv2 bn2`` [+ ``downsample.0`` conv 1x1,
``downsample.1`` bn]) or, for ResNet-50, a ``Bottleneck`` (``conv1 bn1 conv2 bn2 conv3 bn3``).
Weights saved by torchvision (``resnet18-*.pth``) load with ``weights=PATH``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import nn

from ._weights import WeightsSpec, build

__all__ = [
    "BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2", "wide_resnet101_2",
]  # fmt: skip


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding, no bias (a BatchNorm follows)."""
    return nn.Conv2d(
        in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups, bias=False, dilation=dilation
    )


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class _ResidualBlock(nn.Module):
    """What ``BasicBlock`` and ``Bottleneck`` share: torchvision's block signature, the shortcut (identity or
    ``downsample``) and the ReLU of the sum. A subclass builds its layers in ``_build`` and computes ``F(x)``
    (before the final ReLU) in ``_residual``."""

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self._build(inplanes, planes, stride, groups, base_width, dilation, norm_layer or nn.BatchNorm2d)
        self.downsample = downsample
        self.stride = stride

    def _build(
        self, inplanes: int, planes: int, stride: int, groups: int, base_width: int, dilation: int, norm_layer: Callable
    ) -> None:
        raise NotImplementedError

    def _residual(self, x):
        raise NotImplementedError

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self._residual(x) + identity)


class BasicBlock(_ResidualBlock):
    """Two 3x3 convolutions and the identity (or a 1x1 projection) added: ``relu(F(x) + x)``."""

    expansion = 1

    def _build(self, inplanes, planes, stride, groups, base_width, dilation, norm_layer) -> None:
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)

    def _residual(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        return self.bn2(self.conv2(out))


class Bottleneck(_ResidualBlock):
    """1x1 reduce, 3x3 (with the stride, as torchvision's "ResNet V1.5"), 1x1 expand by 4, plus the shortcut."""

    expansion = 4

    def _build(self, inplanes, planes, stride, groups, base_width, dilation, norm_layer) -> None:
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)

    def _residual(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.bn3(self.conv3(out))


class ResNet(nn.Module):
    """A residual network; build one with `resnet18` and friends (torchvision's signature).

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        layers: blocks per stage, e.g. ``[2, 2, 2, 2]`` for ResNet-18.
        num_classes: outputs of ``fc``.
        zero_init_residual: start each block's last BatchNorm at 0, so every block begins as the identity.
        groups, width_per_group: grouped 3x3 convolutions (ResNeXt) and bottleneck width (Wide ResNet).
        replace_stride_with_dilation: for stages 2-4, dilate instead of striding.
        norm_layer: the normalisation layer (default ``BatchNorm2d``).
        in_channels: (ember, keyword only) input channels of ``conv1``: 3 for RGB, 1 for MNIST.

    Shape:
        input ``(N, in_channels, H, W)``; any size works thanks to the adaptive average pooling;
        output ``(N, num_classes)``.
    """

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        layers: list[int],
        num_classes: int = 1000,
        zero_init_residual: bool = False,
        groups: int = 1,
        width_per_group: int = 64,
        replace_stride_with_dilation: list[bool] | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
        *,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        self._norm_layer = norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                f"replace_stride_with_dilation should be None or a 3-element tuple, got {replace_stride_with_dilation}"
            )
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1, dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [
            block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation, norm_layer)
        ]
        self.inplanes = planes * block.expansion
        layers += [
            block(self.inplanes, planes, groups=self.groups, base_width=self.base_width, dilation=self.dilation,
                  norm_layer=norm_layer)
            for _ in range(1, blocks)
        ]  # fmt: skip
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


def _resnet(arch: str, block, layers: list[int], weights: WeightsSpec, num_classes: int, in_channels: int,
            kwargs: dict[str, Any]) -> ResNet:  # fmt: skip
    def make(**kw: Any) -> ResNet:
        return ResNet(block, layers, **kw)

    return build(arch, make, weights, {"num_classes": num_classes, "in_channels": in_channels, **kwargs})


def resnet18(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
             **kwargs: Any) -> ResNet:  # fmt: skip
    """ResNet-18 (11.7M parameters with 1000 classes); ``weights``: ``None`` or a state-dict file."""
    return _resnet("resnet18", BasicBlock, [2, 2, 2, 2], weights, num_classes, in_channels, kwargs)


def resnet34(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
             **kwargs: Any) -> ResNet:  # fmt: skip
    """ResNet-34 (21.8M parameters); ``weights``: ``None`` or a state-dict file."""
    return _resnet("resnet34", BasicBlock, [3, 4, 6, 3], weights, num_classes, in_channels, kwargs)


def resnet50(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
             **kwargs: Any) -> ResNet:  # fmt: skip
    """ResNet-50 (25.6M parameters, bottleneck blocks); ``weights``: ``None`` or a state-dict file."""
    return _resnet("resnet50", Bottleneck, [3, 4, 6, 3], weights, num_classes, in_channels, kwargs)


def resnet101(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
              **kwargs: Any) -> ResNet:  # fmt: skip
    """ResNet-101 (44.5M parameters)."""
    return _resnet("resnet101", Bottleneck, [3, 4, 23, 3], weights, num_classes, in_channels, kwargs)


def resnet152(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
              **kwargs: Any) -> ResNet:  # fmt: skip
    """ResNet-152 (60.2M parameters)."""
    return _resnet("resnet152", Bottleneck, [3, 8, 36, 3], weights, num_classes, in_channels, kwargs)


def resnext50_32x4d(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
                    **kwargs: Any) -> ResNet:  # fmt: skip
    """ResNeXt-50 32x4d: 32 groups of width 4 in every 3x3 convolution."""
    kwargs = {"groups": 32, "width_per_group": 4, **kwargs}
    return _resnet("resnext50_32x4d", Bottleneck, [3, 4, 6, 3], weights, num_classes, in_channels, kwargs)


def resnext101_32x8d(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
                     **kwargs: Any) -> ResNet:  # fmt: skip
    """ResNeXt-101 32x8d."""
    kwargs = {"groups": 32, "width_per_group": 8, **kwargs}
    return _resnet("resnext101_32x8d", Bottleneck, [3, 4, 23, 3], weights, num_classes, in_channels, kwargs)


def wide_resnet50_2(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
                    **kwargs: Any) -> ResNet:  # fmt: skip
    """Wide ResNet-50-2: bottlenecks twice as wide."""
    kwargs = {"width_per_group": 128, **kwargs}
    return _resnet("wide_resnet50_2", Bottleneck, [3, 4, 6, 3], weights, num_classes, in_channels, kwargs)


def wide_resnet101_2(weights: WeightsSpec = None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3,
                     **kwargs: Any) -> ResNet:  # fmt: skip
    """Wide ResNet-101-2."""
    kwargs = {"width_per_group": 128, **kwargs}
    return _resnet("wide_resnet101_2", Bottleneck, [3, 4, 23, 3], weights, num_classes, in_channels, kwargs)
