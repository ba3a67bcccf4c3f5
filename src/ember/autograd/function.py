"""The graph: ``Function`` (what an op computes, forward and backward side by side)
and ``Node`` (one recorded call of it, the ``grad_fn`` of its outputs).

Two kinds of Function share this machinery:

* ember's own primitives in ``ember._ops`` subclass `Op`: ``forward`` and
  ``backward`` see NumPy arrays, which keeps the hot path free of wrappers;
* user code subclasses `Function` exactly as in PyTorch: ``forward`` and
  ``backward`` see Tensors.

Every Op's backward is written with operators and NumPy ufuncs only, so that the
same code runs on Tensors when ``create_graph=True`` (Tensor implements
``__array_ufunc__``): one derivative per op serves first and higher orders.

Ownership of the graph, as in PyTorch: a tensor holds its ``grad_fn``; a node holds
the nodes of its inputs (``next_functions``) and what it saved, never its outputs
(a saved output is kept as its array and rebuilt on demand), so dropping the last
tensor frees the graph by reference counting alone, without waiting for the cyclic GC.
"""

from __future__ import annotations

import sys
import weakref

import numpy as np

from .. import _tensor as _T
from .._backend import array_module, is_array
from . import grad_mode as _gm

_grad_state = _gm._state
Tensor = _T.Tensor
_wrap = Tensor._wrap
_data_of = _T.data_of
_NUMPY_SCALARS = (np.number, np.bool_)  # what NumPy's 0-d math returns instead of an array

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
    if lead < 0:
        return grad  # not a broadcast of shape: the caller reports the mismatch
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


class _OutputRef:
    """Stands for a saved output of the node that saved it. Holding the output tensor
    itself would make a cycle (output -> grad_fn -> saved -> output); instead the node
    keeps the array and rebuilds a tensor with itself as grad_fn when backward needs
    one that is differentiable (create_graph), as PyTorch's SavedVariable does."""

    __slots__ = ("nr", "version")

    def __init__(self, nr: int, version: list):
        self.nr, self.version = nr, version


