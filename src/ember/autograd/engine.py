"""The backward pass: walk the graph from the outputs in reverse topological order.

The walk is iterative (no recursion), so a chain of 10,000 ops backpropagates.
Each node runs once, after every consumer of its outputs has handed it a gradient
(a count of pending consumers per node, Kahn's algorithm). When only some inputs'
gradients are wanted (``autograd.grad``, ``backward(inputs=...)``), only the nodes on
a path to them run, as in PyTorch.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from .. import _tensor as _T
from .._backend import array_module
from . import grad_mode as _gm
from .function import AccumulateGrad, _as_tensor, _check_hook_result, edge_of, unbroadcast

Tensor = _T.Tensor
_wrap = Tensor._wrap


_queued = threading.local()  # .callbacks: the running backward pass's final callbacks (per thread)


def queue_callback(callback) -> None:
    """Run ``callback()`` when the backward pass now running has finished (PyTorch's
    ``Variable._execution_engine.queue_callback``); DistributedDataParallel waits for its
    gradient all-reduces this way."""
    queue = getattr(_queued, "callbacks", None)
    if queue is None:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    queue.append(callback)


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _initial_grads(outputs: list, grad_outputs: list, create_graph: bool) -> list:
    """One gradient per output: the given ones (cast to the output's dtype), ones for scalars."""
    if grad_outputs and len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"got {len(outputs)} tensors and {len(grad_outputs)} gradients: pass one gradient per tensor"
        )
    grads = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"expected a Tensor as output {i}, got {type(out).__name__}")
        g = grad_outputs[i] if grad_outputs else None
        data = out._data
        if g is None:
            if data.size != 1 and out._requires_grad:  # else "does not require grad" comes first, like PyTorch
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if data.dtype.kind != "f":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
            g = array_module(data).ones_like(data)
        else:
            if isinstance(g, Tensor):
                if not create_graph:
                    g = g._data
            else:
                g = array_module(data).asarray(g, dtype=data.dtype)
            if tuple(g.shape) != data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {_T.Size(g.shape)} and output[{i}] "
                    f"has a shape of {_T.Size(data.shape)}."
                )
            if isinstance(g, Tensor):
                if g._data.dtype != data.dtype:
                    g = g.to(out.dtype)
            elif g.dtype != data.dtype:
                g = g.astype(data.dtype)
        if create_graph:
            g = _as_tensor(g)
        grads.append(g)
    return grads


def _plan(root_nodes: list, targets: dict | None):
    """Which nodes the pass visits and how many gradients each waits for.

    Without ``targets`` every node reachable from the roots runs. With them, a node runs
    only if one of its inputs leads to a target; a target node is visited (to capture its
    gradient) but runs only if it is itself on the way to another target.
    Returns ``(pending, runs)``: pending consumer counts of the visited nodes, and the set
    of nodes that run (None meaning all of them).
    """
    if targets is None:
        pending = dict.fromkeys(root_nodes, 0)
        stack = list(pending)
        while stack:
            node = stack.pop()
            for nxt, _ in node.next_functions:
                if nxt is None:
                    continue
                if nxt in pending:
                    pending[nxt] += 1
                else:
                    pending[nxt] = 1
                    stack.append(nxt)
        return pending, None

    target_nodes = {node for node, _ in targets}
    useful: dict = {}  # node -> True when it is a target or runs
    runs = set()
    for root in root_nodes:  # iterative post-order DFS
        if root in useful:
            continue
        stack = [(root, iter(root.next_functions))]
        while stack:
            node, children = stack[-1]
            for child, _ in children:
                if child is not None and child not in useful:
                    stack.append((child, iter(child.next_functions)))
                    break
            else:
                stack.pop()
                runs_here = type(node) is not AccumulateGrad and any(
                    useful.get(c, False) for c, _ in node.next_functions if c is not None
                )
                if runs_here:
                    runs.add(node)
                useful[node] = runs_here or node in target_nodes
    pending = {node: 0 for node, ok in useful.items() if ok}
    for node in runs:
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt in pending:
                pending[nxt] += 1
    return pending, runs


