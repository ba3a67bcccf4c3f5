"""The op registry: one row per (op, call form) with the shapes and input domain it is tested on.

Every row's ``fn(lib, *tensors)`` is written once and called with ``lib=ember`` and
``lib=torch`` — ember's API is PyTorch's, so the same line serves both sides. The tests in
``test_registry_parity.py`` expand each row into one test per shape case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class OpSpec:
    name: str
    fn: Callable
    shapes: list  # a list of cases; each case is a tuple of input shapes
    domain: object = "real"  # one domain for all inputs, or a tuple with one per input
    grad: bool = True  # compare gradients against torch
    gradcheck: bool = True  # finite-difference check in float64
    gradgrad: bool = False  # second-order check (representative ops)
    ints: bool = False  # also compare on int64 inputs (forward only)
    rtol: float = 1e-6
    atol: float = 1e-7
    int_domain: tuple = (-5, 6)
    tags: set = field(default_factory=set)


def _domains(spec: OpSpec, n: int):
    return spec.domain if isinstance(spec.domain, tuple) else (spec.domain,) * n


def make_array(shape, domain, rng, dtype=np.float64):
    """Random values of ``shape`` from a named domain that keeps the op smooth and defined."""
    if domain == "real":
        a = rng.standard_normal(shape)
    elif domain == "pos":  # log, sqrt, pow base...
        a = rng.uniform(0.3, 2.0, shape)
    elif domain == "unit":  # inside (-1, 1), away from its ends
        a = rng.uniform(-0.8, 0.8, shape)
    elif domain == "nonzero":  # divisors: |x| >= 0.5
        a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "distinct":  # well-separated values: max/min/sort have no near-ties
        n = int(np.prod(shape, dtype=np.int64))
        a = (rng.permutation(n).astype(np.float64) * 0.37 - n * 0.15 + rng.uniform(0, 0.05, n)).reshape(shape)
    elif domain == "offint":  # away from integers and half-integers: floor/round/trunc are smooth
        a = rng.integers(-4, 5, shape) + rng.uniform(0.1, 0.4, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "small":  # exp/pow stay modest
        a = rng.uniform(-1.5, 1.5, shape)
    elif domain == "bool":
        return rng.random(shape) < 0.5
    elif domain == "int":
        return rng.integers(-5, 6, shape).astype(np.int64)
    else:
        raise ValueError(domain)
    return np.asarray(a, dtype=dtype)


def make_arrays(spec: OpSpec, shapes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [make_array(s, d, rng, dtype) for s, d in zip(shapes, _domains(spec, len(shapes)))]


def _sid(shapes):
    def one(s):
        return "x".join(map(str, s)) if s else "0d"

    return "|".join(one(s) for s in shapes)


def cases(registry, *, nonempty_only=False, keep=lambda spec: True):
    """pytest params: one per (spec, shape case)."""
    import pytest

    out = []
    for spec in registry:
        if not keep(spec):
            continue
        for shapes in spec.shapes:
            if nonempty_only and any(0 in s for s in shapes):
                continue
            out.append(pytest.param(spec, shapes, id=f"{spec.name}[{_sid(shapes)}]"))
    return out


# -- shape sets -----------------------------------------------------------------------------------

UNARY = [((2, 3),), ((),), ((0, 3),), ((1, 4, 1),), ((5,),)]
BINARY = [
    ((2, 3), (2, 3)),
    ((3, 1, 4), (2, 4)),  # broadcast both ways, different ranks
    ((), (2, 3)),  # 0-d with a matrix
    ((2, 3), ()),
    ((0, 3), (1, 3)),  # empty dim against size 1
    ((1,), (4, 1)),
    ((), ()),
]
TERNARY = [
    ((2, 3), (2, 3), (2, 3)),
    ((2, 1), (3,), (2, 3)),
    ((), (2, 3), (1, 3)),
    ((0, 3), (1, 3), (3,)),
]


def _u(name, fn, domain="real", **kw):
    return OpSpec(name, fn, UNARY, domain, **kw)


def _b(name, fn, domain="real", **kw):
    return OpSpec(name, fn, BINARY, domain, **kw)


# -- pointwise ----------------------------------------------------------------------------------------

POINTWISE = [
    _b("add", lambda L, a, b: a + b, ints=True, gradgrad=True),
    _b("add_fn_alpha", lambda L, a, b: L.add(a, b, alpha=2.5)),
    _b("sub", lambda L, a, b: a - b, ints=True, gradgrad=True),
    _b("sub_fn_alpha", lambda L, a, b: L.sub(a, b, alpha=-0.5)),
    _b("mul", lambda L, a, b: a * b, ints=True, gradgrad=True),
    _b("div", lambda L, a, b: a / b, ("real", "nonzero"), ints=True, gradgrad=True),
    _b("floordiv", lambda L, a, b: a // b, ("offint", "nonzero"), grad=False, gradcheck=False, ints=True),
    _b("div_floor", lambda L, a, b: L.div(a, b, rounding_mode="floor"), ("offint", "nonzero"), grad=False, gradcheck=False, ints=True),
    _b("div_trunc", lambda L, a, b: L.div(a, b, rounding_mode="trunc"), ("offint", "nonzero"), grad=False, gradcheck=False, ints=True),
    _b("mod", lambda L, a, b: a % b, ("offint", "nonzero"), ints=True, gradgrad=True),
    _b("fmod", lambda L, a, b: L.fmod(a, b), ("offint", "nonzero"), ints=True, gradgrad=True),
    _b("pow", lambda L, a, b: a**b, ("pos", "small"), gradgrad=True),
    _b("pow_fn", lambda L, a, b: L.pow(a, b), ("pos", "small")),
    _b("maximum", lambda L, a, b: L.maximum(a, b), "distinct", ints=True, gradgrad=True),
    _b("minimum", lambda L, a, b: L.minimum(a, b), "distinct", ints=True, gradgrad=True),
    _u("neg", lambda L, x: -x, ints=True, gradgrad=True),
    _u("neg_fn", lambda L, x: L.neg(x)),
    _u("abs", lambda L, x: L.abs(x), "nonzero", ints=True, gradgrad=True),
    _u("abs_method", lambda L, x: x.abs(), "nonzero"),
    _u("exp", lambda L, x: L.exp(x), ints=True, gradgrad=True),
    _u("exp2", lambda L, x: L.exp2(x), ints=True, gradgrad=True),
    _u("expm1", lambda L, x: L.expm1(x), ints=True, gradgrad=True),
    _u("log", lambda L, x: L.log(x), "pos", gradgrad=True),
    _u("log2", lambda L, x: L.log2(x), "pos", gradgrad=True),
    _u("log10", lambda L, x: L.log10(x), "pos", gradgrad=True),
    _u("log1p", lambda L, x: L.log1p(x), "pos", gradgrad=True),
    _u("sqrt", lambda L, x: L.sqrt(x), "pos", gradgrad=True),
    _u("rsqrt", lambda L, x: L.rsqrt(x), "pos", gradgrad=True),
    _u("square", lambda L, x: L.square(x), ints=True, gradgrad=True),
    _u("sin", lambda L, x: L.sin(x), ints=True, gradgrad=True),
    _u("cos", lambda L, x: L.cos(x), gradgrad=True),
    _u("tan", lambda L, x: L.tan(x), "unit", gradgrad=True),
    _u("tanh", lambda L, x: L.tanh(x), ints=True, gradgrad=True),
    _u("sigmoid", lambda L, x: L.sigmoid(x), ints=True, gradgrad=True),
    _u("relu", lambda L, x: L.relu(x), "nonzero", ints=True, gradgrad=True),
    _u("erf", lambda L, x: L.erf(x), ints=True, gradgrad=True),
    _u("erfc", lambda L, x: L.erfc(x), gradgrad=True),
    _u("reciprocal", lambda L, x: L.reciprocal(x), "nonzero", gradgrad=True),
    _u("sign", lambda L, x: L.sign(x), "nonzero", ints=True),
    # torch's sgn backward returns a ZeroTensor that can't be compared; gradcheck covers it
    _u("sgn", lambda L, x: L.sgn(x), "nonzero", grad=False),
    _u("floor", lambda L, x: L.floor(x), "offint", ints=True),
    _u("ceil", lambda L, x: L.ceil(x), "offint", ints=True),
    _u("round", lambda L, x: L.round(x), "offint", ints=True),
    _u("round_decimals", lambda L, x: L.round(x, decimals=1), "offint"),
    _u("trunc", lambda L, x: L.trunc(x), "offint", ints=True),
    _u("frac", lambda L, x: L.frac(x), "offint", gradgrad=True),
    _u("pow_scalar_exponent", lambda L, x: x**3, gradgrad=True, ints=True),
    _u("pow_scalar_half", lambda L, x: L.pow(x, 0.5), "pos", gradgrad=True),
    _u("pow_scalar_two", lambda L, x: x**2, ints=True),
    _u("rpow_scalar_base", lambda L, x: 2.0**x, "small", gradgrad=True),
    _u("add_scalar", lambda L, x: x + 2.5, ints=True),
    _u("radd_int", lambda L, x: 3 + x, ints=True),
    _u("rsub_scalar", lambda L, x: 1 - x, ints=True),
    _u("mul_scalar", lambda L, x: x * -1.5, ints=True),
    _u("rdiv_scalar", lambda L, x: 2 / x, "nonzero", ints=True),
    _u("div_scalar", lambda L, x: x / 4, ints=True),
    _u("clamp_both", lambda L, x: L.clamp(x, -0.5, 0.5), "offint", ints=True, gradgrad=True),
    _u("clamp_min", lambda L, x: L.clamp(x, min=0.2), "offint"),
    _u("clamp_max_method", lambda L, x: x.clamp(max=-0.2), "offint"),
    _u("clip", lambda L, x: L.clip(x, -1, 1), "offint", ints=True),
    _u("nan_to_num", lambda L, x: L.nan_to_num(x), gradgrad=True),
    OpSpec("clamp_tensor_bounds", lambda L, x, lo, hi: L.clamp(x, lo, hi + 2),
           [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (1, 3)), ((2, 3), (), (2, 1)), ((0, 3), (1, 3), (3,))], "offint"),
    # x smaller than its bounds: torch's own backward fails on this one, so values and gradcheck only
    OpSpec("clamp_tensor_bounds_broadcast_x", lambda L, x, lo, hi: L.clamp(x, lo, hi + 2), [((), (2, 3), (1, 3))], "offint", grad=False),
    OpSpec("where", lambda L, c, a, b: L.where(c > 0, a, b), TERNARY, "nonzero", gradgrad=True),
    OpSpec("where_scalar_other", lambda L, c, a: L.where(c > 0, a, 0.0), BINARY, "nonzero"),
    OpSpec("lerp_scalar", lambda L, a, b: L.lerp(a, b, 0.3), BINARY),
    OpSpec("lerp_tensor", lambda L, a, b, w: L.lerp(a, b, w), TERNARY, gradgrad=True),
    OpSpec("addcmul", lambda L, a, b, c: L.addcmul(a, b, c, value=0.5), TERNARY, gradgrad=True),
    OpSpec("addcdiv", lambda L, a, b, c: L.addcdiv(a, b, c, value=2), TERNARY, ("real", "real", "nonzero"), gradgrad=True),
]

COMPARE = [
    _b(name, fn, "int", grad=False, gradcheck=False, ints=True)
    for name, fn in [
        ("eq", lambda L, a, b: a == b),
        ("ne", lambda L, a, b: a != b),
        ("lt", lambda L, a, b: a < b),
        ("le", lambda L, a, b: a <= b),
        ("gt", lambda L, a, b: a > b),
        ("ge", lambda L, a, b: a >= b),
        ("eq_fn", lambda L, a, b: L.eq(a, b)),
        ("ge_fn", lambda L, a, b: L.ge(a, b)),
        ("isclose", lambda L, a, b: L.isclose(a * 1.0, b * 1.0 + 1e-9)),
        ("isclose_same_int_dtype", lambda L, a, b: L.isclose(a, b)),
        ("logical_and", lambda L, a, b: L.logical_and(a, b)),
        ("logical_or", lambda L, a, b: L.logical_or(a, b)),
        ("logical_xor", lambda L, a, b: L.logical_xor(a, b)),
    ]
] + [
    _u(name, fn, "int", grad=False, gradcheck=False, ints=True)
    for name, fn in [
        ("logical_not", lambda L, x: L.logical_not(x)),
        ("isnan", lambda L, x: L.isnan(x / 0.0)),
        ("isinf", lambda L, x: L.isinf(x / 0.0)),
        ("isfinite", lambda L, x: L.isfinite(x / 0.0)),
        ("eq_scalar", lambda L, x: x == 1),
        ("lt_float_scalar", lambda L, x: x < 0.5),
    ]
]

# -- reductions ------------------------------------------------------------------------------------

R3 = [((2, 3, 4),)]
DIM_ARGS = [
    ("all", {}),
    ("dim1", {"dim": 1}),
    ("dimneg1_keep", {"dim": -1, "keepdim": True}),
    ("tuple", {"dim": (0, -1)}),
    ("negtuple_keep", {"dim": (-1, -3), "keepdim": True}),
]


def _reduce_specs(name, method, domain="real", *, shapes_extra=(), grad=True, gradgrad=False, ints=False, dims=DIM_ARGS, **kw):
    specs = []
    for tag, kwargs in dims:
        specs.append(
            OpSpec(
                f"{name}_{tag}",
                (lambda m, kw_: lambda L, x: getattr(x, m)(**kw_))(method, kwargs),
                R3,
                domain,
                grad=grad,
                gradcheck=grad,
                gradgrad=gradgrad and tag in ("dim1", "negtuple_keep"),
                ints=ints,
                **kw,
            )
        )
    for shapes, kwargs, tag in shapes_extra:
        specs.append(
            OpSpec(
                f"{name}_{tag}",
                (lambda m, kw_: lambda L, x: getattr(x, m)(**kw_))(method, kwargs),
                [shapes],
                domain,
                grad=grad,
                gradcheck=grad and tag != "size1_nan",
                ints=ints,
                **kw,
            )
        )
    return specs


EMPTY_AND_0D = [
    (((0, 3),), {"dim": 1}, "empty_rows"),
    (((0, 3),), {"dim": 0}, "empty_reduced"),
    (((),), {"dim": 0}, "zerod_dim0"),
    (((),), {}, "zerod_all"),
    (((1, 5),), {"dim": 0, "keepdim": True}, "size1"),
]
# one element per group and correction 1: NaN values and gradients, like torch (no gradcheck on NaN)
SIZE1_NAN = [(((1, 5),), {"dim": 0}, "size1_nan"), (((0, 3),), {"dim": 1}, "empty_rows")]
EXTREMA_EXTRA = [e for e in EMPTY_AND_0D if e[2] not in ("empty_reduced",)]

REDUCE = (
    _reduce_specs("sum", "sum", shapes_extra=EMPTY_AND_0D, gradgrad=True, ints=True)
    + _reduce_specs("mean", "mean", shapes_extra=EMPTY_AND_0D, gradgrad=True)
    + _reduce_specs("prod", "prod", "nonzero", shapes_extra=[e for e in EMPTY_AND_0D if "dim" in e[1] and not isinstance(e[1]["dim"], tuple)],
                    dims=[("all", {}), ("dim1", {"dim": 1}), ("dimneg1_keep", {"dim": -1, "keepdim": True})], ints=True, gradgrad=True)
    + _reduce_specs("var", "var", shapes_extra=SIZE1_NAN, gradgrad=True)
    + _reduce_specs("var_correction0", "var", dims=[("dim1", {"dim": 1, "correction": 0}), ("tuple", {"dim": (0, 2), "correction": 2})])
    + _reduce_specs("var_unbiased_false", "var", dims=[("all", {"unbiased": False})])
    + _reduce_specs("std", "std", shapes_extra=SIZE1_NAN, gradgrad=True)
    + _reduce_specs("std_correction0", "std", dims=[("dim1", {"dim": 1, "correction": 0})])
    + _reduce_specs("amax", "amax", "distinct", shapes_extra=EXTREMA_EXTRA[1:], ints=True, gradgrad=True)
    + _reduce_specs("amin", "amin", "distinct", shapes_extra=EXTREMA_EXTRA[1:], ints=True)
    + _reduce_specs("logsumexp", "logsumexp", dims=DIM_ARGS[1:], shapes_extra=EMPTY_AND_0D[:1] + EMPTY_AND_0D[2:3], gradgrad=True)
    + _reduce_specs("norm", "norm", "nonzero", shapes_extra=EMPTY_AND_0D[4:], gradgrad=True)
    + _reduce_specs("norm_p1", "norm", "nonzero", dims=[("dim1", {"p": 1, "dim": 1}), ("all", {"p": 1})])
    + _reduce_specs("norm_p3", "norm", "nonzero", dims=[("dim1", {"p": 3, "dim": 1}), ("all", {"p": 3})])
    + _reduce_specs("norm_inf", "norm", "distinct", dims=[("dim1", {"p": float("inf"), "dim": 1})])
    + _reduce_specs("count_nonzero", "count_nonzero", "int", grad=False, ints=True, dims=[("all", {}), ("dim1", {"dim": 1}), ("tuple", {"dim": (0, -1)})])
    + _reduce_specs("all", "all", "int", grad=False, ints=True, dims=[("all", {}), ("dim1", {"dim": 1}), ("dimneg1_keep", {"dim": -1, "keepdim": True})])
    + _reduce_specs("any", "any", "int", grad=False, ints=True, dims=[("all", {}), ("dim1", {"dim": 1}), ("dimneg1_keep", {"dim": -1, "keepdim": True})])
)

ONE_DIM = [("dim1", {"dim": 1}), ("dimneg1_keep", {"dim": -1, "keepdim": True}), ("dim0", {"dim": 0})]
ONE_DIM_EXTRA = [e for e in EMPTY_AND_0D if e[2] in ("zerod_dim0", "size1", "empty_rows")]
REDUCE += (
    _reduce_specs("max_dim", "max", "distinct", dims=ONE_DIM, shapes_extra=ONE_DIM_EXTRA, ints=True, gradgrad=True)
    + _reduce_specs("min_dim", "min", "distinct", dims=ONE_DIM, shapes_extra=ONE_DIM_EXTRA, ints=True)
    + _reduce_specs("max_all", "max", "distinct", dims=[("all", {})], shapes_extra=[(((),), {}, "zerod")], ints=True)
    + _reduce_specs("min_all", "min", "distinct", dims=[("all", {})], ints=True)
    + _reduce_specs("argmax", "argmax", "distinct", grad=False, dims=[("all", {})] + ONE_DIM, shapes_extra=ONE_DIM_EXTRA, ints=True)
    + _reduce_specs("argmin", "argmin", "distinct", grad=False, dims=[("all", {}), ("all_keep", {"keepdim": True})] + ONE_DIM, ints=True)
    + _reduce_specs("cumsum", "cumsum", dims=[("dim1", {"dim": 1}), ("dimneg1", {"dim": -1}), ("dim0", {"dim": 0})],
                    shapes_extra=[(((0, 3),), {"dim": 1}, "empty"), (((),), {"dim": 0}, "zerod")], ints=True, gradgrad=True)
    + _reduce_specs("cumprod", "cumprod", "nonzero", dims=[("dim1", {"dim": 1}), ("dimneg1", {"dim": -1})],
                    shapes_extra=[(((0, 3),), {"dim": 1}, "empty"), (((),), {"dim": 0}, "zerod")], ints=True, gradgrad=True)
    + _reduce_specs("median_all", "median", "distinct", dims=[("all", {})], ints=True)
    + _reduce_specs("median_dim", "median", "distinct", dims=ONE_DIM, shapes_extra=[(((1, 5),), {"dim": 0}, "size1")], ints=True, gradgrad=True)
    + _reduce_specs("logsumexp_all_dims", "logsumexp", dims=[("tuple_all", {"dim": (0, 1, 2)})])
)

# -- linear algebra ------------------------------------------------------------------------------------

LINALG = [
    OpSpec("matmul_2d", lambda L, a, b: a @ b, [((3, 4), (4, 2)), ((1, 4), (4, 1)), ((0, 4), (4, 2)), ((3, 0), (0, 2))], gradgrad=True, ints=True),
    OpSpec("matmul_1d_2d", lambda L, a, b: L.matmul(a, b), [((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,))], gradgrad=True),
    OpSpec("matmul_batched_broadcast", lambda L, a, b: a @ b, [((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,))], gradgrad=True),
    OpSpec("mm", lambda L, a, b: L.mm(a, b), [((3, 4), (4, 2))], gradgrad=True),
    OpSpec("mm_method", lambda L, a, b: a.mm(b), [((2, 5), (5, 3))]),
    OpSpec("bmm", lambda L, a, b: L.bmm(a, b), [((2, 3, 4), (2, 4, 5)), ((0, 3, 4), (0, 4, 2))], gradgrad=True, ints=True),
    OpSpec("mv", lambda L, a, b: L.mv(a, b), [((3, 4), (4,))], gradgrad=True),
    OpSpec("dot", lambda L, a, b: L.dot(a, b), [((4,), (4,)), ((0,), (0,))], gradgrad=True, ints=True),
    OpSpec("outer", lambda L, a, b: L.outer(a, b), [((3,), (4,)), ((0,), (2,))], gradgrad=True),
    OpSpec("einsum_matmul", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [((3, 4), (4, 2))], gradgrad=True),
    OpSpec("einsum_batched", lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [((2, 3, 4), (2, 4, 2))], gradgrad=True),
    OpSpec("einsum_implicit_output", lambda L, a, b: L.einsum("ij,jk", a, b), [((3, 4), (4, 2))]),
    OpSpec("einsum_trace_like_sum", lambda L, a: L.einsum("ij->j", a), [((3, 4),)]),
    OpSpec("einsum_outer_3", lambda L, a, b, c: L.einsum("i,j,k->ijk", a, b, c), [((2,), (3,), (2,))]),
    OpSpec("einsum_ellipsis", lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b), [((2, 3, 4), (2, 4, 2)), ((3, 4), (4, 2))], gradgrad=True),
    OpSpec("einsum_ellipsis_last", lambda L, a, b: L.einsum("ij...,jk...->ik...", a, b), [((2, 3, 4), (3, 2, 4)), ((2, 3, 1), (3, 2, 5))]),
    OpSpec("einsum_ellipsis_middle_implicit", lambda L, a, b: L.einsum("i...j,j", a, b), [((2, 3, 4), (4,)), ((2, 4), (4,))]),
    OpSpec("einsum_ellipsis_broadcast_batch", lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b), [((2, 1, 3, 4), (5, 4, 2))]),
    OpSpec("einsum_diagonal", lambda L, a: L.einsum("ii->i", a), [((3, 3),)], gradgrad=True),
    OpSpec("einsum_trace", lambda L, a: L.einsum("ii", a), [((3, 3),)]),
    OpSpec("addmm", lambda L, c, a, b: L.addmm(c, a, b), [((3, 2), (3, 4), (4, 2)), ((2,), (3, 4), (4, 2)), ((), (3, 4), (4, 2))], gradgrad=True),
    OpSpec("addmm_alpha_beta", lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=2.0), [((3, 2), (3, 4), (4, 2))]),
    OpSpec("addmm_beta0", lambda L, c, a, b: L.addmm(c, a, b, beta=0), [((3, 2), (3, 4), (4, 2))]),
    OpSpec("baddbmm", lambda L, c, a, b: L.baddbmm(c, a, b), [((2, 3, 2), (2, 3, 4), (2, 4, 2)), ((3, 2), (2, 3, 4), (2, 4, 2))], gradgrad=True),
    OpSpec("baddbmm_alpha_beta", lambda L, c, a, b: L.baddbmm(c, a, b, beta=-1, alpha=0.5), [((2, 3, 2), (2, 3, 4), (2, 4, 2))]),
]

# -- shape ---------------------------------------------------------------------------------------------

S234 = [((2, 3, 4),)]


def _s(name, fn, shapes=S234, **kw):
    kw.setdefault("ints", True)
    return OpSpec(name, fn, shapes, **kw)


SHAPE = [
    _s("view_minus1", lambda L, x: x.view(-1, 4), gradgrad=True),
    _s("view_tuple", lambda L, x: x.view((6, 4))),
    _s("view_0d_to_1", lambda L, x: x.view(1), [((),)]),
    _s("view_empty", lambda L, x: x.view(-1, 3), [((0, 3),)]),
    _s("reshape", lambda L, x: L.reshape(x, (4, -1)), gradgrad=True),
    _s("reshape_after_transpose", lambda L, x: x.transpose(0, 2).reshape(-1)),
    _s("flatten", lambda L, x: L.flatten(x)),
    _s("flatten_range", lambda L, x: x.flatten(1), gradgrad=True),
    _s("flatten_neg", lambda L, x: x.flatten(-2, -1)),
    _s("flatten_0d", lambda L, x: x.flatten(), [((),)]),
    _s("unflatten", lambda L, x: x.unflatten(2, (2, -1))),
    _s("unflatten_neg", lambda L, x: L.unflatten(x, -2, (3, 1))),
    _s("squeeze_all", lambda L, x: x.squeeze(), [((1, 3, 1, 2),), ((),), ((1,),)], gradgrad=True),
    _s("squeeze_dim", lambda L, x: x.squeeze(-2), [((1, 3, 1, 2),), ((2, 3),)]),
    _s("squeeze_tuple", lambda L, x: x.squeeze((0, 2)), [((1, 3, 1, 2),)]),
    _s("unsqueeze", lambda L, x: x.unsqueeze(1), gradgrad=True),
    _s("unsqueeze_neg", lambda L, x: L.unsqueeze(x, -1), [((2, 3),), ((),)]),
    _s("permute", lambda L, x: x.permute(2, 0, 1), gradgrad=True),
    _s("permute_neg_tuple", lambda L, x: L.permute(x, (-1, 0, 1))),
    _s("transpose", lambda L, x: x.transpose(0, -1), gradgrad=True),
    _s("t", lambda L, x: x.t(), [((2, 3),), ((3,),), ((),)]),
    _s("T", lambda L, x: x.T, [((2, 3),)]),
    _s("mT", lambda L, x: x.mT),
    _s("movedim", lambda L, x: L.movedim(x, 0, -1), gradgrad=True),
    _s("movedim_tuple", lambda L, x: x.movedim((0, 1), (2, 0))),
    _s("expand", lambda L, x: x.expand(2, 3, 4), [((3, 1),), ((1,),), ((),)], gradgrad=True),
    _s("expand_minus1", lambda L, x: x.expand(5, -1, -1), [((1, 3),)]),
    OpSpec("expand_as", lambda L, x, y: x.expand_as(y), [((3, 1), (2, 3, 4))], ints=True),
    _s("repeat", lambda L, x: x.repeat(2, 1, 3), [((3, 2),), ((2, 3, 1),)], gradgrad=True),
    _s("repeat_0d", lambda L, x: x.repeat(2, 3), [((),)]),
    _s("tile", lambda L, x: L.tile(x, (2,)), [((3, 2),)], gradgrad=True),
    _s("tile_more", lambda L, x: x.tile((2, 1, 2)), [((3, 2),)]),
    OpSpec("cat", lambda L, a, b: L.cat([a, b], 1), [((2, 3), (2, 1)), ((2, 0), (2, 2))], ints=True, gradgrad=True),
    OpSpec("cat_neg_dim", lambda L, a, b: L.cat((a, b), dim=-1), [((2, 3, 1), (2, 3, 2))]),
    OpSpec("cat_with_legacy_empty", lambda L, a, b: L.cat([a, b]), [((2, 3), (0,))]),
    OpSpec("concat", lambda L, a, b: L.concat([a, b]), [((1, 3), (2, 3))]),
    OpSpec("stack", lambda L, a, b: L.stack([a, b]), [((2, 3), (2, 3)), ((), ())], ints=True, gradgrad=True),
    OpSpec("stack_neg", lambda L, a, b: L.stack([a, b], dim=-1), [((2, 3), (2, 3))]),
    OpSpec("hstack", lambda L, a, b: L.hstack([a, b]), [((2, 3), (2, 1)), ((3,), (2,)), ((), ())]),
    OpSpec("vstack", lambda L, a, b: L.vstack([a, b]), [((2, 3), (1, 3)), ((3,), (3,))]),
    _s("split_int", lambda L, x: L.split(x, 2, dim=1)),
    _s("split_sizes", lambda L, x: x.split([1, 3], -1), gradgrad=True),
    _s("chunk", lambda L, x: x.chunk(2, 1), gradgrad=True),
    _s("chunk_uneven", lambda L, x: L.chunk(x, 3, -1)),
    _s("unbind", lambda L, x: x.unbind(1), gradgrad=True),
    _s("unbind_fn", lambda L, x: L.unbind(x)),
    _s("flip", lambda L, x: x.flip(0)),
    _s("flip_tuple", lambda L, x: L.flip(x, (0, -1)), gradgrad=True),
    _s("roll", lambda L, x: x.roll(1, 1)),
    _s("roll_tuple", lambda L, x: L.roll(x, (1, -2), (0, 2)), gradgrad=True),
    _s("roll_flat", lambda L, x: x.roll(5)),
    _s("narrow", lambda L, x: x.narrow(1, 1, 2), gradgrad=True),
    _s("narrow_neg", lambda L, x: L.narrow(x, -1, 0, 3)),
    _s("contiguous", lambda L, x: x.transpose(0, 1).contiguous(), gradgrad=True),
    _s("clone", lambda L, x: x.clone()),
    _s("swapaxes", lambda L, x: x.swapaxes(0, 1)),
    _s("diagonal", lambda L, x: x.diagonal(), [((3, 3),), ((2, 3, 4),)], gradgrad=True),
    _s("diagonal_offset_dims", lambda L, x: L.diagonal(x, 1, -1, 0), [((3, 4),), ((2, 3, 4),)], gradgrad=True),
    _s("diag_embed_1d", lambda L, x: L.diag(x, -1), [((3,),)], gradgrad=True),
    _s("tril", lambda L, x: x.tril(), [((3, 4),)]),
    _s("triu_offset", lambda L, x: L.triu(x, 1), [((2, 3, 3),)]),
]

# -- indexing -----------------------------------------------------------------------------------------


def _i(L, a):
    return L.tensor(a, dtype=L.int64)


def _bmask(L, a):
    return L.tensor(a, dtype=L.bool)


INDEX = [
    _s("getitem_int", lambda L, x: x[1]),
    _s("getitem_neg_int", lambda L, x: x[-1, 0]),
    _s("getitem_slice", lambda L, x: x[:, 1:3], gradgrad=True),
    _s("getitem_step_slice", lambda L, x: x[::2, ::2]),
    _s("getitem_none_ellipsis", lambda L, x: x[None, ..., 1], gradgrad=True),
    _s("getitem_ellipsis_none", lambda L, x: x[..., None, 1:]),
    _s("getitem_all_ints", lambda L, x: x[1, 2, 3]),
    _s("getitem_bool_mask", lambda L, x: x[x > 0], gradgrad=True),
    _s("getitem_bool_mask_row", lambda L, x: x[_bmask(L, [True, False])]),
    _s("getitem_int_tensor", lambda L, x: x[_i(L, [1, 0, 1])], gradgrad=True),
    _s("getitem_int_tensor_2d", lambda L, x: x[:, _i(L, [[0, 2], [2, 2]])]),
    _s("getitem_two_int_tensors", lambda L, x: x[_i(L, [0, 1]), :, _i(L, [3, 3])]),
    _s("getitem_list", lambda L, x: x[[1, 0]]),
    _s("getitem_0d", lambda L, x: x[...], [((),)]),
    _s("getitem_0d_none", lambda L, x: x[None], [((),)]),
    _s("gather", lambda L, x: L.gather(x, 1, _i(L, [[[0, 2, 1, 0]], [[2, 2, 2, 1]]])), gradgrad=True),
    _s("gather_neg_dim", lambda L, x: x.gather(-1, _i(L, [[0, 0], [3, 1], [2, 2]])), [((3, 4),)]),
    _s("take_along_dim", lambda L, x: L.take_along_dim(x, _i(L, [[[0], [1], [2]]]), dim=2), gradgrad=True),
    _s("take_along_dim_flat", lambda L, x: L.take_along_dim(x, _i(L, [0, 5, 23]))),
    _s("index_select", lambda L, x: L.index_select(x, 1, _i(L, [2, 0, 2])), gradgrad=True),
    _s("index_select_neg", lambda L, x: x.index_select(-1, _i(L, [3]))),
    _s("masked_fill", lambda L, x: x.masked_fill(x > 0.5, -1.0), gradgrad=True),
    _s("masked_fill_broadcast_mask", lambda L, x: L.masked_fill(x, _bmask(L, [True, False, True, False]), 2.0)),
    _s("masked_select", lambda L, x: L.masked_select(x, x < 0), gradgrad=True),
    _s("masked_select_broadcast", lambda L, x: x.masked_select(_bmask(L, [[True], [False], [True]]))),
    _s("take", lambda L, x: L.take(x, _i(L, [[0, 23], [5, 5]]))),
    OpSpec("scatter", lambda L, x, s: L.scatter(x, 1, _i(L, [[0, 2], [1, 0]]), s), [((2, 3), (2, 2))], ints=True, gradgrad=True),
    # src larger than index: torch's backward rejects its own gradient shape, so values + gradcheck only
    OpSpec("scatter_src_larger", lambda L, x, s: L.scatter(x, 1, _i(L, [[0, 2], [1, 0]]), s), [((2, 3), (3, 3))], grad=False),
    _s("scatter_value", lambda L, x: x.scatter(0, _i(L, [[1, 0, 1]]), 7.0), [((2, 3),)]),
    OpSpec("scatter_add", lambda L, x, s: L.scatter_add(x, 1, _i(L, [[0, 0], [1, 1]]), s), [((2, 3), (2, 2))], ints=True, gradgrad=True),
    OpSpec("scatter_add_src_larger", lambda L, x, s: L.scatter_add(x, 1, _i(L, [[0, 0], [1, 1]]), s), [((2, 3), (2, 4))], grad=False),
    OpSpec("index_add", lambda L, x, s: L.index_add(x, 0, _i(L, [0, 2, 0]), s), [((3, 2), (3, 2))], ints=True, gradgrad=True),
    OpSpec("index_add_alpha_dim1", lambda L, x, s: x.index_add(1, _i(L, [1, 1]), s, alpha=2), [((3, 2), (3, 2))]),
    _s("nonzero", lambda L, x: L.nonzero(x), [((3, 4),), ((),), ((0,),)], domain="int", grad=False, gradcheck=False),
    _s("nonzero_as_tuple", lambda L, x: x.nonzero(as_tuple=True), [((3, 4),)], domain="int", grad=False, gradcheck=False),
    _s("topk", lambda L, x: L.topk(x, 2), domain="distinct", gradgrad=True),
    _s("topk_smallest_dim0", lambda L, x: x.topk(1, dim=0, largest=False), domain="distinct"),
    _s("sort", lambda L, x: L.sort(x), domain="distinct", gradgrad=True),
    _s("sort_desc_dim0", lambda L, x: x.sort(dim=0, descending=True), domain="distinct"),
    _s("sort_0d", lambda L, x: x.sort(), [((),)]),
    _s("argsort", lambda L, x: L.argsort(x, dim=1), domain="distinct", grad=False, gradcheck=False),
    _s("argsort_desc", lambda L, x: x.argsort(descending=True), domain="distinct", grad=False, gradcheck=False),
    _s("unique", lambda L, x: L.unique(x), [((3, 4),)], domain="int", grad=False, gradcheck=False),
    _s("unique_inverse_counts", lambda L, x: L.unique(x, return_inverse=True, return_counts=True), [((3, 4),)], domain="int", grad=False, gradcheck=False),
    _s("unique_dim", lambda L, x: L.unique(x, dim=0), [((4, 2),)], domain="int", grad=False, gradcheck=False),
    _s("mode", lambda L, x: L.mode(x, 1), [((3, 5),)], domain="int", grad=False, gradcheck=False),
    _s("where_one_arg", lambda L, x: L.where(x > 0), [((3, 4),)], grad=False, gradcheck=False),
]

REGISTRY = POINTWISE + COMPARE + REDUCE + LINALG + SHAPE + INDEX


def _extend_registry():
    # Families added in their own modules (they import OpSpec and the shape sets from here). Looked up
    # with getattr so that importing a family module first (which imports this one) does not fail.
    import importlib

    for module, name in (("_registry_special", "SPECIAL"), ("_registry_bitwise", "BITWISE"), ("_registry_scan", "SCAN"),
                         ("_registry_construct", "CONSTRUCT"), ("_registry_linalg", "LINALG_EXT"), ("_registry_misc", "MISC"),
                         ("_registry_attention", "ATTENTION"), ("_registry_linalg2", "LINALG2"), ("_registry_missing", "MISSING")):
        REGISTRY.extend(getattr(importlib.import_module(module), name, []))


_extend_registry()
