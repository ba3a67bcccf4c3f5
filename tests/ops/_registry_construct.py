"""Registry rows for the shape and construction ops of ``_ops/construct.py``."""

from __future__ import annotations

from _registry import OpSpec


def _r(name, fn, shapes, domain="real", **kw):
    return OpSpec(name, fn, shapes, domain, **kw)


def _idx(L, values):
    return L.tensor(values)


CONSTRUCT = [
    _r("meshgrid_ij", lambda L, a, b: L.meshgrid(a, b, indexing="ij"), [((3,), (4,)), ((1,), ()), ((0,), (2,))], ints=True, gradgrad=True),
    _r("meshgrid_xy_three", lambda L, a, b, c: L.meshgrid([a, b, c], indexing="xy"), [((3,), (4,), (2,))], ints=True),
    _r("cartesian_prod", lambda L, a, b: L.cartesian_prod(a, b), [((3,), (2,)), ((1,), (4,))], ints=True, gradgrad=True),
    _r("combinations", lambda L, x: L.combinations(x), [((4,),), ((1,),)], ints=True),
    _r("combinations_r3_replacement", lambda L, x: L.combinations(x, 3, with_replacement=True), [((3,),)], ints=True),
    _r("unfold", lambda L, x: x.unfold(1, 2, 1) * x.unfold(1, 2, 1), [((3, 4),), ((2, 5, 2),)], ints=True, gradgrad=True),
    _r("unfold_step", lambda L, x: x.unfold(-1, 2, 3) ** 2, [((3, 8),), ((7,),)], gradgrad=True),
    _r("unfold_dim0_full", lambda L, x: x.unfold(0, 3, 1), [((3, 2),)]),
    _r("unfold_0d", lambda L, x: x.unfold(0, 1, 1), [((),)]),
    _r("diag_embed", lambda L, x: L.diag_embed(x), [((3,),), ((2, 3),)], ints=True, gradgrad=True),
    _r("diag_embed_offset_dims", lambda L, x: L.diag_embed(x, offset=-1, dim1=0, dim2=2), [((2, 3),)]),
    _r("diag_embed_offset_pos", lambda L, x: x.diag_embed(2, 1, 0), [((2, 3),)]),
    _r("diagflat", lambda L, x: L.diagflat(x), [((3,),), ((2, 2),), ((),)], ints=True, gradgrad=True),
    _r("diagflat_offset", lambda L, x: x.diagflat(-2), [((3,),)]),
    _r("block_diag", lambda L, a, b, c: L.block_diag(a, b, c), [((2, 3), (2,), ()), ((1, 1), (0, 2), (3, 1))], ints=True, gradgrad=True),
    _r("rot90", lambda L, x: L.rot90(x), [((2, 3),), ((2, 3, 4),)], ints=True, gradgrad=True),
    _r("rot90_k2_k3", lambda L, x: L.rot90(x, 2, [1, 0]) + L.rot90(x, 3, [0, 1]).transpose(0, 1) if x.dim() == 2 and x.shape[0] == x.shape[1]
       else L.rot90(x, -3, [-1, 0]), [((3, 3),), ((2, 4),)]),
    _r("kron", lambda L, a, b: L.kron(a, b), [((2, 3), (3, 2)), ((2,), (2, 2)), ((), (3,)), ((2, 1, 2), (2, 3))], ints=True, gradgrad=True),
    _r("cross_dim", lambda L, a, b: L.cross(a, b, dim=1), [((2, 3), (2, 3)), ((4, 3, 2), (1, 3, 2))], ints=True, gradgrad=True),
    _r("cross_method_dim0", lambda L, a, b: a.cross(b, dim=0), [((3, 2), (3, 2))]),
    _r("cdist_p2", lambda L, a, b: L.cdist(a, b), [((3, 4), (5, 4)), ((2, 3, 2), (2, 4, 2)), ((1, 2, 3), (4, 5, 3)), ((0, 2), (3, 2))]),
    _r("cdist_p1", lambda L, a, b: L.cdist(a, b, p=1), [((3, 4), (5, 4))], "distinct"),
    _r("cdist_p3", lambda L, a, b: L.cdist(a, b, p=3.0), [((3, 4), (5, 4))]),
    _r("cdist_p_half", lambda L, a, b: L.cdist(a, b, p=0.5), [((3, 4), (2, 4))], "distinct"),
    _r("cdist_p_inf", lambda L, a, b: L.cdist(a, b, p=float("inf")), [((3, 4), (5, 4))], "distinct"),
    _r("cdist_p0", lambda L, a, b: L.cdist(a, b, p=0), [((3, 4), (5, 4))], grad=False, gradcheck=False),
    _r("put_", lambda L, x, s: x.clone().put_(L.tensor([0, 3, -1]), s), [((2, 3), (3,)), ((5,), (1, 3))], gradgrad=True),
    _r("put_accumulate", lambda L, x, s: L.put(x, L.tensor([[1, 1], [0, 1]]), s, accumulate=True), [((2, 3), (2, 2))]),
    _r("index_reduce_prod", lambda L, x, s: x.index_reduce(0, L.tensor([1, 0, 1]), s, "prod"), [((3, 2), (3, 2))], "nonzero"),
    _r("index_reduce_mean_no_self", lambda L, x, s: x.index_reduce(1, L.tensor([2, 2]), s, "mean", include_self=False), [((2, 3), (2, 2))]),
    _r("index_reduce_amax", lambda L, x, s: L.index_reduce(x, 0, L.tensor([0, 2]), s, "amax"), [((3, 2), (2, 2))], "distinct"),
    _r("index_reduce_amin_inplace", lambda L, x, s: x.clone().index_reduce_(0, L.tensor([1, 1]), s, "amin", include_self=False), [((3, 2), (2, 2))], "distinct"),
    _r("searchsorted", lambda L, s, v: L.searchsorted(L.sort(s).values, v), [((5,), (2, 3)), ((2, 4), (2, 3))], grad=False, gradcheck=False, ints=True),
    _r("searchsorted_right_int32", lambda L, s, v: L.searchsorted(L.sort(s).values, v, right=True, out_int32=True), [((6,), (4,))], "int", grad=False, gradcheck=False),
    _r("searchsorted_sorter_side", lambda L, s, v: L.searchsorted(s, v, side="right", sorter=L.argsort(s)), [((6,), (4,)), ((2, 5), (2, 2))], "int", grad=False, gradcheck=False),
    _r("bucketize", lambda L, x, b: L.bucketize(x, L.sort(b).values), [((2, 3), (4,)), ((), (3,))], grad=False, gradcheck=False, ints=True),
    _r("bucketize_right", lambda L, x, b: L.bucketize(x, L.sort(b).values, right=True, out_int32=True), [((2, 3), (4,))], "int", grad=False, gradcheck=False),
    _r("isin", lambda L, a, b: L.isin(a, b), [((3, 4), (5,)), ((), (2, 2))], "int", grad=False, gradcheck=False, ints=True),
    _r("isin_invert_scalar", lambda L, a: L.isin(a, 2, invert=True), [((3, 4),)], "int", grad=False, gradcheck=False),
    _r("view_dtype", lambda L, x: x.view(L.int32) if x.dtype == L.float32 else x.view(L.int64), [((2, 3),), ((4,),)], grad=False, gradcheck=False),
    _r("view_dtype_bytes", lambda L, x: x.view(L.uint8), [((2, 3),)], grad=False, gradcheck=False, ints=True),
]