class Node:
    """One recorded call of a Function: the ``grad_fn`` of the tensors it produced.

    ``next_functions`` has one ``(node, output_nr)`` per forward argument (``(None, 0)``
    for arguments that need no gradient); ``needs_input_grad`` says which ones do.
    The node is also the ``ctx`` its Function's forward and backward receive.
    """

    _function = None  # the Function class this node records
    _saved = ()
    _saved_versions = None  # [(version counter, version at save, index in _saved)]
    _saved_sources = None  # per saved value: the input Tensor, an _OutputRef, or None
    _packed = None  # per saved value: (unpack_hook, packed) when a saved-tensors hook packed it, else None
    _freed = False
    _graph_mode = False
    _tensor_hooks = None  # {output_nr: [hook(grad)]}: hooks of the tensors this node made
    _post_hooks = None
    _pre_hooks = None
    _materialize_grads = True
    _non_differentiable = None
    _dirty = None
    _n_outputs = 1
    _output_meta = None
    _input_meta = ()
    needs_input_grad = ()
    next_functions = ()

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def metadata(self) -> dict:
        return self.__dict__.setdefault("_metadata", {})

    # -- what forward keeps for backward -------------------------------------------
    def save_for_backward(self, *values) -> None:
        """Keep values for backward. Inputs and outputs among them are version-checked."""
        self._saved = values

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        saved = self._saved if self._packed is None else self._unpack_hooked()
        if self._saved_versions is not None:
            self._check_versions(saved)
        sources = self._saved_sources
        if sources is None:
            return saved
        if self._function._tensor_io:
            return tuple(self._unpack_tensor(s, v) for s, v in zip(sources, saved))
        if self._graph_mode:
            return tuple(self._unpack_graph(s, v) for s, v in zip(sources, saved))
        return saved

    def _unpack_hooked(self) -> tuple:
        """The saved values, those packed by a saved-tensors hook passed through its unpack hook."""
        values = list(self._saved)
        for index, entry in enumerate(self._packed):
            if entry is not None:
                unpack_hook, packed = entry
                t = unpack_hook(packed)
                if not isinstance(t, Tensor):
                    raise TypeError(
                        "Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                        f"{type(t).__name__}"
                    )
                values[index] = t._data
        return tuple(values)

    def _unpack_graph(self, source, value):
        """Under create_graph, a saved input or output stands for its Tensor, so the second
        derivative flows through it; any other saved array is a constant."""
        if isinstance(source, Tensor):
            return source
        if isinstance(source, _OutputRef):
            return self._rebuild_output(source, value)
        return _wrap(value) if is_array(value) else value

    def _unpack_tensor(self, source, value):
        """What a user Function's backward gets back: Tensors, differentiable under create_graph."""
        if isinstance(source, _OutputRef):
            if self._graph_mode:
                return self._rebuild_output(source, value)
            t = _wrap(value)
            t._version = source.version
            return t
        if source is not None:
            return source
        return _wrap(value) if is_array(value) else value

    def _rebuild_output(self, ref: _OutputRef, value) -> Tensor:
        t = _wrap(value)
        t._version = ref.version
        t.grad_fn = self
        t._output_nr = ref.nr
        t._requires_grad = True
        return t

    def _check_versions(self, saved) -> None:
        for counter, version, index in self._saved_versions:
            if counter[0] != version:
                value = saved[index]
                value = value._data if isinstance(value, Tensor) else value
                shape = ", ".join(map(str, value.shape))
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{_legacy_name(value)} [{shape}]] is at version "
                    f"{counter[0]}; expected version {version} instead. Hint: the operation that "
                    f"failed was {self.name()}; avoid modifying that tensor in place, or clone it first."
                )

    def mark_non_differentiable(self, *outputs) -> None:
        """Outputs that get no grad_fn (PyTorch's ``ctx.mark_non_differentiable``)."""
        self._non_differentiable = outputs

    def mark_dirty(self, *tensors) -> None:
        """Inputs that forward modified in place (and returns): they join the graph through this node."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """False: backward receives None (not zeros) for outputs that got no gradient."""
        self._materialize_grads = bool(value)

    # -- hooks -------------------------------------------------------------------------
    def _add_tensor_hook(self, output_nr: int, hook) -> None:
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        self._tensor_hooks.setdefault(output_nr, []).append(hook)

    def register_hook(self, hook):
        """Register ``hook(grad_inputs, grad_outputs)``, called after this node's backward;
        it may return replacement grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(hook)
        return _RemovableHandle(self._post_hooks, hook)

    def register_prehook(self, hook):
        """Register ``hook(grad_outputs)``, called before this node's backward; it may
        return replacement grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)
        return _RemovableHandle(self._pre_hooks, hook)

    # -- called by the engine -------------------------------------------------------
    def _release(self) -> None:
        self._saved = ()
        self._saved_sources = None
        self._saved_versions = None
        self._packed = None
        self._freed = True

    def _run_backward(self, grads: tuple, create_graph: bool) -> list:
        """Call the Function's backward on ``grads`` (one per output) and shape the result
        to one gradient per input: broadcasting undone, dtype matched, arrays unless
        create_graph (then Tensors that carry their own graph)."""
        function = self._function
        if self._pre_hooks:
            for hook in self._pre_hooks:
                new = hook(tuple(_as_tensor(g) for g in grads))
                if new is not None:
                    grads = tuple(new)
        if function._tensor_io or create_graph:
            grads = tuple(g if g is None or isinstance(g, Tensor) else _wrap(g) for g in grads)
            self._graph_mode = create_graph
            prev = _gm._state.enabled
            _gm._state.enabled = create_graph
            try:
                result = function.backward(self, *grads)
            finally:
                _gm._state.enabled = prev
                self._graph_mode = False
        else:
            result = function.backward(self, *grads)
        if type(result) is not tuple:
            result = tuple(result) if isinstance(result, list) else (result,)
        metas = self._input_meta
        if len(result) != len(metas):
            if len(result) < len(metas) or any(g is not None for g in result[len(metas):]):
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {len(metas)}, got {len(result)})"
                )
        out = []
        for i, (g, meta) in enumerate(zip(result, metas)):
            if g is None or meta is None:
                out.append(None)
                continue
            shape, np_dtype = meta
            if isinstance(g, Tensor):
                if not create_graph:
                    g = g._data
            elif not is_array(g):
                g = array_module(g).asarray(g, dtype=np_dtype)  # NumPy scalars and numbers from 0-d math
            if g.shape != shape:
                g = unbroadcast(g, shape)
                if g.shape != shape:
                    raise RuntimeError(
                        f"Function {self.name()} returned an invalid gradient at index {i} - got "
                        f"{list(g.shape)} but expected shape compatible with {list(shape)}"
                    )
            if is_array(g):
                if g.dtype != np_dtype:
                    g = g.astype(np_dtype)
            elif g._data.dtype != np_dtype:
                g = g.to(_T._from_np_dtype(np_dtype))
            out.append(g)
        if self._post_hooks:
            grad_inputs = tuple(_as_tensor(g) for g in out)
            for hook in self._post_hooks:
                new = hook(grad_inputs, tuple(_as_tensor(g) for g in grads))
                if new is not None:
                    grad_inputs = tuple(new)
            out = [g if g is None or create_graph else _data_of(g) for g in grad_inputs]
        return out


def _check_hook_result(hook, old, new) -> None:
    """A hook may replace a gradient, but not change its shape or dtype (PyTorch's rule)."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not (isinstance(new, Tensor) or is_array(new)):
        raise TypeError(f"hook '{name}' returned {type(new).__name__}; expected a Tensor or None")
    old_data, new_data = _data_of(old), _data_of(new)
    if new_data.shape != old_data.shape:
        raise RuntimeError(
            f"hook '{name}' has changed the size of value (was {list(old_data.shape)} got {list(new_data.shape)})"
        )
    if new_data.dtype != old_data.dtype:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was {_legacy_name(old_data)} got {_legacy_name(new_data)})"
        )


