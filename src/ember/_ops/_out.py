"""``out=``: writing an op's result into a tensor the caller supplies, with PyTorch's rules.

One place for every op that takes ``out=``. The op computes its result as usual (callers
branch on ``out is not None`` so the common path pays nothing), then ``write_out`` checks and
copies it:

- autograd: under grad mode, an ``out=`` call where an input or ``out`` requires grad raises
  (PyTorch records no graph through ``out=``);
- dtype: a result may be cast into ``out`` only to a dtype of the same or a higher category
  (bool < integer < float): ``add(float, float, out=long)`` raises "result type Float can't be
  cast to the desired output type Long". Some ops want ``out`` of exactly the result dtype and
  say so in their own words (``exact=``);
- shape: an ``out`` of the wrong shape is resized (replaced by a fresh array), with PyTorch's
  deprecation UserWarning unless it was empty;
- ``out`` is returned, its version counter bumped like any in-place write.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from .._tensor import Tensor
from ..autograd import grad_mode as _gm
from ._common import c_type_name, refuse_readonly, type_name

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}

_RESIZE_WARNING = (
    "An output with one or more elements was resized since it had shape {old}, which does not match the required "
    "output shape {new}. This behavior is deprecated, and in a future PyTorch release outputs will not be resized "
    "unless they have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
    "elements with t.resize_(0)."
)


def check_out_tensor(out, name: str) -> Tensor:
    if not isinstance(out, Tensor):
        mod = type(out).__module__
        what = type(out).__name__ if mod == "builtins" else f"{mod.split('.')[0]}.{type(out).__name__}"
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {what}")
    return out


def check_out_grad(name: str, *tensors) -> None:
    """PyTorch refuses ``out=`` when autograd would have to track the result."""
    if _gm.is_grad_enabled() and any(isinstance(t, Tensor) and t._requires_grad for t in tensors):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )


def _names(got: np.dtype, want: np.dtype) -> dict:
    g, w = D.from_numpy_dtype(got), D.from_numpy_dtype(want)
    return {"got": type_name(g), "want": type_name(w), "got_c": c_type_name(g), "want_c": c_type_name(w)}


def check_out_dtype(out: Tensor, result_dtype: np.dtype, *, exact: str | None = None,
                    cast_error: tuple | None = None) -> None:
    """Raise if ``result_dtype`` may not be written into ``out``.

    ``exact``: a message template (``{got}``/``{want}`` type names, ``{got_c}``/``{want_c}`` C names)
    for ops that require ``out`` to have exactly the result dtype. ``cast_error``: (exception class,
    template) replacing the default message for a cast to a lower category.
    """
    dst = out._data.dtype
    if dst == result_dtype:
        return
    if exact is not None:
        raise RuntimeError(exact.format(**_names(dst, result_dtype)))
    if _CATEGORY[result_dtype.kind] > _CATEGORY[dst.kind]:
        cls, template = cast_error or (RuntimeError, "result type {want} can't be cast to the desired output type {got}")
        raise cls(template.format(**_names(dst, result_dtype)))


def write_out(out, result: Tensor, name: str, *inputs, exact: str | None = None, cast_error: tuple | None = None,
              warn_resize: bool = True) -> Tensor:
    """Copy ``result`` into ``out`` (resizing and casting by PyTorch's rules) and return ``out``.

    ``inputs`` are the op's tensor arguments, checked for requires_grad along with ``result``
    (which requires grad exactly when a differentiable input did) and ``out``.
    """
    out = check_out_tensor(out, name)
    check_out_grad(name, out, result, *inputs)
    value = result._data if isinstance(result, Tensor) else array_module(result).asarray(result)
    check_out_dtype(out, value.dtype, exact=exact, cast_error=cast_error)
    fill_out(out, value, warn_resize=warn_resize)
    return out


def fill_out(out: Tensor, value, *, warn_resize: bool = True) -> Tensor:
    """``out``'s storage holds ``value`` (cast to out's dtype), resized to its shape if needed."""
    data = out._data
    if data.shape != value.shape:
        if warn_resize and data.size:
            warnings.warn(_RESIZE_WARNING.format(old=list(data.shape), new=list(value.shape)), UserWarning, stacklevel=3)
        out._data = value.astype(data.dtype, copy=True)
    else:
        if not data.flags.writeable:
            refuse_readonly(data)
        array_module(data).copyto(data, value, casting="unsafe")
    out._version[0] += 1
    return out


def factory_dtype(out, dtype, default=None):
    """The dtype a factory (``zeros``, ``arange`` ...) makes with ``out=``: out's, unless ``dtype``
    names another one, which PyTorch refuses."""
    if out is None:
        return dtype
    check_out_tensor(out, "factory")
    if dtype is not None:
        want = D.as_dtype(dtype)
        if want.np != out._data.dtype:
            raise RuntimeError(f"dtype {type_name(want)} does not match dtype of out parameter ({type_name(out.dtype)})")
    return out.dtype


def factory_out(out, result: Tensor) -> Tensor:
    """A factory's result copied into ``out`` (resized silently, like PyTorch's factories)."""
    if out is None:
        return result
    fill_out(out, result._data, warn_resize=False)
    if result._requires_grad:
        out._requires_grad = True
    return out


def write_out_tuple(out, results, name: str, *inputs, exact: str | None = None) -> tuple:
    """``out=(values, indices)`` for ops returning several tensors (max/min/sort ... with dim)."""
    if not isinstance(out, (tuple, list)) or len(out) != len(results):
        raise TypeError(f"{name}(): argument 'out' must be tuple of {len(results)} Tensors")
    check_out_grad(name, *out, *results, *inputs)
    for o, r in zip(out, results):
        check_out_tensor(o, name)
        check_out_dtype(o, r._data.dtype, exact=exact)
    for o, r in zip(out, results):
        fill_out(o, r._data)
    return type(results)(*out) if hasattr(results, "_fields") else tuple(out)


def supports_out(name: str | None = None):
    """Give an op without its own ``out=`` handling torch's: the result is computed as usual, then
    written into ``out`` by `write_out` (or `write_out_tuple` for several results)."""
    def deco(fn):
        op = name or fn.__name__

        @functools.wraps(fn)
        def wrapper(*args, out=None, **kwargs):
            result = fn(*args, **kwargs)
            if out is None:
                return result
            inputs = [a for a in args if isinstance(a, Tensor)]
            if isinstance(result, tuple):
                return write_out_tuple(out, result, op, *inputs)
            return write_out(out, result, op, *inputs)

        return wrapper

    return deco
