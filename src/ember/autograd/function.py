"""The graph: ``Function`` (what an op computes, forward and backward side by side)
and ``Node`` (one recorded call of it, the ``grad_fn`` of its outputs).

Two kinds of Function share this machinery:

* ember's own primitives in ``ember._ops`` subclass :class:`Op`: ``forward`` and
  ``backward`` see NumPy arrays, which keeps the hot path free of wrappers;
* user code subclasses :class:`Function` exactly as in PyTorch: ``forward`` and
  ``backward`` see Tensors.

Every Op's backward is written with operators and NumPy ufuncs only, so that the
same code runs on Tensors when ``create_graph=True`` (Tensor implements
``__array_ufunc__``): one derivative per op serves first and higher orders.
"""

from __future__ import annotations

import weakref

import numpy as np

from .. import _tensor as _T
from . import grad_mode as _gm

Tensor = _T.Tensor

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the adjoint of broadcasting ``shape`` up to grad's shape.

    Works on ndarrays and (under create_graph) on Tensors alike.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


class Node:
    """One recorded call of a Function: the ``grad_fn`` of the tensors it produced.

    Attributes set when recording: ``next_functions`` (one ``(node, output_nr)`` per
    input, ``(None, 0)`` for inputs that need no gradient), ``needs_input_grad``.
    """

    _function = None  # the Function class this node records
    _saved = ()
    _saved_versions = None
    _saved_sources = None
    _freed = False
    _graph_mode = False
    _tensor_hooks = None
    _materialize_grads = True
    _non_differentiable = None

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    # -- what forward keeps for backward -------------------------------------------
    def save_for_backward(self, *values) -> None:
        """Keep values for backward. Inputs and outputs among them are version-checked."""
        self._saved = values

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        if self._saved_versions is not None:
            self._check_versions()
        if self._graph_mode and self._saved_sources is not None and not self._function._tensor_io:
            return tuple(
                _resolve_source(src, val) for src, val in zip(self._saved_sources, self._saved)
            )
        return self._saved

    def _check_versions(self) -> None:
        for counter, version, index in self._saved_versions:
            if counter[0] != version:
                value = self._saved[index]
                shape = "x".join(map(str, value.shape)) if value.shape else ""
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{_legacy_name(value)} [{shape}]] is at version "
                    f"{counter[0]}; expected version {version} instead. Hint: the operation that "
                    f"failed was {self.name()}; avoid modifying that tensor in place, or clone it first."
                )

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_differentiable = outputs

    def mark_dirty(self, *tensors) -> None:
        """Accepted for PyTorch compatibility; ember's Function outputs are always new tensors."""

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize_grads = bool(value)

    # -- hooks on the tensors this node produced ----------------------------------
    def _add_tensor_hook(self, output_nr: int, hook) -> None:
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        self._tensor_hooks.setdefault(output_nr, []).append(hook)

    def register_hook(self, hook):
        """Register ``hook(grad_inputs, grad_outputs)`` called after this node's backward."""
        hooks = self.__dict__.setdefault("_post_hooks", [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    # -- called by the engine -------------------------------------------------------
    def _release(self) -> None:
        self._saved = ()
        self._saved_sources = None
        self._freed = True

    def _run_backward(self, grads, create_graph: bool):
        """Call the Function's backward on ``grads`` (one per output) and shape the result
        to one gradient per input, broadcasting undone and dtype matched."""
        function = self._function
        self._graph_mode = create_graph
        try:
            if function._tensor_io or create_graph:
                grads = tuple(g if g is None or isinstance(g, Tensor) else Tensor._wrap(g) for g in grads)
                with _gm.set_grad_enabled(create_graph):
                    result = function.backward(self, *grads)
            else:
                result = function.backward(self, *grads)
        finally:
            self._graph_mode = False
        if not isinstance(result, tuple):
            result = (result,)
        metas = self._input_meta
        if len(result) < len(metas):
            if not (function._tensor_io and len(result) == 1):
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {len(metas)}, got {len(result)})"
                )
        out = []
        for g, meta in zip(result, metas):
            if g is None or meta is None:
                out.append(None)
                continue
            shape, np_dtype = meta
            if isinstance(g, Tensor) and not create_graph:
                g = g._data
            elif not isinstance(g, (np.ndarray, Tensor)):
                g = np.asarray(g, dtype=np_dtype)
            if g.shape != shape:
                g = unbroadcast(g, shape)
                if g.shape != shape:
                    raise RuntimeError(
                        f"Function {self.name()} returned an invalid gradient - got shape "
                        f"{tuple(g.shape)} but expected shape compatible with {shape}"
                    )
            if isinstance(g, np.ndarray):
                if g.dtype != np_dtype:
                    g = g.astype(np_dtype)
            elif g._data.dtype != np_dtype:
                g = g.to(_T._from_np_dtype(np_dtype))
            out.append(g)
        post = self.__dict__.get("_post_hooks")
        if post:
            for hook in post:
                hook(tuple(out), grads)
        return out


def _resolve_source(src, value):
    """Under create_graph, a saved input/output array is replaced by its Tensor so the
    second derivative flows through it; other saved arrays become constants."""
    if src is None:
        return Tensor._wrap(value) if isinstance(value, np.ndarray) else value
    tensor = src() if isinstance(src, weakref.ref) else src
    if tensor is None or tensor._data is not value:
        return Tensor._wrap(value)
    return tensor


def _legacy_name(array) -> str:
    d = _T._from_np_dtype(array.dtype)
    return f"torch.{d._legacy}"


class _RemovableHandle:
    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass


