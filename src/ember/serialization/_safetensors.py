"""safetensors files through the ``safetensors`` package (the optional extra ``ember[safetensors]``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._tensor import Tensor


def _module():
    try:
        import safetensors.numpy as st
    except ImportError:
        raise ImportError(
            "ember: reading or writing .safetensors files needs the 'safetensors' package; "
            "install it with: pip install 'ember[safetensors]'"
        ) from None
    return st


class SafetensorsWriter:
    """``ember.save(state_dict, 'x.safetensors')``: a flat ``{str: tensor}`` mapping only."""

    def __init__(self, obj):
        st = _module()
        if not isinstance(obj, Mapping):
            raise TypeError(
                f"ember.save: the safetensors format stores a flat dict of str -> tensor, got {type(obj).__name__}; "
                "use format='ember' for other objects"
            )
        arrays = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"ember.save: safetensors keys must be str, got {key!r}")
            if isinstance(value, Tensor):
                value = value._data
            if not isinstance(value, np.ndarray):
                raise TypeError(
                    f"ember.save: the safetensors format stores only tensors, got {type(value).__name__} at key {key!r}"
                )
            arrays[key] = np.ascontiguousarray(value)
        self.payload = st.save(arrays)

    def write(self, fh) -> None:
        fh.write(self.payload)


def read(data: bytes) -> dict:
    """The tensors of a safetensors file, as a dict of ember tensors in the file's order."""
    st = _module()
    try:
        arrays = st.load(data)
    except Exception as exc:  # SafetensorError and friends: the bytes are not a valid file
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    return {k: Tensor._wrap(a if a.flags.writeable else a.copy()) for k, a in arrays.items()}