def _as_tensor(g):
    return g if g is None or isinstance(g, Tensor) else _wrap(g)


def _legacy_name(array) -> str:
    return f"torch.{_T._from_np_dtype(array.dtype)._legacy}"


class _RemovableHandle:
    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


# -- leaves -------------------------------------------------------------------------------------


class AccumulateGrad(Node):
    """The node at a leaf: adds the incoming gradient into ``leaf.grad``.

    The leaf holds it; it holds the leaf only weakly, so the two form no reference cycle.
    """

    def __init__(self, variable):
        # Weak: the leaf holds its accumulator (so each op on it finds the same one without
        # re-creating it), and a strong reference back would make a cycle that only the
        # cyclic GC could free. A leaf nobody holds any more has no .grad to fill.
        self._variable = weakref.ref(variable)

    @property
    def variable(self):
        return self._variable()

    def _apply_hooks(self, grad, create_graph: bool):
        """The leaf's ``register_hook`` hooks, in order; each may replace the gradient."""
        leaf = self._variable()
        hooks = leaf._hooks if leaf is not None else None
        if hooks:
            for hook in list(hooks.values()):
                new = hook(_as_tensor(grad))
                if new is not None:
                    _check_hook_result(hook, grad, new)
                    grad = new if create_graph else _data_of(new)
        return grad

    def _accumulate(self, grad, create_graph: bool) -> None:
        """Add ``grad`` (an ndarray; a Tensor under create_graph) into ``leaf.grad``.

        The engine holds no other reference to ``grad`` when it calls this, so when nothing
        else does either, the array becomes ``.grad`` without a copy (see ``_owned``).
        """
        leaf = self._variable()
        if leaf is None:
            return
        # While ``grad`` is the engine's array, the engine's variable is one of its references;
        # once a hook or the unbroadcast replaces it, that reference is no longer there.
        refs = _OWNED_REFS
        if leaf._hooks:
            new = self._apply_hooks(grad, create_graph)
            if new is not grad:
                refs -= 1
            grad, new = new, None
        if create_graph:
            grad = _as_tensor(grad)
        if grad.shape != leaf._data.shape:
            grad = unbroadcast(grad, leaf._data.shape)
            refs = _OWNED_REFS - 1
        current = leaf._grad
        if current is None:
            if create_graph:
                # A differentiable copy (PyTorch's "clone obeying the layout contract"): the
                # same gradient tensor may reach several leaves, and each .grad must be its own.
                leaf._grad = grad.clone() if grad._requires_grad else _wrap(grad._data.copy())
            else:
                leaf._grad = _wrap(_owned(grad, leaf._data.dtype, refs))
        elif create_graph or current._requires_grad:
            # Out of place, so a .grad that carries a graph (from create_graph) keeps it.
            prev = _gm._state.enabled
            _gm._state.enabled = create_graph
            try:
                leaf._grad = current + grad
            finally:
                _gm._state.enabled = prev
        else:
            array_module(current._data, grad).add(current._data, grad, out=current._data, casting="unsafe")
            current._version[0] += 1
        # ``_post_accumulate_hooks`` is a slot left unset until a hook is registered, so
        # creating tensors doesn't pay for this rarely used feature.
        hooks = getattr(leaf, "_post_accumulate_hooks", None)
        if hooks:
            for hook in list(hooks.values()):
                hook(leaf)


