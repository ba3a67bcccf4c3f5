"""Special functions on arrays, vectorised in NumPy (no per-element Python, no SciPy).

erf/erfc use the polynomial tables of ``_erf_tables`` (see ``tools/fit_special.py``): on
|x| < 1, erf(x) = x p(x^2); beyond, erfc(x) = exp(-x^2) u q(u) with u = 1/x, one polynomial per
octave of x. float64 inputs get the float64 tables and the exp(-x^2) split that keeps x^2 exact;
float32 erf (GELU's hot path) is tanh(x R(x^2)) in float32 arithmetic, no masks;
float32 erfc is evaluated in float64 with the shorter float32 tables, then rounded once.
Measured against libm over dense grids (tests/ops/test_special_accuracy.py): float64 erf within
2 ulp and erfc within 10 ulp; float32 erf within a few ulp, erfc within 1 ulp.

lgamma, digamma, polygamma, erfinv and i0 follow the same pattern: a recurrence or reflection
moves x into a range where an asymptotic series or a short polynomial is accurate.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module, errstate
from . import _erf_tables as T
from ._unary import scratch_like

_TABLES = {
    8: (T.SMALL64, T.TAIL64, T.FAR64, 6.0),
    4: (T.SMALL32, T.TAIL32, T.FAR32, 4.0),
}


def _poly(c, v, out=None):
    """c[0] + c[1] v + ... by Horner, in place on one buffer (``out`` when given)."""
    y = array_module(v).multiply(v, c[-1], out=out)
    y += c[-2]
    for k in c[-3::-1]:
        y *= v
        y += k
    return y


def _work(x):
    """(float64 working copy, tables, result dtype): float32/16 compute in float64 with their own tables."""
    xp = array_module(x)
    dt = x.dtype
    tables = _TABLES[8 if dt == np.float64 else 4]
    return xp.asarray(x, dtype=np.float64), tables, dt


def _exp_neg_sq(a, exact: bool):
    """exp(-a^2); with ``exact``, a = z + (a - z) with z's low 27 bits cleared (26 significant bits left), so z^2 is exact
    and exp(-a^2) = exp(-z^2) exp(-(a - z)(a + z)) keeps full relative accuracy for large a."""
    xp = array_module(a)
    if not exact:
        return xp.exp(-(a * a))
    z = (a.view(np.uint64) & np.uint64(0xFFFFFFFFF8000000)).view(np.float64)
    return xp.exp(-(z * z)) * xp.exp(-((a - z) * (a + z)))


def _erfc_pos(a, tables, exact: bool):
    """erfc(a) for a >= 1 (a 1-d float64 array); inf maps to 0."""
    xp = array_module(a)
    _, tail, far, _ = tables
    a = xp.minimum(a, 30.0)  # erfc underflows long before; keeps inf out of (a - z)
    out = xp.empty_like(a)
    for lo, hi, centre, scale, c in tail:
        m = (a >= lo) & (a < hi)
        if m.any():
            u = 1.0 / a[m]
            out[m] = _poly(c, (u - centre) * scale) * u
    m = a >= tail[-1][1]
    if m.any():
        s = a[m]
        u = 1.0 / s
        out[m] = _poly(far, u * u) * u
    return out * _exp_neg_sq(a, exact)


def _tanh_form(x, table, out=None):
    """tanh(x R(v)), v = x^2 clipped to the table's range, for float32 x: one polynomial and one tanh
    over the data, no masks (masks cost more than the arithmetic on random inputs), one fresh array.
    Beyond the range tanh(x R(v)) rounds to +-1 whether or not x is clipped too. NaN passes through."""
    xp = array_module(x)
    if x.ndim == 0:  # ufuncs on 0-d arrays return scalars, which can't take out=
        return _tanh_form(x.reshape(1), table, None if out is None else out.reshape(1)).reshape(())
    limit, coef = table
    v = scratch_like(xp, "tanh_form", x)
    xp.clip(x, np.float32(-limit), np.float32(limit), out=v)
    v *= v
    p = _poly(xp.asarray(coef, dtype=np.float32), v, out)
    with errstate(xp, over="ignore"):  # |x| near float32's max: x R(v) = +-inf, tanh +-1 all the same
        p *= x
    return xp.tanh(p, out=p)


def ndtr32(x, out=None):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2 for float32 x, GELU's hot path (x / sqrt 2 folded into the fit)."""
    p = _tanh_form(x, T.NDTR_TANH32, out)
    p *= np.float32(0.5)
    p += np.float32(0.5)
    return p


def erf(x):
    """The error function, elementwise, in x's floating dtype."""
    xp = array_module(x)
    if x.size == 0:
        return x.copy()
    if x.dtype == np.float32:
        return _tanh_form(x, T.TANH32)
    w, tables, dt = _work(x)
    small, _, _, limit = tables
    shape = w.shape
    w = w.ravel()
    a = xp.abs(w)
    out = xp.empty_like(w)
    m = a < 1.0
    if m.all():
        return (w * _poly(small, w * w)).astype(dt, copy=False).reshape(shape)
    s = w[m]
    out[m] = s * _poly(small, s * s)
    mid = (a >= 1.0) & (a < limit)
    if mid.any():
        s = w[mid]
        out[mid] = xp.copysign(1.0 - _erfc_pos(xp.abs(s), tables, False), s)
    big = ~(m | mid)  # |x| >= limit, and NaN
    if big.any():
        s = w[big]
        out[big] = xp.where(xp.isnan(s), s, xp.copysign(1.0, s))
    return out.astype(dt, copy=False).reshape(shape)


