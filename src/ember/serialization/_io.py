"""Files for ``ember.save``/``ember.load``: atomic writes, readable sources, format sniffing, errors."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import struct
import tempfile


class CheckpointError(RuntimeError):
    """The file is not a readable checkpoint: truncated, corrupted, or of an unknown format."""


class UnsafeCheckpointError(pickle.UnpicklingError):
    """The checkpoint asks for something ``ember.load`` never does (import or call arbitrary code)."""


def is_path(f) -> bool:
    return isinstance(f, (str, bytes, os.PathLike))


def describe(f) -> str:
    """How to name ``f`` in a message."""
    if is_path(f):
        return repr(os.fsdecode(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else "the file object"


def _umask() -> int:
    # os.umask can only be read by setting it, which races with other threads; Linux exposes it.
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories can't be opened."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path):
    """Open a temporary file beside ``path`` for writing; on success flush, fsync and rename it
    over ``path`` (then fsync the directory). On any error the temporary file is removed and
    ``path`` is untouched, so a crash mid-save never destroys the previous checkpoint."""
    path = os.fsdecode(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = os.stat(path).st_mode & 0o7777  # overwriting: keep the file's permissions
        except FileNotFoundError:
            mode = 0o666 & ~_umask()  # new file: what open() would have given (mkstemp uses 0600)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


@contextlib.contextmanager
def open_source(f):
    """A seekable binary file for ``f`` (a path or a readable binary file object)."""
    if is_path(f):
        with open(f, "rb") as fh:
            yield fh
        return
    if not hasattr(f, "read"):
        raise TypeError(f"ember.load: expected a path or a binary file object, got {type(f).__name__}")
    seekable = False
    with contextlib.suppress(AttributeError, OSError, ValueError):
        seekable = f.seekable()
    if seekable:
        yield f
    else:
        data = f.read()
        if isinstance(data, str):
            raise TypeError("ember.load: the file object must be opened in binary mode ('rb')")
        yield io.BytesIO(data)


ZIP, SAFETENSORS, PICKLE, UNKNOWN, EMPTY = "zip", "safetensors", "pickle", "unknown", "empty"


def sniff(fh) -> str:
    """Which kind of file ``fh`` holds, from its first bytes (the position is restored)."""
    start = fh.tell()
    head = fh.read(9)
    fh.seek(start)
    if isinstance(head, str):
        raise TypeError("ember.load: the file object must be opened in binary mode ('rb')")
    if not head:
        return EMPTY
    if head[:2] == b"PK":
        return ZIP
    if len(head) == 9 and head[8:9] == b"{":
        (header_len,) = struct.unpack("<Q", head[:8])
        if 0 < header_len < 2**32:  # a plausible header; a short file is reported as truncated later
            return SAFETENSORS
    if head[:1] == b"\x80":
        return PICKLE
    return UNKNOWN
