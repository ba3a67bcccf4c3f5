"""``torch.linalg``'s decompositions, solvers and norms, batched over leading dims.

Primitives (forward and backward side by side): Inv, Det, Slogdet, Solve, Cholesky, Qr, Svd,
Eigh, VectorNorm. The rest (pinv, lstsq, matrix_power, matrix_norm ...) are compositions.
Backward formulas follow the standard matrix-calculus results (Giles 2008; Townsend 2016 for SVD);
svd and eigh gradients are meaningful for gauge-invariant functions of their outputs, as in PyTorch.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .._backend import array_module, errstate
from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from .._tensor import data_of as _data
from ..autograd.function import Op
from . import construct as C
from . import linalg as LM
from . import pointwise as P
from . import reduce as R
from . import shape as S
from ._out import supports_out
from ._common import first_order_only, type_name

_wrap = Tensor._wrap


class LinAlgError(RuntimeError):
    """A decomposition or solve failed (singular or non-positive-definite input), like torch.linalg.LinAlgError."""


slogdet_result = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
eigh_result = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
svd_result = namedtuple("linalg_svd", ["U", "S", "Vh"])
qr_result = namedtuple("linalg_qr", ["Q", "R"])
lstsq_result = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


def _mT(t: Tensor) -> Tensor:
    return S.transpose(t, -1, -2)


def _scaled_inv_T(scale: Tensor, a: Tensor) -> Tensor:
    """scale[..., None, None] * A^-T as ember ops: det's and slogdet's gradients under create_graph."""
    return S.unsqueeze(S.unsqueeze(scale, -1), -1) * _mT(inv(a))


def _phi_graph(m: Tensor) -> Tensor:
    """_phi as ember ops: the lower triangle with the diagonal halved."""
    return S.tril(m) - 0.5 * C.diag_embed(S.diagonal(m, 0, -2, -1))


def _eigh_backward_graph(w: Tensor, v: Tensor, gw, gv) -> Tensor:
    """Eigh's backward as ember ops (create_graph): V (diag(gw) + F o (V^T gV)) V^T."""
    k = w._data.shape[-1]
    eye = _wrap(array_module(w._data).eye(k, dtype=bool))
    inner = C.diag_embed(gw) if gw is not None else 0.0
    if gv is not None:
        diff = S.unsqueeze(w, -2) - S.unsqueeze(w, -1)
        f = P.where(eye, 0.0, 1.0 / P.where(eye, 1.0, diff))  # 1 under the mask: no inf to differentiate
        inner = inner + f * (_mT(v) @ gv)
    return v @ inner @ _mT(v)


def _T(a):
    xp = array_module(a)
    return xp.swapaxes(a, -1, -2)


def _check_square(A: Tensor, name: str) -> None:
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are {a.shape[-2]} by {a.shape[-1]} matrices")
    _check_float(A, name)


def _check_float(A: Tensor, name: str) -> None:
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. Got {type_name(A.dtype)}")


def _singular(name: str, a) -> LinAlgError:
    return LinAlgError(
        f"linalg.{name}: The diagonal element {_first_zero_pivot(a)} is zero, the inversion "
        "could not be completed because the input matrix is singular."
    )


def _first_zero_pivot(a) -> int:
    """1-based index of the first zero pivot of an LU factorisation with partial pivoting (for the message)."""
    xp = array_module(a)
    m = xp.array(a.reshape(-1, a.shape[-2], a.shape[-1])[0], dtype=np.float64)
    n = m.shape[0]
    for k in range(n):
        p = k + int(xp.argmax(xp.abs(m[k:, k])))
        if m[p, k] == 0:
            return k + 1
        m[[k, p]] = m[[p, k]]
        m[k + 1:] -= xp.outer(m[k + 1:, k] / m[k, k], m[k])
    return n


# -- inverse, determinants, solve -------------------------------------------------------------------------


class Inv(Op):
    """Y = A^-1;  dA = -Y^T G Y^T."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        try:
            y = xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise _singular("inv", a) from None
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        yt = _T(y)  # matmul and swapaxes only: differentiable again under create_graph
        return -(yt @ g @ yt)


@supports_out("inv")
def inv(A: Tensor, *, out=None) -> Tensor:
    """The inverse of each square matrix in A (LinAlgError if one is singular)."""
    _check_square(A, "inv")
    return Inv.apply(A)


class Det(Op):
    """d = det A;  dA = g d A^-T (through the adjugate, so singular A still gets a gradient)."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        d = xp.asarray(xp.linalg.det(a))
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        a, d = ctx.saved_tensors
        if isinstance(g, Tensor):  # create_graph: g d A^-T as ember ops (A invertible)
            return _scaled_inv_T(g * d, a)
        return (xp.asarray(g) * 1.0)[..., None, None] * _T(_adjugate(a))


