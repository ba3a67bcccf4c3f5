"""Dropout: elementwise, channel-wise (``dropout1d/2d/3d``) and the SELU-preserving alpha variants.

All of them are one Op, ``y = x * m + b`` with a random mask ``m`` (and offset ``b``) drawn
once in forward; the mask is a constant, so ``dy/dx = m``. Random numbers come from
``ember``'s generators, never from NumPy's global state.
"""

from __future__ import annotations

import warnings

import math

import numpy as np

from .._backend import array_module
from .._random import _rng
from .._tensor import Tensor
from ..autograd.function import Op
from .inplace import write_inplace

__all__ = [
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]

_wrap = Tensor._wrap

# -scale * alpha of SELU: the value SELU saturates to, where alpha dropout sets dropped units.
_ALPHA_PRIME = 1.7580993408473766


class Dropout(Op):
    """y = x * m (+ b), m and b fixed random arrays;  dy/dx = m."""

    _node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, mask, offset):
        ctx.save_for_backward(mask)  # a constant (not an input): no version check, no second-order term
        y = x * mask
        if offset is not None:
            y += offset
        return y

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return g * mask, None, None


def _check_p(p) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p != p:  # NaN passes PyTorch's Python check and fails in its kernel
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(xp, shape, p: float, dtype, generator=None):
    """1 with probability 1 - p, else 0, in ``dtype`` (random draws in float32 or float64), as an ``xp`` array.

    The draw comes from ember's generator, which is NumPy's: another array library gets the mask copied in."""
    draw_dtype = np.float64 if dtype == np.float64 else np.float32
    return xp.asarray(_rng(generator).random(shape, dtype=draw_dtype) >= p, dtype=dtype)


def _inverted_keep_mask(xp, shape, p: float, dtype, generator=None):
    """The keep mask scaled by 1 / (1 - p), so the expectation is unchanged (all zeros when p == 1)."""
    keep = _keep_mask(xp, shape, p, dtype, generator)
    if p < 1.0:
        keep *= dtype.type(1.0 / (1.0 - p))
    return keep


def _apply(input: Tensor, mask, offset, inplace: bool) -> Tensor:
    if inplace:
        return write_inplace(input, lambda t: Dropout.apply(t, mask, offset))
    return Dropout.apply(input, mask, offset)


def _dropout_impl(input: Tensor, p: float, training: bool, inplace: bool, feature: int, alpha: bool, generator=None) -> Tensor:
    """PyTorch's ``_dropout_impl``: identity when not training or p == 0, zeros when p == 1.

    ``feature`` is the number of leading dims the mask varies over (0: every element;
    2: (N, C) channels of a batch; 1: the channels of an unbatched input)."""
    x = input._data
    if p == 0 or not training or x.size == 0:
        return input
    xp = array_module(x)
    if x.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype.name.capitalize()}")
    if p == 1:
        return _apply(input, xp.zeros((), x.dtype), None, inplace)
    shape = x.shape[:feature] + (1,) * (x.ndim - feature) if feature else x.shape
    if alpha:
        keep = _keep_mask(xp, shape, p, x.dtype, generator)
        # a float64 scalar, so the offset is computed in float64 and rounded once into x's dtype
        a = np.float64(1.0 / math.sqrt((_ALPHA_PRIME * _ALPHA_PRIME * p + 1) * (1 - p)))
        offset = ((keep - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p).astype(x.dtype)
        return _apply(input, (keep * a).astype(x.dtype), offset, inplace)
    return _apply(input, _inverted_keep_mask(xp, shape, p, x.dtype, generator), None, inplace)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) (when training)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=0, alpha=False, generator=generator)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False, *, generator=None) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: dropped units take SELU's negative saturation."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=0, alpha=True, generator=generator)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False, *, generator=None) -> Tensor:
    """Alpha dropout of whole channels (dim 1)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=2, alpha=True, generator=generator)


def _channels(input: Tensor, batched: bool, p, training, inplace, generator) -> Tensor:
    return _dropout_impl(input, p, training, inplace, feature=2 if batched else 1, alpha=False, generator=generator)


def _warn_spatial_dims(n: int, ndim: int) -> None:
    """torch's deprecation warning for a dropout{n}d input that is not (C, *n spatial) or (N, C, *n spatial)."""
    if ndim not in (n + 1, n + 2):
        warnings.warn(
            f"dropout{n}d: Received a {ndim}-D input to dropout{n}d, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
            f"dropout{n}d exists to provide channel-wise dropout on inputs with {n} spatial dimensions, a channel dimension, "
            f"and an optional batch dimension (i.e. {n + 1}D or {n + 2}D inputs).",
            stacklevel=3,
        )


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""
    _check_p(p)
    ndim = input._data.ndim
    if ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that dropout1d exists to provide "
            "channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch "
            "dimension (i.e. 2D or 3D inputs)."
        )
    return _channels(input, ndim == 3, p, training, inplace, generator)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None) -> Tensor:
    """Zero whole channels (dim 1) of (N, C, H, W) inputs with probability ``p``."""
    _check_p(p)
    ndim = input._data.ndim
    _warn_spatial_dims(2, ndim)
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - "
            "input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will change in a future "
            "release to interpret the input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _dropout_impl(input, p, training, inplace, feature=2, alpha=False, generator=generator)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability ``p``."""
    _check_p(p)
    ndim = input._data.ndim
    _warn_spatial_dims(3, ndim)
    return _channels(input, ndim == 5, p, training, inplace, generator)
