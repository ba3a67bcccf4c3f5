"""``ember.save`` / ``ember.load``: checkpoints in PyTorch's format by default, written atomically.

Formats:

* ``"torch"`` (the default): PyTorch's own zip format. A tensor, a state dict, an optimizer state
  dict or any nesting of dicts/lists/tuples of tensors and primitives is written so that
  ``torch.load(f)`` (``weights_only=True``) reads it; any other picklable object (a whole
  ``nn.Module``, an optimizer, an ``argparse.Namespace``) is pickled whole, as ``torch.save`` does,
  with its tensors stored as PyTorch storages.
* ``"ember"``: ember's own zip of JSON (the structure) and ``.npy`` arrays, readable without any
  pickle at all; tensors, containers and primitives only.
* ``"safetensors"``: a flat ``{name: tensor}`` dict, through the ``safetensors`` package; chosen
  automatically for a path ending in ``.safetensors``.

``ember.load`` recognises all three by their content (and plain pickles). With
``weights_only=True`` (the default, as in PyTorch) it never runs code from the file: PyTorch
pickles are read by a restricted unpickler that only rebuilds tensors, containers, primitives and
what ``add_safe_globals`` allows, and refuses every other global by name. ``weights_only=False``
unpickles whole objects (trusted files only: unpickling can run arbitrary code).
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile
import zlib

from . import _io, _native, _objects, _pickle, _safetensors, _torch
from ._io import CheckpointError, UnsafeCheckpointError
from ._safe_globals import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals

__all__ = ["save", "load", "CheckpointError", "UnsafeCheckpointError", "add_safe_globals", "safe_globals",
           "get_safe_globals", "clear_safe_globals", "get_unsafe_globals_in_checkpoint", "default_restore_location",
           "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2

_FORMATS = ("ember", "torch", "safetensors")


def _choose_format(format, f) -> str:
    if format is None:
        if _io.is_path(f) and os.fsdecode(f).lower().endswith(".safetensors"):
            return "safetensors"
        return "torch"
    fmt = str(format).lower()
    if fmt in ("pt", "pytorch"):
        fmt = "torch"
    if fmt not in _FORMATS:
        raise ValueError(f"ember.save: unknown format {format!r}; expected one of {', '.join(_FORMATS)}")
    return fmt


def save(obj, f, pickle_module=None, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False, *,
         format: str | None = None) -> None:
    """Save ``obj`` to ``f`` (a path or a writable binary file object), as ``torch.save`` does.

    Args:
        obj: any picklable object. Tensors, state dicts, optimizer state dicts and nestings of
            dicts/lists/tuples of tensors and primitives are written so that PyTorch's
            ``torch.load(f)`` (weights_only) reads them; other objects (whole models, optimizers)
            are pickled whole, their tensors stored as PyTorch storages.
        f: a path (``str``/``os.PathLike``) or a binary file object. A path is written
            atomically: to a temporary file in the same directory, fsynced, then renamed over
            ``f``, so an error or a crash mid-save leaves the previous file intact.
        pickle_module: ``None`` or Python's ``pickle`` (ember pickles with its own pickler, which
            follows ``pickle``'s rules); any other module is refused.
        pickle_protocol: the pickle protocol (2, PyTorch's default, up to 5).
        format: ``"torch"`` (default), ``"ember"`` (ember's JSON + ``.npy`` zip, no pickle; tensors,
            containers and primitives only) or ``"safetensors"`` (default for ``*.safetensors``).

    Example:
        >>> ember.save(model.state_dict(), "model.pt")      # torch.load("model.pt") reads it
        >>> ember.save(model, "whole_model.pt")              # ember.load(..., weights_only=False)
    """
    if isinstance(pickle_module, str) and format is None:
        format, pickle_module = pickle_module, None  # ember.save(obj, f, "ember"): the format, positionally
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError(f"ember.save: pickle_module={getattr(pickle_module, '__name__', pickle_module)!r} is not "
                         "supported; ember writes with Python's pickle rules (pickle_module=None or pickle)")
    if not isinstance(pickle_protocol, int) or not 2 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"ember.save: pickle_protocol must be an int from 2 to {pickle.HIGHEST_PROTOCOL}, "
                         f"got {pickle_protocol!r}")
    if not _use_new_zipfile_serialization:
        raise ValueError("ember.save: _use_new_zipfile_serialization=False (PyTorch's legacy format) is not supported")
    fmt = _choose_format(format, f)
    # Encode first: an object that can't be saved fails here, before any file is touched.
    if fmt == "torch":
        writer = None
        if pickle_protocol == 2:
            try:
                writer = _torch.TorchWriter(obj)
            except _torch.NeedsPickle:
                pass
        if writer is None:
            writer = _objects.ObjectWriter(obj, pickle_protocol)
    else:
        writer = {"ember": _native.NativeWriter, "safetensors": _safetensors.SafetensorsWriter}[fmt](obj)
    if _io.is_path(f):
        with _io.atomic_write(f) as fh:
            writer.write(fh)
    else:
        if not hasattr(f, "write"):
            raise TypeError(f"ember.save: expected a path or a binary file object, got {type(f).__name__}")
        writer.write(f)


def default_restore_location(storage, location: str):
    """``torch.serialization.default_restore_location``: CPU storages stay; others can't exist on ember."""
    if str(location).startswith("cpu"):
        return storage
    raise RuntimeError(
        "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are "
        "running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your "
        "storages to the CPU."
    )


def _check_map_location(map_location) -> None:
    """Accept anything that means the CPU; refuse devices ember doesn't have."""
    if map_location is None:
        return
    if callable(map_location) and not isinstance(map_location, (str, type)):
        return  # PyTorch calls it with (storage, location); ember's storages are on the CPU already
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        name = str(target)
        if name.split(":")[0] != "cpu":
            raise RuntimeError(
                f"ember.load: map_location={map_location!r} asks for device {name!r}, but ember tensors live on "
                "the CPU only; use map_location='cpu' (or leave it as None)"
            )


# Errors that mean "the bytes are not what they claim to be" while reading a checkpoint (zipfile
# reports a damaged header as anything from BadZipFile to NotImplementedError or a seek's OSError).
_CORRUPTION = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, struct.error, ValueError, KeyError,
               IndexError, TypeError, AttributeError, OverflowError, UnicodeDecodeError, _pickle.Truncated,
               json.JSONDecodeError, MemoryError, NotImplementedError, RuntimeError, OSError)
