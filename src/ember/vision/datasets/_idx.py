"""Reader and writer for the IDX format the MNIST family ships in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the data in C order, big-endian.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder(">") if dtype.itemsize > 1 else dtype: code for code, dtype in _TYPES.items()}


def _open(path: str | os.PathLike, mode: str):
    return gzip.open(path, mode) if os.fspath(path).endswith(".gz") else open(path, mode)


def parse_idx(raw: bytes | bytearray, name: str = "<bytes>") -> np.ndarray:
    """Decode IDX bytes into an array (native byte order), checking the magic number and sizes."""
    if len(raw) < 4:
        raise ValueError(f"{name}: not an IDX file: {len(raw)} bytes, fewer than the 4-byte magic number")
    zero1, zero2, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero1 != 0 or zero2 != 0 or code not in _TYPES:
        raise ValueError(
            f"{name}: not an IDX file: magic number 0x{bytes(raw[:4]).hex()}, expected 0x0000 followed by a "
            "type code (08 uint8, 09 int8, 0b int16, 0c int32, 0d float32, 0e float64) and the number of dimensions"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name}: truncated IDX file: {len(raw)} bytes, fewer than its {header}-byte header")
    dims = struct.unpack(f">{ndim}I", bytes(raw[4:header]))
    dtype = _TYPES[code]
    count = math.prod(dims)
    expected, got = count * dtype.itemsize, len(raw) - header
    if got != expected:
        kind = "truncated IDX file" if got < expected else "IDX file with trailing bytes"
        raise ValueError(
            f"{name}: {kind}: the header declares shape {tuple(dims)} of {dtype.name} "
            f"({expected} bytes of data) but {got} bytes follow"
        )
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=not isinstance(raw, bytearray) or dtype.itemsize > 1)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped if its name ends in ``.gz``."""
    name = os.fspath(path)
    try:
        with _open(path, "rb") as f:
            raw = bytearray(f.read())
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{name}: corrupt or truncated gzip file ({exc}); delete it and download it again") from exc
    return parse_idx(raw, name)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzipped if ``path`` ends in ``.gz``)."""
    arr = np.asarray(array)
    big = arr.dtype.newbyteorder(">") if arr.dtype.itemsize > 1 else arr.dtype
    if big not in _CODES:
        raise ValueError(f"write_idx: IDX stores uint8, int8, int16, int32, float32 or float64, got {arr.dtype}")
    header = bytes([0, 0, _CODES[big], arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    with _open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(arr, dtype=big).tobytes())
