"""The user's additions to the ``weights_only=True`` allow-list (``torch.serialization.add_safe_globals``).

Entries are objects (classes, functions) or ``(object, "module.name")`` pairs for an object
pickled under another name. Loading with ``weights_only=True`` resolves a global the built-in
allow-list refuses through these entries only: an allow-listed class may be instantiated and
have its state set, an allow-listed function may be called; nothing else may.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_entries: list = []


def _full_name(entry) -> str:
    if isinstance(entry, tuple):
        return entry[1]
    return f"{getattr(entry, '__module__', '?')}.{getattr(entry, '__qualname__', getattr(entry, '__name__', '?'))}"


def _check(entries) -> list:
    if not isinstance(entries, (list, tuple, set)):
        raise TypeError(f"safe_globals must be a list of classes/functions or (object, name) tuples, got "
                        f"{type(entries).__name__}")
    out = []
    for e in entries:
        if isinstance(e, tuple):
            if len(e) != 2 or not isinstance(e[1], str):
                raise ValueError(f"a safe global given as a tuple must be (object, 'module.name'), got {e!r}")
        elif not callable(e):
            raise TypeError(f"a safe global must be a class or function (or an (object, name) tuple), got {e!r}")
        out.append(e)
    return out


def add_safe_globals(safe_globals: list) -> None:
    """Allow ``weights_only=True`` loading to rebuild these classes and call these functions.

    Example:
        >>> ember.serialization.add_safe_globals([MyConfig])
        >>> ember.load("ckpt.pt")   # may now contain MyConfig instances
    """
    entries = _check(safe_globals)
    with _lock:
        _entries.extend(entries)


def get_safe_globals() -> list:
    """The user-added allow-list entries (the built-in allow-list is not included)."""
    with _lock:
        return list(_entries)


def clear_safe_globals() -> None:
    """Remove every user-added allow-list entry."""
    with _lock:
        _entries.clear()


class safe_globals:
    """``with safe_globals([...]):`` adds entries for the block and restores the previous list after."""

    def __init__(self, safe_globals: list):
        self.safe_globals = _check(safe_globals)
        self._saved: list | None = None

    def __enter__(self):
        with _lock:
            self._saved = list(_entries)
            _entries.extend(self.safe_globals)
        return self

    def __exit__(self, *exc) -> bool:
        with _lock:
            _entries[:] = self._saved
        return False


def lookup(module: str, name: str):
    """The allow-listed object pickled as ``module.name``, or None."""
    full = f"{module}.{name}"
    with _lock:
        for e in reversed(_entries):
            if _full_name(e) == full:
                return e[0] if isinstance(e, tuple) else e
    return None


def allowed(obj) -> bool:
    """Is ``obj`` itself (or, for an instance, its class) an allow-listed entry?"""
    with _lock:
        for e in _entries:
            target = e[0] if isinstance(e, tuple) else e
            if target is obj:
                return True
    return False
