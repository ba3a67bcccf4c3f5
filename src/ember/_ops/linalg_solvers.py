"""Triangular and LU solvers: ``linalg.solve_triangular``, ``linalg.lu_factor``/``lu``/``lu_solve``,
``linalg.solve_ex``, ``cholesky_solve``/``cholesky_inverse`` and the older top-level spellings
(``torch.triangular_solve``, ``torch.lu``, ``lu_unpack``, ``lu_solve``).

Two primitives, ``SolveTriangular`` and ``LuFactor``; the rest compose them with differentiable ops
(tril/triu, transposes, a permutation), so gradients come from those rules. Both backwards are
written with the same polymorphic helpers on arrays and on Tensors: under create_graph they run
as ember ops, so second derivatives work.

NumPy has no triangular solve nor LU: both are substitution/elimination loops over the matrix
order, vectorised over the batch and the right-hand sides (LAPACK's results, pivots included:
the first largest |a| in the column, as ``idamax``).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import _dtype as D
from .._backend import array_module, errstate
from .._tensor import Tensor
from ..autograd.function import Op
from . import linalg as LM
from . import linalg_decomp as LD
from . import pointwise as P
from . import shape as S
from ._common import type_name
from ._out import supports_out, write_out, write_out_tuple

_wrap = Tensor._wrap

triangular_solve_result = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])
lu_factor_result = namedtuple("linalg_lu_factor", ["LU", "pivots"])
lu_factor_ex_result = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
lu_result = namedtuple("linalg_lu", ["P", "L", "U"])
lu_unpack_result = namedtuple("lu_unpack", ["P", "L", "U"])
solve_ex_result = namedtuple("linalg_solve_ex", ["result", "info"])


# -- helpers that run on arrays and (under create_graph) on Tensors ----------------------------------------


def _mT(m):
    return S.transpose(m, -1, -2) if isinstance(m, Tensor) else array_module(m).swapaxes(m, -1, -2)


def _triangle(m, upper: bool, strict: bool = False):
    """The upper (or lower) triangle of m's matrices, without the diagonal when ``strict``."""
    k = (1 if upper else -1) if strict else 0
    if isinstance(m, Tensor):
        return S.triu(m, k) if upper else S.tril(m, k)
    xp = array_module(m)
    return xp.triu(m, k) if upper else xp.tril(m, k)


def _cat(parts, axis: int):
    if any(isinstance(p, Tensor) for p in parts):
        return S.cat([p if isinstance(p, Tensor) else _wrap(p) for p in parts], axis)
    return array_module(*parts).concatenate(parts, axis)


def _solve_tri(a, b, upper: bool, unit: bool):
    """A^-1 B for triangular A: the primitive on Tensors (differentiable), the kernel on arrays."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a = a if isinstance(a, Tensor) else _wrap(a)
        b = b if isinstance(b, Tensor) else _wrap(b)
        return SolveTriangular.apply(a, b, upper, unit)
    return _substitute(a, b, upper, unit)


def _solve_tri_right(a, b, upper: bool, unit: bool):
    """B A^-1 for triangular A: (A^-T B^T)^T."""
    return _mT(_solve_tri(_mT(a), _mT(b), not upper, unit))


# -- triangular solve --------------------------------------------------------------------------------------


def _substitute(a, b, upper: bool, unit: bool):
    """X with A X = B, reading only A's upper (or lower) triangle; a zero pivot gives inf/nan like trsm."""
    xp = array_module(a, b)
    x = b.astype(np.result_type(a.dtype, b.dtype), copy=True)
    n = a.shape[-1]
    order = range(n - 1, -1, -1) if upper else range(n)
    with errstate(xp, divide="ignore", invalid="ignore"):
        for i in order:
            if not unit:
                x[..., i, :] /= a[..., i, i, None]
            rest = slice(0, i) if upper else slice(i + 1, n)
            x[..., rest, :] -= a[..., rest, i, None] * x[..., i, None, :]
    return x


class SolveTriangular(Op):
    """X = A^-1 B (A triangular, batch dims equal);  dB = A^-T G, dA = -triangle(dB X^T)
    (the strict triangle when A is unit-triangular: its diagonal is not read)."""

    _node_name = "LinalgSolveTriangularBackward0"

    @staticmethod
    def forward(ctx, a, b, upper, unit):
        x = _substitute(a, b, upper, unit)
        ctx.meta = (upper, unit)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        upper, unit = ctx.meta
        need_a, need_b = ctx.needs_input_grad[:2]
        gb = _solve_tri(_mT(a), g, not upper, unit)
        ga = -_triangle(gb @ _mT(x), upper, unit) if need_a else None
        return ga, (gb if need_b else None), None, None


