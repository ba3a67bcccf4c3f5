"""Small ops PyTorch offers that compose from existing ones: ravel, select, positive, h/v/dsplit,
vdot, dist, ldexp, trapezoid, cumulative_trapezoid, vander, cov, corrcoef, unravel_index, and the
identities real tensors give for the complex helpers (conj, real, resolve_conj ...)."""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from .._tensor import Tensor, _wrap_dim
from . import linalg as LM
from . import pointwise as P
from . import reduce as R
from . import shape as S
from ._common import type_name
from .linalg_decomp import vector_norm

_wrap = Tensor._wrap


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view where possible)."""
    return S.reshape(input, (-1,))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, with that dim removed (a view)."""
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, nd)
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at dimension {dim}")
    return S.squeeze(S.narrow(input, d, index % n, 1), d)


def positive(input: Tensor) -> Tensor:
    """The input itself (refused for bool, like PyTorch)."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _split_along(input: Tensor, sections, dim: int, name: str, min_dim: int):
    nd = input._data.ndim
    if nd < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, but got a tensor with {nd} dimensions!")
    if isinstance(sections, int) and input._data.shape[dim] % sections:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                           f"{input._data.shape[dim]} is not divisible by the split_size {sections}!")
    return S.tensor_split(input, sections, dim)


def hsplit(input: Tensor, indices_or_sections):
    """Split along dim 1 (dim 0 for 1-D tensors)."""
    return _split_along(input, indices_or_sections, 1 if input._data.ndim > 1 else 0, "hsplit", 1)


def vsplit(input: Tensor, indices_or_sections):
    """Split along dim 0 of a tensor with at least 2 dims."""
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input: Tensor, indices_or_sections):
    """Split along dim 2 of a tensor with at least 3 dims."""
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """Dot product of two 1-D tensors (conjugating the first, a no-op for real)."""
    return LM.dot(input, other)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input - other."""
    return vector_norm(P.sub(input, other), p)


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input * 2^other."""
    if isinstance(other, Tensor):
        return P.mul(input, P.exp2(other))
    return P.mul(input, P.exp2(_wrap(array_module(input._data).asarray(other, np.float32))))


def _trapz_weights(y: Tensor, x, dx, dim):
    d = _wrap_dim(dim, y._data.ndim)
    n = y._data.shape[d]
    lo, hi = S.narrow(y, d, 0, max(n - 1, 0)), S.narrow(y, d, 1, max(n - 1, 0))
    avg = P.mul(P.add(lo, hi), 0.5)
    if x is None:
        return P.mul(avg, dx), d
    if x._data.ndim == 1:
        diffs = S.narrow(x, 0, 1, max(n - 1, 0)) - S.narrow(x, 0, 0, max(n - 1, 0))
        shape = [1] * y._data.ndim
        shape[d] = -1
        return P.mul(avg, S.reshape(diffs, tuple(shape))), d
    xd = _wrap_dim(dim, x._data.ndim)
    m = x._data.shape[xd]
    diffs = S.narrow(x, xd, 1, max(m - 1, 0)) - S.narrow(x, xd, 0, max(m - 1, 0))
    return P.mul(avg, diffs), d


def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoidal-rule integral of y along ``dim`` (samples at x, or spaced dx apart)."""
    if x is not None and not isinstance(x, Tensor):
        dx, x = x, None
    terms, d = _trapz_weights(y, x, 1 if dx is None else dx, dim)
    return R.sum(terms, d)


trapz = trapezoid


def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal-rule integral along ``dim`` (one element shorter than y)."""
    if x is not None and not isinstance(x, Tensor):
        dx, x = x, None
    terms, d = _trapz_weights(y, x, 1 if dx is None else dx, dim)
    return R.cumsum(terms, d)


def vander(x: Tensor, N=None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D tensor: columns x^(N-1) ... x^0 (reversed with increasing)."""
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    res = D.promote_types(D.from_numpy_dtype(x._data.dtype), D.int64)
    xx = P.to_dtype(x, res)
    cols = [P.pow(xx, k) if k else P.mul(P.pow(xx, 1), 0) + 1 for k in range(n)]
    if not cols:
        return _wrap(array_module(x._data).empty((x._data.shape[0], 0), res.np))
    out = S.stack(cols, 1)
    return out if increasing else S.flip(out, [1])


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """Covariance of the variables in the rows of ``input`` (observations in columns)."""
    if fweights is not None or aweights is not None:
        raise NotImplementedError("ember: cov with fweights/aweights is not implemented")
    if input._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {input._data.ndim} dimensions")
    x = input if input._data.ndim == 2 else S.reshape(input, (1, -1))
    if x._data.dtype.kind != "f":
        x = P.to_dtype(x, D.get_default_dtype())
    n = x._data.shape[1]
    xc = P.sub(x, R.mean(x, 1, keepdim=True))
    c = P.div(LM.matmul(xc, S.transpose(xc, 0, 1)), max(n - correction, 0))
    return S.reshape(c, ()) if input._data.ndim < 2 or x._data.shape[0] == 1 else c


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of ``input``."""
    c = cov(input)
    if c._data.ndim == 0:
        return P.div(c, c)
    d = P.sqrt(S.diagonal(c))
    return P.clamp(P.div(P.div(c, S.unsqueeze(d, 1)), S.unsqueeze(d, 0)), -1, 1)


def unravel_index(indices, shape):
    """The coordinates (one tensor per dim) of flat indices into ``shape``."""
    xp = array_module(indices._data if isinstance(indices, Tensor) else None)
    idx = xp.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {type_name(D.from_numpy_dtype(idx.dtype))}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    total = math.prod(shape)
    if idx.size and (idx.max() >= total or idx.min() < -total):
        raise RuntimeError("'indices' must be in range [-prod(shape), prod(shape) - 1]")
    return tuple(_wrap(xp.asarray(v, np.int64)) for v in xp.unravel_index(idx % max(total, 1), shape))


def is_signed(input: Tensor) -> bool:
    return input._data.dtype.kind in "if"


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return input._data.shape == other._data.shape


def is_complex(input: Tensor) -> bool:
    return False  # ember has no complex dtypes


def is_conj(input: Tensor) -> bool:
    return False


def is_neg(input: Tensor) -> bool:
    return False


def _identity(input: Tensor) -> Tensor:
    return input


conj = resolve_conj = resolve_neg = conj_physical = real = _identity


def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (the transpose, for real tensors)."""
    return S.transpose(input, -2, -1)


__all__ = [
    "ravel", "select", "positive", "hsplit", "vsplit", "dsplit", "vdot", "dist", "ldexp", "trapezoid", "trapz",
    "cumulative_trapezoid", "vander", "cov", "corrcoef", "unravel_index", "is_signed", "is_same_size", "is_complex",
    "is_conj", "is_neg", "conj", "resolve_conj", "resolve_neg", "conj_physical", "real", "adjoint",
]
