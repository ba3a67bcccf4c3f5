"""Registry rows for the reductions and scans of ``_ops/scan.py``."""

from __future__ import annotations

from _registry import OpSpec

MAT = [((3, 4),), ((1, 5),), ((2, 3, 4),)]
WITH_0D = MAT + [((),)]

SCAN = [
    OpSpec("cummax_values_indices", lambda L, x: tuple(L.cummax(x, 1)), MAT, "distinct", gradgrad=True),
    OpSpec("cummin_method_neg_dim", lambda L, x: tuple(x.cummin(dim=-1)), MAT, "distinct"),
    OpSpec("cummax_0d", lambda L, x: tuple(L.cummax(x, 0)), [((),)]),
    OpSpec("cummin_0d_neg", lambda L, x: L.cummin(x, -1).values, [((),)]),
    OpSpec("var_mean_axis", lambda L, x: L.var_mean(x, axis=0, correction=0), MAT, gradgrad=True),
    OpSpec("std_mean_unbiased", lambda L, x: L.std_mean(x, 1, unbiased=True, keepdim=True), MAT),
    OpSpec("std_mean_all", lambda L, x: L.std_mean(x), MAT),
    OpSpec("nansum", lambda L, x: L.nansum(x, -1), MAT + [((0, 3),)], ints=True),
    OpSpec("nanmean", lambda L, x: L.nanmean(x, 0), MAT),
    OpSpec("aminmax_dim", lambda L, x: tuple(L.aminmax(x, dim=-1)), MAT, "distinct"),
    OpSpec("aminmax_all", lambda L, x: tuple(x.aminmax()), WITH_0D, "distinct", ints=True),
    OpSpec("quantile_linear", lambda L, x: L.quantile(x, 0.3, dim=1), MAT, "distinct", gradgrad=True),
    OpSpec("quantile_all_keepdim", lambda L, x: L.quantile(x, 0.75, keepdim=True), WITH_0D, "distinct"),
    OpSpec("quantile_q_tensor", lambda L, x: L.quantile(x, L.tensor([0.0, 0.25, 0.5, 1.0], dtype=x.dtype), dim=-1, keepdim=True), MAT, "distinct"),
    OpSpec("quantile_lower", lambda L, x: x.quantile(0.4, dim=0, interpolation="lower"), MAT, "distinct"),
    OpSpec("quantile_higher", lambda L, x: L.quantile(x, 0.4, dim=0, interpolation="higher"), MAT, "distinct"),
    OpSpec("quantile_midpoint", lambda L, x: L.quantile(x, 0.4, dim=0, interpolation="midpoint"), MAT, "distinct"),
    OpSpec("quantile_nearest", lambda L, x: L.quantile(x, L.tensor([0.5, 0.1], dtype=x.dtype), interpolation="nearest"), MAT, "distinct"),
    OpSpec("nanquantile", lambda L, x: L.nanquantile(L.where(x > 1, float("nan"), x), 0.6, dim=1), MAT, "distinct"),
    OpSpec("quantile_with_nan", lambda L, x: L.quantile(L.where(x > 1, float("nan"), x), 0.6, dim=1), MAT, "distinct", grad=False, gradcheck=False),
    OpSpec("histc", lambda L, x: L.histc(x, bins=7), MAT + [((0,),)], grad=False, gradcheck=False),
    OpSpec("histc_range", lambda L, x: x.histc(bins=4, min=-1, max=1), MAT, grad=False, gradcheck=False),
    OpSpec("bincount", lambda L, x: L.bincount(x.reshape(-1).abs()), [((3, 4),), ((0,),)], "int", grad=False, gradcheck=False),
    OpSpec("bincount_weights", lambda L, x, w: L.bincount(x.abs(), weights=w, minlength=9), [((6,), (6,))], ("int", "real"), grad=False, gradcheck=False),
    OpSpec("diff", lambda L, x: L.diff(x), MAT, ints=True, gradgrad=True),
    OpSpec("diff_n2_dim0", lambda L, x: x.diff(n=2, dim=0), [((4, 3),), ((2, 3, 2),)], ints=True),
    OpSpec("diff_prepend_append", lambda L, x, p, a: L.diff(x, dim=1, prepend=p, append=a), [((2, 3), (2, 1), (2, 2))], gradgrad=True),
    OpSpec("diff_n_too_large", lambda L, x: L.diff(x, n=7), [((3,),)]),
    OpSpec("trace", lambda L, x: L.trace(x), [((3, 3),), ((2, 4),), ((4, 2),), ((0, 0),)], ints=True, gradgrad=True),
    OpSpec("trace_method", lambda L, x: x.trace(), [((3, 3),)]),
]
