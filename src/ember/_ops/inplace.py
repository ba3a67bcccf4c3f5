"""In-place ops (``add_``, ``mul_``, ``t[i] = v`` ...) with PyTorch's autograd rules.

Outside a graph they write straight into the array. Inside one, the op is computed
out of place as usual and its result copied into the tensor's storage; the tensor
then takes the new node as its ``grad_fn`` (its history is "rebased"), and its
version counter moves so that any backward that saved the old values refuses to run.

Views: a view made inside a graph remembers (on its node) its base and how to rebuild it
(``mark_view``). An in-place op on such a view is rewritten as an out-of-place write of the
new values into the base (PyTorch's ``CopySlices``), after which the view is rebuilt from
the base's new history, so gradients reach everything that reads the base later.
"""

from __future__ import annotations

import weakref

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from .._creation import tensor
from .._tensor import Tensor
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._common import OVERLAP_MESSAGE, broadcast_error, refuse_readonly, to_dtype, type_name

_wrap = Tensor._wrap

_LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
_LEAF_VIEW_MESSAGE = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def check_inplace_allowed(x: Tensor) -> None:
    if _gm._state.enabled and x._requires_grad and x.grad_fn is None:
        raise RuntimeError(_LEAF_MESSAGE)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _check_storable(x: Tensor, result) -> None:
    """An in-place result must fit x: same shape (x can't grow by broadcasting) and a dtype
    of no higher category (float into int, int into bool are refused, like PyTorch)."""
    if result.shape != x._data.shape:
        raise RuntimeError(f"output with shape {list(x._data.shape)} doesn't match the broadcast shape {list(result.shape)}")
    src, dst = result.dtype, x._data.dtype
    if src != dst and _CATEGORY[src.kind] > _CATEGORY[dst.kind]:
        raise RuntimeError(
            f"result type {type_name(D.from_numpy_dtype(src))} can't be cast to the desired output type {type_name(D.from_numpy_dtype(dst))}"
        )


def write_inplace(x: Tensor, compute, direct=None, others=()) -> Tensor:
    """Replace x's values by ``compute(x)`` (a Tensor), keeping autograd correct.

    ``others`` are the other operands of the update: if one requires grad, x joins the
    graph. ``direct(array)``, when given, updates the raw array when no graph is recorded.
    """
    check_inplace_allowed(x)
    if not x._data.flags.writeable:
        refuse_readonly(x._data)
    joins_graph = _gm._state.enabled and (x._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others))
    if not joins_graph:
        tracer = _gm._state.tracer
        if direct is not None and tracer is None:
            direct(x._data)
        else:
            with _gm.no_grad():
                result = compute(x)
            _check_storable(x, result._data)
            array_module(x._data).copyto(x._data, result._data, casting="unsafe")
            if tracer is not None:
                tracer("inplace", (x, result), x)  # x now holds result's values: the door's in-place form
        x._version[0] += 1
        return x
    node = x.grad_fn
    multi = node.__dict__.get("_multi_view") if node is not None else None
    if multi is not None:
        raise RuntimeError(f"{multi} is a view and is being modified inplace. This view is the output of a function that "
                           "returns multiple views. Such functions do not allow the output views to be modified inplace. "
                           "You should replace the inplace operation by an out-of-place one.")
    view = node.__dict__.get("_view_src") if node is not None else None
    if view is not None:
        base = view[0]()
        if base is not None and array_module(base._data).may_share_memory(base._data, x._data):
            return _write_through_view(x, base, view[1], compute)
    result = _differentiable_result(x, compute(x))
    _check_storable(x, result._data)
    node = result.grad_fn
    _detach_saved_storage(node, x._data)
    array_module(x._data).copyto(x._data, result._data, casting="unsafe")
    x._version[0] += 1
    if node is not None:
        x.grad_fn = node
        x._output_nr = result._output_nr
        x._requires_grad = True
    return x


def _differentiable_result(x: Tensor, result: Tensor) -> Tensor:
    """A result computed without x's history (``fill_``, ``normal_`` ...) still replaces it:
    x keeps requiring grad, through a node that sends it zero gradient (PyTorch's FillBackward)."""
    if result.grad_fn is None:
        return Overwrite.apply(x, result._data)
    return result


