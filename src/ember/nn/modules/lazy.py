"""Lazy layers: the input size (``in_channels``, ``num_features``) is taken from the first input.

Until the first forward, a lazy layer's parameters are ``UninitializedParameter``s (and its
running statistics ``UninitializedBuffer``s); the first call gives them their shapes, initialises
them as the ordinary layer would, and turns the module into that layer (``LazyConv2d`` becomes a
``Conv2d``), as PyTorch's ``LazyModuleMixin`` does. Loading a state_dict into a lazy layer
materialises its parameters from the checkpoint instead.
"""

from __future__ import annotations

from ... import _creation as C
from ... import _dtype as D
from ..._tensor import Tensor
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .lazy_base import LazyModuleMixin
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = [
    "LazyModuleMixin",
    "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
]


class _LazyXdMixin(LazyModuleMixin):
    """Initialise like the ordinary layer only once the size read from the input (``_inferred``) is known."""

    _inferred = "in_channels"

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and getattr(self, self._inferred) != 0:
            super().reset_parameters()


class _LazyConvXdMixin(_LazyXdMixin):
    def _lazy_init(self, bias: bool, dtype) -> None:
        # the ordinary constructor ran with in_channels=0; the parameters wait for the first input
        self.weight = UninitializedParameter(self.weight._data.reshape(-1))
        if bias:
            self.bias = UninitializedParameter(self.bias._data.reshape(-1))

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        unbatched = input.dim() == self._nd + 1
        self.in_channels = int(input.shape[0] if unbatched else input.shape[1])
        if self.in_channels % self.groups:
            raise ValueError("in_channels must be divisible by groups")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + tuple(self.kernel_size)
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + tuple(self.kernel_size)
        self.weight.materialize(shape)
        if self.bias is not None and is_lazy(self.bias):
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


def _lazy_conv(base, transposed: bool):
    class Lazy(_LazyConvXdMixin, base):
        cls_to_become = base

        def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, *rest, bias: bool = True,
                     device=None, dtype=None, **kwargs) -> None:
            if transposed:
                # ConvTranspose: (in, out, kernel, stride, padding, output_padding, groups, bias, dilation, padding_mode)
                names = ("output_padding", "groups", "bias", "dilation", "padding_mode")
            else:
                names = ("dilation", "groups", "bias", "padding_mode")
            given = dict(zip(names, rest))
            bias = given.pop("bias", bias)
            kwargs.update(given)
            base.__init__(self, 0, out_channels, kernel_size, stride, padding, bias=bias, device=device, dtype=dtype,
                          **kwargs)
            self._lazy_init(bias, dtype)

    Lazy.__name__ = Lazy.__qualname__ = f"Lazy{base.__name__}"
    Lazy.__doc__ = (f"A `{base.__name__}` whose `in_channels` is inferred from the first input (then it becomes a "
                    f"`{base.__name__}`); the other arguments are `{base.__name__}`'s.")
    return Lazy


LazyConv1d = _lazy_conv(Conv1d, False)
LazyConv2d = _lazy_conv(Conv2d, False)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, True)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, True)
LazyConv3d = _lazy_conv(Conv3d, False)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, True)


class _LazyNormXdMixin(_LazyXdMixin):
    _inferred = "num_features"

    def _lazy_init(self) -> None:
        if self.affine:
            self.weight = UninitializedParameter(self.weight._data)
            if self.bias is not None:
                self.bias = UninitializedParameter(self.bias._data)
        if self.track_running_stats:
            self.running_mean = UninitializedBuffer(self.running_mean._data)
            self.running_var = UninitializedBuffer(self.running_var._data)

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        no_batch = getattr(self, "_no_batch_dim", None)
        self.num_features = int(input.shape[0] if no_batch is not None and input.dim() == no_batch else input.shape[1])
        for name in ("weight", "bias"):
            t = getattr(self, name)
            if t is not None and is_lazy(t):
                t.materialize((self.num_features,))
        for name, fill in (("running_mean", 0.0), ("running_var", 1.0)):
            t = self._buffers.get(name)
            if t is not None and is_lazy(t):
                self._buffers[name] = C.full((self.num_features,), fill, dtype=D.from_numpy_dtype(t._data.dtype))
        self.reset_parameters()


def _lazy_norm(base):
    class Lazy(_LazyNormXdMixin, base):
        cls_to_become = base

        def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                     track_running_stats: bool = True, device=None, dtype=None, **kwargs) -> None:
            base.__init__(self, 0, eps, momentum, affine, track_running_stats, device, dtype, **kwargs)
            self._lazy_init()

    Lazy.__name__ = Lazy.__qualname__ = f"Lazy{base.__name__}"
    Lazy.__doc__ = (f"A `{base.__name__}` whose `num_features` is inferred from the first input (then it becomes a "
                    f"`{base.__name__}`); the other arguments are `{base.__name__}`'s.")
    return Lazy


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)


# As in torch, the lazy instance norms default to affine=True and track_running_stats=True (unlike InstanceNorm).
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
