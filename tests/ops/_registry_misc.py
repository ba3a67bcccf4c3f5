"""Registry rows for the small compositions of ``_ops/misc.py`` and the added in-place forms."""

from __future__ import annotations

from _registry import OpSpec


def _r(name, fn, shapes, domain="real", **kw):
    return OpSpec(name, fn, shapes, domain, **kw)


MISC = [
    _r("ravel", lambda L, x: L.ravel(x.transpose(0, 1)) if x.dim() == 2 else x.ravel(), [((2, 3),), ((),), ((0, 2),)], ints=True),
    _r("select", lambda L, x: L.select(x, 1, -1), [((2, 3),), ((2, 3, 4),)], ints=True, gradgrad=True),
    _r("select_method", lambda L, x: x.select(0, 1), [((2, 3),)]),
    _r("hsplit", lambda L, x: L.hsplit(x, 2), [((3, 4),), ((6,),)], ints=True),
    _r("vsplit_indices", lambda L, x: L.vsplit(x, [1, 3]), [((4, 2),)]),
    _r("dsplit", lambda L, x: x.dsplit(2), [((2, 3, 4),)]),
    _r("positive", lambda L, x: L.positive(x), [((2, 3),)], ints=True),
    _r("vdot", lambda L, a, b: L.vdot(a, b), [((4,), (4,))], ints=True),
    _r("dist", lambda L, a, b: L.dist(a, b) + L.dist(a, b, 3), [((2, 3), (2, 3)), ((3,), (2, 3))]),
    _r("dist_inf", lambda L, a, b: L.dist(a, b, float("inf")), [((2, 3), (2, 3))], "distinct"),
    _r("ldexp", lambda L, a, b: L.ldexp(a, b), [((2, 3), (2, 3)), ((2, 3), (3,))], ("real", "int"), ints=True),
    _r("trapezoid", lambda L, y: L.trapezoid(y), [((2, 5),), ((4,),)], gradgrad=True),
    _r("trapezoid_x", lambda L, y, x: L.trapezoid(y, L.cumsum(x.abs(), 0), dim=0), [((5, 2), (5,))]),
    _r("trapezoid_dx", lambda L, y: L.trapz(y, dx=0.5, dim=0), [((3, 2),)]),
    _r("cumulative_trapezoid", lambda L, y: L.cumulative_trapezoid(y, dx=2.0), [((2, 5),), ((4,),)]),
    # torch's own vander backward trips over an in-place op: values here, gradients by gradcheck
    _r("vander", lambda L, x: L.vander(x), [((4,),), ((1,),)], ints=True, grad=False),
    _r("vander_n_increasing", lambda L, x: L.vander(x, N=3, increasing=True), [((4,),)], grad=False),
    _r("cov", lambda L, x: L.cov(x), [((3, 5),), ((6,),)]),
    _r("cov_int", lambda L, x: L.cov(x.long()), [((3, 5),)], "int", grad=False, gradcheck=False),
    _r("cov_correction0", lambda L, x: L.cov(x, correction=0), [((2, 4),)]),
    _r("corrcoef", lambda L, x: L.corrcoef(x), [((3, 5),)]),
    _r("adjoint", lambda L, x: x.adjoint(), [((2, 3),), ((2, 3, 4),)], ints=True),
    _r("tril_inplace", lambda L, x: x.clone().tril_(-1), [((3, 4),)], ints=True),
    _r("cumsum_inplace", lambda L, x: x.clone().cumsum_(0), [((3, 4),)]),
    _r("logical_and_inplace", lambda L, a, b: (a > 0).logical_and_(b > 0), [((2, 3), (2, 3))], grad=False, gradcheck=False),
    _r("ge_inplace", lambda L, a, b: a.clone().ge_(b), [((2, 3), (2, 3)), ((2, 3), (3,))], grad=False, gradcheck=False),
    _r("toplevel_inplace_functions", lambda L, x: L.exp_(L.sin_(x.clone())), [((2, 3),)]),
]
