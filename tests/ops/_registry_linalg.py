"""Registry rows for ``ember.linalg`` (decompositions, solvers, norms) and the top-level aliases.

Inputs are made well conditioned inside each row (A + n I, A A^T + I for SPD); svd/eigh are checked
through gauge-invariant functions of their outputs (|U|-free products, eigenvalues, U S Vh), as
PyTorch's own tests do.
"""

from __future__ import annotations

from _registry import OpSpec


def _wc(L, a):
    """A well-conditioned square matrix (batch): a + n I."""
    n = a.shape[-1]
    return a + n * L.eye(n, dtype=a.dtype)


def _spd(L, a):
    return a @ a.transpose(-1, -2) + L.eye(a.shape[-1], dtype=a.dtype)


def _sym(L, a):
    return (a + a.transpose(-1, -2)) / 2


SQ = [((3, 3),), ((2, 4, 4),), ((1, 1),)]
RECT = [((4, 3),), ((3, 5),), ((2, 4, 2),)]


def _r(name, fn, shapes, domain="real", **kw):
    return OpSpec(name, fn, shapes, domain, **kw)


LINALG_EXT = [
    _r("linalg_inv", lambda L, a: L.linalg.inv(_wc(L, a)), SQ + [((0, 0),)], gradgrad=True),
    _r("inverse_toplevel_method", lambda L, a: _wc(L, a).inverse(), SQ),
    _r("linalg_det", lambda L, a: L.linalg.det(a), SQ),
    _r("det_method", lambda L, a: a.det(), SQ),
    _r("linalg_slogdet", lambda L, a: tuple(L.linalg.slogdet(a)), SQ),
    _r("logdet", lambda L, a: L.logdet(_spd(L, a)), SQ),
    _r("linalg_solve", lambda L, a, b: L.linalg.solve(_wc(L, a), b), [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1)), ((2, 3, 3), (3, 4))]),
    _r("linalg_solve_vector", lambda L, a, b: L.linalg.solve(_wc(L, a), b), [((3, 3), (3,)), ((2, 3, 3), (2, 3))]),
    _r("linalg_solve_right", lambda L, a, b: L.linalg.solve(_wc(L, a), b, left=False), [((3, 3), (2, 3))]),
    _r("linalg_cholesky", lambda L, a: L.linalg.cholesky(_spd(L, a)), SQ),
    _r("linalg_cholesky_upper", lambda L, a: L.linalg.cholesky(_spd(L, a), upper=True), SQ),
    _r("cholesky_toplevel", lambda L, a: L.cholesky(_spd(L, a)), [((3, 3),)]),
    _r("linalg_qr", lambda L, a: tuple(L.linalg.qr(a)), [((4, 3),), ((3, 3),), ((2, 5, 2),)]),
    _r("linalg_qr_r", lambda L, a: L.linalg.qr(a, mode="r")[1], [((4, 3),)], grad=False, gradcheck=False),
    _r("linalg_qr_complete_values", lambda L, a: L.linalg.qr(a, mode="complete")[1].abs(), [((4, 3),)], grad=False, gradcheck=False),
    _r("linalg_svdvals", lambda L, a: L.linalg.svdvals(a), RECT + SQ),
    _r("linalg_svd_reconstruct", lambda L, a: (lambda u, s, vh: (u * s.unsqueeze(-2)) @ vh)(*L.linalg.svd(a, full_matrices=False)), RECT),
    _r("linalg_svd_projector", lambda L, a: (lambda u, s, vh: (u @ u.transpose(-1, -2), vh.transpose(-1, -2) @ vh))(*L.linalg.svd(a, full_matrices=False)), RECT),
    _r("svd_full_abs_values", lambda L, a: L.linalg.svd(a)[0].abs().sum() + L.linalg.svd(a)[2].abs().sum(), [((4, 3),)], grad=False, gradcheck=False),
    _r("svd_toplevel_S", lambda L, a: L.svd(a)[1], RECT),
    _r("linalg_eigvalsh", lambda L, a: L.linalg.eigvalsh(_sym(L, a)), SQ),
    _r("linalg_eigh_upper_values", lambda L, a: L.linalg.eigh(a, UPLO="U").eigenvalues, SQ, grad=False, gradcheck=False),
    _r("linalg_eigh_projector", lambda L, a: (lambda w, v: (v * w.unsqueeze(-2)) @ v.transpose(-1, -2) + v[..., :1] @ v[..., :1].transpose(-1, -2))(*L.linalg.eigh(_sym(L, a))), SQ),
    _r("linalg_pinv", lambda L, a: L.linalg.pinv(a), RECT),
    _r("linalg_pinv_hermitian", lambda L, a: L.linalg.pinv(_spd(L, a), hermitian=True), SQ),
    _r("pinverse_toplevel", lambda L, a: L.pinverse(a), [((4, 3),)]),
    _r("linalg_lstsq_solution", lambda L, a, b: L.linalg.lstsq(a, b).solution, [((5, 3), (5, 2)), ((2, 4, 2), (2, 4, 3))]),
    _r("linalg_lstsq_gelsd", lambda L, a, b: tuple(L.linalg.lstsq(a, b, driver="gelsd")), [((5, 3), (5, 2))], grad=False, gradcheck=False),
    _r("linalg_lstsq_rank", lambda L, a, b: L.linalg.lstsq(a, b).rank, [((5, 3), (5, 2))], grad=False, gradcheck=False),
    _r("linalg_matrix_power", lambda L, a: L.linalg.matrix_power(a, 3), SQ),
    _r("matrix_power_negative", lambda L, a: L.matrix_power(_wc(L, a), -2), SQ),
    _r("matrix_power_zero", lambda L, a: a.matrix_power(0), SQ, grad=False, gradcheck=False),
    _r("linalg_matrix_rank", lambda L, a: L.linalg.matrix_rank(a), RECT + [((3, 3),)], grad=False, gradcheck=False),
    _r("linalg_matrix_rank_tol", lambda L, a: L.linalg.matrix_rank(a @ a.transpose(-1, -2), atol=0.5, hermitian=True), RECT, grad=False, gradcheck=False),
    _r("linalg_vector_norm", lambda L, x: L.linalg.vector_norm(x), [((2, 3),), ((),), ((0, 3),), ((5,),)]),
    _r("linalg_vector_norm_ord", lambda L, x: L.linalg.vector_norm(x, 3, dim=1, keepdim=True) + L.linalg.vector_norm(x, 1, dim=-1, keepdim=True), [((2, 3),)]),
    _r("linalg_vector_norm_half", lambda L, x: L.linalg.vector_norm(x, 0.5, dim=(0, 1)), [((2, 3),)], "nonzero"),
    _r("linalg_vector_norm_inf", lambda L, x: L.linalg.vector_norm(x, float("inf"), dim=0), [((3, 4),)], "distinct"),
    _r("linalg_vector_norm_neg_inf", lambda L, x: L.linalg.vector_norm(x, -float("inf")), [((3, 4),)], "distinct"),
    _r("linalg_vector_norm_zero", lambda L, x: L.linalg.vector_norm(x, 0, dim=1), [((3, 4),)], grad=False, gradcheck=False),
    _r("linalg_matrix_norm_fro", lambda L, a: L.linalg.matrix_norm(a), RECT),
    _r("linalg_matrix_norm_nuc", lambda L, a: L.linalg.matrix_norm(a, "nuc"), RECT),
    _r("linalg_matrix_norm_2", lambda L, a: L.linalg.matrix_norm(a, 2) + L.linalg.matrix_norm(a, -2), RECT),
    _r("linalg_matrix_norm_1_inf", lambda L, a: L.linalg.matrix_norm(a, 1) + L.linalg.matrix_norm(a, -float("inf"), keepdim=True).squeeze(-1).squeeze(-1), RECT, "distinct"),
    _r("linalg_matrix_norm_dims", lambda L, a: L.linalg.matrix_norm(a, float("inf"), dim=(0, -1)) + L.linalg.matrix_norm(a, -1, dim=(-1, 0)), [((2, 4, 3),)], "distinct"),
    _r("linalg_norm_default", lambda L, a: L.linalg.norm(a), RECT + [((5,),)]),
    _r("linalg_norm_ord_matrix", lambda L, a: L.linalg.norm(a, "fro") + L.linalg.norm(a, 1), [((4, 3),)], "distinct"),
    _r("linalg_norm_vector_dim", lambda L, a: L.linalg.norm(a, 3, dim=1), [((4, 3),)]),
    _r("linalg_cross", lambda L, a, b: L.linalg.cross(a, b), [((2, 3), (2, 3)), ((1, 3), (4, 3)), ((3,), (3,))]),
    _r("linalg_cross_dim0", lambda L, a, b: L.linalg.cross(a, b, dim=0), [((3, 2), (3, 2))]),
    _r("linalg_multi_dot", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [((3,), (3, 4), (4, 2)), ((2, 3), (3, 3), (3,))]),
    _r("linalg_vecdot", lambda L, a, b: L.linalg.vecdot(a, b), [((2, 3), (2, 3)), ((4, 1, 3), (2, 3))]),
    _r("linalg_diagonal", lambda L, a: L.linalg.diagonal(a, offset=1), [((3, 4),), ((2, 3, 3),)]),
]
