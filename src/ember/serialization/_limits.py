"""Reading zip entries of a checkpoint without letting the file decide how much memory is used.

A zip entry declares its sizes in the central directory. Before anything is inflated or
allocated, an entry is refused when its declared size is not what the checkpoint's own records
say it must be (a storage of ``numel`` elements of ``itemsize`` bytes), when it is metadata
larger than `MAX_METADATA_BYTES`, or when it is compressed and would inflate more than
`MAX_INFLATION` times (a zip bomb; ember and PyTorch write entries uncompressed). Reads
go straight into one preallocated buffer of the declared size, and a stream that yields more
than declared is refused.
"""

from __future__ import annotations

import zipfile

import numpy as np

from ._io import CheckpointError

MAX_METADATA_BYTES = 64 << 20  # ember.json / data.pkl: a 10,000-tensor state dict needs about 2 MB
MAX_INFLATION = 100  # uncompressed/compressed size of a compressed entry (float data deflates ~1.1x)
_SMALL = 1 << 20  # entries this small may inflate any amount: they cannot exhaust memory
_CHUNK = 1 << 24


def _refuse(where: str, what: str) -> CheckpointError:
    return CheckpointError(f"ember.load: {where}: refused {what}")


def entry_info(zf: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    try:
        return zf.getinfo(name)
    except KeyError:
        raise CheckpointError(f"ember.load: the archive has no entry {name!r} (truncated or not a checkpoint)") from None


def check_entry(info: zipfile.ZipInfo, *, expected: int | None = None, limit: int | None = None) -> None:
    """Refuse ``info`` before reading it: wrong declared size, above ``limit``, or a zip bomb."""
    size = info.file_size
    if expected is not None and size != expected:
        raise _refuse(
            info.filename, f"an entry of {size} bytes where the checkpoint's records need exactly {expected}"
        )
    if limit is not None and size > limit:
        raise _refuse(
            info.filename,
            f"metadata of {size} bytes (more than ember.serialization._limits.MAX_METADATA_BYTES = {limit}); "
            "a checkpoint's structure is a few megabytes",
        )
    if info.compress_type != zipfile.ZIP_STORED:
        if size > _SMALL and size > MAX_INFLATION * max(info.compress_size, 1):
            raise _refuse(
                info.filename,
                f"a compressed entry that inflates {info.compress_size} bytes to {size} "
                f"(more than {MAX_INFLATION}x: a zip bomb?)",
            )
    elif size != info.compress_size:
        raise _refuse(info.filename, f"an uncompressed entry declaring {size} bytes but storing {info.compress_size}")


def _fill(zf: zipfile.ZipFile, info: zipfile.ZipInfo, buffer: memoryview) -> None:
    """Read ``info``'s data into ``buffer`` (exactly its size); refuse a stream of any other length."""
    with zf.open(info) as fh:
        got = 0
        while got < buffer.nbytes:
            n = fh.readinto(buffer[got:got + _CHUNK])
            if not n:
                raise CheckpointError(f"ember.load: {info.filename}: the entry ends after {got} of {buffer.nbytes} bytes")
            got += n
        if fh.read(1):
            raise _refuse(info.filename, f"an entry that inflates past its declared {buffer.nbytes} bytes")


def read_entry(zf: zipfile.ZipFile, name: str, *, expected: int | None = None, limit: int | None = None) -> bytearray:
    """The bytes of entry ``name``, checked by `check_entry` before any is read."""
    info = entry_info(zf, name)
    check_entry(info, expected=expected, limit=limit)
    out = bytearray(info.file_size)
    _fill(zf, info, memoryview(out))
    return out


def read_metadata(zf: zipfile.ZipFile, name: str) -> bytes:
    """A structure entry (``ember.json``, ``data.pkl``), no larger than `MAX_METADATA_BYTES`."""
    return bytes(read_entry(zf, name, limit=MAX_METADATA_BYTES))


def read_npy(zf: zipfile.ZipFile, name: str, dtype: str, length: int) -> np.ndarray:
    """A 1-D ``.npy`` entry that must hold ``length`` items of ``dtype`` (a NumPy dtype string).

    The ``.npy`` header is checked against the checkpoint's record before the array is allocated,
    and the data is read into the array itself (no intermediate copy).
    """
    info = entry_info(zf, name)
    if not isinstance(length, int) or length < 0:
        raise _refuse(name, f"a storage length of {length!r}")
    dt = np.dtype(dtype)
    if dt.hasobject:
        raise _refuse(name, f"a storage of dtype {dtype!r}")
    nbytes = length * dt.itemsize
    # The .npy header is at most 65,535 + 12 bytes (format 2.0 allows 4 GiB but NumPy never writes that much).
    if not nbytes <= info.file_size <= nbytes + 65_536 + 12:
        raise _refuse(name, f"an entry of {info.file_size} bytes for a storage of {length} x {dt.itemsize} bytes")
    check_entry(info)
    with zf.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, header_dt = np.lib.format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, header_dt = np.lib.format.read_array_header_2_0(fh)
        else:
            raise _refuse(name, f".npy format version {version}")
        if shape != (length,) or header_dt.str != dt.str:
            raise _refuse(name, f"a .npy header of shape {shape} and dtype {header_dt.str} where the checkpoint "
                          f"records ({length},) {dt.str}")
        if info.file_size - fh.tell() != nbytes:
            raise _refuse(name, f"{info.file_size - fh.tell()} bytes of data for {length} x {dt.itemsize} bytes")
        arr = np.empty(length, dtype=dt)
        view = memoryview(arr.view(np.uint8)) if nbytes else memoryview(bytearray(0))
        got = 0
        while got < nbytes:
            n = fh.readinto(view[got:got + _CHUNK])
            if not n:
                raise CheckpointError(f"ember.load: {name}: the entry ends after {got} of {nbytes} bytes")
            got += n
        if fh.read(1):
            raise _refuse(name, f"an entry that inflates past its declared {info.file_size} bytes")
    return arr
