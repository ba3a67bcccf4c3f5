"""Fold an eval-mode BatchNorm into the convolution or linear layer before it (PyTorch's ``nn.utils.fusion``).

With the running statistics frozen, ``bn(conv(x)) = conv'(x)`` where ``conv'`` has its output channels
scaled by ``γ / √(σ² + ε)`` and its bias shifted to ``(b − μ) γ / √(σ² + ε) + β``.
"""

from __future__ import annotations

import copy

from ... import _creation as C
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _check_eval(layer, bn) -> None:
    if layer.training or bn.training:
        raise AssertionError("Fusion only for eval!")


def _check_stats(bn) -> None:
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of ``conv`` (eval mode) with the eval-mode BatchNorm ``bn`` folded into its weight and bias.

    Args:
        conv: a convolution module (``transpose=True`` for a transposed convolution, whose output
            channels are the weight's second dim).
        bn: the BatchNorm applied to ``conv``'s output, with running statistics.
        transpose: whether ``conv`` is transposed.
    """
    _check_eval(conv, bn)
    fused = copy.deepcopy(conv)
    _check_stats(bn)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps: float, bn_w, bn_b, transpose: bool = False):
    """The fused ``(weight, bias)`` Parameters of a convolution followed by BatchNorm statistics.

    ``conv_b``, ``bn_w`` and ``bn_b`` may be None (zeros, ones and zeros); the results keep the
    convolution's dtypes and ``requires_grad``.
    """
    weight_dtype = conv_w.dtype
    bias_dtype = conv_b.dtype if conv_b is not None else weight_dtype
    if conv_b is None:
        conv_b = C.zeros_like(bn_rm)
    if bn_w is None:
        bn_w = C.ones_like(bn_rm)
    if bn_b is None:
        bn_b = C.zeros_like(bn_rm)
    var_rsqrt = (bn_rv + bn_eps).rsqrt()
    tail = [1] * (len(conv_w.shape) - 2)
    shape = [1, -1] + tail if transpose else [-1, 1] + tail
    fused_w = (conv_w * (bn_w * var_rsqrt).reshape(shape)).to(dtype=weight_dtype)
    fused_b = ((conv_b - bn_rm) * var_rsqrt * bn_w + bn_b).to(dtype=bias_dtype)
    return Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, conv_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` (eval mode) with the eval-mode BatchNorm ``bn`` folded into its weight and bias.

    ``bn.num_features`` must equal ``linear.out_features`` or be 1 (so it broadcasts over the outputs).
    """
    _check_eval(linear, bn)
    fused = copy.deepcopy(linear)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError(
            "To fuse, linear.out_features == bn.num_features or bn.num_features == 1, got "
            f"linear.out_features={linear.out_features} and bn.num_features={bn.num_features}"
        )
    _check_stats(bn)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps: float, bn_w, bn_b):
    """The fused ``(weight, bias)`` Parameters of a linear layer followed by BatchNorm statistics (``linear_b`` may be None)."""
    weight_dtype = linear_w.dtype
    bias_dtype = linear_b.dtype if linear_b is not None else weight_dtype
    if linear_b is None:
        linear_b = C.zeros_like(bn_rm)
    scale = bn_w * (bn_rv + bn_eps).rsqrt()
    fused_w = linear_w * scale.unsqueeze(-1).to(dtype=weight_dtype)
    fused_b = ((linear_b - bn_rm) * scale + bn_b).to(dtype=bias_dtype)
    return Parameter(fused_w, linear_w.requires_grad), Parameter(fused_b, linear_b.requires_grad)