def _check_solve_shapes(A: Tensor, B: Tensor, name: str, left: bool = True) -> None:
    a, b = A._data, B._data
    if b.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {a.shape[-2]} by {a.shape[-1]} matrices")
    if (a.shape[-1] != b.shape[-2]) if left else (a.shape[-2] != b.shape[-1]):
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                           f"({a.shape[-2]}x{a.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")


def _float_pair(A: Tensor, B: Tensor, kernel: str):
    res = D.result_type(A, B)
    if not res.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(res)}\'')
    return P.to_dtype(A, res), P.to_dtype(B, res)


@supports_out("solve_triangular")
def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    """X with A X = B (or X A = B with left=False) for triangular A, read from its upper (or lower)
    triangle; ``unitriangular`` takes its diagonal as ones. Batched, broadcasting the batch dims."""
    _check_solve_shapes(A, B, "linalg.solve_triangular", left)
    A, B = _float_pair(A, B, "triangular_solve_cpu")
    A, B = LD._broadcast_batch(A, B)
    if left:
        return SolveTriangular.apply(A, B, bool(upper), bool(unitriangular))
    return _solve_tri_right(A, B, bool(upper), bool(unitriangular))


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False, unitriangular: bool = False, *,
                     out=None):
    """``torch.triangular_solve``: (X, a copy of A) with op(A) X = b, op(A) = A or A^T."""
    for name, t in (("b", b), ("A", A)):
        if t._data.ndim < 2:
            raise RuntimeError(f"torch.triangular_solve: Expected {name} to have at least 2 dimensions, but it has "
                               f"{t._data.ndim} dimensions instead")
    a = S.transpose(A, -1, -2) if transpose else A
    x = solve_triangular(a, b, upper=bool(upper) != bool(transpose), unitriangular=unitriangular)
    coeff = S.expand(A, x._data.shape[:-2] + A._data.shape[-2:]) if A._data.shape[:-2] != x._data.shape[:-2] else A
    result = triangular_solve_result(x, S.clone(coeff))
    if out is not None:
        return write_out_tuple(out, result, "triangular_solve", b, A)
    return result


# -- LU --------------------------------------------------------------------------------------------------


def _lu_kernel(a):
    """(LU packed, 1-based int32 pivots, int32 info) of partial-pivoting elimination, like getrf:
    info is the 1-based index of the first exactly-zero pivot (0 if none)."""
    xp = array_module(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    lu = a.reshape((-1, m, n)).copy()
    piv = xp.empty((lu.shape[0], k), np.int32)
    info = xp.zeros(lu.shape[0], np.int32)
    rows = xp.arange(lu.shape[0])
    for j in range(k):
        p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=1)
        piv[:, j] = p + 1
        top = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = top
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where(zero & (info == 0), j + 1, info).astype(np.int32)
        lu[:, j + 1:, j] /= xp.where(zero, 1, pivot)[:, None]  # a zero column stays zero, as getrf leaves it
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    return lu.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _permutation(piv, m: int):
    """The row order ``perm`` with (P^T A) = A[perm], from LAPACK's sequential row swaps."""
    xp = array_module(piv)
    batch = piv.shape[:-1]
    flat = piv.reshape((-1, piv.shape[-1])).astype(np.int64) - 1
    perm = xp.broadcast_to(xp.arange(m), (flat.shape[0], m)).copy()
    rows = xp.arange(flat.shape[0])
    for i in range(flat.shape[1]):
        p = flat[:, i]
        top = perm[rows, i].copy()
        perm[rows, i] = perm[rows, p]
        perm[rows, p] = top
    return perm.reshape(batch + (m,))


def _permutation_matrix(piv, m: int, dtype):
    """P (m x m) with A = P L U."""
    xp = array_module(piv)
    perm = _permutation(piv, m)
    pt = (perm[..., :, None] == xp.arange(m)).astype(dtype)  # row i of P^T picks row perm[i]
    return xp.swapaxes(pt, -1, -2)


def _unpack(lu, m: int, n: int):
    """(L unit lower m x k, U upper k x n) from the packed factors; arrays or Tensors."""
    k = min(m, n)
    low = _triangle(lu[..., :, :k], False, True)
    data = lu._data if isinstance(lu, Tensor) else lu
    eye = array_module(data).eye(m, k, dtype=data.dtype)
    low = low + (_wrap(eye) if isinstance(lu, Tensor) else eye)
    return low, _triangle(lu[..., :k, :], True)


