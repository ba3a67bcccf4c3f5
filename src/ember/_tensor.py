"""Tensor: a NumPy array plus what autograd needs to know about it.

The class here holds the state; every method that calls into a layer above this one
(construction from data, ``backward``, ``register_hook``, the hundreds of op methods
``t.exp()``, ``t + u`` ...) is attached by the surface modules (``ember._tensor_methods``),
so this file imports only dtypes, devices and printing: nothing that imports it back.
"""

from __future__ import annotations

import numpy as np

import itertools
import weakref

from . import _dtype as D
from . import _memory_format as _MF
from ._backend import is_array
from ._device import device as _device_cls, _check_device
from ._format import tensor_repr

_from_np_dtype = D.from_numpy_dtype
_CPU = _device_cls("cpu")
_hook_ids = itertools.count()
_retaining: dict = {}  # id -> weakref of the tensors that called retain_grad(), read by the engine


class Size(tuple):
    """A tensor's shape: a tuple of ints, printed like PyTorch's ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data)`` builds a float tensor like ``torch.Tensor``; prefer ``ember.tensor``
    (``__init__`` is declared with the surface, which sits above the creation functions).
    """

    __slots__ = (
        "_data",  # the numpy.ndarray
        "_requires_grad",
        "_grad",  # .grad; a property validates assignments
        "grad_fn",
        "_output_nr",
        "_version",  # a one-element list, shared between a tensor and its views
        "_hooks",  # {key: hook} for a leaf's register_hook
        "_accumulator",  # the leaf's AccumulateGrad node, made on first use
        "_retains_grad",
        # Left unset until used (read with getattr(..., None)), so creating a tensor doesn't
        # pay for them: hooks run after a leaf's .grad is updated.
        "_post_accumulate_hooks",
        "__weakref__",
    )

    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor

    def _init_meta(self, requires_grad=False):
        self._requires_grad = requires_grad
        self._grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._version = [0]
        self._hooks = None
        self._accumulator = None
        self._retains_grad = False

    @staticmethod
    def _wrap(array) -> "Tensor":
        """A no-grad tensor around ``array`` (no copy). The internal constructor."""
        t = _object_new(Tensor)  # not _new(): one call less on every op's path
        t._data = array if type(array) is np.ndarray or is_array(array) else np.asarray(array)
        t._requires_grad = False
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._version = [0]
        t._hooks = None
        t._accumulator = None
        t._retains_grad = False
        return t

    # -- basic attributes ---------------------------------------------------------------
    @property
    def dtype(self) -> D.dtype:
        return _from_np_dtype(self._data.dtype)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or its length along ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def device(self):
        return _CPU

    # Where PyTorch asks "on which device/in which layout": always a dense CPU tensor in ember.
    is_cuda = is_xpu = is_mps = is_meta = is_sparse = is_sparse_csr = is_quantized = is_mkldnn = is_nested = \
        is_vulkan = is_ipu = is_hpu = is_mtia = is_maia = property(lambda self: False)
    is_cpu = property(lambda self: True)

    def get_device(self) -> int:
        """-1, PyTorch's answer for a CPU tensor."""
        return -1

    def is_pinned(self, device=None) -> bool:
        return False

    def pin_memory(self, device=None):
        raise RuntimeError("Cannot access accelerator device when none is available.")

    @property
    def layout(self) -> str:
        return "strided"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the elements are dense in ``memory_format``'s order (default: row-major)."""
        fmt = _MF.check_memory_format(memory_format, "is_contiguous")
        return _MF.is_contiguous_as(self._data, fmt)

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    # -- autograd state -----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @property
    def grad(self):
        """The gradient accumulated by backward (None until then); leaves and retain_grad() only."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains_grad:
            import warnings

            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.",
                UserWarning,
                stacklevel=2,
            )
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                    f"'{list(self._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor with dtype "
                    f"'{self.dtype}'. The gradient must match the tensor's dtype."
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set whether autograd records ops on this leaf (in place; returns self)."""
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach()."
                )
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version_value(self) -> int:
        return self._version[0]

    def _bump_version(self) -> None:
        self._version[0] += 1

    @property
    def data(self) -> "Tensor":
        """The same storage, detached from the graph and, unlike ``detach()``, from the version
        counter too (as in PyTorch): in-place changes through ``.data`` are not tracked."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data if isinstance(value, Tensor) else value if is_array(value) else np.asarray(value)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` on this leaf after backward has updated its ``.grad``."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = getattr(self, "_post_accumulate_hooks", None)
        if hooks is None:
            hooks = self._post_accumulate_hooks = {}
        key = next(_hook_ids)
        hooks[key] = hook
        return _DictHandle(hooks, key)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (set after its hooks ran)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        # Registered by tensor, not on its current grad_fn: if an in-place op later gives the
        # tensor a new history, .grad is the gradient of its latest value (as in PyTorch).
        # Weak, so retaining doesn't keep the tensor (or its graph) alive.
        key = id(self)
        _retaining[key] = weakref.ref(self, lambda _, key=key: _retaining.pop(key, None))

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def detach(self) -> "Tensor":
        """A tensor sharing storage (and version counter) with this one, outside the graph."""
        t = Tensor._wrap(self._data)
        t._version = self._version
        return t

    def detach_(self) -> "Tensor":
        """Detach this tensor from the graph, in place."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- conversions ----------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying array (shared memory). Refuses while requiring grad, like PyTorch."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self._data
        if dtype is not None and a.dtype != dtype:
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
            return a.astype(dtype)
        return a.copy() if copy else a

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def _scalar_check(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")

    def __bool__(self) -> bool:
        if self._data.size != 1:
            what = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        self._scalar_check()
        return float(self._data.reshape(()))

    def __int__(self) -> int:
        self._scalar_check()
        return int(self._data.reshape(()))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def __complex__(self) -> complex:
        self._scalar_check()
        return complex(self._data.reshape(()))

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 or (spec and self._data.size == 1):
            return format(self._data.reshape(()).item(), spec)
        return format(repr(self), spec)

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return tensor_repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        # Used by DataLoader workers and copy/deepcopy: rebuild from the array alone.
        return (_rebuild_tensor, (self._data, self._requires_grad, type(self)))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment."
            )
        new = _new(type(self))
        new._data = self._data.copy()
        new._init_meta(self._requires_grad)
        if self._grad is not None:
            new._grad = Tensor._wrap(self._grad._data.copy())
        if hasattr(self, "__dict__"):
            import copy

            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = new
        return new

    # -- devices: ember is CPU-only for now -----------------------------------------------------
    def cpu(self, memory_format=None) -> "Tensor":
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        if device is not None and not isinstance(device, str):  # an index: PyTorch looks for an accelerator first
            raise RuntimeError("Cannot access accelerator device when none is available.")
        _check_device("cuda")

    def xpu(self, device=None, non_blocking=False, memory_format=None):
        _check_device("xpu")

    def _to_device(self, device) -> None:
        _check_device(device)


_object_new = object.__new__


def data_of(x):
    """The array behind ``x``: a Tensor's ``_data``, anything else as it is (backward code sees arrays,
    or Tensors under ``create_graph``)."""
    return x._data if isinstance(x, Tensor) else x


def _new(cls):
    return object.__new__(cls)


def _rebuild_tensor(array, requires_grad, cls=Tensor):
    t = _new(cls)
    t._data = array
    t._init_meta(requires_grad)
    return t


class _DictHandle:
    def __init__(self, hooks: dict, key):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


def _wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative dim, with PyTorch's error for out-of-range ones."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n if ndim else 0
