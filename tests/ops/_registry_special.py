"""Registry rows for the trigonometric, hyperbolic and special functions (``_ops/special.py``)."""

from __future__ import annotations

from _registry import BINARY, UNARY, OpSpec


def _u(name, fn, domain="real", **kw):
    return OpSpec(name, fn, UNARY, domain, **kw)


def _b(name, fn, domain="real", **kw):
    return OpSpec(name, fn, BINARY, domain, **kw)


SPECIAL = [
    _u("asin", lambda L, x: L.asin(x), "unit", ints=True, gradgrad=True),
    _u("arcsin_method", lambda L, x: x.arcsin(), "unit"),
    _u("acos", lambda L, x: L.acos(x), "unit", ints=True, gradgrad=True),
    _u("atan", lambda L, x: L.atan(x), ints=True, gradgrad=True),
    _u("arctan", lambda L, x: L.arctan(x)),
    _u("asinh", lambda L, x: L.asinh(x), ints=True, gradgrad=True),
    _u("acosh", lambda L, x: L.acosh(x + 1.5), "pos", gradgrad=True),
    _u("acosh_ints", lambda L, x: L.acosh(x), "pos", ints=True, grad=False, gradcheck=False),
    _u("atanh", lambda L, x: L.atanh(x), "unit", ints=True, gradgrad=True),
    _u("sinh", lambda L, x: L.sinh(x), "small", ints=True, gradgrad=True),
    _u("cosh", lambda L, x: x.cosh(), "small", ints=True, gradgrad=True),
    _u("deg2rad", lambda L, x: L.deg2rad(x), ints=True, gradgrad=True),
    _u("rad2deg", lambda L, x: x.rad2deg(), ints=True),
    _u("sinc", lambda L, x: L.sinc(x), ints=True, gradgrad=True),
    _u("erf_wide", lambda L, x: L.erf(x * 3), gradgrad=True),
    _u("erfc_wide", lambda L, x: L.erfc(x * 4), ints=True, gradgrad=True),
    _u("erfinv", lambda L, x: L.erfinv(x), "unit", ints=True, gradgrad=True, rtol=1e-5),
    _u("special_erfinv", lambda L, x: L.special.erfinv(x), "unit"),
    _u("lgamma", lambda L, x: L.lgamma(x), "pos", ints=True, gradgrad=True),
    _u("lgamma_negative", lambda L, x: L.lgamma(x - 3.0), "offint", gradgrad=True),
    _u("special_gammaln", lambda L, x: L.special.gammaln(x), "pos"),
    _u("digamma", lambda L, x: L.digamma(x), "pos", ints=True, gradgrad=True),
    _u("digamma_negative", lambda L, x: L.digamma(x - 3.0), "offint"),
    _u("special_psi", lambda L, x: L.special.psi(x), "pos"),
    _u("polygamma_1", lambda L, x: L.polygamma(1, x), "pos", ints=True, gradgrad=True),
    _u("polygamma_3_method", lambda L, x: x.polygamma(3), "pos", rtol=1e-5),
    _u("mvlgamma", lambda L, x: L.mvlgamma(x + 2.0, 3), "pos"),
    _u("i0", lambda L, x: L.i0(x * 5), ints=True),
    _u("special_i0e", lambda L, x: L.special.i0e(x), grad=False),
    _u("logit", lambda L, x: L.logit(x * 0.5 + 0.5), "unit", gradgrad=True),
    _u("logit_eps", lambda L, x: L.logit(x * 0.5 + 0.5, eps=0.3), "unit"),
    _u("special_logit", lambda L, x: L.special.logit(x * 0.5 + 0.5), "unit"),
    _u("special_expit", lambda L, x: L.special.expit(x)),
    _u("special_ndtr", lambda L, x: L.special.ndtr(x), ints=True),
    _u("special_ndtri", lambda L, x: L.special.ndtri(x * 0.4 + 0.5), "unit", rtol=1e-5),
    _u("special_entr", lambda L, x: L.special.entr(x), "pos"),
    _u("special_sinc", lambda L, x: L.special.sinc(x)),
    _b("atan2", lambda L, a, b: L.atan2(a, b), ("real", "nonzero"), ints=True, gradgrad=True),
    _b("arctan2_method", lambda L, a, b: a.arctan2(b), ("real", "nonzero")),
    _b("hypot", lambda L, a, b: L.hypot(a, b), "nonzero", gradgrad=True),
    _b("copysign", lambda L, a, b: L.copysign(a, b), "nonzero", ints=True, gradgrad=True),
    _u("copysign_scalar", lambda L, x: L.copysign(x, -1.0), "nonzero", ints=True),
    _b("logaddexp", lambda L, a, b: L.logaddexp(a, b), gradgrad=True),
    _b("logaddexp2", lambda L, a, b: L.logaddexp2(a, b), gradgrad=True),
    _b("xlogy", lambda L, a, b: L.xlogy(a, b), ("real", "pos"), ints=True, gradgrad=True),
    _u("xlogy_scalar_self", lambda L, x: L.xlogy(2, x), "pos"),
    _u("xlogy_scalar_other", lambda L, x: L.special.xlogy(x, 3.0), ints=True),
    _b("special_xlog1py", lambda L, a, b: L.special.xlog1py(a, b), ("real", "pos"), ints=True, gradgrad=True),
    _b("heaviside", lambda L, a, b: L.heaviside(L.round(a), b), grad=False, gradcheck=False),
    _b("heaviside_ints", lambda L, a, b: L.heaviside(a, b), "int", grad=False, gradcheck=False, ints=True),
    _b("nextafter", lambda L, a, b: L.nextafter(a, b), grad=False, gradcheck=False, rtol=0, atol=0),
    _b("float_power", lambda L, a, b: L.float_power(a, b), ("pos", "small"), ints=True),
    OpSpec("logcumsumexp", lambda L, x: L.logcumsumexp(x, 1), [((2, 3),), ((1, 4, 1),), ((0, 3),), ((3, 5),)]),
    OpSpec("logcumsumexp_dim0_method", lambda L, x: x.logcumsumexp(0), [((4, 2),), ((5,),)]),
    OpSpec("logcumsumexp_0d", lambda L, x: L.logcumsumexp(x, -1), [((),)]),
]
