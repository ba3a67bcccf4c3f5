"""The orthogonal polynomials of torch.special (Chebyshev T/U/V/W and their shifted forms, Hermite H/He,
Laguerre L, Legendre P) by their three-term recurrences, vectorised over elements. As in torch: the degree
is truncated to an integer, n < 0 gives 0, and large degrees inside (-1, 1) use the trigonometric forms
(cos(n acos x) ...). torch has no gradient for them, so results pass through ``emit``."""

from __future__ import annotations

import numpy as np

from .._backend import array_module, errstate
from .._tensor import Tensor
from ..autograd.function import emit
from ._out import write_out
from .special2 import _binary_operands, _cast, _data, _f64


def _three_term(x, n, first, step):
    """p_n(x) for the integer degrees ``n`` (same shape as x) of the recurrence p_0 = 1, p_1 = first(x),
    p_{k+1} = step(k, x, p_k, p_{k-1}). Stops once every element has its degree or has overflowed."""
    xp = array_module(x)
    out = xp.where(n == 0, 1.0, xp.where(n == 1, first(x), 0.0))
    p, q = xp.ones_like(x), first(x)
    top = int(n.max()) if n.size else 0
    with errstate(xp, over="ignore", invalid="ignore"):
        for k in range(1, top):
            p, q = q, step(k, x, q, p)
            out = xp.where(n == k + 1, q, out)
            if k % 64 == 0 and not (xp.isfinite(q) & (n > k + 1)).any():
                out = xp.where(n > k + 1, q, out)  # the rest stays inf or NaN
                break
    return out


def _chebyshev(kind: str, x, n, trig_from: int):
    """T, U, V or W of the first..fourth kind: 2x p_k - p_{k-1} from p_1 = x, 2x, 2x - 1, 2x + 1."""
    xp = array_module(x)
    first = {"t": lambda v: v, "u": lambda v: 2 * v, "v": lambda v: 2 * v - 1, "w": lambda v: 2 * v + 1}[kind]
    out = _three_term(x, n, first, lambda k, v, q, p: 2 * v * q - p)
    inside = (n > trig_from) & (xp.abs(x) < 1)
    with errstate(xp, divide="ignore", invalid="ignore"):
        theta = xp.arccos(xp.clip(x, -1.0, 1.0))
        trig = {
            "t": lambda: xp.cos(n * theta),
            "u": lambda: xp.where(xp.sin(theta) != 0, xp.sin((n + 1) * theta) / xp.sin(theta),
                                  (n + 1) * xp.cos((n + 1) * theta) / x),
            "v": lambda: xp.where(xp.sin(theta / 2) != 1, xp.cos((n + 0.5) * theta) / xp.cos(theta / 2),
                                  xp.where(n % 2 == 0, 2 * n + 1, -(2 * n + 1))),
            "w": lambda: xp.where(xp.cos(theta / 2) != 1, xp.sin((n + 0.5) * theta) / xp.sin(theta / 2), 2 * n + 1),
        }[kind]()
    out = xp.where(inside, trig, out)
    odd = n % 2 == 1
    plus_one = {"t": 1.0, "u": n + 1.0, "v": 1.0, "w": 2.0 * n + 1}[kind]
    minus_one = {"t": xp.where(odd, -1.0, 1.0), "u": xp.where(odd, -(n + 1.0), n + 1.0),
                 "v": xp.where(odd, -(2.0 * n + 1), 2.0 * n + 1), "w": xp.where(odd, -1.0, 1.0)}[kind]
    out = xp.where(x == 1, plus_one, xp.where(x == -1, minus_one, out))
    return xp.where(n < 0, 0.0, out)


def _polynomial(name: str, x, n):
    xp = array_module(x, n)
    x, n = xp.broadcast_arrays(_f64(x), _f64(n))
    n = xp.where(xp.isfinite(n), n, 0).astype(np.int64)  # torch truncates the degree to an integer
    if name.startswith("shifted_chebyshev"):
        return _chebyshev(name[-1], 2 * x - 1, n, 6)
    if name.startswith("chebyshev"):
        return _chebyshev(name[-1], x, n, 6 if name[-1] == "t" else 8)
    if name == "hermite_polynomial_h":
        out = _three_term(x, n, lambda v: 2 * v, lambda k, v, q, p: 2 * v * q - 2 * k * p)
    elif name == "hermite_polynomial_he":
        out = _three_term(x, n, lambda v: v, lambda k, v, q, p: v * q - k * p)
    elif name == "laguerre_polynomial_l":
        out = _three_term(x, n, lambda v: 1 - v, lambda k, v, q, p: ((2 * k + 1 - v) * q - k * p) / (k + 1))
        out = xp.where(x == 0, 1.0, out)
    else:  # legendre_polynomial_p
        out = _three_term(x, n, lambda v: v, lambda k, v, q, p: ((2 * k + 1) * v * q - k * p) / (k + 1))
        out = xp.where(x == 1, 1.0, xp.where(x == -1, xp.where(n % 2 == 1, -1.0, 1.0), out))
    return xp.where(n < 0, 0.0, out)


def _binary_nograd(name):
    def fn(input, n, *, out=None) -> Tensor:
        x, k, dtype = _binary_operands(name, input, n)
        result = emit(name, (input, n), _cast(_polynomial(name, _data(x), _data(k)), dtype))
        return result if out is None else write_out(out, result, name, input)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.special.{name}(input, n): the degree-n polynomial at input (n truncated to an integer; 0 for n < 0)."
    return fn


POLYNOMIALS = (
    "chebyshev_polynomial_t chebyshev_polynomial_u chebyshev_polynomial_v chebyshev_polynomial_w "
    "shifted_chebyshev_polynomial_t shifted_chebyshev_polynomial_u shifted_chebyshev_polynomial_v "
    "shifted_chebyshev_polynomial_w hermite_polynomial_h hermite_polynomial_he laguerre_polynomial_l "
    "legendre_polynomial_p"
).split()
globals().update({_name: _binary_nograd(_name) for _name in POLYNOMIALS})
