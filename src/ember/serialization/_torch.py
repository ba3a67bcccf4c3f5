"""PyTorch's checkpoint format (``torch.save``'s zip archive), read and written without torch.

An archive ``<name>/`` holds ``data.pkl`` (the object, pickled with protocol 2; every tensor is
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`` and
every storage a persistent id ``('storage', torch.FloatStorage, key, location, numel)``),
``data/<key>`` (each storage's raw little-endian bytes), ``byteorder`` and ``version``.
"""

from __future__ import annotations

import io
import pickle
import secrets
import warnings
import zipfile
from collections import Counter, OrderedDict

import numpy as np

from .. import _dtype as D
from .._device import device as _device
from .._tensor import Size, Tensor
from . import _safe_globals
from ._io import CheckpointError, UnsafeCheckpointError
from ._limits import check_entry, entry_info, read_entry, read_metadata
from ._native import _is_parameter, make_parameter, path_str
from ._pickle import SAFE_BUILTINS, Global, PickleWriter, RestrictedUnpickler, _safe_codecs_encode, refuse_global
from ._storage import StoragePlan

ARCHIVE = "archive"
ALIGNMENT = 64  # bytes; PyTorch aligns storages so that torch.load(mmap=True) can map them

# torch storage class <-> NumPy dtype ("bfloat16" has no NumPy dtype: converted on load).
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype(np.float32), "DoubleStorage": np.dtype(np.float64), "HalfStorage": np.dtype(np.float16),
    "LongStorage": np.dtype(np.int64), "IntStorage": np.dtype(np.int32), "ShortStorage": np.dtype(np.int16),
    "CharStorage": np.dtype(np.int8), "ByteStorage": np.dtype(np.uint8), "BoolStorage": np.dtype(np.bool_),
    "BFloat16Storage": "bfloat16",
}
_STORAGE_NAMES = {dt: name for name, dt in _STORAGE_DTYPES.items() if dt != "bfloat16"}
_UNSUPPORTED_STORAGES = (
    "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage", "QInt32Storage",
    "QUInt4x2Storage", "QUInt2x4Storage",
)
_TORCH_DTYPES = {d.name: d for d in D.ALL_DTYPES}
_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the first pickle of PyTorch's legacy (pre-1.6) format


# -- writing ---------------------------------------------------------------------------------------

class NeedsPickle(TypeError):
    """The object holds more than tensor containers: ``ember.save`` pickles it whole (``ObjectWriter``)."""


