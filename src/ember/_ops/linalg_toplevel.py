"""The top-level spellings PyTorch keeps for linear algebra (``torch.det``, ``torch.inverse``,
``torch.svd`` with its older (U, S, V) convention ...), on top of ``linalg_decomp``."""

from __future__ import annotations

from collections import namedtuple

from .._tensor import Tensor
from . import linalg_decomp as LD
from . import linalg_householder as LH
from . import linalg_matfn as LF
from . import linalg_solvers as LS
from . import shape as S
from ._out import supports_out

det = LD.det
geqrf = LH.geqrf
orgqr = LH.orgqr
matrix_exp = LF.matrix_exp
triangular_solve = LS.triangular_solve
lu = LS.lu_toplevel
lu_unpack = LS.lu_unpack
lu_solve = LS.lu_solve_toplevel
cholesky_solve = LS.cholesky_solve
cholesky_inverse = LS.cholesky_inverse
logdet = LD.logdet
matrix_power = LD.matrix_power
slogdet_result = namedtuple("slogdet", ["sign", "logabsdet"])
svd_result = namedtuple("svd", ["U", "S", "V"])
qr_result = namedtuple("qr", ["Q", "R"])


@supports_out("inverse")
def inverse(input: Tensor, *, out=None) -> Tensor:
    """``torch.inverse``: alias of linalg.inv."""
    return LD.inv(input)


@supports_out("slogdet")
def slogdet(input: Tensor, *, out=None):
    """``torch.slogdet``: (sign, logabsdet)."""
    return slogdet_result(*LD.slogdet(input))


@supports_out("cholesky")
def cholesky(input: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """``torch.cholesky`` (deprecated in PyTorch in favour of linalg.cholesky)."""
    return LD.cholesky(input, upper=upper)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: the pseudo-inverse with singular values below rcond * max cut."""
    return LD.pinv(input, rtol=rcond)


@supports_out("svd")
def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None):
    """``torch.svd``: (U, S, V) with V (not V^H); ``some=False`` gives full U and V."""
    u, s, vh = LD.svd(input, full_matrices=not some)
    if not compute_uv:
        return svd_result((u * 0).detach(), s, (S.transpose(vh, -1, -2) * 0).detach())  # zeros, like PyTorch
    return svd_result(u, s, S.transpose(vh, -1, -2))


@supports_out("qr")
def qr(input: Tensor, some: bool = True, *, out=None):
    """``torch.qr``: (Q, R), reduced unless ``some=False``."""
    return qr_result(*LD.qr(input, "reduced" if some else "complete"))


__all__ = ["det", "logdet", "matrix_power", "inverse", "slogdet", "cholesky", "pinverse", "svd", "qr", "triangular_solve", "lu",
           "lu_unpack", "lu_solve", "cholesky_solve", "cholesky_inverse",
           "matrix_exp", "geqrf", "orgqr"]
