"""``ember.linalg``: PyTorch's ``torch.linalg`` namespace (batched over leading dims, with gradients)."""

from __future__ import annotations

from ._ops.construct import linalg_cross as cross  # noqa: F401
from ._ops.linalg import matmul  # noqa: F401
from ._ops.linalg_decomp import (  # noqa: F401
    LinAlgError,
    cholesky,
    cholesky_ex,
    det,
    eigh,
    eigvalsh,
    inv,
    inv_ex,
    lstsq,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    vecdot,
    vector_norm,
)
from ._ops.linalg_householder import householder_product  # noqa: F401
from ._ops.linalg_matfn import matrix_exp, tensorinv, tensorsolve, vander  # noqa: F401
from ._ops.linalg_solvers import lu, lu_factor, lu_factor_ex, lu_solve, solve_ex, solve_triangular  # noqa: F401
from ._ops.shape import diagonal as _diagonal


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """The diagonals of A's matrices (``torch.linalg.diagonal``: the last two dims by default)."""
    return _diagonal(A, offset, dim1, dim2)
