"""``ember.special``: PyTorch's ``torch.special`` namespace (aliases of the top-level ops plus a few
functions that live only here)."""

from __future__ import annotations

import math

from ._ops import pointwise as _P
from ._ops import special as _S
from ._ops import orthopoly as _OP
from ._ops import special2 as _S2
from ._ops.activation import log_softmax, softmax  # noqa: F401
from ._ops.reduce import logsumexp  # noqa: F401
from ._tensor import Tensor

erf, erfc, erfinv, expm1, exp2, log1p, round = _P.erf, _S.erfc, _S.erfinv, _P.expm1, _P.exp2, _P.log1p, _P.round  # noqa: A001
expit, logit, sinc, xlogy, xlog1py = _P.sigmoid, _S.logit, _S.sinc, _S.xlogy, _S.xlog1py
gammaln, digamma, psi, polygamma, multigammaln, i0 = _S.lgamma, _S.digamma, _S.digamma, _S.polygamma, _S.mvlgamma, _S.i0


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF: (1 + erf(x / sqrt 2)) / 2."""
    return _S.erfc(_P.mul(_S._float(input), -1 / math.sqrt(2))) * 0.5


def ndtri(input: Tensor) -> Tensor:
    """The inverse of ndtr: sqrt(2) erfinv(2p - 1)."""
    return _S.erfinv(_S._float(input) * 2 - 1) * math.sqrt(2)


def entr(input: Tensor) -> Tensor:
    """-x ln x elementwise: 0 at 0, -inf for x < 0."""
    x = _S._float(input)
    y = -_S.xlogy(x, x)
    return _P.where(x < 0, float("-inf"), y)


def i0e(input: Tensor) -> Tensor:
    """Exponentially scaled I0: e^-|x| I0(x)."""
    x = _S._float(input)
    return _S.i0(x) * _P.exp(-_P.abs(x))


for _name in ("i1 i1e erfcx log_ndtr bessel_j0 bessel_j1 bessel_y0 bessel_y1 modified_bessel_i0 modified_bessel_i1 "
              "modified_bessel_k0 modified_bessel_k1 scaled_modified_bessel_k0 scaled_modified_bessel_k1 "
              "spherical_bessel_j0 zeta airy_ai").split():
    globals()[_name] = getattr(_S2, _name)
globals().update({_name: getattr(_OP, _name) for _name in _OP.POLYNOMIALS})
gammainc, gammaincc = _S2.igamma, _S2.igammac