def edge_of(t) -> tuple:
    """(node, output_nr) through which gradient reaches tensor ``t``: its grad_fn, or the leaf's
    accumulator (made on first use and kept on the leaf, so every op on it finds the same one)."""
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    acc = t._accumulator
    if acc is None:
        acc = t._accumulator = AccumulateGrad(t)  # it refers back only weakly
    return (acc, 0)


def _owned(grad, np_dtype, max_refs: int):
    """``grad`` itself if no one else can see its memory, else a copy.

    Pass-through ops (add, reshape, expand ...) hand one array to several consumers, and a
    backward may return an array something else holds; storing such an array in ``.grad``
    would let ``a.grad.mul_(2)`` change ``b.grad`` too. An array that owns its memory is
    reachable only through references to it (views hold their base), so when its reference
    count is no more than the references of this call path (``max_refs``) it is provably
    unshared and is kept as is: the common fresh result of matmul, mul, sum ... costs no
    copy. ``_OWNED_REFS`` is measured at import through the same call shape (the engine's
    variable, ``_accumulate``'s, ``_owned``'s, ``_refcount``'s), so it follows the interpreter.
    """
    if grad.dtype != np_dtype:
        return grad.astype(np_dtype)
    if grad.flags.owndata and grad.flags.writeable and _refcount(grad) <= max_refs:
        return grad
    return grad.copy()


def _refcount(array) -> int:
    return sys.getrefcount(array)


def _owned_baseline() -> int:
    """The reference count ``_owned`` sees for an array referenced by one local variable of
    the engine: engine local -> ``_accumulate(grad)`` -> ``_owned(grad)`` -> ``_refcount``."""

    def accumulate(grad):
        return owned(grad)

    def owned(grad):
        return _refcount(grad)

    local = array_module().empty(1)  # the default library's array: the engine's gradients are its arrays
    return accumulate(local)


_OWNED_REFS = _owned_baseline()


# -- Function ----------------------------------------------------------------------------------


class FunctionMeta(type):
    """Gives each Function a node class named like PyTorch's: ``MulBackward0`` for ember's
    primitives, ``MyFunctionBackward`` for user-defined Functions."""

    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        node_name = namespace.get("_node_name") or f"{name}Backward{'' if cls._tensor_io else '0'}"
        cls._node_cls = type(node_name, (Node,), {"_function": cls, "__module__": cls.__module__})