def erfc(x):
    """1 - erf(x), accurate in relative terms for large positive x."""
    xp = array_module(x)
    if x.size == 0:
        return x.copy()
    w, tables, dt = _work(x)
    small = tables[0]
    exact = dt == np.float64
    shape = w.shape
    w = w.ravel()
    a = xp.abs(w)
    out = xp.empty_like(w)
    m = a < 1.0
    s = w[m]
    out[m] = 1.0 - s * _poly(small, s * s)
    t = ~m & ~xp.isnan(w)
    if t.any():
        s = w[t]
        e = _erfc_pos(xp.abs(s), tables, exact)
        out[t] = xp.where(s < 0, 2.0 - e, e)
    nan = xp.isnan(w)
    if nan.any():
        out[nan] = math.nan
    return out.astype(dt, copy=False).reshape(shape)


# -- gamma family --------------------------------------------------------------------------------

_SHIFT = 10.0  # recurrences move x to >= 10, where the asymptotic series below reach double precision
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798)  # Bernoulli B_2k


def _as64(x):
    xp = array_module(x)
    return xp.asarray(x, dtype=np.float64)


def _shift_up(x):
    """(z, ks): z = x + n >= _SHIFT with n the smallest such integer (0 for x >= _SHIFT), and the
    list of arrays x + k (k < n, others masked to None-equivalents by the caller's ``where``)."""
    xp = array_module(x)
    n = xp.maximum(xp.ceil(_SHIFT - x), 0.0)
    n = xp.where(xp.isfinite(n), n, 0.0)
    return x + n, n


def _lgamma_pos(x):
    """ln Gamma(x) for x > 0: lnG(x) = lnG(x + n) - ln(x (x+1) ... (x+n-1)), Stirling's series at x + n."""
    xp = array_module(x)
    z, n = _shift_up(x)
    prod = xp.ones_like(x)
    for k in range(int(n.max()) if n.size else 0):
        prod *= xp.where(k < n, x + k, 1.0)
    zi = 1.0 / z
    zi2 = zi * zi
    s = xp.zeros_like(z)
    for k in range(len(_B2K) - 1, -1, -1):  # sum_k B_2k / (2k (2k-1) z^(2k-1))
        s = s * zi2 + _B2K[k] / ((2 * k + 2) * (2 * k + 1))
    with errstate(xp, divide="ignore", invalid="ignore"):
        r = (z - 0.5) * xp.log(z) - z + 0.5 * math.log(2 * math.pi) + s * zi - xp.log(prod)
    r = xp.where((x == 1.0) | (x == 2.0), 0.0, r)  # the exact zeros, as libm returns them
    return xp.where(xp.isposinf(x), math.inf, r)


def lgamma(x):
    """ln |Gamma(x)|: inf at 0 and the negative integers; reflection for x < 0.5."""
    xp = array_module(x)
    w = _as64(x)
    out = xp.empty_like(w)
    pos = w >= 0.5
    out[pos] = _lgamma_pos(w[pos])
    neg = ~pos & ~xp.isnan(w)
    if neg.any():
        v = w[neg]
        with errstate(xp, divide="ignore", invalid="ignore"):
            # |Gamma(v)| = pi / |sin(pi v)| / Gamma(1 - v); sin(pi v) from v's distance to the nearest integer
            s = xp.abs(xp.sin(math.pi * (v - xp.round(v))))
            r = math.log(math.pi) - xp.log(s) - _lgamma_pos(1.0 - v)
        out[neg] = xp.where(s == 0, math.inf, xp.where(xp.isneginf(v), math.inf, r))
    out[xp.isnan(w)] = math.nan
    return out.astype(x.dtype, copy=False)


def digamma(x):
    """psi(x) = d/dx ln Gamma(x): -inf at +0, +inf at -0, NaN at negative integers (like PyTorch)."""
    xp = array_module(x)
    w = _as64(x)
    refl = w < 0.5
    v = xp.where(refl, 1.0 - w, w)
    z, n = _shift_up(v)
    acc = xp.zeros_like(v)
    with errstate(xp, divide="ignore", invalid="ignore"):
        for k in range(int(n.max()) if n.size else 0):
            acc += xp.where(k < n, 1.0 / (v + k), 0.0)
        zi2 = 1.0 / (z * z)
        s = xp.zeros_like(z)
        for k in range(len(_B2K) - 1, -1, -1):  # sum_k B_2k / (2k z^2k)
            s = s * zi2 + _B2K[k] / (2 * k + 2)
        psi = xp.log(z) - 0.5 / z - s * zi2 - acc
        # psi(1 - x) - psi(x) = pi cot(pi x); the cotangent from x's distance to the nearest integer
        r = w - xp.round(w)
        psi = xp.where(refl, psi - math.pi / xp.tan(math.pi * r), psi)
        psi = xp.where(w == 0, xp.copysign(math.inf, -xp.where(xp.signbit(w), -1.0, 1.0)), psi)
        psi = xp.where(refl & (r == 0) & (w != 0), math.nan, psi)
        psi = xp.where(xp.isposinf(w), math.inf, xp.where(xp.isneginf(w), math.nan, psi))
    return psi.astype(x.dtype, copy=False)


