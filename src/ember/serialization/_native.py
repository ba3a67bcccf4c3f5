"""ember's own checkpoint format: safe to load by construction.

A zip archive (stored, not compressed) holding

* ``ember.json``: the object's structure as JSON: containers and scalars written out, tensors
  as references into a table of (storage, dtype, shape, byte strides, byte offset,
  requires_grad, is-parameter) records;
* ``storage/<i>.npy``: one NumPy ``.npy`` file per distinct block of memory, read back with
  ``allow_pickle=False``. Tensors sharing memory (views, the same tensor twice) share a storage
  and come back sharing memory.

Loading parses JSON and ``.npy`` headers only: nothing in the file can name code to run.
"""

from __future__ import annotations

import base64
import json
import math
import zipfile
from collections import OrderedDict

import numpy as np

from .. import _dtype as D
from .._device import device as _device
from .._tensor import Size, Tensor
from ._io import CheckpointError
from ._limits import read_metadata, read_npy
from ._storage import StoragePlan

HEADER = "ember.json"
FORMAT = "ember"
VERSION = 1

_SUPPORTED = (
    "tensors (and nn.Parameter), NumPy arrays, dict/OrderedDict/list/tuple, int, float, bool, str, bytes, "
    "None, ember.Size, ember dtypes and devices"
)


def _is_parameter(t: Tensor) -> bool:
    # By name, so saving doesn't import ember.nn; subclasses of nn.Parameter count too.
    return any(c.__name__ == "Parameter" and c.__module__.startswith("ember.") for c in type(t).__mro__)


def make_parameter(t: Tensor, requires_grad: bool) -> Tensor:
    """An ``ember.nn.Parameter`` around ``t`` (a plain tensor if nn isn't available)."""
    try:  # nn is a heavy subpackage above this one: loaded only when a checkpoint holds parameters
        from ..nn import Parameter
    except ImportError:
        Parameter = None
    if Parameter is None:
        if requires_grad:
            t.requires_grad_(True)
        return t
    return Parameter(t, requires_grad=requires_grad)


def path_str(path: list) -> str:
    return "".join(f"[{p!r}]" for p in path) or "the top level"


