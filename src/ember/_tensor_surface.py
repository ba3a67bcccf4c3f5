"""Tensor's public surface, declared in one place.

``Tensor``'s class body (``_tensor.py``) holds the core attributes; every other method,
property and operator is attached through `define`, which the family modules
(``_tensor_methods.py``, ``_tensor_methods_more.py``, ``_ops/activation.py``) call once per
name. A name defined twice raises `SurfaceError` at import, so which implementation
a name has never depends on import order. `SURFACE` maps each attached name to its
implementation; `declared` adds the class body.
"""

from __future__ import annotations

import functools
import inspect

from ._tensor import Tensor

SURFACE: dict[str, object] = {}
_CLASS_BODY = frozenset(vars(Tensor))

# PyTorch accepts NumPy's names ``axis`` for ``dim`` and ``keepdims`` for ``keepdim``
# (``x.max(axis=1)``). These methods are written with ``dim``/``keepdim`` and get a thin renaming
# wrapper; methods that spell ``axis``/``keepdims`` themselves (``sum``) need none.
NUMPY_NAMES = frozenset(
    "all amax amin aminmax any argmax argmin argsort chunk count_nonzero cummax cummin cumprod cumsum diff gather "
    "index_add index_add_ nanquantile nansum quantile "
    "index_copy index_copy_ index_fill index_fill_ index_select kthvalue logsumexp max mean median min mode nanmean "
    "nanmedian narrow norm prod repeat_interleave scatter scatter_ scatter_add scatter_add_ scatter_reduce size sort "
    "split squeeze std stride take_along_dim tensor_split topk unbind unflatten unique unique_consecutive unsqueeze "
    "var".split()
)


class SurfaceError(RuntimeError):
    """A Tensor attribute was defined twice."""


def accept_numpy_names(fn):
    """``fn`` also accepting ``axis=``/``keepdims=``; the wrapper does no work when no keyword is passed."""
    code = getattr(inspect.unwrap(fn), "__code__", None)  # through decorators (supports_out) to the real signature
    if code is None or code.co_flags & 0x08:  # no code, or takes **kwargs already
        return fn
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    rename_axis = "dim" in names and "axis" not in names
    rename_keepdims = "keepdim" in names and "keepdims" not in names
    if not (rename_axis or rename_keepdims):
        return fn

    @functools.wraps(fn)
    def method(*args, **kwargs):
        if kwargs:
            if rename_axis and "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if rename_keepdims and "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)

    return method


def define(name: str, fn):
    """Attach ``fn`` as ``Tensor.<name>`` (once: a second definition of a name raises)."""
    if name in SURFACE or name in _CLASS_BODY:
        where = "Tensor's class body" if name in _CLASS_BODY else getattr(SURFACE[name], "__module__", "?")
        raise SurfaceError(f"Tensor.{name} is defined twice (already defined in {where})")
    if name in NUMPY_NAMES:
        fn = accept_numpy_names(fn)
    SURFACE[name] = fn
    setattr(Tensor, name, fn)
    return fn


def declared() -> dict:
    """Every attribute Tensor has: the class body and the attached surface."""
    return {**{k: vars(Tensor)[k] for k in _CLASS_BODY}, **SURFACE}


for _name in sorted(NUMPY_NAMES & _CLASS_BODY):
    setattr(Tensor, _name, accept_numpy_names(vars(Tensor)[_name]))