def polygamma(n: int, x):
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1 (Hurwitz zeta by recurrence + Euler-Maclaurin)."""
    xp = array_module(x)
    if n == 0:
        return digamma(x)
    w = _as64(x)
    s_ = n + 1
    z, m = _shift_up(w)
    acc = xp.zeros_like(w)
    with errstate(xp, divide="ignore", invalid="ignore", over="ignore"):
        for k in range(int(m.max()) if m.size else 0):
            acc += xp.where(k < m, (w + k) ** -s_, 0.0)
        # zeta(s, z) ~ z^(1-s)/(s-1) + z^-s/2 + sum_k B_2k/(2k)! (s)(s+1)...(s+2k-2) z^(-s-2k+1)
        tail = z ** (1 - s_) / (s_ - 1) + 0.5 * z ** -s_
        zi2 = 1.0 / (z * z)
        term = z ** (-s_ - 1)  # z^(-s-2k+1) at k = 1
        rising = float(s_)  # (s)_(2k-1) at k = 1
        for k in range(1, len(_B2K) + 1):
            tail += _B2K[k - 1] / math.factorial(2 * k) * rising * term
            rising *= (s_ + 2 * k - 1) * (s_ + 2 * k)
            term = term * zi2
        zeta = acc + tail
        out = (-1.0) ** (n + 1) * math.factorial(n) * zeta
        bad = (w <= 0) & (w == xp.round(w))
        # poles: +inf for odd n, and (like PyTorch) -inf/NaN for even n
        out = xp.where(bad, math.inf if n % 2 else -math.inf, out)
    return out.astype(x.dtype, copy=False)


# -- erfinv and i0 ---------------------------------------------------------------------------------------


def erfinv(y):
    """Inverse error function: a closed-form first guess (relative error < 2e-3), then Halley
    steps on erf(x) - y (|y| <= 1/2) or on erfc(x) - (1 - y) (|y| > 1/2, where 1 - y is exact)."""
    xp = array_module(y)
    w = _as64(y)
    a = xp.abs(w)
    with errstate(xp, divide="ignore", invalid="ignore"):
        ln = xp.log((1.0 - a) * (1.0 + a))
        c = 2 / (math.pi * 0.147) + 0.5 * ln
        x = xp.sqrt(xp.sqrt(c * c - ln / 0.147) - c)  # x >= 0 for |y|
        x = xp.where(a < 1, x, 0.0)
        far = a > 0.5
        for _ in range(3):
            xs = xp.where(far, x, 0.0)
            f = xp.where(far, (1.0 - a) - erfc(xs), erf(xp.where(far, 0.0, x)) - a)
            # both branches read as erf(x) - |y|
            d = (2 / math.sqrt(math.pi)) * xp.exp(-x * x)
            step = f / d
            x = x - step / (1.0 + x * step)  # Halley: f'' / f' = -2x
        x = xp.where(a == 1, math.inf, xp.where(a > 1, math.nan, x))
    return xp.copysign(x, w).astype(y.dtype, copy=False)


def _bessel_i(x, nu: int):
    """|I_nu(x)| for nu = 0 or 1 in float64: the power series below |x| = 20, the large-|x| expansion above."""
    xp = array_module(x)
    w = xp.abs(_as64(x))
    s = xp.minimum(w, 20.0)
    q = 0.25 * s * s
    term = 0.5 * s if nu else xp.ones_like(s)
    total = term.copy()
    for k in range(1, 60):  # sum (x/2)^(2k+nu) / (k! (k+nu)!); at |x| = 20 the terms fall below 1e-17 by k = 60
        term = term * q / (k * (k + nu))
        total += term
    b = xp.maximum(w, 20.0)
    t = 1.0 / (8.0 * b)
    series = xp.ones_like(b)
    term = xp.ones_like(b)
    for k in range(1, 25):  # e^x / sqrt(2 pi x) sum_k prod_(j<=k) ((2j-1)^2 - 4 nu^2) / (k! (8x)^k)
        term = term * ((2 * k - 1) ** 2 - 4 * nu * nu) * t / k
        series += term
    with errstate(xp, over="ignore", invalid="ignore"):
        big = xp.exp(b) / xp.sqrt(2 * math.pi * b) * series
    return xp.where(w < 20.0, total, big)


def i0(x):
    """Modified Bessel function I0 (even)."""
    return _bessel_i(x, 0).astype(x.dtype, copy=False)


def i1(x):
    """Modified Bessel function I1 (odd), the derivative of I0."""
    return array_module(x).copysign(_bessel_i(x, 1), x).astype(x.dtype, copy=False)
