"""Tensor methods (and in-place ``x_`` forms) for the op families added in ``_ops/special.py``,
``_ops/bitwise.py``, ``_ops/scan.py`` and ``_ops/construct.py``; kept apart from
``_tensor_methods.py`` so each family's methods sit in one short list."""

from __future__ import annotations

from ._ops import bitwise as B
from ._ops import construct as C
from ._ops import linalg_toplevel as LT
from ._ops import scan as SC
from ._ops import shape as _shape
from . import _dtype as _D
from ._ops import special as S
from ._ops.inplace import write_inplace
from ._tensor import Tensor


def _inplace(fn):
    def method(self, *args, **kwargs):
        others = tuple(a for a in args if isinstance(a, Tensor))
        return write_inplace(self, lambda t: fn(t, *args, **kwargs), others=others)

    method.__name__ = fn.__name__ + "_"
    return method


_SPECIAL = (
    "asin acos atan asinh acosh atanh sinh cosh arcsin arccos arctan arcsinh arccosh arctanh atan2 arctan2 hypot "
    "copysign logaddexp logaddexp2 logcumsumexp xlogy logit sinc deg2rad rad2deg erfc erfinv lgamma digamma i0 "
    "heaviside nextafter mvlgamma"
).split()
for _name in _SPECIAL:
    setattr(Tensor, _name, getattr(S, _name))
for _name in set(_SPECIAL) - {"logaddexp", "logaddexp2", "logcumsumexp"}:
    setattr(Tensor, _name + "_", _inplace(getattr(S, _name)))
Tensor.polygamma = lambda self, n: S.polygamma(n, self)
Tensor.polygamma_ = lambda self, n: write_inplace(self, lambda t: S.polygamma(n, t))

for _name in "bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift gcd lcm".split():
    setattr(Tensor, _name, getattr(B, _name))
    setattr(Tensor, _name + "_", _inplace(getattr(B, _name)))
for _op, _fn in (("and", B.bitwise_and), ("or", B.bitwise_or), ("xor", B.bitwise_xor),
                 ("lshift", B.bitwise_left_shift), ("rshift", B.bitwise_right_shift)):
    setattr(Tensor, f"__{_op}__", lambda self, other, _fn=_fn: _fn(self, other))
    setattr(Tensor, f"__r{_op}__", lambda self, other, _fn=_fn: _fn(other, self))
    setattr(Tensor, f"__i{_op}__", _inplace(_fn))
Tensor.__invert__ = B.bitwise_not

for _name in "cummax cummin var_mean std_mean quantile nanquantile histc bincount diff trace aminmax nansum".split():
    setattr(Tensor, _name, getattr(SC, _name))

for _name in "diag_embed diagflat rot90 kron cross isin put index_reduce".split():
    setattr(Tensor, _name, getattr(C, _name))
Tensor.unfold = C.unfold
Tensor.put_ = lambda self, index, source, accumulate=False: write_inplace(
    self, lambda t: C.put(t, index, source, accumulate), others=(source,))
Tensor.index_reduce_ = lambda self, dim, index, source, reduce, *, include_self=True: write_inplace(
    self, lambda t: C.index_reduce(t, dim, index, source, reduce, include_self=include_self), others=(source,))


def _view(self, *shape, dtype=None):
    """``view(*shape)`` or ``view(dtype)``: a dtype reinterprets the bytes (see construct.view_dtype)."""
    if dtype is not None or (len(shape) == 1 and isinstance(shape[0], (_D.dtype, type))):
        return C.view_dtype(self, dtype if dtype is not None else shape[0])
    return _shape.view(self, *shape)


Tensor.view = _view

for _name in "det logdet slogdet inverse cholesky pinverse matrix_power svd qr".split():
    setattr(Tensor, _name, getattr(LT, _name))