_FILE_CORRUPTION = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, struct.error, _pickle.Truncated,
                    json.JSONDecodeError, pickle.UnpicklingError)


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args):
    """Load an object saved by ``ember.save`` or ``torch.save`` (or a safetensors file) from ``f``.

    Args:
        f: a path or a readable binary file object.
        map_location: ``None`` or ``"cpu"`` (or an equivalent device, dict or callable);
            ember tensors live on the CPU, so asking for ``"cuda"`` is an error, and so is a
            checkpoint saved on a GPU without a ``map_location`` to the CPU (as in PyTorch).
        pickle_module: ``None`` or Python's ``pickle``; with ``weights_only=True`` it must be
            ``None``, as in PyTorch.
        weights_only: ``True`` (the default, as in PyTorch >= 2.6): only tensors, containers,
            primitives and what ``add_safe_globals`` allows come out of the file, and nothing in
            it is run. ``False``: unpickle whole objects (models, optimizers) -- only for files
            you trust, since unpickling can run arbitrary code.
        mmap: map the tensors' bytes from the file (copy-on-write) instead of reading them;
            ``f`` must be a path to a PyTorch-format file.
        pickle_load_args: passed to the unpickler with ``weights_only=False`` (``encoding`` ...).

    Raises:
        CheckpointError: the file is truncated, corrupted, or not a checkpoint.
        UnsafeCheckpointError (a ``pickle.UnpicklingError``): with ``weights_only=True``, the file
            names a global outside the allow-list (such as ``os.system``); nothing from it is run.

    Example:
        >>> model.load_state_dict(ember.load("model.pt"))
        >>> model = ember.load("whole_model.pt", weights_only=False)
    """
    if weights_only is None:
        weights_only = True
    if pickle_module is not None:
        if weights_only:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_module is not pickle:
            raise ValueError(f"ember.load: pickle_module={getattr(pickle_module, '__name__', pickle_module)!r} is not "
                             "supported (None or pickle)")
    if weights_only and pickle_load_args:
        unknown = set(pickle_load_args) - {"encoding"}
        if unknown:
            raise TypeError(f"ember.load got unexpected keyword arguments {sorted(unknown)}")
    _check_map_location(map_location)
    mmap_path = None
    if mmap:
        if not _io.is_path(f):
            raise ValueError("f must be a file path in order to use the mmap argument")
        mmap_path = os.fsdecode(f)
    where = _io.describe(f)
    # With weights_only=False, errors raised by the unpickled objects' own code pass through as they are.
    corruption = _CORRUPTION if weights_only else _FILE_CORRUPTION
    with _io.open_source(f) as fh:
        kind = _io.sniff(fh)
        if kind == _io.EMPTY:
            raise CheckpointError(f"ember.load: {where} is empty (a save that never completed?)")
        if mmap and kind != _io.ZIP:
            raise RuntimeError(_MMAP_REFUSED)
        try:
            return _load(fh, kind, where, weights_only, map_location, mmap_path, pickle_load_args)
        except (CheckpointError, UnsafeCheckpointError, ImportError, _MmapRefused):
            raise
        except corruption as exc:
            what = {"zip": "zip archive", "safetensors": "safetensors file", "pickle": "pickle"}.get(kind, "file")
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, _pickle.Truncated):
                reason = "the pickle data ends early"
            raise CheckpointError(
                f"ember.load: {where} is not a readable checkpoint: the {what} is truncated or corrupted ({reason})"
            ) from None


