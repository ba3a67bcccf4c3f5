"""``Parameter``: a Tensor that a Module registers as learnable; ``Buffer``: one it registers as state."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _new
from .._dtype import get_default_dtype
from .. import _dtype as D

__all__ = ["Buffer", "Parameter", "UninitializedBuffer", "UninitializedParameter", "is_lazy"]


def _array_of(data) -> tuple[np.ndarray, list | None]:
    """The array (and version counter) a Parameter/Buffer shares with ``data``."""
    if data is None:
        return np.empty((0,), dtype=get_default_dtype().np), None
    if isinstance(data, Tensor):
        return data._data, data._version
    if isinstance(data, np.ndarray):
        return data, None
    raise TypeError(f"Parameter(): expected a Tensor as data, got {type(data).__name__}")


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning it as a Module attribute registers it.

    ``Parameter(data=None, requires_grad=True)`` shares ``data``'s storage (no copy) and is
    always a leaf of the autograd graph.
    """

    def __new__(cls, data=None, requires_grad: bool = True):
        array, version = _array_of(data)
        p = _new(cls)
        p._data = array
        p._init_meta(False)
        if version is not None:
            p._version = version
        if requires_grad:
            p.requires_grad_(True)  # refuses integer dtypes with PyTorch's message
        return p

    def __init__(self, data=None, requires_grad: bool = True):
        pass  # everything happens in __new__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__



class Buffer(Tensor):
    """A marker for module state: ``self.running = nn.Buffer(t)`` registers ``t`` as a buffer.

    ``persistent=False`` keeps it out of ``state_dict``.
    """

    def __new__(cls, data=None, *, persistent: bool = True):
        array, version = _array_of(data)
        b = _new(cls)
        b._data = array
        b._init_meta(bool(isinstance(data, Tensor) and data._requires_grad and data.grad_fn is None))
        if version is not None:
            b._version = version
        b.persistent = persistent
        return b

    def __init__(self, data=None, *, persistent: bool = True):
        pass


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (used by ``LazyLinear``); ``materialize(shape)`` fills it."""

    cls_to_become = Parameter

    def materialize(self, shape, device=None, dtype=None) -> None:
        np_dtype = D.as_dtype(dtype).np if dtype is not None else self._data.dtype
        self._data = np.empty(tuple(shape), dtype=np_dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    __str__ = __repr__


class UninitializedBuffer(Tensor):
    """A buffer whose shape is not known yet (running statistics of a lazy norm layer); the layer
    replaces it with a real tensor once the shape is known (or a state_dict provides one)."""

    def __new__(cls, data=None, requires_grad: bool = False, persistent: bool = True):
        array, _ = _array_of(data)
        b = _new(cls)
        b._data = array
        b._init_meta(False)
        b.persistent = persistent
        return b

    def __init__(self, *args, **kwargs):
        pass

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"

    __str__ = __repr__


def is_lazy(param) -> bool:
    """True for parameters/buffers that have not been materialised yet."""
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))