def _adjugate(a):
    """adj(A) = det(A) A^-1, computed from the SVD so it is finite (and right) for singular A."""
    xp = array_module(a)
    u, s, vh = xp.linalg.svd(a)
    n = s.shape[-1]
    if n == 0:
        return xp.zeros_like(a)
    # prod of all singular values but one, for each position: stable products of others
    others = xp.empty_like(s)
    for i in range(n):
        others[..., i] = xp.prod(xp.delete(s, i, axis=-1), axis=-1)
    sign = xp.linalg.det(u) * xp.linalg.det(vh)
    return (_T(vh) * (others * sign[..., None])[..., None, :]) @ _T(u)


@supports_out("det")
def det(A: Tensor, *, out=None) -> Tensor:
    """The determinant of each square matrix in A."""
    _check_square(A, "det")
    return Det.apply(A)


class Slogdet(Op):
    """(sign, ln|det A|);  d ln|det A| / dA = A^-T (the sign gets no gradient)."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        sign, logabs = xp.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return xp.asarray(sign), xp.asarray(logabs)

    @staticmethod
    def backward(ctx, g_sign, g_log):
        xp = array_module(g_sign, g_log)
        (a,) = ctx.saved_tensors
        if isinstance(g_log, Tensor):  # create_graph: g A^-T as ember ops
            return _scaled_inv_T(g_log, a)
        if g_log is None:
            return xp.zeros_like(a)
        with errstate(xp, divide="ignore", invalid="ignore"):
            return xp.asarray(g_log)[..., None, None] * _T(xp.linalg.inv(a))


@supports_out("slogdet")
def slogdet(A: Tensor, *, out=None):
    """(sign, log|det|) of each square matrix in A, as the named tuple ``(sign, logabsdet)``."""
    _check_square(A, "slogdet")
    return slogdet_result(*Slogdet.apply(A))


def logdet(A: Tensor) -> Tensor:
    """ln det A (NaN where det A < 0)."""
    sign, logabs = slogdet(A)
    return P.where(sign < 0, float("nan"), P.where(sign == 0, float("-inf"), logabs))


class Solve(Op):
    """X = A^-1 B;  dB = A^-T G, dA = -dB X^T."""

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a, b)
        try:
            x = xp.linalg.solve(a, b)
        except xp.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        a, x = ctx.saved_tensors
        gb = solve(_mT(a), g) if isinstance(g, Tensor) else xp.linalg.solve(_T(a), g)  # ember ops under create_graph
        need_a, need_b = ctx.needs_input_grad
        return (-(gb @ _T(x)) if need_a else None), (gb if need_b else None)


@supports_out("solve")
def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """The solution X of A X = B (or X A = B with left=False); B may be a (batch of) vector(s)."""
    _check_square(A, "solve")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {type_name(A.dtype)} "
                           f"and B of type {type_name(B.dtype)} instead")
    if not left:
        return LM.matmul(B, inv(A)) if B._data.ndim >= 2 else solve(S.transpose(A, -1, -2), B)
    a, b = A._data, B._data
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if vector:
        return S.squeeze(Solve.apply(*_broadcast_batch(A, S.unsqueeze(B, -1))), -1)
    return Solve.apply(*_broadcast_batch(A, B))


def _broadcast_batch(A: Tensor, B: Tensor):
    batch = np.broadcast_shapes(A._data.shape[:-2], B._data.shape[:-2])
    ea = S.expand(A, batch + A._data.shape[-2:]) if A._data.shape[:-2] != batch else A
    eb = S.expand(B, batch + B._data.shape[-2:]) if B._data.shape[:-2] != batch else B
    return ea, eb


# -- factorisations ---------------------------------------------------------------------------------------------


def _phi(m):
    """The lower triangle with the diagonal halved."""
    xp = array_module(m)
    return xp.tril(m, -1) + 0.5 * xp.einsum("...ii->...i", m)[..., None] * xp.eye(m.shape[-1], dtype=m.dtype)


class Cholesky(Op):
    """A = L L^T;  dA = sym(L^-T Phi(L^T G) L^-1), Phi the lower triangle with a halved diagonal."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        try:
            l_ = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise LinAlgError(_not_pd(a)) from None
        ctx.save_for_backward(l_)
        return l_

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        (l_,) = ctx.saved_tensors
        if isinstance(g, Tensor):  # create_graph: the same formula as ember ops
            p = _phi_graph(_mT(l_) @ g)
            linv = inv(l_)
            ga = _mT(linv) @ p @ linv
            return 0.5 * (ga + _mT(ga))
        p = _phi(_T(l_) @ g)
        linv = xp.linalg.inv(l_)
        ga = _T(linv) @ p @ linv
        return 0.5 * (ga + _T(ga))


