"""The backward pass: walk the graph from the outputs in reverse topological order.

The walk is iterative (no recursion), so a chain of 10,000 ops backpropagates.
Each node runs once, after every consumer of its outputs has handed it a gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _tensor as _T
from . import grad_mode as _gm
from .function import AccumulateGrad

Tensor = _T.Tensor


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _initial_grads(outputs: list, grad_outputs: list, create_graph: bool) -> list:
    grads = []
    if len(grad_outputs) not in (0, len(outputs)):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs (got {len(grad_outputs)} gradients for {len(outputs)} outputs)")
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs else None
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind != "f":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
            g = np.ones_like(out._data)
        else:
            if isinstance(g, Tensor):
                g = g if create_graph else g._data
            else:
                g = np.asarray(g, dtype=out._data.dtype)
            if tuple(g.shape) != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {_T.Size(g.shape)} and output[{i}] "
                    f"has a shape of {_T.Size(out._data.shape)}."
                )
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._wrap(g)
        grads.append(g)
    return grads


def _add(a, b):
    if a is None:
        return b
    return a + b


def run_backward(outputs, grad_outputs, retain_graph: bool, create_graph: bool, capture=None, accumulate=True):
    """Propagate ``grad_outputs`` from ``outputs`` through the graph.

    ``capture`` maps (node, output_nr) edges to slots whose gradients are returned
    instead of (or as well as) accumulated; ``accumulate=False`` leaves ``.grad`` alone.
    """
    roots = []
    for out, g in zip(outputs, grad_outputs):
        if not out._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        roots.append((out._edge(), g))

    # Count, for every node, how many gradient contributions it will receive.
    dependencies: dict = {}
    stack = []
    for (node, _), _g in roots:
        if node not in dependencies:
            dependencies[node] = 0
            stack.append(node)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if nxt in dependencies:
                dependencies[nxt] += 1
            else:
                dependencies[nxt] = 1
                stack.append(nxt)

    buffers: dict = {}
    for (node, nr), g in roots:
        slot = buffers.setdefault(node, {})
        slot[nr] = _add(slot.get(nr), g)

    captured = {} if capture is not None else None
    ready = [node for node in dependencies if dependencies[node] == 0]
    executed = []
    prev_mode = _gm._enabled
    _gm._set_enabled(create_graph)
    try:
        while ready:
            node = ready.pop()
            grads_by_nr = buffers.pop(node, {})
            if captured is not None:
                for nr, g in grads_by_nr.items():
                    if (node, nr) in capture:
                        captured[(node, nr)] = g
            if type(node) is AccumulateGrad:
                g = grads_by_nr.get(0)
                if g is not None and accumulate:
                    node._accumulate(g, create_graph)
                continue
            hooks = node._tensor_hooks
            if hooks:
                for nr, fns in hooks.items():
                    if nr in grads_by_nr:
                        for fn in fns:
                            g = grads_by_nr[nr]
                            new = fn(g if isinstance(g, Tensor) else Tensor._wrap(g))
                            if new is not None:
                                grads_by_nr[nr] = new if create_graph else new._data if isinstance(new, Tensor) else new
            grads = _grads_for_outputs(node, grads_by_nr, create_graph)
            input_grads = node._run_backward(grads, create_graph)
            executed.append(node)
            for (nxt, nr), g in zip(node.next_functions, input_grads):
                if nxt is None:
                    continue
                if g is not None:
                    slot = buffers.get(nxt)
                    if slot is None:
                        buffers[nxt] = {nr: g}
                    else:
                        slot[nr] = _add(slot.get(nr), g)
                dependencies[nxt] -= 1
                if dependencies[nxt] == 0:
                    ready.append(nxt)
    finally:
        _gm._set_enabled(prev_mode)
        if not retain_graph:
            for node in executed:
                node._release()
    return captured


def _grads_for_outputs(node, grads_by_nr: dict, create_graph: bool) -> tuple:
    """One gradient per output of the node; outputs that got none get zeros (like PyTorch's
    materialized grads) when the node has several."""
    n_outputs = getattr(node, "_n_outputs", 1)
    if n_outputs == 1:
        return (grads_by_nr.get(0),)
    out = []
    for i in range(n_outputs):
        g = grads_by_nr.get(i)
        if g is None and node._materialize_grads:
            shape, dtype = node._output_meta[i]
            g = np.zeros(shape, dtype=dtype)
            if create_graph:
                g = Tensor._wrap(g)
        out.append(g)
    return tuple(out)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate the gradient of ``tensors`` into the ``.grad`` of the graph's leaves."""
    outputs = _as_list(tensors)
    grads = _initial_grads(outputs, _as_list(grad_tensors), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_list(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        captured_edges = {t._edge(): t for t in inputs}
        captured = run_backward(outputs, grads, retain_graph, create_graph, capture=captured_edges, accumulate=False)
        for edge, t in captured_edges.items():
            g = captured.get(edge)
            if g is None:
                continue
            if isinstance(edge[0], AccumulateGrad):
                edge[0]._accumulate(g, create_graph)
            else:
                g = g if isinstance(g, Tensor) else Tensor._wrap(g)
                t.grad = g if t.grad is None else t.grad + g
        return
    run_backward(outputs, grads, retain_graph, create_graph)


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
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated)."""
    outs = _as_list(outputs)
    ins = inputs if isinstance(inputs, Sequence) and not isinstance(inputs, Tensor) else [inputs]
    ins = list(ins)
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(ins):
        if not t._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors does not require grad")
    grads = _initial_grads(outs, _as_list(grad_outputs), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    edges = [t._edge() for t in ins]
    captured = run_backward(outs, grads, retain_graph, create_graph, capture=set(edges), accumulate=False)
    result = []
    for t, edge in zip(ins, edges):
        g = captured.get(edge)
        if g is None:
            if materialize_grads:
                g = np.zeros_like(t._data)
            elif not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            else:
                result.append(None)
                continue
        if isinstance(edge[0], AccumulateGrad) and g.shape != t._data.shape:
            from .function import unbroadcast

            g = unbroadcast(g, t._data.shape)
        result.append(g if isinstance(g, Tensor) else Tensor._wrap(g))
    return tuple(result)