def _run_graph(outputs, grad_outputs, retain_graph: bool, create_graph: bool, inputs=None, accumulate=True):
    """Propagate ``grad_outputs`` from ``outputs`` through the graph.

    ``inputs=None``: accumulate into every leaf's ``.grad``. Otherwise only gradients for
    ``inputs`` are computed: returned in a list (``accumulate=False``, ``autograd.grad``)
    or accumulated into their ``.grad`` (``accumulate=True``, ``backward(inputs=...)``).
    """
    roots = []
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append(edge_of(out))

    targets = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(inputs):
            targets.setdefault(edge_of(t), []).append(i)
    pending, runs = _plan(list(dict.fromkeys(node for node, _ in roots)), targets)
    captured = [None] * len(inputs) if inputs is not None else None

    retained = _retained_by_node() if _T._retaining else None
    buffers: dict = {}
    for (node, nr), g in zip(roots, grad_outputs):
        _deposit(buffers, node, nr, g)
    ready = [node for node, count in pending.items() if count == 0]

    prev_mode = _gm._state.enabled
    _gm._state.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, None)
            if type(node) is AccumulateGrad:
                if buf is None:
                    continue
                if targets is None or (accumulate and (node, 0) in targets):
                    # ``buf`` must be this frame's only reference to the array here: the
                    # accumulator keeps an unshared array without copying (function._owned).
                    node._accumulate(buf, create_graph)
                else:
                    buf = node._apply_hooks(buf, create_graph)
                    for i in targets.get((node, 0), ()):
                        captured[i] = buf
                buf = None
                continue

            n_out = node._n_outputs
            if n_out == 1 and targets is None and node._tensor_hooks is None and (retained is None or node not in retained):
                grads = (buf,)
                missing = buf is None
            else:
                grads = [buf] if n_out == 1 else (buf or [None] * n_out)
                if node._tensor_hooks:
                    _run_tensor_hooks(node, grads, create_graph)
                if retained is not None and node in retained:
                    _retain(retained[node], grads, create_graph)
                if targets is not None:
                    for nr in range(n_out):
                        for i in targets.get((node, nr), ()):
                            captured[i] = grads[nr]
                    if node not in runs:
                        continue
                missing = sum(g is None for g in grads)
                grads = tuple(grads)

            if missing:
                if missing == n_out and not node._function._tensor_io:
                    # No gradient reached this op (its outputs fed only backward functions
                    # that returned None): it passes none on either, like PyTorch.
                    input_grads = [None] * len(node.next_functions)
                elif node._materialize_grads:
                    input_grads = node._run_backward(_zeros_for_missing(node, grads, create_graph), create_graph)
                else:
                    input_grads = node._run_backward(grads, create_graph)
            else:
                input_grads = node._run_backward(grads, create_graph)
            if _gm._anomaly:
                _check_nan(node, input_grads)
            if not retain_graph:
                node._release()
            for (nxt, nr), g in zip(node.next_functions, input_grads):
                if nxt is None:
                    continue
                count = pending.get(nxt)
                if count is None:
                    continue  # not on the way to a requested input
                if g is not None:
                    if nxt._n_outputs == 1:
                        prev = buffers.get(nxt)
                        buffers[nxt] = g if prev is None else prev + g
                    else:
                        _deposit(buffers, nxt, nr, g)
                if count == 1:
                    ready.append(nxt)
                pending[nxt] = count - 1
            # Drop this frame's references to the gradients handed on (see _accumulate above).
            buf = grads = input_grads = g = prev = None
    finally:
        _gm._state.enabled = prev_mode
    return captured


def run_backward(*args, **kwargs):
    """The backward pass (``_run_graph``), then the callbacks queued during it (``queue_callback``)."""
    outer, _queued.callbacks = getattr(_queued, "callbacks", None), []
    try:
        captured = _run_graph(*args, **kwargs)
        for callback in _queued.callbacks:  # a callback may queue more
            callback()
        return captured
    finally:
        _queued.callbacks = outer