class Function(metaclass=FunctionMeta):
    """Base of user-defined differentiable functions, as in PyTorch.

    Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``
    that take and return Tensors, then call ``MyFunction.apply(*args)``. ``ctx`` offers
    ``save_for_backward``/``saved_tensors``, ``needs_input_grad``, ``mark_non_differentiable``,
    ``mark_dirty`` and ``set_materialize_grads``; any other attribute can be stored on it.
    """

    _tensor_io = True
    _is_view = False

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._node_cls()
        needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        record = _gm._state.enabled and True in needs
        ctx.needs_input_grad = needs  # like PyTorch: set before forward, whatever the grad mode
        prev = _gm._state.enabled
        _gm._state.enabled = False
        try:
            raw = cls.forward(ctx, *args, **kwargs)
        finally:
            _gm._state.enabled = prev
        multiple = isinstance(raw, tuple)
        outputs = list(raw) if multiple else [raw]
        dirty = ctx._dirty
        if dirty and _gm._state.enabled:
            for d in dirty:
                if d._requires_grad and d.grad_fn is None:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        for i, value in enumerate(outputs):
            if isinstance(value, Tensor):
                if dirty and any(value is d for d in dirty):
                    value._version[0] += 1  # modified in place by forward: saved copies are stale
                elif any(value is a for a in args):
                    # An input returned as is becomes a new tensor viewing it (PyTorch does the
                    # same), so giving it this node as grad_fn leaves the input untouched.
                    view = _wrap(value._data)
                    view._version = value._version
                    outputs[i] = view
            elif is_array(value) or isinstance(value, _NUMPY_SCALARS):
                outputs[i] = _wrap(value)
        if record:
            _record(ctx, cls, args, outputs)
        result = tuple(outputs) if multiple else outputs[0]
        if _grad_state.tracer is not None:
            _grad_state.tracer(cls, args, result)
        return result


class Op(Function):
    """Base of ember's primitives: ``forward``/``backward`` on NumPy arrays.

    ``forward(ctx, *args)`` gets arrays for tensor arguments and returns an array (or a
    tuple of them); ``backward(ctx, grad)`` returns one gradient per argument.
    ``_is_view = True`` marks ops whose output is a view of the first argument: it then
    shares that argument's version counter.

    ``infer(*args)``, when an op defines it, is its fast path: the same result as
    ``forward`` without a ctx, used when nothing will be recorded. It lives behind the
    door (``apply``), so tracers and grad mode see it like any other call.
    """

    _tensor_io = False
    infer = None

    @classmethod
    def apply(cls, *args):
        """The door every primitive's result passes through: it decides whether the call is
        recorded for backward, runs the fast path when it is not, and shows the call to the
        active tracer (ONNX export) if there is one."""
        raw_args = []
        record = False
        for a in args:
            if isinstance(a, Tensor):
                raw_args.append(a._data)
                if a._requires_grad:
                    record = True
            else:
                raw_args.append(a)
        state = _grad_state
        record = record and state.enabled
        infer = cls.infer
        if record or infer is None:
            ctx = cls._node_cls()
            raw = cls.forward(ctx, *raw_args)
        else:
            raw = infer(*raw_args)
        if type(raw) is tuple:
            outputs = [_wrap(v) if is_array(v) or isinstance(v, _NUMPY_SCALARS) else v for v in raw]
            if record:
                _record(ctx, cls, args, outputs)
            elif cls._is_view and isinstance(args[0], Tensor):
                outputs[0]._version = args[0]._version
            result = tuple(outputs)
        else:
            result = _wrap(raw)
            if record:
                _record(ctx, cls, args, (result,))
            elif cls._is_view and isinstance(args[0], Tensor):
                result._version = args[0]._version
        if state.tracer is not None:
            state.tracer(cls, args, result)
        return result


def emit(name: str, args: tuple, array) -> Tensor:
    """The door for results that are never differentiable (comparisons, predicates, bit
    tests): wrap ``array`` and show the call ``name(*args)`` to the active tracer."""
    result = _wrap(array)
    tracer = _grad_state.tracer
    if tracer is not None:
        tracer(name, args, result)
    return result