def _not_pd(a) -> str:
    xp = array_module(a)
    m = a.reshape(-1, a.shape[-2], a.shape[-1])[0]
    order = next((k for k in range(1, m.shape[0] + 1) if xp.linalg.eigvalsh(m[:k, :k]).min() <= 0), m.shape[0])
    return (f"linalg.cholesky: The factorization could not be completed because the input is not positive-definite "
            f"(the leading minor of order {order} is not positive-definite).")


@supports_out("cholesky")
def cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """The Cholesky factor of each symmetric positive-definite matrix (lower, or upper with upper=True)."""
    _check_square(A, "cholesky")
    l_ = Cholesky.apply(A)
    return S.transpose(l_, -1, -2) if upper else l_


class Qr(Op):
    """A = Q R (m >= n, reduced);  dA = (G_Q + Q copyltu(M)) R^-T, M = R G_R^T - G_Q^T Q."""

    @staticmethod
    def forward(ctx, a, mode):
        xp = array_module(a)
        q, r = xp.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        ctx.mode = mode
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        xp = array_module(gq, gr)
        q, r = ctx.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n or m < n:
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "ember implements it for reduced QR with m >= n only.")
        gq = xp.zeros_like(q) if gq is None else gq
        gr = xp.zeros_like(r) if gr is None else gr
        mm = r @ _T(gr) - _T(gq) @ q
        if isinstance(mm, Tensor):  # create_graph: the same formula as ember ops
            low = S.tril(mm, -1)
            b = gq + q @ (low + _mT(low) + C.diag_embed(S.diagonal(mm, 0, -2, -1)))
            return _mT(solve(r, _mT(b))), None
        copy = xp.tril(mm, -1) + _T(xp.tril(mm, -1)) + xp.einsum("...ii->...i", mm)[..., None] * xp.eye(n, dtype=mm.dtype)
        b = gq + q @ copy
        return _T(xp.linalg.solve(r, _T(b))), None


@supports_out("qr")
def qr(A: Tensor, mode: str = "reduced", *, out=None):
    """QR decomposition: ``(Q, R)``; mode 'reduced', 'complete' or 'r' (Q empty)."""
    xp = array_module(A._data)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    _check_float(A, "qr")
    q, r = Qr.apply(A, mode)
    if mode == "r":
        return qr_result(_wrap(xp.empty((0,), A._data.dtype)), r)
    return qr_result(q, r)


