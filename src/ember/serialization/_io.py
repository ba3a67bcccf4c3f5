"""Files for ``ember.save``/``ember.load``: atomic writes, readable sources, format sniffing, errors."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import re
import struct
import tempfile
import time

from .. import _faults


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


TMP_SUFFIX = ".ember.tmp"
# ".<target>.<8 random chars>.ember.tmp": what atomic_write names its temporaries, and all it ever cleans.
_OWN_TMP = re.compile(r"^\.(?P<target>.+)\.[A-Za-z0-9_]{8}" + re.escape(TMP_SUFFIX) + "$")
# ".<target>.<8 random chars>.tmp" from embers before the lock existed: cleaned only when long untouched.
_LEGACY_TMP = re.compile(r"^\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp$")
LEGACY_TMP_AGE = 3600.0  # seconds


def _lock(fd: int, block: bool) -> bool:
    """An exclusive advisory lock on ``fd``; False if another open file holds it (never raises where there are no locks)."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; stale temporaries are then never cleaned automatically
        return block
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


def _mkstemp_locked(directory: str, name: str) -> tuple[int, str]:
    """A new temporary file beside ``name``, locked for as long as this process holds it open.

    The lock is what tells `clean_stale_temporaries` that the writer is alive: the kernel drops it
    when the writer exits however it dies (SIGKILL included), across PID namespaces. A cleaner may have
    removed the file in the instant between creation and locking; then it is made again.
    """
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=TMP_SUFFIX, dir=directory)
        _lock(fd, block=True)
        if os.fstat(fd).st_nlink > 0:
            return fd, tmp
        os.close(fd)


def clean_stale_temporaries(directory: str) -> list[str]:
    """Remove temporaries that ember's own writers left in ``directory`` when they were killed mid-save.

    Only names of ember's pattern are considered, and only files no live process holds: a temporary is
    removed while this process holds its lock, which it can only get once the writer is gone (two live
    processes saving to the same directory never touch each other's files). Temporaries of older embers,
    which took no lock, are removed only when untouched for an hour and their target file exists.
    Returns the names removed; errors (permissions, races with another cleaner) are ignored.
    """
    removed: list[str] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        own, legacy = _OWN_TMP.match(entry.name), _LEGACY_TMP.match(entry.name)
        if not (own or legacy):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if legacy and not own:
                if now - entry.stat(follow_symlinks=False).st_mtime < LEGACY_TMP_AGE:
                    continue
                if not os.path.exists(os.path.join(directory, legacy["target"])):
                    continue
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if _lock(fd, block=False) and os.fstat(fd).st_nlink > 0:
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


@contextlib.contextmanager
def atomic_write(path):
    """Open a temporary file beside ``path`` for writing; on success flush, fsync and rename it
    over ``path`` (then fsync the directory). On any error the temporary file is removed and
    ``path`` is untouched, so a crash mid-save never destroys the previous checkpoint; the
    temporary a killed process leaves behind is removed by the next save to that directory."""
    path = os.fsdecode(path)
    directory = os.path.dirname(os.path.abspath(path))
    clean_stale_temporaries(directory)
    fd, tmp = _mkstemp_locked(directory, os.path.basename(path))
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
            _faults.write_point(path)
            os.replace(tmp, path)  # still holding the lock: nobody cleans a temporary mid-rename
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