_MMAP_REFUSED = ("mmap can only be used with files saved with `torch.save(_use_new_zipfile_serialization=True), "
                 "please torch.save your checkpoint with this option in order to use mmap.")


class _MmapRefused(RuntimeError):
    pass


def get_unsafe_globals_in_checkpoint(f) -> list[str]:
    """The ``module.name`` globals in a PyTorch checkpoint that ``weights_only=True`` would refuse (nothing is run)."""
    import pickletools

    with _io.open_source(f) as fh:
        if _io.sniff(fh) == _io.ZIP:
            with zipfile.ZipFile(fh) as zf:
                data = zf.read(_torch.data_pickle_name(zf.namelist()))
        else:
            data = fh.read()
    found, strings = [], []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            strings.append(arg)
        if op.name == "GLOBAL":
            module, name = arg.split(" ", 1)
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            module, name = strings[-2], strings[-1]
        else:
            continue
        try:
            _torch._find_class(module, name)
        except (UnsafeCheckpointError, CheckpointError):
            full = f"{module}.{name}"
            if full not in found:
                found.append(full)
    return found


def _load(fh, kind: str, where: str, weights_only=True, map_location=None, mmap_path=None, pickle_load_args=None):
    if kind == _io.ZIP:
        with zipfile.ZipFile(fh) as zf:
            names = zf.namelist()
            if _native.HEADER in names:
                if mmap_path is not None:
                    raise _MmapRefused(_MMAP_REFUSED)
                return _native.read(zf)
            pkl = _torch.data_pickle_name(names)
            if pkl is not None:
                return _torch.read(zf, pkl, weights_only, map_location, mmap_path, pickle_load_args)
        raise CheckpointError(f"ember.load: {where} is a zip archive but neither an ember nor a PyTorch checkpoint")
    data = fh.read()
    if kind == _io.SAFETENSORS:
        (header_len,) = struct.unpack("<Q", data[:8])
        if 8 + header_len > len(data):
            raise ValueError("the header runs past the end of the file")
        return _safetensors.read(data)
    if kind == _io.PICKLE:
        return _torch.read_pickle(data, weights_only, pickle_load_args)
    try:
        return _torch.read_pickle(data, weights_only, pickle_load_args)  # perhaps an old-protocol pickle (no PROTO opcode)
    except UnsafeCheckpointError:
        raise
    except _CORRUPTION:
        raise CheckpointError(
            f"ember.load: {where} is not a checkpoint ember recognises (not an ember, PyTorch or safetensors file)"
        ) from None
