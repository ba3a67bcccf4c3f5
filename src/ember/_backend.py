"""The array-library seam: an op computes with the module its input arrays belong to.

ember computes with NumPy. Ops never name NumPy's functions directly: each forward, backward and
kernel asks ``array_module(*arrays)`` for the module of its inputs and calls ``xp.exp``,
``xp.matmul``... on it, so a second array library with NumPy's API (CuPy for ``.to('cuda')``) is
added by registering its array type here, not by editing ops. Dtypes stay NumPy dtype objects
(``np.float32``): array libraries with NumPy's API accept them.

This module is the bottom of the core: it imports nothing from ember.
"""

from __future__ import annotations

import contextlib

import numpy as np

# array type -> the module that computes on it (NumPy's API). NumPy's own entry is permanent.
_MODULES: dict[type, object] = {np.ndarray: np}
ARRAY_TYPES: tuple[type, ...] = (np.ndarray,)
_only_numpy = True


def register_array_module(array_type: type, module) -> None:
    """Route arrays of ``array_type`` to ``module`` (a module with NumPy's API, e.g. ``cupy``)."""
    if not isinstance(array_type, type):
        raise TypeError(f"register_array_module: expected an array type, got {array_type!r}")
    _MODULES[array_type] = module
    _refresh()


def unregister_array_module(array_type: type) -> None:
    """Undo ``register_array_module`` (NumPy's entry cannot be removed)."""
    if array_type is not np.ndarray:
        _MODULES.pop(array_type, None)
    _refresh()


def _refresh() -> None:
    """Recompute what ``array_module`` and ``is_array`` read from the registry."""
    global ARRAY_TYPES, _only_numpy
    ARRAY_TYPES = tuple(_MODULES)
    _only_numpy = len(_MODULES) == 1


def array_module(*arrays):
    """The module computing on ``arrays``: the first non-NumPy registered array's module, else NumPy.

    Scalars and ``None`` are ignored, so ``array_module(x, 2.0)`` is ``x``'s module. When only
    NumPy is registered this is one global test: ops call it on every forward and backward.
    """
    if _only_numpy:
        return np
    for a in arrays:
        module = _MODULES.get(type(a))
        if module is not None and module is not np:
            return module
    return np


def is_array(x) -> bool:
    """Whether ``x`` is an array of a registered library (the seam's ``isinstance(x, np.ndarray)``)."""
    return isinstance(x, ARRAY_TYPES)


def errstate(xp, **kwargs):
    """``xp.errstate(**kwargs)`` where the library has floating-point error control, else a no-op."""
    state = getattr(xp, "errstate", None)
    return state(**kwargs) if state is not None else contextlib.nullcontext()