class TorchWriter:
    """``ember.save(obj, f, format="torch")``: a file ``torch.load(f, weights_only=True)`` reads.

    The object is validated and pickled on construction, before any file is touched.
    """

    def __init__(self, obj):
        self.plan = StoragePlan(typed=True)
        self._active: set[int] = set()
        self._collect(obj, [])
        self.plan.build()
        self.w = PickleWriter()
        self._tensor_memo: dict[int, int] = {}
        self._keep: list = []
        self._emit(obj)
        self.pickle = self.w.stop()

    def _collect(self, obj, path):
        """Check every object can be written, and register every tensor's array with the plan."""
        if isinstance(obj, Tensor):
            if obj._data.dtype not in _STORAGE_NAMES:
                raise TypeError(f"ember.save: dtype {obj.dtype} at {path_str(path)} has no PyTorch storage type")
            self.plan.add(obj._data)
        elif isinstance(obj, (np.ndarray, np.generic)):
            raise NeedsPickle(
                f"ember.save(format='torch'): NumPy {type(obj).__name__} at {path_str(path)}: torch.load(weights_only=True) "
                "refuses NumPy objects; convert with ember.from_numpy(...) or .item()"
            )
        elif obj is None or isinstance(obj, (bool, int, float, str, bytes, D.dtype, _device)):
            pass
        elif type(obj) in (list, tuple, dict, OrderedDict, Size):  # subclasses keep their class: pickled whole
            if id(obj) in self._active:
                raise NeedsPickle(f"ember.save: the object contains a reference cycle at {path_str(path)}")
            if isinstance(obj, tuple) and hasattr(obj, "_fields") and not isinstance(obj, Size):
                raise NeedsPickle(f"ember.save: the namedtuple '{type(obj).__qualname__}' at {path_str(path)}")
            self._active.add(id(obj))
            if isinstance(obj, dict):
                for k, v in obj.items():
                    self._collect(k, path + [f"<key {k!r}>"])
                    self._collect(v, path + [k])
                metadata = getattr(obj, "_metadata", None) if isinstance(obj, OrderedDict) else None
                if isinstance(metadata, dict):
                    self._collect(metadata, path + ["<_metadata>"])
            else:
                for i, v in enumerate(obj):
                    self._collect(v, path + [i])
            self._active.discard(id(obj))
        else:
            raise NeedsPickle(
                f"ember.save: can't save an object of type '{type(obj).__module__}.{type(obj).__qualname__}' at "
                f"{path_str(path)} in PyTorch's format; supported: tensors (and nn.Parameter), "
                "dict/OrderedDict/list/tuple, int, float, bool, str, bytes, None, ember.Size, dtypes, devices"
            )

    def _emit(self, obj):
        w = self.w
        if obj is None:
            w.none()
        elif isinstance(obj, bool):
            w.bool_(obj)
        elif isinstance(obj, int):
            w.int_(int(obj))
        elif isinstance(obj, float):
            w.float_(float(obj))
        elif isinstance(obj, str):
            w.str_(str(obj))
        elif isinstance(obj, bytes):
            w.bytes_(bytes(obj))
        elif isinstance(obj, Tensor):
            self._emit_tensor(obj)
        elif isinstance(obj, D.dtype):
            w.global_(Global("torch", obj.name))
        elif isinstance(obj, _device):
            w.global_(Global("torch", "device"))
            w.str_(str(obj))
            w.tuple_end(1)
            w.raw(b"R")
        elif isinstance(obj, Size):
            w.global_(Global("torch", "Size"))
            self._emit_tuple(tuple(int(s) for s in obj))
            w.tuple_end(1)
            w.raw(b"R")
        elif isinstance(obj, tuple):
            self._emit_tuple(obj)
        elif isinstance(obj, list):
            w.raw(b"]")  # EMPTY_LIST
            for start in range(0, len(obj), 1000):  # batches, as pickle does
                w.mark()
                for v in obj[start:start + 1000]:
                    self._emit(v)
                w.raw(b"e")  # APPENDS
        elif isinstance(obj, dict):
            if isinstance(obj, OrderedDict):
                self._ordered_dict_start()
            else:
                w.raw(b"}")  # EMPTY_DICT
            items = list(obj.items())
            for start in range(0, len(items), 1000):
                w.mark()
                for k, v in items[start:start + 1000]:
                    self._emit(k)
                    self._emit(v)
                w.raw(b"u")  # SETITEMS
            metadata = getattr(obj, "_metadata", None) if isinstance(obj, OrderedDict) else None
            if isinstance(metadata, dict):
                # The state PyTorch's OrderedDict.__reduce__ carries: {'_metadata': ...}, applied by BUILD.
                w.raw(b"}")
                w.str_("_metadata")
                self._emit(metadata)
                w.raw(b"s")  # SETITEM
                w.raw(b"b")  # BUILD

    def _emit_tuple(self, items):
        if len(items) > 3:
            self.w.mark()
        for v in items:
            self._emit(v)
        self.w.tuple_end(len(items))

    def _ordered_dict_start(self):
        self.w.global_(Global("collections", "OrderedDict"))
        self.w.raw(b")R")  # OrderedDict()

    def _emit_tensor(self, t: Tensor):
        w = self.w
        if id(t) in self._tensor_memo:  # the same tensor twice: one object again after loading
            w.get_memo(self._tensor_memo[id(t)])
            return
        arr = t._data
        slot = self.plan.slot(arr)
        storage = self.plan.storages[slot.storage].data
        itemsize = arr.itemsize
        param = _is_parameter(t)
        if param:
            w.global_(Global("torch._utils", "_rebuild_parameter"))
        w.global_(Global("torch._utils", "_rebuild_tensor_v2"))
        w.mark()
        w.mark()
        w.str_("storage")
        w.global_(Global("torch", _STORAGE_NAMES[storage.dtype]))
        w.str_(str(slot.storage))
        w.str_("cpu")
        w.int_(int(storage.size))
        w.raw(b"tQ")  # TUPLE, BINPERSID
        w.int_(slot.offset // itemsize)
        self._emit_tuple(tuple(int(s) for s in arr.shape))
        self._emit_tuple(tuple(s // itemsize for s in slot.strides))
        w.bool_(bool(t.requires_grad) and not param)
        self._ordered_dict_start()
        w.raw(b"tR")  # TUPLE, REDUCE
        if param:
            w.bool_(bool(t.requires_grad))
            self._ordered_dict_start()
            w.raw(b"\x87R")  # TUPLE3, REDUCE
        self._tensor_memo[id(t)] = w.put_memo()
        self._keep.append(t)

    def write(self, fh) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            _write_aligned(zf, f"{ARCHIVE}/data.pkl", self.pickle)
            _write_aligned(zf, f"{ARCHIVE}/.format_version", b"1")
            _write_aligned(zf, f"{ARCHIVE}/.storage_alignment", str(ALIGNMENT).encode())
            _write_aligned(zf, f"{ARCHIVE}/byteorder", b"little")
            for i, storage in enumerate(self.plan.storages):
                _write_aligned(zf, f"{ARCHIVE}/data/{i}", storage.data.view(np.uint8))
            _write_aligned(zf, f"{ARCHIVE}/version", b"3\n")
            _write_aligned(zf, f"{ARCHIVE}/.data/serialization_id", str(secrets.randbits(128)).zfill(40).encode())


def _write_aligned(zf: zipfile.ZipFile, name: str, data) -> None:
    """Write a stored entry whose data starts at a multiple of ALIGNMENT in the file (padding
    goes in an extra field of the local header, as PyTorch does)."""
    view = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = view.nbytes
    zip64 = view.nbytes * 1.05 > zipfile.ZIP64_LIMIT  # zipfile's own rule for the local header
    header = 30 + len(name.encode("utf-8")) + (20 if zip64 else 0) + 4
    pad = -(zf.start_dir + header) % ALIGNMENT
    info.extra = b"FB" + pad.to_bytes(2, "little") + b"Z" * pad
    with zf.open(info, "w") as out:
        chunk = 1 << 26
        for start in range(0, view.nbytes, chunk):
            out.write(view[start:start + chunk])


# -- reading ---------------------------------------------------------------------------------------

class _StorageType:
    """What ``torch.FloatStorage`` & co. resolve to: a dtype tag, not callable."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype


class _Storage:
    __slots__ = ("array",)

    def __init__(self, array: np.ndarray):
        self.array = array


_STORAGE_TYPES = {name: _StorageType(name, dt) for name, dt in _STORAGE_DTYPES.items()}
_UNTYPED = _StorageType("UntypedStorage", np.dtype(np.uint8))


def _warn_bfloat16():
    warnings.warn(
        "ember.load: the checkpoint holds bfloat16 tensors; ember has no bfloat16, so they are loaded as "
        "float32 (exactly: every bfloat16 value is a float32 value)",
        UserWarning,
        stacklevel=4,
    )


def _rebuild_tensor(storage, storage_offset, size, stride):
    if not isinstance(storage, _Storage):
        raise ValueError("a tensor's storage is not a storage")
    arr = storage.array
    itemsize = arr.itemsize
    shape = tuple(int(s) for s in size)
    strides = tuple(int(s) * itemsize for s in stride)
    if len(strides) != len(shape):
        raise ValueError(f"tensor size {shape} and stride {tuple(stride)} disagree")
    out = np.ndarray(shape, dtype=arr.dtype, buffer=arr, offset=int(storage_offset) * itemsize, strides=strides)
    return Tensor._wrap(out)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    if not isinstance(data, Tensor):
        raise ValueError("a parameter's data is not a tensor")
    return make_parameter(data, bool(requires_grad))


def _make_device(*args):
    return _device(*args)


def _torch_dtype(name: str):
    if name == "bfloat16":
        _warn_bfloat16()
        return D.float32
    if name in _TORCH_DTYPES:
        return _TORCH_DTYPES[name]
    raise CheckpointError(f"ember.load: the checkpoint uses dtype torch.{name}, which ember does not support")


_REBUILDERS = {
    "_rebuild_tensor_v2": _rebuild_tensor_v2,
    "_rebuild_tensor": _rebuild_tensor,
    "_rebuild_parameter": _rebuild_parameter,
    "_rebuild_parameter_with_state": _rebuild_parameter,
}
_CALLABLES = {id(f) for f in (*_REBUILDERS.values(), OrderedDict, Counter, Size, _make_device, _safe_codecs_encode,
                              *SAFE_BUILTINS.values())}


def _find_class(module: str, name: str):
    """The allow-list (built-in, then the user's safe globals): what each global a PyTorch pickle may name
    resolves to."""
    try:
        return _find_builtin(module, name)
    except UnsafeCheckpointError:
        user = _safe_globals.lookup(module, name)
        if user is not None:
            return user
        raise


def _find_builtin(module: str, name: str):
    """The built-in allow-list: PyTorch's tensor machinery mapped to ember's, containers, primitives."""
    if module == "torch._utils" and name in _REBUILDERS:
        return _REBUILDERS[name]
    if module == "collections" and name == "OrderedDict":
        return OrderedDict
    if module == "collections" and name == "Counter":
        return Counter  # MultiStepLR's milestones; torch's weights_only loader allows it too
    if module == "torch":
        if name in _STORAGE_TYPES:
            return _STORAGE_TYPES[name]
        if name == "UntypedStorage":
            return _UNTYPED
        if name in _UNSUPPORTED_STORAGES:
            raise CheckpointError(f"ember.load: the checkpoint holds torch.{name} tensors, which ember does not support")
        if name == "Size":
            return Size
        if name == "device":
            return _make_device
        if name in _TORCH_DTYPES or name == "bfloat16" or name.startswith(("complex", "float8", "uint", "qint", "quint")):
            return _torch_dtype(name)
    if module == "torch.storage" and name == "UntypedStorage":
        return _UNTYPED
    if module in ("builtins", "__builtin__") and name in SAFE_BUILTINS:
        return SAFE_BUILTINS[name]
    if module == "_codecs" and name == "encode":
        return _safe_codecs_encode
    refuse_global(module, name)


def _set_state(obj, state) -> None:
    setstate = getattr(obj, "__setstate__", None)
    if setstate is not None:
        setstate(state)
        return
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        obj.__dict__.update(state)
    for k, v in (slots or {}).items():
        setattr(obj, k, v)


def _build(obj, state):
    """BUILD: only an OrderedDict's ``_metadata`` (nn.Module.state_dict's versions) is restored."""
    if isinstance(state, tuple) and len(state) == 2 and state[1] is None:
        state = state[0]
    if type(obj) is OrderedDict and isinstance(state, dict) and set(state) <= {"_metadata"}:
        for key, value in state.items():
            setattr(obj, key, value)
        return
    if _safe_globals.allowed(type(obj)):  # the user allow-listed this class: set its state as pickle would
        _set_state(obj, state)
        return
    raise UnsafeCheckpointError(f"ember.load refused to set the state of a '{type(obj).__qualname__}' object")


class _ArchiveStorages:
    """``persistent_load`` for an archive: reads ``data/<key>`` once per key, typed as asked.

    ``map_location`` decides where a storage saved on another device may go (only the CPU exists);
    with ``mmap_path`` the bytes are mapped copy-on-write from the file instead of read.
    """

    def __init__(self, zf: zipfile.ZipFile, prefix: str, byteorder: str, map_location=None, mmap_path=None):
        self.zf, self.prefix, self.byteorder = zf, prefix, byteorder
        self.map_location, self.mmap_path = map_location, mmap_path
        self.raw: dict[str, np.ndarray] = {}
        self.typed: dict[tuple, _Storage] = {}

    def _check_location(self, location) -> None:
        target = location
        if isinstance(self.map_location, dict):
            target = self.map_location.get(location, location)
        elif self.map_location is not None:
            return  # a device (checked to be the CPU by ember.load) or a callable
        if not str(target).startswith("cpu"):
            raise CheckpointError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you "
                "are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to "
                "map your storages to the CPU." if str(target).startswith("cuda") else
                f"ember.load: the checkpoint holds a storage on {target!r}; ember tensors live on the CPU only: "
                "pass map_location='cpu'"
            )

    def _read_raw(self, key: str, expected: int | None = None) -> np.ndarray:
        name = f"{self.prefix}data/{key}"
        if self.mmap_path is None:
            return np.frombuffer(read_entry(self.zf, name, expected=expected), dtype=np.uint8)
        info = entry_info(self.zf, name)
        check_entry(info, expected=expected)
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(f"ember.load(mmap=True): storage {key!r} is compressed and can't be mapped")
        with open(self.mmap_path, "rb") as fh:
            fh.seek(info.header_offset)
            header = fh.read(30)
        start = info.header_offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30],
                                                                                                    "little")
        if info.file_size == 0:
            return np.zeros(0, dtype=np.uint8)
        return np.memmap(self.mmap_path, dtype=np.uint8, mode="c", offset=start, shape=(info.file_size,))

    def __call__(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise ValueError(f"unexpected persistent id {pid!r}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType) or not isinstance(key, str) or not isinstance(numel, int):
            raise ValueError(f"malformed storage reference {pid!r}")
        self._check_location(location)
        cached = self.typed.get((key, stype.name))
        if cached is not None:
            return cached
        raw = self.raw.get(key)
        if raw is None:
            # The entry's size is checked against what the reference declares before a byte is read.
            itemsize = 2 if stype.dtype == "bfloat16" else stype.dtype.itemsize
            expected = None if stype is _UNTYPED else numel * itemsize
            raw = self._read_raw(key, expected)
            self.raw[key] = raw
        if stype.dtype == "bfloat16":
            self._check_size(key, raw, numel, 2)
            bits = raw.view("<u2" if self.byteorder == "little" else ">u2").astype(np.uint32)
            array = (bits << 16).view(np.float32)
            _warn_bfloat16()
        else:
            dt = stype.dtype
            self._check_size(key, raw, numel if stype is not _UNTYPED else raw.size, dt.itemsize)
            if self.byteorder != "little" and dt.itemsize > 1:
                array = raw.view(dt.newbyteorder(">")).astype(dt)
            else:
                array = raw.view(dt)
        storage = _Storage(np.asarray(array) if not isinstance(array, np.memmap) else array)
        self.typed[(key, stype.name)] = storage
        return storage

    @staticmethod
    def _check_size(key, raw, numel, itemsize):
        if raw.size != numel * itemsize:
            raise CheckpointError(
                f"ember.load: storage {key!r} has {raw.size} bytes, but the checkpoint declares {numel} elements "
                f"of {itemsize} bytes ({numel * itemsize} bytes); refused"
            )


def _unpickler(data: bytes, persistent_load) -> RestrictedUnpickler:
    return RestrictedUnpickler(data, _find_class, persistent_load, _CALLABLES, build=_build,
                               newobj_types=(OrderedDict, dict, list, set))


def data_pickle_name(names: list[str]) -> str | None:
    """The ``<archive>/data.pkl`` entry of a PyTorch archive, if any."""
    candidates = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    return min(candidates, key=len) if candidates else None


def _load_pickle(data: bytes, persistent_load, weights_only: bool, pickle_load_args: dict):
    if weights_only:
        return _unpickler(data, persistent_load).load()
    return TrustedUnpickler(data, persistent_load, **pickle_load_args).load()


def read(zf: zipfile.ZipFile, pkl_name: str, weights_only: bool = True, map_location=None, mmap_path=None,
         pickle_load_args: dict | None = None):
    """Load a PyTorch zip checkpoint (through the allow-list unless ``weights_only`` is False)."""
    prefix = pkl_name[: -len("data.pkl")]
    names = set(zf.namelist())
    byteorder = "little"
    if f"{prefix}byteorder" in names:
        byteorder = bytes(read_entry(zf, f"{prefix}byteorder", limit=16)).decode("ascii").strip()
        if byteorder not in ("little", "big"):
            raise ValueError(f"unknown byteorder {byteorder!r}")
    if f"{prefix}constants.pkl" in names and f"{prefix}code/" in {n[: len(prefix) + 5] for n in names}:
        raise CheckpointError("ember.load: this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint")
    storages = _ArchiveStorages(zf, prefix, byteorder, map_location, mmap_path)
    return _load_pickle(read_metadata(zf, pkl_name), storages, weights_only, pickle_load_args or {})


def read_pickle(data: bytes, weights_only: bool = True, pickle_load_args: dict | None = None):
    """Load a plain pickle file through the same allow-list (no storages possible)."""

    def no_storages(pid):
        raise ValueError("a storage reference outside a PyTorch archive")

    value = _load_pickle(data, no_storages, weights_only, pickle_load_args or {})
    if isinstance(value, int) and not isinstance(value, bool) and value == _MAGIC_NUMBER:
        raise CheckpointError(
            "ember.load: this is PyTorch's legacy (pre-1.6, _use_new_zipfile_serialization=False) format, "
            "which ember does not read; re-save it with torch.save(obj, f) from a current PyTorch"
        )
    return value


class TrustedUnpickler(pickle.Unpickler):
    """``weights_only=False``: Python's unpickler, with PyTorch's tensor names mapped to ember's."""

    def __init__(self, data: bytes, persistent_load, **kwargs):
        super().__init__(io.BytesIO(data), **kwargs)
        self._persistent_load = persistent_load

    def persistent_load(self, pid):
        return self._persistent_load(pid)

    def find_class(self, module: str, name: str):
        try:
            return _find_builtin(module, name)
        except UnsafeCheckpointError:
            pass
        if module == "torch" or module.startswith("torch."):
            raise CheckpointError(
                f"ember.load: the checkpoint pickles PyTorch's {module}.{name} (a whole object saved by torch.save, "
                "such as torch.save(model)); ember can rebuild PyTorch's tensors but not its classes. Save "
                "model.state_dict() with torch.save and load that into the ember model instead."
            )
        return super().find_class(module, name)