class Overwrite(Op):
    """y = v (x's values replaced by v, broadcast and cast to x's dtype);  dy/dx = 0, dy/dv = 1.

    ``fill_``, ``zero_`` and ``copy_`` in a graph: unlike ``x * 0 + v`` it never turns an
    inf or NaN already in x into NaN.
    """

    _node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, x, v):
        xp = array_module(x, v)
        out = xp.empty_like(x)
        xp.copyto(out, v, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx, g):
        data = g._data if isinstance(g, Tensor) else g
        zero = array_module(data).zeros(g.shape, dtype=data.dtype)
        return (zero if ctx.needs_input_grad[0] else None), (g if ctx.needs_input_grad[1] else None)


def fill_(x: Tensor, value) -> Tensor:
    """Every element set to ``value`` (a number or a 0-d tensor, differentiable if it requires grad)."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} dimensions."
            )
        if not value._requires_grad:
            value = value._data.reshape(()).item()
    if isinstance(value, Tensor):
        return write_inplace(x, lambda t: Overwrite.apply(t, value), others=(value,))
    return write_inplace(x, lambda t: Overwrite.apply(t, array_module(t._data).asarray(value)),
                         direct=lambda a: a.fill(value))


def zero_(x: Tensor) -> Tensor:
    """Every element set to 0."""
    return write_inplace(x, lambda t: Overwrite.apply(t, array_module(t._data).zeros((), t._data.dtype)),
                         direct=lambda a: a.fill(0))


def copy_(x: Tensor, src, non_blocking: bool = False) -> Tensor:
    """x's values replaced by ``src`` (broadcast to x's shape, cast to x's dtype); the gradient
    flows to src, cast back to its dtype."""
    if not isinstance(src, Tensor):
        src = tensor(src)
    try:
        shape = np.broadcast_shapes(src._data.shape, x._data.shape)
    except ValueError:
        raise broadcast_error(x._data.shape, src._data.shape) from None
    if shape != x._data.shape:
        raise RuntimeError(f"output with shape {list(x._data.shape)} doesn't match the broadcast shape {list(shape)}")
    if src._data.dtype != x._data.dtype and src._requires_grad and x.dtype.category != 2:
        src = src.detach()  # an integer destination can't carry a gradient back
    return write_inplace(
        x, lambda t: Overwrite.apply(t, src), direct=lambda a: array_module(a).copyto(a, src._data, casting="unsafe"), others=(src,)
    )


# -- views ---------------------------------------------------------------------------------------------


def mark_view(out: Tensor, base: Tensor, view_fn) -> Tensor:
    """Note on ``out``'s node that it views ``base`` and that ``view_fn(base)`` rebuilds it.

    A view of a view records the root base and the composed function (PyTorch's ``_base``),
    so the chain still works when the intermediate views are gone. The root is held by a weak
    reference: once an in-place op has written through a view, the root's history contains
    the view's old node, and a strong link back would be a reference cycle that only the
    cyclic GC frees. A root nobody holds can't be read again, so a view that outlives it is
    updated like a plain tensor. Only views recorded in a graph are marked (outside one,
    in-place ops write plain arrays), so the untracked hot path pays one attribute check.
    """
    node = out.grad_fn
    if node is not None:
        if base.grad_fn is not None and "_multi_view" in base.grad_fn.__dict__:
            node._multi_view = base.grad_fn._multi_view  # a view of split()'s piece is refused in place too
        parent = base.grad_fn.__dict__.get("_view_src") if base.grad_fn is not None else None
        root = parent[0]() if parent is not None else None
        if root is not None and array_module(root._data).may_share_memory(root._data, base._data):
            root_fn = parent[1]
            node._view_src = (parent[0], lambda t: view_fn(root_fn(t)))
        else:
            node._view_src = (weakref.ref(base), view_fn)
    return out


def mark_multi_view(outputs: tuple, name: str) -> tuple:
    """``split``/``unbind``'s pieces in a graph: PyTorch refuses in-place ops on them (their
    backward is one node for all pieces), naming the piece as ``Output i of <name>``."""
    for i, out in enumerate(outputs):
        if out.grad_fn is not None:
            out.grad_fn._multi_view = f"Output {i} of {name}"
    return outputs


def _write_through_view(x: Tensor, base: Tensor, view_fn, compute) -> Tensor:
    """In-place on a view in a graph: base[view positions] = compute(x), out of place and
    differentiable, then x becomes the view of the base's new value."""
    if base._requires_grad and base.grad_fn is None:
        raise RuntimeError(_LEAF_VIEW_MESSAGE)
    result = _differentiable_result(x, compute(x))
    _check_storable(x, result._data)
    # The new node may have saved x's old values (a view of the storage about to change).
    _detach_saved_storage(result.grad_fn, x._data)
    xp = array_module(base._data)
    with _gm.no_grad():
        positions = view_fn(_wrap(xp.arange(base._data.size).reshape(base._data.shape)))._data
    if xp.unique(positions).size != positions.size:
        raise RuntimeError(OVERLAP_MESSAGE)
    if result._data.dtype != base._data.dtype:
        result = to_dtype(result, base.dtype)
    write_inplace(base, lambda b: PutPositions.apply(b, positions, result), others=(result,))
    rebuilt = mark_view(view_fn(base), base, view_fn)  # so a second in-place op on x finds base again
    x.grad_fn = rebuilt.grad_fn
    x._output_nr = rebuilt._output_nr
    x._requires_grad = rebuilt._requires_grad
    return x


