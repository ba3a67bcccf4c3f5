"""ConvNeXt tiny/small/base/large with torchvision's layout, so state_dict keys match.

Liu et al., "A ConvNet for the 2020s" (2022). Each block: 7x7 depthwise convolution, LayerNorm
over channels, a 4x MLP with GELU, a learned per-channel ``layer_scale``, stochastic depth, + x.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import ember
from ember import nn
from ember.nn import functional as F
from ember.vision.ops.misc import Conv2dNormActivation, Permute
from ember.vision.ops.stochastic_depth import StochasticDepth

from ._config import check_setting
from ._weights import WeightsSpec, build

__all__ = ["CNBlock", "CNBlockConfig", "ConvNeXt", "LayerNorm2d", "convnext_base", "convnext_large", "convnext_small",
           "convnext_tiny"]  # fmt: skip


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an ``(N, C, H, W)`` tensor."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """``x + stochastic_depth(layer_scale * mlp(norm(dwconv7x7(x))))``."""

    def __init__(self, dim: int, layer_scale: float, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:  # fmt: skip
        super().__init__()
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            norm_layer(dim),
            nn.Linear(dim, 4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(4 * dim, dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(ember.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, x):
        return self.stochastic_depth(self.layer_scale * self.block(x)) + x


class CNBlockConfig:
    """A stage: ``num_layers`` blocks of ``input_channels``, then a downsampling to ``out_channels`` (None: last stage)."""

    def __init__(self, input_channels: int, out_channels: int | None, num_layers: int) -> None:
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers


class ConvNeXt(nn.Module):
    """ConvNeXt from a list of ``CNBlockConfig`` stages; build one with ``convnext_tiny`` and friends."""

    def __init__(
        self,
        block_setting: Sequence[CNBlockConfig],
        stochastic_depth_prob: float = 0.0,
        layer_scale: float = 1e-6,
        num_classes: int = 1000,
        block: Callable[..., nn.Module] | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        check_setting(block_setting, "block_setting", CNBlockConfig)
        block = block or CNBlock
        norm_layer = norm_layer or partial(LayerNorm2d, eps=1e-6)
        first = block_setting[0].input_channels
        layers: list[nn.Module] = [
            Conv2dNormActivation(3, first, kernel_size=4, stride=4, padding=0, norm_layer=norm_layer, activation_layer=None,
                                 bias=True)
        ]  # fmt: skip
        total = sum(cnf.num_layers for cnf in block_setting)
        block_id = 0
        for cnf in block_setting:
            stage = []
            for _ in range(cnf.num_layers):
                stage.append(block(cnf.input_channels, layer_scale, stochastic_depth_prob * block_id / (total - 1.0)))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(nn.Sequential(norm_layer(cnf.input_channels),
                                            nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2)))  # fmt: skip
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last = block_setting[-1]
        last_channels = last.out_channels if last.out_channels is not None else last.input_channels
        self.classifier = nn.Sequential(norm_layer(last_channels), nn.Flatten(1), nn.Linear(last_channels, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


_SETTINGS = {
    "convnext_tiny": ([(96, 192, 3), (192, 384, 3), (384, 768, 9), (768, None, 3)], 0.1),
    "convnext_small": ([(96, 192, 3), (192, 384, 3), (384, 768, 27), (768, None, 3)], 0.4),
    "convnext_base": ([(128, 256, 3), (256, 512, 3), (512, 1024, 27), (1024, None, 3)], 0.5),
    "convnext_large": ([(192, 384, 3), (384, 768, 3), (768, 1536, 27), (1536, None, 3)], 0.5),
}


def _convnext(arch: str, weights: WeightsSpec, kwargs: dict[str, Any]) -> ConvNeXt:
    rows, sd_prob = _SETTINGS[arch]
    setting = [CNBlockConfig(*row) for row in rows]
    kwargs = {"stochastic_depth_prob": sd_prob, **kwargs}
    return build(arch, lambda **kw: ConvNeXt(setting, **kw), weights, kwargs)


def convnext_tiny(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-T (28.6M parameters)."""
    return _convnext("convnext_tiny", weights, kwargs)


def convnext_small(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-S (50.2M parameters)."""
    return _convnext("convnext_small", weights, kwargs)


def convnext_base(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-B (88.6M parameters)."""
    return _convnext("convnext_base", weights, kwargs)


def convnext_large(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-L (197.8M parameters)."""
    return _convnext("convnext_large", weights, kwargs)
