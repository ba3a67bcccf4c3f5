"""Convolution layers: ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``, ``Fold``, ``Unfold``."""

from __future__ import annotations

import math

from ... import _creation as C
from ..._device import _check_device
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Fold", "Unfold"]

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _ntuple(value, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


class _ConvNd(Module):
    """Shared constructor, initialisation and ``extra_repr`` of the convolution layers.

    Weight: (out, in / groups, *kernel) for a convolution, (in, out / groups, *kernel) when
    transposed; initialised like PyTorch (kaiming_uniform_ with a = sqrt(5); bias U(-1/sqrt(fan_in), +)).
    """

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed, output_padding,
                 groups, bias, padding_mode, device=None, dtype=None) -> None:
        super().__init__()
        _check_device(device)
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size = _ntuple(kernel_size, nd)
        stride = _ntuple(stride, nd)
        dilation = _ntuple(dilation, nd)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, nd)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, nd)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad widths (last dim first) for the non-zero padding modes
        if isinstance(padding, str):
            widths = [0, 0] * nd
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(nd - 1, -1, -1)):
                    total = d * (k - 1)
                    widths[2 * i] = total // 2
                    widths[2 * i + 1] = total - total // 2
            self._reversed_padding_repeated_twice = widths
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(padding) for _ in range(2)]
        shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(C.empty(shape + kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(C.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if isinstance(self.padding, str) or self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        conv = (F.conv1d, F.conv2d, F.conv3d)[self._nd - 1]
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


def _conv_init(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
               bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
    """Conv1d/2d/3d's constructor (torch gives all three this signature): a non-transposed `_ConvNd`."""
    _ConvNd.__init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                     padding_mode, device, dtype)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) -> (N, C_out, L_out).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: length of the kernel.
        stride: step between windows.
        padding: an int, or 'same' / 'valid'.
        dilation: spacing between kernel taps.
        groups: independent channel groups (in and out channels must divide by it).
        bias: whether to learn an additive bias.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.

    Shape:
        L_out = floor((L + 2 padding - dilation (kernel_size - 1) - 1) / stride + 1).
    """

    _nd = 1

    __init__ = _conv_init


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) -> (N, C_out, H_out, W_out), one im2col GEMM per call.

    Arguments are those of `Conv1d`; kernel_size, stride, padding and dilation may be
    ints or (height, width) pairs.

    Example:
        >>> conv = nn.Conv2d(1, 6, 5)
        >>> conv(ember.randn(64, 1, 28, 28)).shape
        ember.Size([64, 6, 24, 24])
    """

    _nd = 2

    __init__ = _conv_init


class Conv3d(_ConvNd):
    """3-D convolution over (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out).

    Arguments are those of `Conv1d`; kernel_size, stride, padding and dilation may be
    ints or (depth, height, width) triples.
    """

    _nd = 3

    __init__ = _conv_init


class _ConvTransposeNd(_ConvNd):
    # ConvTranspose1d/2d/3d's constructor: torch gives all three this signature
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1,
                 bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__} does not support string padding")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding, groups,
                         bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size, stride, padding, kernel_size, num_spatial_dims, dilation=None):
        """The output_padding that makes the output ``output_size`` (PyTorch's rule and errors)."""
        if output_size is None:
            return self.output_padding
        has_batch = input.dim() == num_spatial_dims + 2
        output_size = list(output_size)
        if len(output_size) == num_spatial_dims + 2 or (len(output_size) == num_spatial_dims + 1 and not has_batch):
            output_size = output_size[-num_spatial_dims:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(
                f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must have {num_spatial_dims} "
                f"or {num_spatial_dims + (2 if has_batch else 1)} elements (got {len(output_size)})"
            )
        dilation = dilation if dilation is not None else (1,) * num_spatial_dims
        spatial = input.shape[-num_spatial_dims:]
        result = []
        for d in range(num_spatial_dims):
            min_size = (spatial[d] - 1) * stride[d] - 2 * padding[d] + dilation[d] * (kernel_size[d] - 1) + 1
            max_size = min_size + stride[d] - 1
            if not min_size <= output_size[d] <= max_size:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{[(spatial[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel_size[i] - 1) + 1 for i in range(num_spatial_dims)]} to "
                    f"{[(spatial[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel_size[i] - 1) + stride[i] for i in range(num_spatial_dims)]} "
                    f"(for an input of {list(spatial)})"
                )
            result.append(output_size[d] - min_size)
        return tuple(result)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        op = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size, self._nd, self.dilation)
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._nd - 1]
        return fn(input, self.weight, self.bias, self.stride, self.padding, op, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: (N, C_in, L) -> (N, C_out, (L - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1)."""

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the adjoint of Conv2d): upsamples (N, C_in, H, W) -> (N, C_out, H_out, W_out).

    ``forward(input, output_size=None)``: ``output_size`` picks the output_padding that reaches it.
    """

    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution (the adjoint of Conv3d): (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out)."""

    _nd = 3


class Unfold(Module):
    """Extract sliding local blocks (im2col): (N, C, H, W) -> (N, C * prod(kernel_size), L)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


class Fold(Module):
    """Combine sliding local blocks into a tensor (col2im, summing overlaps): (N, C * prod(k), L) -> (N, C, *output_size)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
