"""EfficientNet B0-B7 with torchvision's layout (``features.i.j.block...``), so state_dict keys match.

Tan and Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks" (2019).
Each stage is an ``nn.Sequential`` of ``MBConv`` blocks (expand, depthwise, squeeze-excitation,
project) whose residual branch is dropped at random while training (stochastic depth, growing
linearly with depth up to ``stochastic_depth_prob``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from ember import nn
from ember.vision.ops.misc import Conv2dNormActivation, SqueezeExcitation
from ember.vision.ops.stochastic_depth import StochasticDepth

from ._init import init_mobile
from ._config import check_setting
from ._weights import WeightsSpec, build
from .mobilenetv2 import _make_divisible

__all__ = ["EfficientNet", "MBConv", "MBConvConfig"] + [f"efficientnet_b{i}" for i in range(8)]


class MBConvConfig:
    """One stage: expansion, kernel, first stride, channels (scaled by ``width_mult``) and depth (by ``depth_mult``)."""

    def __init__(
        self,
        expand_ratio: float,
        kernel: int,
        stride: int,
        input_channels: int,
        out_channels: int,
        num_layers: int,
        width_mult: float = 1.0,
        depth_mult: float = 1.0,
        block: Callable[..., nn.Module] | None = None,
    ) -> None:
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.num_layers = int(math.ceil(num_layers * depth_mult))
        self.block = block or MBConv

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConv(nn.Module):
    """Mobile inverted bottleneck with squeeze-excitation and SiLU; + x (after stochastic depth) when shapes allow."""

    def __init__(
        self,
        cnf: MBConvConfig,
        stochastic_depth_prob: float,
        norm_layer: Callable[..., nn.Module],
        se_layer: Callable[..., nn.Module] = SqueezeExcitation,
    ) -> None:
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers: list[nn.Module] = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1, norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(
            Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel, stride=cnf.stride, groups=expanded,
                                 norm_layer=norm_layer, activation_layer=nn.SiLU)
        )  # fmt: skip
        layers.append(se_layer(expanded, max(1, cnf.input_channels // 4), activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1, norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, x):
        out = self.block(x)
        if self.use_res_connect:
            out = self.stochastic_depth(out) + x
        return out


class EfficientNet(nn.Module):
    """EfficientNet from a list of ``MBConvConfig`` stages; build one with ``efficientnet_b0`` ... ``_b7``."""

    def __init__(
        self,
        inverted_residual_setting: Sequence[MBConvConfig],
        dropout: float,
        stochastic_depth_prob: float = 0.2,
        num_classes: int = 1000,
        norm_layer: Callable[..., nn.Module] | None = None,
        last_channel: int | None = None,
    ) -> None:
        super().__init__()
        check_setting(inverted_residual_setting, "inverted_residual_setting", MBConvConfig)
        norm_layer = norm_layer or nn.BatchNorm2d
        first = inverted_residual_setting[0].input_channels
        layers: list[nn.Module] = [
            Conv2dNormActivation(3, first, kernel_size=3, stride=2, norm_layer=norm_layer, activation_layer=nn.SiLU)
        ]
        total = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:  # only a stage's first block changes channels and strides
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                stage.append(block_cnf.block(block_cnf, stochastic_depth_prob * float(block_id) / total, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1, norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(last_out, num_classes))
        init_mobile(self, _init_linear_uniform)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


# width, depth, dropout, and whether the BatchNorms use eps=0.001, momentum=0.01 (B5-B7)
_SCALING = {
    0: (1.0, 1.0, 0.2, False), 1: (1.0, 1.1, 0.2, False), 2: (1.1, 1.2, 0.3, False), 3: (1.2, 1.4, 0.3, False),
    4: (1.4, 1.8, 0.4, False), 5: (1.6, 2.2, 0.4, True), 6: (1.8, 2.6, 0.5, True), 7: (2.0, 3.1, 0.5, True),
}  # fmt: skip


def _init_linear_uniform(m: nn.Linear) -> None:
    """EfficientNet's classifier: U(-1/sqrt(out_features), 1/sqrt(out_features))."""
    init_range = 1.0 / math.sqrt(m.out_features)
    nn.init.uniform_(m.weight, -init_range, init_range)


def _efficientnet_b(i: int, weights: WeightsSpec, kwargs: dict[str, Any]) -> EfficientNet:
    width, depth, dropout, tf_bn = _SCALING[i]
    c = partial(MBConvConfig, width_mult=width, depth_mult=depth)
    setting = [c(1, 3, 1, 32, 16, 1), c(6, 3, 2, 16, 24, 2), c(6, 5, 2, 24, 40, 2), c(6, 3, 2, 40, 80, 3),
               c(6, 5, 1, 80, 112, 3), c(6, 5, 2, 112, 192, 4), c(6, 3, 1, 192, 320, 1)]  # fmt: skip
    kwargs = dict(kwargs)
    kwargs.setdefault("dropout", dropout)
    if tf_bn:
        kwargs.setdefault("norm_layer", partial(nn.BatchNorm2d, eps=0.001, momentum=0.01))

    def make(**kw: Any) -> EfficientNet:
        return EfficientNet(setting, **kw)

    return build(f"efficientnet_b{i}", make, weights, kwargs)


def efficientnet_b0(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B0 (5.3M parameters)."""
    return _efficientnet_b(0, weights, kwargs)


def efficientnet_b1(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B1 (7.8M parameters)."""
    return _efficientnet_b(1, weights, kwargs)


def efficientnet_b2(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B2 (9.1M parameters)."""
    return _efficientnet_b(2, weights, kwargs)


def efficientnet_b3(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B3 (12.2M parameters)."""
    return _efficientnet_b(3, weights, kwargs)


def efficientnet_b4(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B4 (19.3M parameters)."""
    return _efficientnet_b(4, weights, kwargs)


def efficientnet_b5(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B5 (30.4M parameters)."""
    return _efficientnet_b(5, weights, kwargs)


def efficientnet_b6(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B6 (43.0M parameters)."""
    return _efficientnet_b(6, weights, kwargs)


def efficientnet_b7(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B7 (66.3M parameters)."""
    return _efficientnet_b(7, weights, kwargs)
