"""Registry rows for issue 10's solvers: triangular solves, LU (factor, unpack, solve), Cholesky solves,
solve_ex, and the top-level / Tensor spellings. Inputs are made well conditioned inside each row
(A + n I; A A^T + I for SPD). LU pivots are compared as values (no near-ties in random matrices)."""

from __future__ import annotations

from _registry import OpSpec


def _wc(L, a):
    n = a.shape[-1]
    return a + n * L.eye(n, dtype=a.dtype)


def _chol(L, a):
    """A Cholesky factor: lower-triangular with a positive diagonal (differentiable to any order)."""
    return a.tril(-1) + a.diagonal(0, -2, -1).abs().diag_embed() + L.eye(a.shape[-1], dtype=a.dtype)


def _r(name, fn, shapes, **kw):
    return OpSpec(name, fn, shapes, "real", **kw)


AB = [((3, 3), (3, 2)), ((2, 4, 4), (2, 4, 1)), ((2, 1, 3, 3), (4, 3, 2)), ((1, 1), (1, 3)), ((0, 3, 3), (0, 3, 2))]
AB_RIGHT = [((3, 3), (2, 3)), ((2, 4, 4), (2, 1, 4)), ((0, 3, 3), (0, 2, 3))]
SQ = [((3, 3),), ((2, 4, 4),), ((1, 1),), ((0, 3, 3),)]
NOT_EMPTY_SQ = [((3, 3),), ((2, 4, 4),), ((1, 1),)]

LINALG2 = [
    # solve_triangular and torch.triangular_solve
    _r("solve_triangular_upper", lambda L, a, b: L.linalg.solve_triangular(_wc(L, a), b, upper=True), AB, gradgrad=True),
    _r("solve_triangular_lower_unit", lambda L, a, b: L.linalg.solve_triangular(a, b, upper=False, unitriangular=True), AB),
    _r("solve_triangular_right", lambda L, a, b: L.linalg.solve_triangular(_wc(L, a), b, upper=False, left=False), AB_RIGHT,
       gradgrad=True),
    _r("solve_triangular_right_unit_upper", lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True, left=False,
                                                                                       unitriangular=True), AB_RIGHT),
    _r("triangular_solve", lambda L, b, a: tuple(L.triangular_solve(b, _wc(L, a))), [((3, 2), (3, 3)), ((2, 4, 1), (4, 4))]),
    _r("triangular_solve_transpose_lower", lambda L, b, a: L.triangular_solve(b, _wc(L, a), upper=False, transpose=True)[0],
       [((3, 2), (3, 3)), ((2, 3, 1), (2, 3, 3))]),
    _r("triangular_solve_unit_method", lambda L, b, a: b.triangular_solve(a, unitriangular=True).solution,
       [((3, 2), (3, 3))]),
    # LU
    _r("linalg_lu_factor", lambda L, a: L.linalg.lu_factor(a).LU, SQ, gradgrad=True),
    _r("linalg_lu_factor_pivots", lambda L, a: L.linalg.lu_factor(a).pivots, SQ + [((4, 3),), ((3, 5),)], grad=False,
       gradcheck=False),
    _r("linalg_lu_factor_rect", lambda L, a: L.linalg.lu_factor(a).LU, [((4, 3),), ((2, 3, 5),), ((0, 4, 2),)], gradgrad=True),
    _r("linalg_lu_factor_ex", lambda L, a: tuple(L.linalg.lu_factor_ex(a)), SQ),
    _r("linalg_lu", lambda L, a: tuple(L.linalg.lu(a))[1:], SQ, gradgrad=True),
    _r("linalg_lu_P", lambda L, a: L.linalg.lu(a).P, SQ, grad=False, gradcheck=False),
    _r("linalg_lu_rect", lambda L, a: tuple(L.linalg.lu(a))[1:], [((4, 3),), ((3, 5),), ((2, 5, 2),)]),
    _r("linalg_lu_solve", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b), AB, gradgrad=True),
    _r("linalg_lu_solve_adjoint", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b, adjoint=True), AB),
    _r("linalg_lu_solve_right", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b, left=False), AB_RIGHT),
    _r("linalg_lu_solve_right_adjoint", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b, left=False,
                                                                          adjoint=True), AB_RIGHT),
    _r("lu_toplevel", lambda L, a: L.lu(a)[0], NOT_EMPTY_SQ),
    _r("lu_toplevel_infos", lambda L, a: tuple(L.lu(a, get_infos=True)), [((3, 3),)], grad=False, gradcheck=False),
    _r("lu_method", lambda L, a: a.lu()[0], [((3, 3),)]),
    _r("lu_unpack", lambda L, a: tuple(L.lu_unpack(*L.linalg.lu_factor(a))), SQ),
    _r("lu_solve_toplevel", lambda L, b, a: L.lu_solve(b, *L.linalg.lu_factor(a)), [((3, 2), (3, 3)), ((2, 4, 1), (2, 4, 4))]),
    _r("lu_solve_method", lambda L, b, a: b.lu_solve(*L.linalg.lu_factor(a)), [((3, 2), (3, 3))]),
    # solve_ex
    _r("linalg_solve_ex", lambda L, a, b: tuple(L.linalg.solve_ex(_wc(L, a), b)), [((3, 3), (3, 2)), ((2, 4, 4), (2, 4, 1)),
                                                                               ((0, 3, 3), (0, 3, 2))]),
    _r("linalg_solve_ex_vector", lambda L, a, b: L.linalg.solve_ex(_wc(L, a), b).result, [((3, 3), (3,)), ((2, 3, 3), (2, 3))]),
    _r("linalg_solve_ex_right", lambda L, a, b: L.linalg.solve_ex(_wc(L, a), b, left=False).result, [((3, 3), (2, 3))]),
    # Cholesky solves
    _r("cholesky_solve", lambda L, b, a: L.cholesky_solve(b, _chol(L, a)), [((3, 2), (3, 3)), ((2, 4, 1), (2, 4, 4)),
                                                                           ((2, 3, 2), (3, 3)), ((0, 3, 2), (0, 3, 3))],
       gradgrad=True),
    _r("cholesky_solve_upper_method", lambda L, b, a: b.cholesky_solve(_chol(L, a).transpose(-1, -2), upper=True),
       [((3, 2), (3, 3))]),
    _r("cholesky_inverse", lambda L, a: L.cholesky_inverse(_chol(L, a)), NOT_EMPTY_SQ, gradgrad=True),
    _r("cholesky_inverse_upper_method", lambda L, a: _chol(L, a).transpose(-1, -2).cholesky_inverse(upper=True),
       [((3, 3),)]),
]