def _check_nan(node, input_grads) -> None:
    """Anomaly mode: name the first node whose backward produced NaN."""
    for i, g in enumerate(input_grads):
        a = g._data if isinstance(g, Tensor) else g
        if g is not None and array_module(a).isnan(a).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def _deposit(buffers: dict, node, nr: int, g) -> None:
    """Add ``g`` to the gradient waiting for output ``nr`` of ``node``."""
    if node._n_outputs == 1:
        prev = buffers.get(node)
        buffers[node] = g if prev is None else prev + g
    else:
        slot = buffers.get(node)
        if slot is None:
            slot = buffers[node] = [None] * node._n_outputs
        prev = slot[nr]
        slot[nr] = g if prev is None else prev + g


def _run_tensor_hooks(node, grads: list, create_graph: bool) -> None:
    """Hooks registered on the tensors this node produced (``t.register_hook``)."""
    for nr, hooks in node._tensor_hooks.items():
        if grads[nr] is None:
            continue
        for hook in list(hooks):
            new = hook(_as_tensor(grads[nr]))
            if new is not None:
                _check_hook_result(hook, grads[nr], new)
                grads[nr] = new if create_graph else new._data if isinstance(new, Tensor) else new


def _retained_by_node() -> dict:
    """{node: [(output_nr, tensor)]} for the live tensors that called ``retain_grad()``."""
    by_node: dict = {}
    for ref in list(_T._retaining.values()):
        t = ref()
        if t is not None and t.grad_fn is not None:
            by_node.setdefault(t.grad_fn, []).append((t._output_nr, t))
    return by_node


def _retain(tensors: list, grads: list, create_graph: bool) -> None:
    """Store the gradient of non-leaf tensors that called ``retain_grad()`` (after their hooks)."""
    for nr, t in tensors:
        g = grads[nr]
        if g is None:
            continue
        if create_graph:
            g = _as_tensor(g)
            t._grad = g.clone() if t._grad is None else t._grad + g
        elif t._grad is None:
            t._grad = _wrap(array_module(g).array(g, copy=True))
        else:
            t._grad = _wrap(t._grad._data + g)


def _zeros_for_missing(node, grads: list, create_graph: bool) -> list:
    """Zeros for the outputs that got no gradient (PyTorch's materialized grads)."""
    out = list(grads)
    xp = array_module(*(g._data if isinstance(g, Tensor) else g for g in out if g is not None))
    for i, g in enumerate(out):
        if g is None:
            meta = node._output_meta[i] if node._output_meta else None
            if meta is None:
                continue
            z = xp.zeros(*meta)
            out[i] = _wrap(z) if create_graph else z
    return tuple(out)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate the gradient of ``tensors`` into the ``.grad`` of the graph's leaves.

    ``grad_tensors`` (one per tensor; may be omitted for scalars) is the vector in the
    vector-Jacobian product. ``inputs`` restricts accumulation to those tensors.
    """
    outputs = _as_list(tensors)
    grads = _initial_grads(outputs, _as_list(grad_tensors), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        run_backward(outputs, grads, retain_graph, create_graph)
        return
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    captured = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs, accumulate=True)
    for t, g in zip(inputs, captured):
        if g is None or t.grad_fn is None:
            continue  # leaves accumulated during the pass
        g = _as_tensor(g)
        if t._grad is None:
            t._grad = g.clone() if create_graph else _wrap(array_module(g._data).array(g._data, copy=True))
        else:
            t._grad = t._grad + g


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    Only the part of the graph between them runs; ``.grad`` fields are left alone.
    """
    outs = _as_list(outputs)
    single = isinstance(inputs, Tensor)
    ins = [inputs] if single else list(inputs) if isinstance(inputs, Sequence) or not isinstance(inputs, Tensor) else [inputs]
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if is_grads_batched:
        raise NotImplementedError("ember.autograd.grad: is_grads_batched=True is not supported")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False.")
    for t in ins:
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _initial_grads(outs, _as_list(grad_outputs), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    captured = run_backward(outs, grads, retain_graph, create_graph, inputs=ins, accumulate=False)
    result = []
    for i, (t, g) in enumerate(zip(ins, captured)):
        if g is None:
            if materialize_grads:
                result.append(_wrap(array_module(t._data).zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
            continue
        if g.shape != t._data.shape:
            g = unbroadcast(g, t._data.shape)
        result.append(_as_tensor(g))
    return tuple(result)
