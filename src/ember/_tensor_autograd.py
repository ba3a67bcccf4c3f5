"""The Tensor methods that reach above the Tensor layer without being ops: construction from
data (the creation functions) and the autograd entry points (the engine and its nodes).

Declared through the surface (``_tensor_surface.define``) like every op method, so that
``_tensor.py`` imports nothing that imports it back.
"""

from __future__ import annotations

from ._creation import _tensor_from_args
from ._tensor import Tensor, _DictHandle, _hook_ids
from ._tensor_surface import define
from .autograd.engine import backward as _backward
from .autograd.function import _RemovableHandle


def __init__(self, *args, dtype=None, requires_grad=False):
    """``Tensor(data)`` / ``Tensor(*sizes)``: a float tensor, like ``torch.Tensor``."""
    self._data = _tensor_from_args(args, dtype)
    self._init_meta(requires_grad)


def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``ember.autograd.backward``)."""
    _backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)


def register_hook(self, hook):
    """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a replacement."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        self.grad_fn._add_tensor_hook(self._output_nr, hook)
        return _RemovableHandle(self.grad_fn._tensor_hooks[self._output_nr], hook)
    if self._hooks is None:
        self._hooks = {}
    key = next(_hook_ids)  # not len(): keys must stay unique after a removal
    self._hooks[key] = hook
    return _DictHandle(self._hooks, key)


for _fn in (__init__, backward, register_hook):
    define(_fn.__name__, _fn)
Tensor.__init__.__qualname__ = "Tensor.__init__"
