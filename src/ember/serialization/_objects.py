"""Whole objects in PyTorch's format: ``ember.save(model)`` and ``ember.load(f, weights_only=False)``.

Writing pickles the object with Python's own pickler (so any picklable object works: modules,
optimizers, argparse namespaces...) while every tensor becomes what ``torch.save`` writes:
``torch._utils._rebuild_tensor_v2(<storage>, offset, size, stride, requires_grad, OrderedDict())``
with the storage a persistent id whose bytes go to ``data/<key>`` in the archive. The torch names
are written as plain ``GLOBAL`` opcodes, so torch is never imported; a file of tensors and
standard Python objects written this way is readable by ``torch.load(f, weights_only=False)``.

Reading with ``weights_only=False`` is a normal unpickling (it imports and runs what the file
names: trusted files only) in which PyTorch's tensor, storage, dtype, Size and device names
resolve to ember's.
"""

from __future__ import annotations

import io
import pickle
from collections import OrderedDict

from .. import _dtype as D
from .._device import device as _device
from .._tensor import Size, Tensor
from ._native import _is_parameter
from ._storage import StoragePlan
from ._torch import _STORAGE_NAMES, TorchWriter


class _TorchName:
    """A global written as ``GLOBAL module name`` without importing ``module``."""

    __slots__ = ("module", "name")
    _cache: dict = {}

    def __new__(cls, module: str, name: str):
        key = (module, name)
        if key not in cls._cache:  # one object per name, so pickle's memo writes each GLOBAL once
            obj = super().__new__(cls)
            obj.module, obj.name = module, name
            cls._cache[key] = obj
        return cls._cache[key]

    def __call__(self, *args):  # pickle's save_reduce insists that a reduce function be callable
        raise TypeError(f"{self.module}.{self.name} is a name written into a pickle, not a function")


class _StorageRef:
    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


_REBUILD_TENSOR = _TorchName("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchName("torch._utils", "_rebuild_parameter")
_SIZE = _TorchName("torch", "Size")
_DEVICE = _TorchName("torch", "device")


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, taught PyTorch's spelling of tensors (it allows overriding
    ``save_global``, which the C pickler does not)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol: int, plan: StoragePlan, collecting: bool):
        super().__init__(file, protocol)
        self.plan, self.collecting = plan, collecting
        self._storage_refs: dict[int, _StorageRef] = {}
        self._keep: list = []

    def _write_torch_name(self, obj: _TorchName) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[_TorchName] = _write_torch_name

    def _write_dtype(self, obj) -> None:
        self.save(_TorchName("torch", obj.name))

    dispatch[D.dtype] = _write_dtype

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            data = self.plan.storages[obj.index].data
            return ("storage", _TorchName("torch", _STORAGE_NAMES[data.dtype]), str(obj.index), "cpu", int(data.size))
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is Size:
            return (_SIZE, (tuple(int(s) for s in obj),))
        if type(obj) is _device:
            return (_DEVICE, (str(obj),))
        return NotImplemented

    def _reduce_tensor(self, t: Tensor):
        arr = t._data
        if arr.dtype not in _STORAGE_NAMES:
            raise TypeError(f"ember.save: dtype {t.dtype} has no PyTorch storage type")
        if _is_parameter(t):
            plain = Tensor._wrap(arr)
            self._keep.append(plain)  # ids must stay unique while pickling
            return (_REBUILD_PARAMETER, (plain, bool(t.requires_grad), OrderedDict()))
        if self.collecting:
            self.plan.add(arr)
            return (_REBUILD_TENSOR, (None, 0, tuple(arr.shape), (), False, OrderedDict()))
        slot = self.plan.slot(arr)
        itemsize = arr.itemsize
        ref = self._storage_refs.setdefault(slot.storage, _StorageRef(slot.storage))
        return (_REBUILD_TENSOR, (ref, slot.offset // itemsize, tuple(int(s) for s in arr.shape),
                                  tuple(s // itemsize for s in slot.strides), bool(t.requires_grad), OrderedDict()))


class ObjectWriter:
    """``ember.save(obj)`` for objects beyond tensor containers; same archive layout as ``TorchWriter``.

    The object is pickled twice (once to find every tensor, so views of one buffer share a
    storage, once for real), before any file is touched.
    """

    def __init__(self, obj, protocol: int = 2):
        self.plan = StoragePlan(typed=True)
        _Pickler(io.BytesIO(), protocol, self.plan, collecting=True).dump(obj)
        self.plan.build()
        out = io.BytesIO()
        _Pickler(out, protocol, self.plan, collecting=False).dump(obj)
        self.pickle = out.getvalue()

    def write(self, fh) -> None:
        TorchWriter.write(self, fh)