class Svd(Op):
    """A = U diag(S) Vh (reduced);  dA = U[(F o (U^T gU - gU^T U)) S + diag(gS) + S (F o (V^T gV - gV^T V))]V^T
    + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),  F_ij = 1/(s_j^2 - s_i^2) (0 on the diagonal)."""

    @staticmethod
    def forward(ctx, a, full):
        xp = array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=full)
        ctx.full = full
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        xp = array_module(gu, gs, gvh)
        u, s, vh = ctx.saved_tensors  # Tensors under create_graph: the formula below is written for both
        m, n = u.shape[-2], vh.shape[-1]
        k = s.shape[-1]
        if ctx.full and m != n and (gu is not None or gvh is not None):
            raise RuntimeError("linalg.svd: The derivative of linalg.svd with full_matrices=True is not implemented "
                               "for non-square A; use full_matrices=False")
        u, vh = u[..., :, :k], vh[..., :k, :]
        gu = None if gu is None else gu[..., :, :k]
        gvh = None if gvh is None else gvh[..., :k, :]
        v = _T(vh)
        dt = _data(s).dtype
        eye = xp.eye(k, dtype=dt)
        sm = s[..., None, :] * eye  # diag(S)
        inner = xp.zeros(tuple(s.shape[:-1]) + (k, k), dt)
        if gs is not None:
            inner = inner + gs[..., None, :] * eye
        s2 = s * s
        diff = s2[..., None, :] - s2[..., :, None]
        tie = xp.eye(k, dtype=bool) | (_data(diff) == 0)  # the diagonal and equal singular values: F = 0
        f = xp.where(tie, 0.0, 1.0 / xp.where(tie, 1.0, diff))  # no 1/0 anywhere, so no inf to differentiate
        pos = _data(s) > 0
        sinv = xp.where(pos, 1.0 / xp.where(pos, s, 1.0), 0.0)
        extra = 0.0
        if gu is not None:
            ut_gu = _T(u) @ gu
            inner = inner + (f * (ut_gu - _T(ut_gu))) @ sm
            if m > k:
                extra = extra + (gu - u @ ut_gu) * sinv[..., None, :] @ vh
        if gvh is not None:
            gv = _T(gvh)
            vt_gv = _T(v) @ gv
            inner = inner + sm @ (f * (vt_gv - _T(vt_gv)))
            if n > k:
                extra = extra + (u * sinv[..., None, :]) @ (_T(gv) - _T(gv) @ v @ vh)
        return u @ inner @ vh + extra, None


@supports_out("svd")
def svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):
    """Singular value decomposition ``(U, S, Vh)`` with S descending."""
    if A._data.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _check_float(A, "svd")
    return svd_result(*Svd.apply(A, bool(full_matrices)))


@supports_out("svdvals")
def svdvals(A: Tensor, *, driver=None, out=None) -> Tensor:
    """The singular values of A, descending."""
    if A._data.ndim < 2:
        raise RuntimeError("linalg.svdvals: The input tensor A must have at least 2 dimensions.")
    _check_float(A, "svdvals")
    return Svd.apply(A, False)[1]


class Eigh(Op):
    """A = V diag(w) V^T (symmetric, from one triangle);  dA = V (diag(gw) + F o (V^T gV)) V^T, F_ij = 1/(w_j - w_i)."""

    @staticmethod
    def forward(ctx, a, uplo):
        xp = array_module(a)
        w, v = xp.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        xp = array_module(gw, gv)
        w, v = ctx.saved_tensors
        if isinstance(gw, Tensor) or isinstance(gv, Tensor):
            return _eigh_backward_graph(w, v, gw, gv), None
        k = w.shape[-1]
        inner = xp.zeros(w.shape[:-1] + (k, k), w.dtype)
        if gw is not None:
            inner = inner + gw[..., None, :] * xp.eye(k, dtype=w.dtype)
        if gv is not None:
            with errstate(xp, divide="ignore", invalid="ignore"):
                f = 1.0 / (w[..., None, :] - w[..., :, None])
            f = xp.where(xp.eye(k, dtype=bool) | ~xp.isfinite(f), 0.0, f)
            inner = inner + f * (_T(v) @ gv)
        return v @ inner @ _T(v), None


