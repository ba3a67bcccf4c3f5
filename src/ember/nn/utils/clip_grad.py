"""Gradient clipping: rescale (``clip_grad_norm_``) or clamp (``clip_grad_value_``) the ``.grad``
of parameters in place, as PyTorch does, before an optimizer step."""

from __future__ import annotations

import math
import warnings
from typing import Iterable

import numpy as np

from ..._tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _as_list(tensors) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _grads(parameters) -> list[Tensor]:
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def _norm_of(a: np.ndarray, norm_type: float) -> np.ndarray:
    """The p-norm of an array, in its own dtype (one 0-d array)."""
    if a.size == 0:
        return np.zeros((), dtype=a.dtype)
    if norm_type == math.inf:
        return np.abs(a).max()
    if norm_type == -math.inf:
        return np.abs(a).min()
    if norm_type == 2:
        flat = a.reshape(-1)
        return np.sqrt(np.dot(flat, flat)) if a.dtype.kind == "f" else np.sqrt((flat * flat).sum())
    if norm_type == 1:
        return np.abs(a).sum()
    if norm_type == 0:
        return np.asarray(np.count_nonzero(a), dtype=a.dtype)
    return (np.abs(a) ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` taken together (as if concatenated into one vector)."""
    arrays = [t._data for t in _as_list(tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    with np.errstate(over="ignore", invalid="ignore"):
        norms = [_norm_of(a, norm_type) for a in arrays]
        dtype = np.result_type(*[n.dtype for n in norms])
        total = _norm_of(np.stack([np.asarray(n, dtype=dtype) for n in norms]), norm_type)
    total = np.asarray(total, dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be clipped. "
            "To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return Tensor._wrap(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6)), in place."""
    grads = _grads(parameters)
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        coef = min(float(max_norm) / (float(total) + 1e-6), 1.0) if np.isfinite(total) else float(max_norm) / (float(total) + 1e-6)
    for g in grads:
        with np.errstate(invalid="ignore", over="ignore"):
            np.multiply(g._data, g._data.dtype.type(coef), out=g._data)
        g._bump_version()


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Rescale the gradients so that their total ``norm_type``-norm is at most ``max_norm``.

    The norm is computed over all gradients together, as if concatenated into one vector;
    every gradient is multiplied by min(1, max_norm / (total_norm + 1e-6)) in place.
    Returns the total norm (before clipping) as a 0-d tensor.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        parameters = list(parameters)  # a generator must survive two passes
    grads = _grads(parameters)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Deprecated alias of `clip_grad_norm_`."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump_version()
