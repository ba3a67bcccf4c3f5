"""Convert convolution weights to a memory format (PyTorch's ``nn.utils.memory_format``).

ember keeps every tensor in one (row-major) layout and treats ``memory_format`` as a layout hint
everywhere (``Tensor.contiguous``, ``empty_like``, ``Module.to`` take it and change nothing), so
these walk the module as torch does, give each weight the hint, and return the module unchanged.
"""

from __future__ import annotations

from ..modules.conv import Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, kinds):
    if isinstance(module, kinds):
        module.weight.data = module.weight.detach().contiguous(memory_format=memory_format)
    for child in module.children():
        _convert(child, memory_format, kinds)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """Give the weight of every ``Conv2d``/``ConvTranspose2d`` in ``module`` (recursively) ``memory_format``; returns ``module``."""
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """Give the weight of every ``Conv3d``/``ConvTranspose3d`` in ``module`` (recursively) ``memory_format``; returns ``module``."""
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