class LuFactor(Op):
    """A = P L U (packed in one matrix, pivots beside);  for square A:
    dA = P L^-T (tril(L^T dL, -1) + triu(dU U^T)) U^-T, dL and dU the strict lower / upper parts of dLU.
    Wide A = P L [U1 U2]: U2 = L^-1 P^T A2, so dA2 = P L^-T dU2 and dL gains -tril(L^-T dU2 U2^T, -1);
    tall A = P [L1; L2] U: L2 = (P^T A)_2 U^-1, so dA_2 = P dL2 U^-T and dU gains -triu(L2^T dL2 U^-T);
    the square rule then applies to (L1, U1)."""

    _node_name = "LinalgLuFactorExBackward0"

    @staticmethod
    def forward(ctx, a):
        lu, piv, info = _lu_kernel(a)
        ctx.piv = piv
        ctx.save_for_backward(lu)
        return lu, piv, info

    @staticmethod
    def backward(ctx, g, _g_piv=None, _g_info=None):
        (lu,) = ctx.saved_tensors
        m, n = lu.shape[-2:]
        k = min(m, n)
        low, up = _unpack(lu, m, n)
        g_low, g_up = _triangle(g[..., :, :k], False, True), _triangle(g[..., :k, :], True)
        if m < n:
            g_rest = _solve_tri(_mT(low), g_up[..., :, k:], True, True)
            g_low = g_low - _triangle(g_rest @ _mT(up[..., :, k:]), False, True)
        elif m > n:
            g_rest = _solve_tri_right(_mT(up), g_low[..., k:, :], False, False)
            g_up = g_up - _triangle(_mT(low[..., k:, :]) @ g_rest, True)
        l1, u1 = low[..., :k, :], up[..., :, :k]
        phi = _triangle(_mT(l1) @ g_low[..., :k, :], False, True) + _triangle(g_up[..., :, :k] @ _mT(u1), True)
        inner = _solve_tri_right(_mT(u1), _solve_tri(_mT(l1), phi, True, True), False, False)
        if m != n:
            inner = _cat([inner, g_rest], -1 if m < n else -2)
        pm = _permutation_matrix(ctx.piv, m, (lu._data if isinstance(lu, Tensor) else lu).dtype)
        return (_wrap(pm) if isinstance(inner, Tensor) else pm) @ inner


def _check_lu_input(A: Tensor, name: str, pivot: bool) -> None:
    if A._data.ndim < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: {list(A._data.shape)} instead")
    if A._data.dtype.kind != "f":
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{type_name(A.dtype)}'")
    if not pivot:
        raise RuntimeError(f"{name}: LU without pivoting is not implemented on the CPU")


@supports_out("lu_factor_ex")
def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False):
    """(LU, pivots, info): the packed LU factors of A = P L U, 1-based pivots (int32) and info
    (0, or the index of the first zero pivot of U)."""
    _check_lu_input(A, "linalg.lu_factor_ex", pivot)
    lu, piv, info = LuFactor.apply(A)
    if check_errors and bool((info._data > 0).any()):
        raise RuntimeError(f"torch.linalg.lu_factor_ex: U[{int(info._data.max())},{int(info._data.max())}] is zero")
    return lu_factor_ex_result(lu, piv, info)


@supports_out("lu_factor")
def lu_factor(A: Tensor, *, pivot: bool = True):
    """(LU, pivots) of A = P L U; a RuntimeError if U has a zero pivot (use lu_factor_ex to get info instead)."""
    _check_lu_input(A, "linalg.lu_factor", pivot)
    lu, piv, info = LuFactor.apply(A)
    bad = info._data[info._data > 0]
    if bad.size:
        i = int(bad.reshape(-1)[0])
        raise RuntimeError(
            f"torch.linalg.lu_factor: U[{i},{i}] is zero and using it on lu_solve would result in a division by zero. "
            "If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or "
            "linalg.lu_factor_ex(A, pivot)")
    return lu_factor_result(lu, piv)


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True, *, out=None):
    """(P, L, U) from packed LU factors and pivots (empty tensors for the parts not asked for)."""
    m, n = LU_data._data.shape[-2:]
    empty = _wrap(array_module(LU_data._data).empty((0,), LU_data._data.dtype))
    low, up = _unpack(LU_data, m, n) if unpack_data else (empty, empty)
    pm = _wrap(_permutation_matrix(LU_pivots._data, m, LU_data._data.dtype)) if unpack_pivots else empty
    result = lu_unpack_result(pm, low, up)
    if out is not None:
        return write_out_tuple(out, result, "lu_unpack", LU_data)
    return result


