"""Matrix functions and tensor-shaped solves of ``torch.linalg``: ``matrix_exp`` (a primitive whose
gradient is itself a matrix exponential), ``vander``, ``tensorinv`` and ``tensorsolve`` (compositions).
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module, errstate
from .._tensor import Tensor
from ..autograd.function import Op
from . import linalg_decomp as LD
from . import reduce as R
from . import shape as S
from ._common import type_name
from ._out import supports_out

_wrap = Tensor._wrap

# Pade (13, 13) coefficients and the 1-norm up to which it is accurate to double precision (Higham 2005).
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(a):
    """exp(A) for a batch of square matrices by scaling and squaring: each matrix is scaled by its own
    2^-s until its 1-norm is below theta_13, exponentiated by Pade (13, 13), then squared s times."""
    xp = array_module(a)
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    norm = xp.abs(a).sum(-2).max(-1)  # the 1-norm of each matrix
    with errstate(xp, divide="ignore"):
        s = xp.maximum(0, xp.ceil(xp.log2(norm / _THETA13))).astype(np.int64)
    s = xp.where(xp.isfinite(norm), s, 0)
    x = a * xp.exp2(-s.astype(a.dtype))[..., None, None]
    b = _PADE13
    eye = xp.eye(n, dtype=a.dtype)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * eye)
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    for k in range(int(s.max()) if s.size else 0):
        r = xp.where((s > k)[..., None, None], r @ r, r)
    return r


def _exp_block(a, g):
    """The upper-right block of exp([[A^T, G], [0, A^T]]): the derivative of exp at A applied to G.

    That block is linear in G, so G enters divided by its largest |entry| c (a constant) and the
    block is multiplied back by c: a large G would otherwise set the scaling of the whole block
    and drown A in rounding."""
    n = a.shape[-1]
    gd = g._data if isinstance(g, Tensor) else g
    xp = array_module(gd)
    c = xp.abs(gd).max(axis=(-2, -1), keepdims=True) if gd.size else xp.ones(gd.shape[:-2] + (1, 1), gd.dtype)
    c = xp.where(c > 0, c, 1).astype(gd.dtype)
    if isinstance(a, Tensor) or isinstance(g, Tensor):
        a, g = (t if isinstance(t, Tensor) else _wrap(t) for t in (a, g))
        at, c = S.transpose(a, -1, -2), _wrap(c)
        zero = _wrap(xp.zeros_like(gd))
        block = S.cat([S.cat([at, g / c], -1), S.cat([zero, at], -1)], -2)
        return MatrixExp.apply(block)[..., :n, n:] * c
    at = xp.swapaxes(a, -1, -2)
    block = xp.concatenate([xp.concatenate([at, g / c], -1), xp.concatenate([xp.zeros_like(g), at], -1)], -2)
    return _expm(block)[..., :n, n:] * c


class MatrixExp(Op):
    """Y = exp(A) = sum_k A^k / k!;  dA = the upper-right block of exp([[A^T, G], [0, A^T]]) (Mathias 1996),
    itself a matrix exponential, so the gradient is differentiable again."""

    _node_name = "LinalgMatrixExpBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _expm(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return _exp_block(a, g)


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential of each square matrix in A."""
    LD._check_square(A, "matrix_exp")
    return MatrixExp.apply(A)


@supports_out("vander")
def vander(x: Tensor, *, N=None) -> Tensor:
    """``linalg.vander``: the Vandermonde matrices of the last dim, columns x^0, x^1, ..., x^(N-1)."""
    if x._data.dtype.kind == "b":
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got Bool")
    n = x._data.shape[-1] if x._data.ndim else None
    n = n if N is None else int(N)
    if n is None or n <= 1:
        raise RuntimeError("N must be greater than 1.")
    col = S.unsqueeze(x, -1)
    powers = R.cumprod(S.expand(col, x._data.shape + (n - 1,)), -1)
    ones = _wrap(array_module(powers._data).ones(col._data.shape, powers._data.dtype))  # x^0, constant
    return S.cat([ones, powers], -1)


def _check_prod(a_shape, split: int, what: str):
    head, tail = math.prod(a_shape[:split]), math.prod(a_shape[split:])
    if head != tail:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[{what}:]) == "
                           f"prod(self.shape[:{what}]), but got {tail} != {head}")
    return head


@supports_out("tensorinv")
def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A seen as a map from its dims [ind:] to its dims [:ind]: shape A.shape[ind:] + A.shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = A._data.shape
    n = _check_prod(shape, ind, "ind")
    try:
        inv = LD.inv(S.reshape(A, (n, n)))
    except LD.LinAlgError as exc:
        raise LD.LinAlgError(str(exc).replace("linalg.inv:", "inv:", 1)) from None
    return S.reshape(inv, shape[ind:] + shape[:ind])


@supports_out("tensorsolve")
def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B; ``dims`` of A are moved to the end first."""
    if dims is not None:
        nd = A._data.ndim
        src = [d % nd for d in dims]
        A = S.movedim(A, src, list(range(nd - len(src), nd)))
    shape = A._data.shape
    nb = B._data.ndim
    n = _check_prod(shape, nb, "other.ndim")
    if B._data.dtype != A._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{type_name(A.dtype)} and B of type {type_name(B.dtype)} instead")
    x = LD.solve(S.reshape(A, (n, n)), S.reshape(B, (n,)))
    return S.reshape(x, shape[nb:])


__all__ = ["matrix_exp", "vander", "tensorinv", "tensorsolve"]
