"""Householder representations (LAPACK's): ``torch.geqrf`` (the QR factorisation as reflectors, forward
only, like PyTorch) and ``linalg.householder_product``/``torch.orgqr`` (Q from the reflectors,
differentiable as a composition of ember ops).

A reflector is H = I - tau v v^T with v[i] = 1, v above i zero and v below i stored in column i
of ``a`` under the diagonal; ``geqrf`` chooses them as ``dlarfg`` does: beta = -sign(alpha) ||x||,
tau = (beta - alpha) / beta, and H = I (tau = 0) when x below the diagonal is already zero.
"""

from __future__ import annotations

from collections import namedtuple

from .._backend import array_module, errstate
from .._tensor import Tensor
from ..autograd.function import Op
from . import shape as S
from ._common import type_name
from ._out import supports_out, write_out_tuple

_wrap = Tensor._wrap

geqrf_result = namedtuple("geqrf", ["a", "tau"])


def _geqrf(a):
    """(packed R and reflectors, tau) of each matrix in ``a``, column by column (vectorised over the batch)."""
    xp = array_module(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    r = a.reshape((-1, m, n)).copy()
    tau = xp.zeros((r.shape[0], k), a.dtype)
    with errstate(xp, divide="ignore", invalid="ignore"):
        for j in range(k):
            alpha = r[:, j, j].copy()
            below = r[:, j + 1:, j]
            xnorm = xp.sqrt((below * below).sum(-1))
            reflect = xnorm != 0
            beta = -xp.copysign(xp.hypot(alpha, xnorm), alpha)
            tau[:, j] = xp.where(reflect, (beta - alpha) / beta, 0)
            r[:, j + 1:, j] = below * xp.where(reflect, 1 / (alpha - beta), 0)[:, None]
            r[:, j, j] = xp.where(reflect, beta, alpha)
            v = xp.concatenate([xp.ones((r.shape[0], 1), a.dtype), r[:, j + 1:, j]], 1)
            w = xp.einsum("bi,bij->bj", v, r[:, j:, j + 1:])
            r[:, j:, j + 1:] -= tau[:, j, None, None] * v[:, :, None] * w[:, None, :]
    return r.reshape(a.shape), tau.reshape(a.shape[:-2] + (k,))


class Geqrf(Op):
    """(a, tau) = geqrf(A); PyTorch has no derivative for it, and neither has ember (backward raises, as torch's)."""

    _node_name = "GeqrfBackward0"

    @staticmethod
    def forward(ctx, a):
        return _geqrf(a)

    @staticmethod
    def backward(ctx, g_a, g_tau):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


def geqrf(input: Tensor, *, out=None):
    """``torch.geqrf``: (a, tau), R on and above the diagonal of ``a`` and the Householder reflectors below
    it (LAPACK's geqrf). Not differentiable, like PyTorch's."""
    a = input._data
    if a.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for '{type_name(input.dtype)}'")
    result = geqrf_result(*Geqrf.apply(input))
    if out is not None:
        return write_out_tuple(out, result, "geqrf", input)
    return result


@supports_out("householder_product")
def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 H_2 ... H_k (m x n), H_i = I - tau_i v_i v_i^T from A's columns."""
    name = "torch.linalg.householder_product"
    a, t = A._data, tau._data
    if a.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    m, n = a.shape[-2:]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if n < t.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if t.ndim != a.ndim - 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{t.ndim} and input.ndim is equal to {a.ndim}")
    if t.shape[:-1] != a.shape[:-2]:
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(t.shape[:-1])}")
    if t.dtype != a.dtype:
        raise RuntimeError(f"{name}: tau dtype {type_name(tau.dtype)} does not match input dtype {type_name(A.dtype)}")
    xp = array_module(a)
    q = S.expand(_wrap(xp.eye(m, n, dtype=a.dtype)), a.shape)
    rows = xp.arange(m)[:, None]
    for i in reversed(range(t.shape[-1])):
        below = _wrap((rows > i).astype(a.dtype))  # v's stored part; v[i] = 1, above it 0
        unit = _wrap((rows == i).astype(a.dtype))
        v = S.narrow(A, -1, i, 1) * below + unit  # (..., m, 1)
        ti = S.unsqueeze(S.narrow(tau, -1, i, 1), -1)  # (..., 1, 1)
        q = q - (v * ti) @ (S.transpose(v, -1, -2) @ q)
    return q


def orgqr(input: Tensor, tau: Tensor, *, out=None) -> Tensor:
    """``torch.orgqr``: alias of linalg.householder_product."""
    return householder_product(input, tau, out=out)


__all__ = ["geqrf", "householder_product", "orgqr"]
