"""In-place ops (``add_``, ``mul_``, ``t[i] = v`` ...) with PyTorch's autograd rules.

Outside a graph they write straight into the array. Inside one, the op is computed
out of place as usual and its result copied into the tensor's storage; the tensor
then takes the new node as its ``grad_fn`` (its history is "rebased"), and its
version counter moves so that any backward that saved the old values refuses to run.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd import grad_mode as _gm

_LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


def check_inplace_allowed(x: Tensor) -> None:
    if _gm._enabled and x._requires_grad and x.grad_fn is None:
        raise RuntimeError(_LEAF_MESSAGE)


def _check_castable(x: Tensor, result: np.ndarray, name: str = "") -> None:
    src, dst = result.dtype, x._data.dtype
    if src == dst:
        return
    order = "bui f"
    if order.index(src.kind if src.kind != "i" else "i") > order.index(dst.kind if dst.kind != "i" else "i") and not (
        src.kind in "ui" and dst.kind in "ui"
    ):
        raise RuntimeError(
            f"result type {D.from_numpy_dtype(src).name.capitalize()} can't be cast to the desired output type {D.from_numpy_dtype(dst).name.capitalize()}"
        )


def write_inplace(x: Tensor, compute, direct=None, others=()) -> Tensor:
    """Replace x's values by ``compute(x)`` (a Tensor), keeping autograd correct.

    ``others`` are the other operands of the update: if one requires grad, x joins the
    graph. ``direct(array)``, when given, updates the raw array when no graph is recorded.
    """
    check_inplace_allowed(x)
    joins_graph = _gm._enabled and (x._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others))
    if not joins_graph:
        if direct is not None:
            direct(x._data)
        else:
            with _gm.no_grad():
                result = compute(x)
            _check_castable(x, result._data)
            np.copyto(x._data, result._data, casting="unsafe")
        x._version[0] += 1
        return x
    result = compute(x)
    _check_castable(x, result._data)
    node = result.grad_fn
    if node is not None:
        _detach_saved_storage(node, x._data)
    np.copyto(x._data, result._data, casting="unsafe")
    x._version[0] += 1
    if node is not None:
        x.grad_fn = node
        x._output_nr = result._output_nr
        x._requires_grad = True
    return x


def _detach_saved_storage(node, storage: np.ndarray) -> None:
    """The new node may have saved the very array about to be overwritten: keep a copy instead."""
    saved = node._saved
    if not saved or not any(s is storage for s in saved):
        return
    node._saved = tuple(s.copy() if s is storage else s for s in saved)
    changed = {i for i, s in enumerate(saved) if s is storage}
    if node._saved_versions:
        node._saved_versions = [v for v in node._saved_versions if v[2] not in changed] or None
    if node._saved_sources is not None:
        node._saved_sources = [None if i in changed else src for i, src in enumerate(node._saved_sources)]
