"""``Conv2dNormActivation``: convolution, normalisation, activation as one ``nn.Sequential`` (keys ``0``, ``1``, ``2``)."""

from __future__ import annotations

from collections.abc import Callable

from ember import nn


class Conv2dNormActivation(nn.Sequential):
    """``Conv2d -> norm_layer -> activation_layer``, as torchvision's ``ops.misc.Conv2dNormActivation``.

    Args:
        padding: ``None`` keeps the spatial size at stride 1: ``(kernel_size - 1) // 2 * dilation``.
        norm_layer: built as ``norm_layer(out_channels)``; ``None`` leaves it out.
        activation_layer: built as ``activation_layer(inplace=inplace)``; ``None`` leaves it out.
        bias: the convolution's bias; ``None`` means "only when there is no norm layer".
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | None = None,
        groups: int = 1,
        norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        dilation: int = 1,
        inplace: bool | None = True,
        bias: bool | None = None,
    ) -> None:
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation, groups=groups, bias=bias)
        ]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer() if inplace is None else activation_layer(inplace=inplace))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """Channel attention (Hu et al., 2018): ``x * scale_activation(fc2(activation(fc1(avgpool(x)))))``.

    ``fc1`` / ``fc2`` are 1x1 convolutions, so the state_dict keys are torchvision's.
    """

    def __init__(
        self,
        input_channels: int,
        squeeze_channels: int,
        activation: Callable[..., nn.Module] = nn.ReLU,
        scale_activation: Callable[..., nn.Module] = nn.Sigmoid,
    ) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def forward(self, x):
        scale = self.fc2(self.activation(self.fc1(self.avgpool(x))))
        return self.scale_activation(scale) * x


class Permute(nn.Module):
    """``x.permute(*dims)`` as a module."""

    def __init__(self, dims: list[int]) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(*self.dims)