LINALG2 += [
    # matrix functions and tensor-shaped solves
    _r("linalg_matrix_exp", lambda L, a: L.linalg.matrix_exp(a), SQ + [((2, 3, 5, 5),)], gradgrad=True),
    _r("linalg_matrix_exp_large_norm", lambda L, a: L.linalg.matrix_exp(3 * a), [((4, 4),), ((2, 3, 3),)]),
    _r("matrix_exp_toplevel_method", lambda L, a: L.matrix_exp(a) + a.matrix_exp(), [((3, 3),), ((0, 0),)]),
    _r("linalg_vander", lambda L, x: L.linalg.vander(x), [((3,),), ((2, 4),), ((2, 0, 3),)], ints=True, gradgrad=True),
    _r("linalg_vander_N", lambda L, x: L.linalg.vander(x, N=5), [((3,),), ((2, 2),)], ints=True),
    _r("linalg_tensorinv", lambda L, a: L.linalg.tensorinv(a + 3 * L.eye(6, dtype=a.dtype).reshape(2, 3, 6), ind=2),
       [((2, 3, 6),)], gradgrad=True),
    _r("linalg_tensorinv_ind1", lambda L, a: L.linalg.tensorinv(a + 4 * L.eye(4, dtype=a.dtype).reshape(4, 2, 2), ind=1),
       [((4, 2, 2),)]),
    _r("linalg_tensorsolve", lambda L, a, b: L.linalg.tensorsolve(a + 3 * L.eye(6, dtype=a.dtype).reshape(2, 3, 6), b),
       [((2, 3, 6), (2, 3))]),
    _r("linalg_tensorsolve_dims", lambda L, a, b: L.linalg.tensorsolve(
        a + 3 * L.eye(6, dtype=a.dtype).reshape(6, 3, 2).permute(1, 2, 0), b, dims=(0, 1)), [((3, 2, 6), (6,))]),
]

LINALG2 += [
    # Householder representations
    _r("geqrf", lambda L, a: tuple(L.geqrf(a)), [((3, 2),), ((2, 4, 4),), ((5, 3),), ((2, 3, 5),), ((0, 3, 2),)], grad=False,
       gradcheck=False),
    _r("geqrf_method", lambda L, a: a.geqrf().tau, [((4, 3),)], grad=False, gradcheck=False),
    _r("linalg_householder_product", lambda L, a, t: L.linalg.householder_product(a, t),
       [((3, 2), (2,)), ((2, 4, 4), (2, 3)), ((5, 3), (1,)), ((0, 3, 2), (0, 2))], gradgrad=True),
    _r("orgqr_of_geqrf", lambda L, a: L.orgqr(*L.geqrf(a.detach())) + a.orgqr(L.geqrf(a.detach()).tau),
       [((4, 3),), ((2, 3, 3),)], grad=False, gradcheck=False),
]


def _spd(L, a):
    return a @ a.transpose(-1, -2) + L.eye(a.shape[-1], dtype=a.dtype)


def _sym(L, a):
    return (a + a.transpose(-1, -2)) / 2


SQ2 = [((3, 3),), ((2, 4, 4),), ((1, 1),)]

# Second order of the decompositions (gradgradcheck): their backwards run as ember ops under create_graph.
LINALG2 += [
    _r("linalg_det_second_order", lambda L, a: L.linalg.det(_wc(L, a)), SQ2, gradgrad=True),
    _r("linalg_slogdet_second_order", lambda L, a: L.linalg.slogdet(_wc(L, a)).logabsdet, SQ2, gradgrad=True),
    _r("linalg_solve_second_order", lambda L, a, b: L.linalg.solve(_wc(L, a), b), [((3, 3), (3, 2)), ((2, 3, 3), (3,))],
       gradgrad=True),
    _r("linalg_cholesky_second_order", lambda L, a: L.linalg.cholesky(_spd(L, a)), SQ2, gradgrad=True),
    _r("linalg_eigh_second_order", lambda L, a: (lambda w, v: (w, (v * w.unsqueeze(-2)) @ v.transpose(-1, -2)))(
        *L.linalg.eigh(_sym(L, a))), SQ2, gradgrad=True),
]
LINALG2 += [
    _r("linalg_qr_second_order", lambda L, a: tuple(L.linalg.qr(a)), [((4, 3),), ((3, 3),), ((2, 5, 2),)], gradgrad=True),
]
LINALG2 += [
    _r("linalg_svd_second_order", lambda L, a: (lambda u, s, vh: (s, (u * s.unsqueeze(-2)) @ vh, u @ u.transpose(-1, -2)))(
        *L.linalg.svd(a, full_matrices=False)), [((4, 3),), ((3, 3),), ((2, 3, 5),)], gradgrad=True),
]