class AccumulateGrad(Node):
    """The node at a leaf: adds the incoming gradient into ``leaf.grad``."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()
        self._input_meta = ()

    def _accumulate(self, grad, create_graph: bool) -> None:
        leaf = self.variable
        hooks = leaf._hooks
        if hooks:
            for hook in list(hooks.values()):
                new = hook(grad if isinstance(grad, Tensor) else Tensor._wrap(grad))
                if new is not None:
                    grad = new
        if isinstance(grad, Tensor) and not create_graph:
            grad = grad._data
        if grad.shape != leaf._data.shape:
            grad = unbroadcast(grad, leaf._data.shape)
        if leaf.grad is None:
            if create_graph:
                leaf.grad = grad if isinstance(grad, Tensor) else Tensor._wrap(grad)
            else:
                leaf.grad = Tensor._wrap(_owned(grad, leaf._data.dtype))
        elif create_graph or isinstance(leaf.grad._data, Tensor):
            leaf.grad = leaf.grad + grad
        elif leaf.grad._requires_grad:
            leaf.grad = Tensor._wrap(leaf.grad._data + _data_of(grad))
        else:
            np.add(leaf.grad._data, _data_of(grad), out=leaf.grad._data, casting="unsafe")


def _data_of(x):
    return x._data if isinstance(x, Tensor) else x


def _owned(grad, np_dtype):
    """A gradient array that no one else holds, so it can be stored in ``.grad`` and later
    updated in place. Pass-through ops (add, reshape, expand...) hand the same array to
    several inputs; those must be copied, while a fresh result (matmul, sum) is kept as is.
    The reference count tells them apart without copying every gradient."""
    if isinstance(grad, Tensor):
        grad = grad._data
    if grad.dtype != np_dtype:
        return grad.astype(np_dtype)
    import sys

    if grad.base is not None or not grad.flags.writeable or sys.getrefcount(grad) > _OWNED_REFCOUNT:
        return grad.copy()
    return grad


# References a freshly computed gradient has while inside _owned: the engine's local
# variable, the argument, getrefcount's own, plus the caller's frames (measured in tests).
_OWNED_REFCOUNT = 4


class FunctionMeta(type):
    """Gives each Function a node class named like PyTorch's (``MulBackward0``)."""

    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        node_name = namespace.get("_node_name") or f"{name}Backward0"
        cls._node_cls = type(node_name, (Node,), {"_function": cls, "__module__": cls.__module__})


class Function(metaclass=FunctionMeta):
    """Base of user-defined differentiable functions, as in PyTorch.

    Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``
    that take and return Tensors, then call ``MyFunction.apply(*args)``.
    """

    _tensor_io = True
    _is_view = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")

    @classmethod
    def apply(cls, *args, **kwargs):
        record = _gm._enabled and any(type(a) is not tuple and isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx = cls._node_cls()
        if cls._tensor_io:
            with _gm.set_grad_enabled(False):
                raw = cls.forward(ctx, *args, **kwargs)
        else:
            raw = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args], **kwargs)
        multiple = isinstance(raw, tuple)
        raw_outputs = raw if multiple else (raw,)
        outputs = []
        for value in raw_outputs:
            if isinstance(value, Tensor):
                value = value._data
            outputs.append(Tensor._wrap(value) if isinstance(value, (np.ndarray, np.generic)) else value)
        if record:
            _record(ctx, cls, args, outputs)
        elif cls._is_view and isinstance(args[0], Tensor):
            outputs[0]._version = args[0]._version
        return tuple(outputs) if multiple else outputs[0]


class Op(Function):
    """Base of ember's primitives: ``forward``/``backward`` on NumPy arrays."""

    _tensor_io = False


def _record(ctx: Node, cls, args, outputs) -> None:
    """Attach ``ctx`` as grad_fn of the floating outputs and wire it to the inputs."""
    needs, edges, metas = [], [], []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            needs.append(True)
            edges.append(a._edge())
            metas.append((a._data.shape, a._data.dtype))
        else:
            needs.append(False)
            edges.append((None, 0))
            metas.append(None)
    ctx.needs_input_grad = tuple(needs)
    ctx.next_functions = tuple(edges)
    ctx._input_meta = metas
    if len(outputs) > 1:
        ctx._n_outputs = len(outputs)
        ctx._output_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else ((), None) for o in outputs]
    non_diff = ctx._non_differentiable
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor) or out._data.dtype.kind != "f":
            continue
        if non_diff and any(out._data is (n._data if isinstance(n, Tensor) else n) for n in non_diff):
            continue
        out.grad_fn = ctx
        out._output_nr = i
        out._requires_grad = True
    if cls._is_view and isinstance(args[0], Tensor):
        outputs[0]._version = args[0]._version
    saved = ctx._saved
    if saved:
        _track_saved(ctx, saved, args, outputs)


def _track_saved(ctx: Node, saved, args, outputs) -> None:
    """Note which saved values are inputs or outputs: their versions are checked before
    backward uses them, and under create_graph they stand for the Tensors themselves."""
    versions, sources = [], []
    for index, value in enumerate(saved):
        source = None
        if isinstance(value, Tensor):  # user Functions save Tensors
            source = value
            versions.append((value._version, value._version[0], index))
        elif isinstance(value, np.ndarray):
            for a in args:
                if isinstance(a, Tensor) and a._data is value:
                    source = a
                    versions.append((a._version, a._version[0], index))
                    break
            else:
                for out in outputs:
                    if isinstance(out, Tensor) and out._data is value:
                        source = weakref.ref(out)  # a strong ref would be a cycle through grad_fn
                        versions.append((out._version, out._version[0], index))
                        break
        sources.append(source)
    ctx._saved_versions = versions or None
    ctx._saved_sources = sources