class PutPositions(Op):
    """y = x with y.flat[p] = v (p: distinct flat positions, shaped like v);  dx = dy zeroed at p, dv = dy.flat[p].

    How an in-place write through a view reaches its base: p are the base positions the view reads.
    Not built from reshape + index_put, which would mark views of the base inside the base's own new
    history (a reference cycle); `TakePositions` is its adjoint, so it differentiates again.
    """

    _node_name = "CopySlices"

    @staticmethod
    def forward(ctx, x, p, v):
        ctx.p = p
        return _put_flat(x, p, v)

    @staticmethod
    def backward(ctx, g):
        p = ctx.p
        gx = gv = None
        if ctx.needs_input_grad[0]:
            if isinstance(g, Tensor):
                gx = PutPositions.apply(g, p, _wrap(array_module(g._data).zeros(p.shape, g._data.dtype)))
            else:
                gx = _put_flat(g, p, 0)
        if ctx.needs_input_grad[2]:
            gv = TakePositions.apply(g, p) if isinstance(g, Tensor) else _take_flat(g, p)
        return gx, None, gv


class TakePositions(Op):
    """y = x.flat[p] (shaped like p, positions distinct);  dx = zeros with dx.flat[p] = dy."""

    @staticmethod
    def forward(ctx, x, p):
        ctx.meta = (x.shape, x.dtype, p)
        return _take_flat(x, p)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, p = ctx.meta
        if isinstance(g, Tensor):
            return PutPositions.apply(_wrap(array_module(g._data).zeros(shape, dtype)), p, g), None
        return _put_flat(array_module(g).zeros(shape, dtype), p, g), None


def _put_flat(a, p, v):
    out = a.copy()  # C order: its flat positions are the ones p counts
    out.reshape(-1)[p.reshape(-1)] = v.reshape(-1) if hasattr(v, "reshape") else v
    return out


def _take_flat(a, p):
    return a.reshape(-1)[p.reshape(-1)].reshape(p.shape)


def _detach_saved_storage(node, storage) -> None:
    """The new node may have saved the very array about to be overwritten: keep a copy instead."""
    if node is None:
        return
    saved = node._saved
    if not saved or not any(s is storage for s in saved):
        return
    node._saved = tuple(s.copy() if s is storage else s for s in saved)
    changed = {i for i, s in enumerate(saved) if s is storage}
    if node._saved_versions:
        node._saved_versions = [v for v in node._saved_versions if v[2] not in changed] or None
    if node._saved_sources is not None:
        node._saved_sources = [None if i in changed else src for i, src in enumerate(node._saved_sources)]
