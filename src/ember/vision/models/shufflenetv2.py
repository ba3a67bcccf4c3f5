"""ShuffleNet V2 (x0.5, x1.0, x1.5, x2.0) with torchvision's layout, so state_dict keys match.

Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design" (2018).
Each unit splits the channels (or, when striding, processes all of them twice), convolves one
half, concatenates and shuffles the channels between the two groups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember import nn

from ._weights import WeightsSpec, build

__all__ = ["ShuffleNetV2", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]


def channel_shuffle(x, groups: int):
    """Interleave the channels of ``groups`` groups: ``(N, g*c, H, W) -> view (N, g, c) -> transpose -> (N, c*g)``."""
    n, channels, h, w = x.shape
    x = x.view(n, groups, channels // groups, h, w).transpose(1, 2).contiguous()
    return x.view(n, channels, h, w)


class InvertedResidual(nn.Module):
    """A ShuffleNet V2 unit (stride 1: split and convolve one half; stride > 1: two branches over all channels)."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not 1 <= stride <= 3:
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if stride == 1 and inp != branch_features << 1:
            raise ValueError(
                f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. "
                "If stride == 1 then inp should be equal to oup // 2 << 1."
            )
        if stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3, stride=stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    @staticmethod
    def depthwise_conv(i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0, bias: bool = False) -> nn.Conv2d:
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = ember.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = ember.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """``conv1 -> maxpool -> stage2..4 -> conv5 -> global mean -> fc`` (PyTorch's default init, as torchvision)."""

    def __init__(
        self,
        stages_repeats: list[int],
        stages_out_channels: list[int],
        num_classes: int = 1000,
        inverted_residual: Callable[..., nn.Module] = InvertedResidual,
    ) -> None:
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        cin, cout = 3, stages_out_channels[0]
        self.conv1 = nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
        cin = cout
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for name, repeats, cout in zip(("stage2", "stage3", "stage4"), stages_repeats, stages_out_channels[1:]):
            seq = [inverted_residual(cin, cout, 2)] + [inverted_residual(cout, cout, 1) for _ in range(repeats - 1)]
            setattr(self, name, nn.Sequential(*seq))
            cin = cout
        cout = stages_out_channels[-1]
        self.conv5 = nn.Sequential(nn.Conv2d(cin, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
        self.fc = nn.Linear(cout, num_classes)

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
        return self.fc(self.conv5(x).mean([2, 3]))


_CONFIGS = {
    "shufflenet_v2_x0_5": [24, 48, 96, 192, 1024],
    "shufflenet_v2_x1_0": [24, 116, 232, 464, 1024],
    "shufflenet_v2_x1_5": [24, 176, 352, 704, 1024],
    "shufflenet_v2_x2_0": [24, 244, 488, 976, 2048],
}


def _shufflenet(arch: str, weights: WeightsSpec, kwargs: dict[str, Any]) -> ShuffleNetV2:
    return build(arch, lambda **kw: ShuffleNetV2([4, 8, 4], _CONFIGS[arch], **kw), weights, kwargs)


def shufflenet_v2_x0_5(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 with 0.5x output channels (1.4M parameters)."""
    return _shufflenet("shufflenet_v2_x0_5", weights, kwargs)


def shufflenet_v2_x1_0(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 with 1.0x output channels (2.3M parameters)."""
    return _shufflenet("shufflenet_v2_x1_0", weights, kwargs)


def shufflenet_v2_x1_5(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 with 1.5x output channels (3.5M parameters)."""
    return _shufflenet("shufflenet_v2_x1_5", weights, kwargs)


def shufflenet_v2_x2_0(weights: WeightsSpec = None, progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 with 2.0x output channels (7.4M parameters)."""
    return _shufflenet("shufflenet_v2_x2_0", weights, kwargs)