@supports_out("eigh")
def eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices, read from the UPLO triangle."""
    _check_square(A, "eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return eigh_result(*Eigh.apply(A, UPLO))


@supports_out("eigvalsh")
def eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    """Eigenvalues (ascending) of symmetric matrices."""
    return eigh(A, UPLO).eigenvalues


# -- norms ---------------------------------------------------------------------------------------------------------


class VectorNorm(Op):
    """y = (sum |x|^p)^(1/p) over axes;  dy/dx = sign(x) |x|^(p-1) / y^(p-1) (0 where y = 0);
    p = inf/-inf: the gradient shared evenly among the elements with |x| = y; p = 0: 0."""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        xp = array_module(x)
        ax = xp.abs(x)
        if p == math.inf:
            y = ax.max(axis=axes, keepdims=True) if x.size else xp.zeros([1 if i in axes else n for i, n in enumerate(x.shape)], x.dtype)
        elif p == -math.inf:
            y = ax.min(axis=axes, keepdims=True)
        elif p == 0:
            y = (ax != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif p == 1:
            y = ax.sum(axis=axes, keepdims=True)
        elif p == 2:
            y = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            with errstate(xp, divide="ignore"):
                y = (ax**p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        ctx.meta = (p, axes, keepdim)
        ctx.save_for_backward(x, y)
        return y if keepdim else xp.squeeze(y, axis=axes)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        x, y = ctx.saved_tensors
        first_order_only("linalg.vector_norm", g)
        p, axes, keepdim = ctx.meta
        if not keepdim:
            g = xp.expand_dims(g, axes)
        with errstate(xp, divide="ignore", invalid="ignore"):
            if p in (math.inf, -math.inf):
                hit = xp.abs(x) == y
                gx = xp.sign(x) * hit * (g / hit.sum(axis=axes, keepdims=True))
            elif p == 0:
                gx = xp.zeros_like(x)
            elif p == 1:
                gx = xp.sign(x) * g
            elif p == 2:
                gx = x * (g / y)
            else:
                gx = xp.sign(x) * xp.abs(x) ** (p - 1) * (g / y ** (p - 1))
            gx = xp.where(y == 0, 0.0, gx)
        return gx.astype(x.dtype, copy=False), None, None, None


@supports_out("vector_norm")
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """The vector ord-norm over ``dim`` (all elements when None): any real ord, inf, -inf, 0."""
    _check_float(x, "vector_norm")
    if dtype is not None:
        x = P.to_dtype(x, D.as_dtype(dtype))
    nd = x._data.ndim
    if dim is None:
        axes = tuple(range(nd))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = tuple(sorted({_wrap_dim(d, max(nd, 1)) for d in dims})) if nd else ()
    if x._data.size == 0 and ord < 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the operation does not have an identity")
    return VectorNorm.apply(x, float(ord), axes, keepdim)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """Matrix norms over the two dims ``dim``: 'fro', 'nuc', 2, -2, 1, -1, inf, -inf."""
    _check_float(A, "matrix_norm")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if dtype is not None:
        A = P.to_dtype(A, D.as_dtype(dtype))
    nd = A._data.ndim
    d0, d1 = (_wrap_dim(d, nd) for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(S.movedim(A, (d0, d1), (-2, -1)))
        out = R.sum(s, -1) if ord == "nuc" else (R.amax(s, -1) if ord == 2 else R.amin(s, -1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = S.unsqueeze(out, d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = R.sum(P.abs(A), inner, keepdim=True)
        out = R.amax(sums, outer, keepdim=True) if ord > 0 else R.amin(sums, outer, keepdim=True)
        return out if keepdim else S.squeeze(S.squeeze(out, max(d0, d1)), min(d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


@supports_out("norm")
def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """``torch.linalg.norm``: a vector norm (1-D, or an int dim) or a matrix norm (2-D, or two dims)."""
    if dim is not None and not isinstance(dim, int) and len(dim) == 2 or dim is None and ord is not None and A._data.ndim == 2:
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if ord is not None and dim is None and A._data.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A._data.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# -- compositions --------------------------------------------------------------------------------------------------


@supports_out("matrix_power")
def matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """A^n by repeated squaring (n < 0: of the inverse; n = 0: the identity)."""
    xp = array_module(A._data)
    if A._data.ndim < 2 or A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError("linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A._data.shape[-2] if A._data.ndim >= 2 else 1} by {A._data.shape[-1]} matrices")
    if n == 0:
        eye = xp.broadcast_to(xp.eye(A._data.shape[-1], dtype=A._data.dtype), A._data.shape).copy()
        return _wrap(eye)
    base = inv(A) if n < 0 else A
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else LM.matmul(result, base)
        n >>= 1
        if n:
            base = LM.matmul(base, base)
    return result


@supports_out("matrix_rank")
def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, tol=None, out=None) -> Tensor:
    """The number of singular values above max(atol, rtol * largest)."""
    xp = array_module(A._data)
    _check_float(A, "matrix_rank")
    a = A._data
    s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    smax = s.max(-1, initial=0.0)
    if tol is not None:
        atol = tol
    if atol is None and rtol is None:
        rtol = np.finfo(a.dtype).eps * max(a.shape[-2:])
    thresh = xp.maximum(0.0 if atol is None else _data(atol), (0.0 if rtol is None else _data(rtol)) * smax)
    return _wrap(xp.asarray((s > xp.asarray(thresh)[..., None]).sum(-1), dtype=np.int64))


@supports_out("pinv")
def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """Moore-Penrose pseudo-inverse via the SVD (or eigh with hermitian=True), small singular values cut."""
    xp = array_module(A._data)
    _check_float(A, "pinv")
    a = A._data
    if rtol is None and atol is None:
        rtol = np.finfo(a.dtype).eps * max(a.shape[-2:])
    if hermitian:
        w, v = eigh(A)
        mag = P.abs(w)
        smax = R.amax(mag, -1, keepdim=True).detach()
        thresh = xp.maximum(0.0 if atol is None else _data(atol), (0.0 if rtol is None else _data(rtol)) * smax._data)
        keep = _wrap(mag._data > thresh)
        winv = P.where(keep, 1.0 / P.where(keep, w, 1.0), 0.0)
        return LM.matmul(v * S.unsqueeze(winv, -2), S.transpose(v, -1, -2))
    u, s, vh = svd(A, full_matrices=False)
    smax = s._data.max(-1, keepdims=True, initial=0.0)
    thresh = xp.maximum(0.0 if atol is None else _data(atol), (0.0 if rtol is None else _data(rtol)) * smax)
    keep = _wrap(s._data > thresh)
    sinv = P.where(keep, 1.0 / P.where(keep, s, 1.0), 0.0)
    return LM.matmul(S.transpose(vh, -1, -2) * S.unsqueeze(sinv, -2), S.transpose(u, -1, -2))


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """Least-squares solution of A X = B, as the named tuple (solution, residuals, rank, singular_values).

    Like PyTorch's default CPU driver ('gelsy'): residuals and singular_values are empty; with
    driver 'gelsd' or 'gelss' the singular values are returned, and residuals when m > n and A has full rank.
    """
    xp = array_module(A._data)
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    _check_float(A, "lstsq")
    vector = B._data.ndim == A._data.ndim - 1
    b = S.unsqueeze(B, -1) if vector else B
    a = A._data
    if rcond is None:
        rcond = np.finfo(a.dtype).eps * max(a.shape[-2:])
    x = LM.matmul(pinv(A, rtol=rcond), b)
    s = xp.linalg.svd(a, compute_uv=False)
    rank = (s > rcond * s.max(-1, keepdims=True, initial=0.0)).sum(-1)
    m, n = a.shape[-2:]
    empty = _wrap(xp.empty((0,), a.dtype))
    residuals = empty
    if driver != "gelsy" and m > n and xp.all(rank == n):
        residuals = R.sum(P.square(LM.matmul(A, x) - b), -2)
    sv = _wrap(s) if driver in ("gelsd", "gelss") else empty
    sol = S.squeeze(x, -1) if vector else x
    if vector and residuals is not empty:
        residuals = S.squeeze(residuals, -1)
    return lstsq_result(sol, residuals, _wrap(xp.asarray(rank, dtype=np.int64)), sv)


cholesky_ex_result = namedtuple("linalg_cholesky_ex", ["L", "info"])
inv_ex_result = namedtuple("linalg_inv_ex", ["inverse", "info"])


def _with_info(result, compute, A: Tensor, check_errors: bool):
    """``result(value, info)`` of an ``*_ex`` function: info 0 where ``compute()`` succeeded; on a
    LinAlgError zeros and info 1 (or the error itself with ``check_errors``)."""
    xp = array_module(A._data)
    try:
        return result(compute(), _wrap(xp.zeros(A._data.shape[:-2], np.int32)))
    except LinAlgError:
        if check_errors:
            raise
        return result(_wrap(xp.zeros_like(A._data)), _wrap(xp.ones(A._data.shape[:-2], np.int32)))


@supports_out("cholesky_ex")
def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None):
    """(L, info): info = 0 where the factorisation succeeded (the matrix order of the failure otherwise)."""
    return _with_info(cholesky_ex_result, lambda: cholesky(A, upper=upper), A, check_errors)


@supports_out("inv_ex")
def inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """(inverse, info): info = 0 where A was invertible."""
    return _with_info(inv_ex_result, lambda: inv(A), A, check_errors)


@supports_out("multi_dot")
def multi_dot(tensors, *, out=None) -> Tensor:
    """A chain of matrix products (1-D ends act as row / column vectors)."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    result = ts[0]
    for t in ts[1:]:
        result = LM.matmul(result, t)
    return result


@supports_out("vecdot")
def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """Sum over ``dim`` of x * y (broadcasting)."""
    return R.sum(P.mul(x, y), dim)
