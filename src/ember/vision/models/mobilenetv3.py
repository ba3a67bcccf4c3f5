"""MobileNetV3 (large and small) with torchvision's layout, so state_dict keys match.

Howard et al., "Searching for MobileNetV3" (2019). ``features.i.block.j`` are the inverted
residual blocks (expand, depthwise, optional squeeze-excitation, project); ``classifier`` is
``Linear -> Hardswish -> Dropout -> Linear``. BatchNorm uses eps=0.001, momentum=0.01.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from ember import nn
from ember.vision.ops.misc import Conv2dNormActivation, SqueezeExcitation

from ._init import init_linear_normal, init_mobile
from ._config import check_setting
from ._weights import WeightsSpec, build
from .mobilenetv2 import _make_divisible

__all__ = ["InvertedResidualConfig", "MobileNetV3", "mobilenet_v3_large", "mobilenet_v3_small"]


class InvertedResidualConfig:
    """One block: channels (scaled by ``width_mult``), kernel, squeeze-excitation, activation ("RE" or "HS"), stride."""

    def __init__(
        self,
        input_channels: int,
        kernel: int,
        expanded_channels: int,
        out_channels: int,
        use_se: bool,
        activation: str,
        stride: int,
        dilation: int,
        width_mult: float,
    ) -> None:
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels: int, width_mult: float) -> int:
        return _make_divisible(channels * width_mult, 8)


class InvertedResidual(nn.Module):
    """Expand (1x1), depthwise (k x k), optional squeeze-excitation, project (1x1, linear); + x when shapes allow."""

    def __init__(
        self,
        cnf: InvertedResidualConfig,
        norm_layer: Callable[..., nn.Module],
        se_layer: Callable[..., nn.Module] = partial(SqueezeExcitation, scale_activation=nn.Hardsigmoid),
    ) -> None:
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        act = nn.Hardswish if cnf.use_hs else nn.ReLU
        layers: list[nn.Module] = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(
                Conv2dNormActivation(cnf.input_channels, cnf.expanded_channels, kernel_size=1, norm_layer=norm_layer,
                                     activation_layer=act)
            )  # fmt: skip
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(
            Conv2dNormActivation(cnf.expanded_channels, cnf.expanded_channels, kernel_size=cnf.kernel, stride=stride,
                                 dilation=cnf.dilation, groups=cnf.expanded_channels, norm_layer=norm_layer,
                                 activation_layer=act)
        )  # fmt: skip
        if cnf.use_se:
            layers.append(se_layer(cnf.expanded_channels, _make_divisible(cnf.expanded_channels // 4, 8)))
        layers.append(
            Conv2dNormActivation(cnf.expanded_channels, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                 activation_layer=None)
        )  # fmt: skip
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, x):
        out = self.block(x)
        return out + x if self.use_res_connect else out


class MobileNetV3(nn.Module):
    """MobileNetV3 from a list of ``InvertedResidualConfig``; build one with ``mobilenet_v3_large`` / ``_small``."""

    def __init__(
        self,
        inverted_residual_setting: Sequence[InvertedResidualConfig],
        last_channel: int,
        num_classes: int = 1000,
        block: Callable[..., nn.Module] | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        check_setting(inverted_residual_setting, "inverted_residual_setting", InvertedResidualConfig)
        block = block or InvertedResidual
        norm_layer = norm_layer or partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        first = inverted_residual_setting[0].input_channels
        layers: list[nn.Module] = [
            Conv2dNormActivation(3, first, kernel_size=3, stride=2, norm_layer=norm_layer, activation_layer=nn.Hardswish)
        ]
        layers += [block(cnf, norm_layer) for cnf in inverted_residual_setting]
        last_in = inverted_residual_setting[-1].out_channels
        last_out = 6 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1, norm_layer=norm_layer, activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_out, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )
        init_mobile(self, init_linear_normal)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _mobilenet_v3_conf(arch: str, width_mult: float = 1.0, reduced_tail: bool = False, dilated: bool = False):
    reduce = 2 if reduced_tail else 1
    dilation = 2 if dilated else 1
    c = partial(InvertedResidualConfig, width_mult=width_mult)
    if arch == "mobilenet_v3_large":
        setting = [
            c(16, 3, 16, 16, False, "RE", 1, 1), c(16, 3, 64, 24, False, "RE", 2, 1), c(24, 3, 72, 24, False, "RE", 1, 1),
            c(24, 5, 72, 40, True, "RE", 2, 1), c(40, 5, 120, 40, True, "RE", 1, 1), c(40, 5, 120, 40, True, "RE", 1, 1),
            c(40, 3, 240, 80, False, "HS", 2, 1), c(80, 3, 200, 80, False, "HS", 1, 1), c(80, 3, 184, 80, False, "HS", 1, 1),
            c(80, 3, 184, 80, False, "HS", 1, 1), c(80, 3, 480, 112, True, "HS", 1, 1), c(112, 3, 672, 112, True, "HS", 1, 1),
            c(112, 5, 672, 160 // reduce, True, "HS", 2, dilation),
            c(160 // reduce, 5, 960 // reduce, 160 // reduce, True, "HS", 1, dilation),
            c(160 // reduce, 5, 960 // reduce, 160 // reduce, True, "HS", 1, dilation),
        ]  # fmt: skip
        last_channel = InvertedResidualConfig.adjust_channels(1280 // reduce, width_mult)
    else:
        setting = [
            c(16, 3, 16, 16, True, "RE", 2, 1), c(16, 3, 72, 24, False, "RE", 2, 1), c(24, 3, 88, 24, False, "RE", 1, 1),
            c(24, 5, 96, 40, True, "HS", 2, 1), c(40, 5, 240, 40, True, "HS", 1, 1), c(40, 5, 240, 40, True, "HS", 1, 1),
            c(40, 5, 120, 48, True, "HS", 1, 1), c(48, 5, 144, 48, True, "HS", 1, 1),
            c(48, 5, 288, 96 // reduce, True, "HS", 2, dilation),
            c(96 // reduce, 5, 576 // reduce, 96 // reduce, True, "HS", 1, dilation),
            c(96 // reduce, 5, 576 // reduce, 96 // reduce, True, "HS", 1, dilation),
        ]  # fmt: skip
        last_channel = InvertedResidualConfig.adjust_channels(1024 // reduce, width_mult)
    return setting, last_channel


def _mobilenet_v3(arch: str, weights: WeightsSpec, kwargs: dict[str, Any]) -> MobileNetV3:
    conf = {k: kwargs.pop(k) for k in ("_width_mult", "_reduced_tail", "_dilated") if k in kwargs}
    setting, last_channel = _mobilenet_v3_conf(
        arch, conf.get("_width_mult", 1.0), conf.get("_reduced_tail", False), conf.get("_dilated", False)
    )

    def make(**kw: Any) -> MobileNetV3:
        return MobileNetV3(setting, last_channel, **kw)

    return build(arch, make, weights, kwargs)


def mobilenet_v3_large(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> MobileNetV3:
    """MobileNetV3-Large (5.5M parameters)."""
    return _mobilenet_v3("mobilenet_v3_large", weights, kwargs)


def mobilenet_v3_small(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> MobileNetV3:
    """MobileNetV3-Small (2.5M parameters)."""
    return _mobilenet_v3("mobilenet_v3_small", weights, kwargs)