@supports_out("lu")
def lu(A: Tensor, *, pivot: bool = True):
    """(P, L, U) with A = P L U: L unit lower-triangular (m x k), U upper (k x n), k = min(m, n)."""
    _check_lu_input(A, "linalg.lu_factor", pivot)
    packed, piv, _ = LuFactor.apply(A)
    return lu_result(*lu_unpack(packed, piv))


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False, out=None) -> Tensor:
    """X with A X = B (A^T X = B with adjoint; X A = B with left=False) from A's packed LU factors."""
    _check_solve_shapes(LU, B, "linalg.lu_solve", left)
    m = LU._data.shape[-1]
    low, up = _unpack(LU, m, m)
    pm = _wrap(_permutation_matrix(pivots._data, m, LU._data.dtype))
    low, B = LD._broadcast_batch(low, B)
    up, pm = LD._broadcast_batch(up, B)[0], LD._broadcast_batch(pm, B)[0]
    if left != adjoint:  # solve with A = P L U on the left: X = U^-1 L^-1 P^T B (or its transpose for X A^T = B)
        rhs = LM.matmul(S.transpose(pm, -1, -2), B if left else S.transpose(B, -1, -2))
        x = _solve_tri(up, _solve_tri(low, rhs, False, True), True, False)
        x = x if left else S.transpose(x, -1, -2)
    else:  # with A^T = U^T L^T P^T on the left: X = P L^-T U^-T B (or its transpose for X A = B)
        rhs = B if left else S.transpose(B, -1, -2)
        x = LM.matmul(pm, _solve_tri(S.transpose(low, -1, -2), _solve_tri(S.transpose(up, -1, -2), rhs, False, False),
                                     True, True))
        x = x if left else S.transpose(x, -1, -2)
    if out is not None:
        return write_out(out, x, "lu_solve", LU, B)
    return x


def lu_solve_toplevel(b: Tensor, LU_data: Tensor, LU_pivots: Tensor, *, out=None) -> Tensor:
    """``torch.lu_solve(b, LU_data, LU_pivots)``: X with A X = b."""
    return lu_solve(LU_data, LU_pivots, b, out=out)


def lu_toplevel(A: Tensor, pivot: bool = True, get_infos: bool = False, out=None):
    """``torch.lu``: (A_LU, pivots) or, with get_infos, (A_LU, pivots, infos)."""
    lu_, piv, info = lu_factor_ex(A, pivot=pivot, check_errors=not get_infos)
    return (lu_, piv, info) if get_infos else (lu_, piv)


@supports_out("solve_ex")
def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False):
    """(X, info): X with A X = B (X A = B with left=False) through LU; info > 0 where A is singular."""
    LD._check_square(A, "solve")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve_ex: Expected A and B to have the same dtype, but found A of type "
                           f"{type_name(A.dtype)} and B of type {type_name(B.dtype)} instead")
    packed, piv, info = LuFactor.apply(A)
    if check_errors and bool((info._data > 0).any()):
        raise LD.LinAlgError("torch.linalg.solve_ex: The solver failed because the input matrix is singular.")
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and B._data.shape == A._data.shape[:-1])
    if vector:
        x = S.squeeze(lu_solve(packed, piv, S.unsqueeze(B, -1), left=left), -1)
    else:
        x = lu_solve(packed, piv, B, left=left)
    return solve_ex_result(x, info)


# -- Cholesky solves -------------------------------------------------------------------------------------------


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """X with A X = B for A = L L^T (or U^T U with upper=True), from the Cholesky factor."""
    for name, t in (("b", B), ("u", L)):
        if t._data.ndim < 2:
            raise RuntimeError(f"{name} should have at least 2 dimensions, but has {t._data.ndim} dimensions instead")
    if B._data.dtype != L._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {type_name(B.dtype)} and A of "
                           f"type {type_name(L.dtype)} instead.")
    L, B = LD._broadcast_batch(L, B)
    lower = S.transpose(L, -1, -2) if upper else L
    x = _solve_tri(S.transpose(lower, -1, -2), _solve_tri(lower, B, False, False), True, False)
    if out is not None:
        return write_out(out, x, "cholesky_solve", B, L)
    return x


def cholesky_inverse(L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """A^-1 for A = L L^T (or U^T U with upper=True), from the Cholesky factor."""
    if L._data.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    n = L._data.shape[-1]
    eye = _wrap(array_module(L._data).eye(n, dtype=L._data.dtype))
    x = cholesky_solve(S.expand(eye, L._data.shape), L, upper)
    if out is not None:
        return write_out(out, x, "cholesky_inverse", L)
    return x


__all__ = ["solve_triangular", "triangular_solve", "lu_factor", "lu_factor_ex", "lu", "lu_unpack", "lu_solve",
           "solve_ex", "cholesky_solve", "cholesky_inverse"]
