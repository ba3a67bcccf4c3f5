"""Tensor methods (and in-place ``x_`` forms) for the op families added in ``_ops/special.py``,
``_ops/bitwise.py``, ``_ops/scan.py`` and ``_ops/construct.py``; kept apart from
``_tensor_methods.py`` so each family's methods sit in one short list."""

from __future__ import annotations

from ._ops import bitwise as B
from ._ops import construct as C
from ._ops import linalg_toplevel as LT
from ._ops import misc as M
from ._ops import scan as SC
from ._ops import shape as _shape
from . import _dtype as _D
from ._ops import pointwise as _P
from ._ops._common import type_name as _type_name
from ._ops import special as S
from ._ops.inplace import write_inplace
from ._tensor import Tensor
from ._tensor_surface import define


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
    define(_name, getattr(S, _name))
for _name in set(_SPECIAL) - {"logaddexp", "logaddexp2", "logcumsumexp"}:
    define(_name + "_", _inplace(getattr(S, _name)))
define("polygamma", lambda self, n: S.polygamma(n, self))
define("polygamma_", lambda self, n: write_inplace(self, lambda t: S.polygamma(n, t)))

for _name in "bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift gcd lcm".split():
    define(_name, getattr(B, _name))
    define(_name + "_", _inplace(getattr(B, _name)))
for _op, _fn in (("and", B.bitwise_and), ("or", B.bitwise_or), ("xor", B.bitwise_xor),
                 ("lshift", B.bitwise_left_shift), ("rshift", B.bitwise_right_shift)):
    define(f"__{_op}__", lambda self, other, _fn=_fn: _fn(self, other))
    define(f"__r{_op}__", lambda self, other, _fn=_fn: _fn(other, self))
    define(f"__i{_op}__", _inplace(_fn))

for _name in "cummax cummin var_mean std_mean quantile nanquantile histc bincount diff trace aminmax nansum".split():
    define(_name, getattr(SC, _name))

for _name in "diag_embed diagflat rot90 kron cross isin put index_reduce".split():
    define(_name, getattr(C, _name))
define("unfold", C.unfold)
define("put_", lambda self, index, source, accumulate=False: write_inplace(
    self, lambda t: C.put(t, index, source, accumulate), others=(source,)))
define("index_reduce_", lambda self, dim, index, source, reduce, *, include_self=True: write_inplace(
    self, lambda t: C.index_reduce(t, dim, index, source, reduce, include_self=include_self), others=(source,)))


def _view(self, *shape, dtype=None):
    """``view(*shape)`` or ``view(dtype)``: a dtype reinterprets the bytes (see construct.view_dtype)."""
    if dtype is not None or (len(shape) == 1 and isinstance(shape[0], (_D.dtype, type))):
        return C.view_dtype(self, dtype if dtype is not None else shape[0])
    return _shape.view(self, *shape)


define("view", _view)

for _name in "det logdet slogdet inverse cholesky pinverse matrix_power svd qr triangular_solve lu lu_solve cholesky_solve cholesky_inverse matrix_exp geqrf orgqr".split():
    define(_name, getattr(LT, _name))


def _float_power_(self, exponent):
    if self._data.dtype != _D.float64.np:
        raise RuntimeError(f"the base given to float_power_ has dtype {_type_name(self.dtype)} but the operation's result "
                           "requires dtype Double")
    return write_inplace(self, lambda t: _P.float_power(t, exponent), others=(exponent,) if isinstance(exponent, Tensor) else ())


define("float_power_", _float_power_)

for _name in ("ravel select positive hsplit vsplit dsplit vdot dist ldexp cov corrcoef is_signed is_same_size "
              "is_complex is_conj is_neg conj resolve_conj resolve_neg conj_physical adjoint").split():
    define(_name, getattr(M, _name))
define("ldexp_", _inplace(M.ldexp))
define("conj_physical_", lambda self: self)

# In-place forms PyTorch has for ops ember already had out of place.
for _name in ("eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and logical_or logical_xor "
              "logical_not tril triu cumsum cumprod sgn fix addmm addbmm baddbmm addmv scatter_reduce").split():
    define(_name + "_", _inplace(getattr(Tensor, _name)))


def inplace_functions() -> dict:
    """``torch.abs_(t)``-style top-level spellings of the in-place methods (PyTorch has ~80 of them)."""
    out = {}
    for name in dir(Tensor):
        if name.endswith("_") and not name.startswith("_") and name[:-1].isidentifier():
            method = getattr(Tensor, name)

            def fn(input, *args, _m=method, **kwargs):
                return _m(input, *args, **kwargs)

            fn.__name__ = fn.__qualname__ = name
            out[name] = fn
    return out
