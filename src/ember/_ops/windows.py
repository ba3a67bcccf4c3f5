"""Window functions: hann, hamming, blackman, bartlett and kaiser windows (torch's ``*_window`` factories).

A periodic window of length N is the symmetric window of length N + 1 without its last sample
(what spectral analysis wants); lengths 0 and 1 give ``[]`` and ``[1.]``. Values are computed in
float64 and cast once to the requested floating dtype.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from .._tensor import Tensor
from ._common import c_type_name

_TAU = 2 * np.pi
xp = array_module()  # a factory has no input arrays: the host library


def _window(name, window_length, periodic, dtype, requires_grad, values) -> Tensor:
    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not {type(window_length).__name__}")
    want = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    if want.np.kind != "f":
        raise RuntimeError(
            f"{name} expects floating point dtypes, got: TensorOptions(dtype={c_type_name(want)}, device=cpu, "
            "layout=Strided (default), requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))"
        )
    n = int(window_length)
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={n}")
    if n <= 1:
        out = xp.ones(n, dtype=want.np)
    else:
        m = n + 1 if periodic else n
        # phase in [0, 1] across the symmetric window of length m
        phase = xp.arange(n, dtype=np.float64) / (m - 1)
        out = values(phase, m).astype(want.np)
    result = Tensor._wrap(out)
    return result.requires_grad_(True) if requires_grad else result


def _cosine_sum(*coefficients):
    def values(phase, m):
        return sum(c * xp.cos(_TAU * k * phase) for k, c in enumerate(coefficients))

    return values


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """w[n] = 1/2 - 1/2 cos(2 pi n / (N - 1))."""
    return _window("hann_window", window_length, periodic, dtype, requires_grad, _cosine_sum(0.5, -0.5))


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *, dtype=None,
                   layout=None, device=None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """w[n] = alpha - beta cos(2 pi n / (N - 1))."""
    return _window("hamming_window", window_length, periodic, dtype, requires_grad, _cosine_sum(alpha, -beta))


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """w[n] = 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, requires_grad, _cosine_sum(0.42, -0.5, 0.08))


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """w[n] = 1 - |2n / (N - 1) - 1| (a triangle)."""
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad,
                   lambda phase, m: 1 - xp.abs(2 * phase - 1))


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """w[n] = I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta)."""
    def values(phase, m):
        return xp.i0(beta * xp.sqrt(xp.clip(1 - (2 * phase - 1) ** 2, 0, None))) / xp.i0(beta)

    return _window("kaiser_window", window_length, periodic, dtype, requires_grad, values)


__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]