def _record(ctx: Node, cls, args, outputs) -> None:
    """Attach ``ctx`` as grad_fn of the floating outputs and wire it to the inputs."""
    needs, edges, metas = [], [], []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            needs.append(True)
            edges.append(edge_of(a))
            data = a._data
            metas.append((data.shape, data.dtype))
        else:
            needs.append(False)
            edges.append(_NO_EDGE)
            metas.append(None)
    ctx.needs_input_grad = tuple(needs)
    ctx.next_functions = tuple(edges)
    ctx._input_meta = metas
    if len(outputs) == 1 and not cls._tensor_io:
        out = outputs[0]
        if out._data.dtype.kind == "f" and not ctx._non_differentiable:
            out.grad_fn = ctx
            out._requires_grad = True
    else:
        _record_outputs(ctx, outputs)
    if cls._is_view and isinstance(args[0], Tensor):
        outputs[0]._version = args[0]._version
    if ctx._saved:
        _track_saved(ctx, args, outputs)


_NO_EDGE = (None, 0)


def _record_outputs(ctx: Node, outputs) -> None:
    ctx._n_outputs = len(outputs)  # the engine materializes zeros for outputs from this meta
    ctx._output_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outputs]
    non_diff = ctx._non_differentiable
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor) or out._data.dtype.kind != "f":
            continue
        if non_diff and any(out is n or out._data is _data_of(n) for n in non_diff):
            continue
        out.grad_fn = ctx
        out._output_nr = i
        out._requires_grad = True


def _track_saved(ctx: Node, args, outputs) -> None:
    """Note which saved values are inputs or outputs: their versions are checked before
    backward uses them (an in-place change makes backward raise, never return a wrong
    gradient), and under create_graph they stand for the Tensors themselves.

    Saved values are kept as arrays; a saved output is replaced by an ``_OutputRef``
    source (see there) so the node does not keep its own output alive.
    """
    tensor_io = ctx._function._tensor_io
    saved = list(ctx._saved)
    versions, sources = [], []
    for index, value in enumerate(saved):
        source = None
        is_tensor = isinstance(value, Tensor)
        array = value._data if is_tensor else value
        if not is_array(array):
            if tensor_io and value is not None:
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {index} is of type {type(value).__name__}"
                )
            sources.append(None)
            continue
        for a in args:
            if isinstance(a, Tensor) and (a._data is array):
                source = a
                break
        else:
            for nr, out in enumerate(outputs):
                if isinstance(out, Tensor) and out._data is array:
                    source = _OutputRef(nr, out._version)
                    break
        if source is not None:
            version = source.version if type(source) is _OutputRef else source._version
            versions.append((version, version[0], index))
            saved[index] = array
        elif is_tensor:
            source = value  # a user Function saved some other tensor: keep it, checked too
            versions.append((value._version, value._version[0], index))
            saved[index] = array
        elif array.base is not None:
            # A view of an input (x.T, x[0] ...): in-place changes to the input reach it,
            # so check the input's version as well.
            for a in args:
                if isinstance(a, Tensor) and (array.base is a._data or array.base is a._data.base):
                    versions.append((a._version, a._version[0], index))
                    break
        sources.append(source)
    if _grad_state.saved_hooks:
        _pack_saved(ctx, saved, sources, outputs)
        # as in torch, a packed value is the hook's business: in-place changes to the original are not checked
        versions = [entry for entry in versions if ctx._packed[entry[2]] is None]
    ctx._saved = tuple(saved)
    ctx._saved_versions = versions or None
    ctx._saved_sources = sources


def _pack_saved(ctx: Node, saved: list, sources: list, outputs) -> None:
    """Hand each saved array to the innermost ``saved_tensors_hooks`` pack hook (as the input or output
    Tensor it came from, else as a new Tensor); the node keeps only what the hook returned."""
    pack_hook, unpack_hook = _grad_state.saved_hooks[-1]
    packed = []
    prev, _grad_state.enabled = _grad_state.enabled, False  # torch packs without recording (and so without recursing)
    try:
        for index, (value, source) in enumerate(zip(saved, sources)):
            if not is_array(value):
                packed.append(None)
                continue
            if isinstance(source, Tensor):
                t = source
            elif isinstance(source, _OutputRef):
                t = outputs[source.nr]
            else:
                t = _wrap(value)
            packed.append((unpack_hook, pack_hook(t)))
            saved[index] = None
    finally:
        _grad_state.enabled = prev
    ctx._packed = packed
