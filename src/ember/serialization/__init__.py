"""``ember.save`` / ``ember.load``: checkpoints in safe formats, written atomically.

Formats:

* ``"ember"`` (the default): a zip of JSON (the structure) and ``.npy`` arrays (one per block
  of memory; tensors sharing memory share it). Holds tensors, ``nn.Parameter``\\ s, state dicts,
  optimizer state dicts, dicts/lists/tuples, numbers, strings, bytes, ``None``, ``ember.Size``,
  dtypes.
* ``"torch"``: PyTorch's own zip format, readable by ``torch.load(f, weights_only=True)``.
* ``"safetensors"``: a flat ``{name: tensor}`` dict, through the ``safetensors`` package; chosen
  automatically for a path ending in ``.safetensors``.

``ember.load`` recognises all three by their content (and plain pickles of containers), and
never runs code from the file: PyTorch pickles are read by a restricted unpickler that only
rebuilds tensors, containers and primitives and refuses every other global by name.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
import zlib

from . import _io, _native, _pickle, _safetensors, _torch
from ._io import CheckpointError, UnsafeCheckpointError

__all__ = ["save", "load", "CheckpointError", "UnsafeCheckpointError"]

_FORMATS = ("ember", "torch", "safetensors")


def _choose_format(format, f) -> str:
    if format is None:
        if _io.is_path(f) and os.fsdecode(f).lower().endswith(".safetensors"):
            return "safetensors"
        return "ember"
    fmt = str(format).lower()
    if fmt in ("pt", "pytorch"):
        fmt = "torch"
    if fmt not in _FORMATS:
        raise ValueError(f"ember.save: unknown format {format!r}; expected one of {', '.join(_FORMATS)}")
    return fmt


def save(obj, f, format: str | None = None, *, pickle_module=None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` to ``f`` (a path or a writable binary file object).

    Args:
        obj: a tensor, a state dict, an optimizer state dict, or dicts/lists/tuples of tensors,
            numbers, strings, bools, ``None``, ``ember.Size`` and dtypes.
        f: a path (``str``/``os.PathLike``) or a binary file object. A path is written
            atomically: to a temporary file in the same directory, fsynced, then renamed over
            ``f``, so an error or a crash mid-save leaves the previous file intact.
        format: ``"ember"`` (default), ``"torch"`` (``torch.load``-compatible) or
            ``"safetensors"`` (default for paths ending in ``.safetensors``).
        pickle_module, pickle_protocol: accepted for PyTorch compatibility; ignored (ember
            writes no arbitrary pickles).

    Example:
        >>> ember.save(model.state_dict(), "model.pt")
        >>> ember.save(model.state_dict(), "model_for_torch.pt", format="torch")
    """
    if format is not None and not isinstance(format, str):
        format = None  # torch.save's third positional argument is pickle_module (ignored, like it)
    fmt = _choose_format(format, f)
    # Encode first: an object that can't be saved fails here, before any file is touched.
    writer = {"ember": _native.NativeWriter, "torch": _torch.TorchWriter,
              "safetensors": _safetensors.SafetensorsWriter}[fmt](obj)
    if _io.is_path(f):
        with _io.atomic_write(f) as fh:
            writer.write(fh)
    else:
        if not hasattr(f, "write"):
            raise TypeError(f"ember.save: expected a path or a binary file object, got {type(f).__name__}")
        writer.write(f)


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


def load(f, map_location=None, weights_only: bool = True, *, pickle_module=None, mmap=None, **pickle_load_args):
    """Load an object saved by ``ember.save`` or ``torch.save`` (or a safetensors file) from ``f``.

    Args:
        f: a path or a readable binary file object.
        map_location: ``None`` or ``"cpu"`` (or an equivalent device, dict or callable);
            ember tensors live on the CPU, so asking for ``"cuda"`` is an error.
        weights_only: accepted for PyTorch compatibility. ember's loading is always safe:
            only tensors, containers and primitive types can come out of a file.

    Raises:
        CheckpointError: the file is truncated, corrupted, or not a checkpoint.
        UnsafeCheckpointError (a ``pickle.UnpicklingError``): a PyTorch/pickle file names a
            global outside the allow-list (such as ``os.system``); nothing from it is run.

    Example:
        >>> model.load_state_dict(ember.load("model.pt"))
    """
    if weights_only is not None and not isinstance(weights_only, bool):
        weights_only = True  # torch.load's third positional argument is pickle_module (ignored)
    _check_map_location(map_location)
    where = _io.describe(f)
    with _io.open_source(f) as fh:
        kind = _io.sniff(fh)
        if kind == _io.EMPTY:
            raise CheckpointError(f"ember.load: {where} is empty (a save that never completed?)")
        try:
            return _load(fh, kind, where)
        except (CheckpointError, UnsafeCheckpointError, ImportError):
            raise
        except _CORRUPTION as exc:
            what = {"zip": "zip archive", "safetensors": "safetensors file", "pickle": "pickle"}.get(kind, "file")
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, _pickle.Truncated):
                reason = "the pickle data ends early"
            raise CheckpointError(
                f"ember.load: {where} is not a readable checkpoint: the {what} is truncated or corrupted ({reason})"
            ) from None


def _load(fh, kind: str, where: str):
    if kind == _io.ZIP:
        with zipfile.ZipFile(fh) as zf:
            names = zf.namelist()
            if _native.HEADER in names:
                return _native.read(zf)
            pkl = _torch.data_pickle_name(names)
            if pkl is not None:
                return _torch.read(zf, pkl)
        raise CheckpointError(f"ember.load: {where} is a zip archive but neither an ember nor a PyTorch checkpoint")
    data = fh.read()
    if kind == _io.SAFETENSORS:
        (header_len,) = struct.unpack("<Q", data[:8])
        if 8 + header_len > len(data):
            raise ValueError("the header runs past the end of the file")
        return _safetensors.read(data)
    if kind == _io.PICKLE:
        return _torch.read_pickle(data)
    try:
        return _torch.read_pickle(data)  # perhaps an old-protocol pickle (no PROTO opcode)
    except UnsafeCheckpointError:
        raise
    except _CORRUPTION:
        raise CheckpointError(
            f"ember.load: {where} is not a checkpoint ember recognises (not an ember, PyTorch or safetensors file)"
        ) from None