class _Encoder:
    """Turns an object into JSON-able data, collecting tensors and planning their storages."""

    def __init__(self):
        self.plan = StoragePlan(typed=False)
        self.records: list[dict] = []
        self._arrays: list = []
        self._tensor_index: dict[int, int] = {}
        self._keep: list = []  # the tensors indexed by id, alive until encoding ends
        self._active: set[int] = set()

    def encode(self, obj, path: list):
        if isinstance(obj, np.generic) and not isinstance(obj, (np.str_, np.bytes_, np.void, np.object_)):
            # Before the int/float tests: np.float64 is a float subclass, and should come back as itself.
            dt = D.from_numpy_dtype(obj.dtype)  # refuses dtypes ember has no name for
            value = obj.item()
            if isinstance(value, float) and not math.isfinite(value):
                value = repr(value)
            return {"$": "numpy_scalar", "dtype": dt.name, "value": value}
        if obj is None or isinstance(obj, (bool, str)):
            return str(obj) if isinstance(obj, str) else obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"$": "float", "value": repr(float(obj))}
        if isinstance(obj, (Tensor, np.ndarray)):
            return {"$": "tensor", "index": self._tensor(obj, path)}
        if isinstance(obj, bytes):
            return {"$": "bytes", "base64": base64.b64encode(obj).decode("ascii")}
        if isinstance(obj, D.dtype):
            return {"$": "dtype", "name": obj.name}
        if isinstance(obj, _device):
            return {"$": "device", "name": str(obj)}
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self._active:
                raise ValueError(f"ember.save: the object contains a reference cycle at {path_str(path)}")
            self._active.add(id(obj))
            try:
                return self._container(obj, path)
            finally:
                self._active.discard(id(obj))
        raise TypeError(
            f"ember.save: can't save an object of type '{type(obj).__module__}.{type(obj).__qualname__}' at "
            f"{path_str(path)}; supported: {_SUPPORTED}"
        )

    def _container(self, obj, path):
        if isinstance(obj, Size):
            return {"$": "size", "items": [int(s) for s in obj]}
        if isinstance(obj, list):
            return [self.encode(v, path + [i]) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            if hasattr(obj, "_fields"):
                raise TypeError(
                    f"ember.save: can't save the namedtuple '{type(obj).__qualname__}' at {path_str(path)} "
                    "(loading it would mean importing its class); save it as a tuple or a dict"
                )
            return {"$": "tuple", "items": [self.encode(v, path + [i]) for i, v in enumerate(obj)]}
        items = [[self.encode(k, path + [f"<key {k!r}>"]), self.encode(v, path + [k])] for k, v in obj.items()]
        if isinstance(obj, OrderedDict):
            out = {"$": "odict", "items": items}
            metadata = getattr(obj, "_metadata", None)
            if isinstance(metadata, dict):  # nn.Module.state_dict's per-module versions
                out["metadata"] = self.encode(metadata, path + ["<_metadata>"])
            return out
        return {"$": "dict", "items": items}

    def _tensor(self, obj, path) -> int:
        index = self._tensor_index.get(id(obj))
        if index is not None:
            return index
        is_tensor = isinstance(obj, Tensor)
        arr = obj._data if is_tensor else obj
        try:
            dt = D.from_numpy_dtype(arr.dtype)
        except TypeError:
            raise TypeError(
                f"ember.save: can't save an array of dtype {arr.dtype} at {path_str(path)}; "
                f"supported dtypes: {', '.join(d.name for d in D.ALL_DTYPES)}"
            ) from None
        record = {"kind": "tensor" if is_tensor else "ndarray", "dtype": dt.name, "shape": list(arr.shape)}
        if is_tensor:
            record["requires_grad"] = bool(obj.requires_grad)
            record["parameter"] = _is_parameter(obj)
        if arr.size:
            self.plan.add(arr)
        index = len(self.records)
        self.records.append(record)
        self._arrays.append(arr)
        self._tensor_index[id(obj)] = index
        self._keep.append(obj)
        return index

    def finish(self, root) -> dict:
        self.plan.build()
        for record, arr in zip(self.records, self._arrays):
            if arr.size:
                slot = self.plan.slot(arr)
                record.update(storage=slot.storage, offset=slot.offset, strides=list(slot.strides))
        storages = [
            {"file": f"storage/{i}.npy", "dtype": s.data.dtype.str, "length": int(s.data.shape[0])}
            for i, s in enumerate(self.plan.storages)
        ]
        return {"format": FORMAT, "version": VERSION, "root": root, "tensors": self.records, "storages": storages}


class NativeWriter:
    """``ember.save`` in ember's format: everything is encoded (and validated) on construction,
    so an unsupported object fails before any file is touched."""

    def __init__(self, obj):
        enc = _Encoder()
        root = enc.encode(obj, [])
        self.header = enc.finish(root)
        self.storages = enc.plan.storages

    def write(self, fh) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(HEADER, json.dumps(self.header, allow_nan=False, separators=(",", ":")))
            for entry, storage in zip(self.header["storages"], self.storages):
                write_npy(zf, entry["file"], storage.data)


def write_npy(zf: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    with zf.open(info, "w", force_zip64=array.nbytes > 2**31) as out:
        np.lib.format.write_array(out, array, allow_pickle=False)


# -- loading ---------------------------------------------------------------------------------------

class _Decoder:
    def __init__(self, zf: zipfile.ZipFile, header: dict):
        self.zf = zf
        self.header = header
        self.storages = [self._read_storage(i, s) for i, s in enumerate(header["storages"])]
        self.tensors: dict[int, object] = {}

    def _read_storage(self, i: int, entry: dict) -> np.ndarray:
        arr = read_npy(self.zf, entry["file"], entry["dtype"], entry["length"])  # checked before allocating
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        return arr

    def tensor(self, index: int):
        if index in self.tensors:
            return self.tensors[index]
        record = self.header["tensors"][index]
        dt = D._BY_NAME[record["dtype"]].np
        shape = tuple(int(s) for s in record["shape"])
        if "storage" in record:
            arr = np.ndarray(shape, dtype=dt, buffer=self.storages[record["storage"]],
                             offset=int(record["offset"]), strides=tuple(int(s) for s in record["strides"]))
        else:
            if math.prod(shape):  # checked before allocating: a forged shape must not exhaust memory
                raise ValueError(f"tensor {index} has elements but no storage")
            arr = np.zeros(shape, dtype=dt)
        if record["kind"] == "ndarray":
            out = arr
        else:
            out = Tensor._wrap(arr)
            if record["parameter"]:
                out = make_parameter(out, bool(record["requires_grad"]))
            elif record["requires_grad"]:
                out.requires_grad_(True)
        self.tensors[index] = out
        return out

    def decode(self, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        tag = value["$"]
        if tag == "tensor":
            return self.tensor(value["index"])
        if tag == "dict":
            return {self.decode(k): self.decode(v) for k, v in value["items"]}
        if tag == "odict":
            out = OrderedDict((self.decode(k), self.decode(v)) for k, v in value["items"])
            if "metadata" in value:
                out._metadata = self.decode(value["metadata"])
            return out
        if tag == "tuple":
            return tuple(self.decode(v) for v in value["items"])
        if tag == "size":
            return Size(int(v) for v in value["items"])
        if tag == "float":
            return float(value["value"])
        if tag == "numpy_scalar":
            return D._BY_NAME[value["dtype"]].np.type(value["value"])
        if tag == "bytes":
            return base64.b64decode(value["base64"], validate=True)
        if tag == "dtype":
            return D._BY_NAME[value["name"]]
        if tag == "device":
            return _device(value["name"])
        raise ValueError(f"unknown entry type {tag!r}")


def read(zf: zipfile.ZipFile):
    """Load an ember-format archive (``zf`` has an ``ember.json``)."""
    header = json.loads(read_metadata(zf, HEADER).decode("utf-8"))
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError("ember.json is not an ember checkpoint header")
    if not isinstance(header.get("version"), int) or header["version"] > VERSION:
        raise CheckpointError(
            f"ember.load: this checkpoint has format version {header.get('version')!r}, newer than this ember "
            f"reads ({VERSION}); upgrade ember"
        )
    return _Decoder(zf, header).decode(header["root"])
