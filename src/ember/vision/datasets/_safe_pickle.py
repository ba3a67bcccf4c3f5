"""Reading the pickled batches some datasets ship (CIFAR) without letting the file run code.

A pickle may name any importable callable; this unpickler allows only the few that rebuild
NumPy arrays and dtypes, so a tampered file fails to load instead of executing something.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 spell bytes
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only NumPy arrays, lists, dicts and strings are allowed")


def load_array_pickle(path: str, encoding: str = "latin1") -> Any:
    """Unpickle ``path`` allowing only built-in containers and NumPy arrays (Python 2 pickles decoded as latin-1)."""
    with open(path, "rb") as f:
        return _ArrayUnpickler(io.BytesIO(f.read()), encoding=encoding).load()
