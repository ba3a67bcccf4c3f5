"""``torch.autocast`` on ember: a context manager and decorator that casts nothing (see ``ember.amp``)."""

from __future__ import annotations

import functools
import threading
import warnings

from .. import _dtype as D

_DEVICE_TYPES = ("cpu", "cuda", "xpu", "mps", "hpu", "mtia", "xla", "ipu", "maia")
_state = threading.local()
_warned_cpu = False


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can take effect on ``device_type``: never on ember (it casts nothing)."""
    return False


def _enabled_devices() -> set:
    if not hasattr(_state, "enabled"):
        _state.enabled = set()
    return _state.enabled


class autocast:
    """``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``.

    ember runs the block unchanged: on ``"cpu"`` it warns once that nothing is cast (ember has no
    bfloat16); on ``"cuda"`` and other accelerators it warns and disables itself, like PyTorch
    without that device. ``ember.is_autocast_enabled()`` therefore stays False inside the block.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None):
        global _warned_cpu
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _DEVICE_TYPES:
            from .._device import _TYPES

            raise RuntimeError(f"Expected one of {_TYPES} device type at start of device string: {device_type}")
        if dtype is not None and not isinstance(dtype, D.dtype):
            raise ValueError(f"Expected `dtype` of type `torch.dtype`, got: `{type(dtype)}`")
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        if not self._enabled:
            return
        if device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", UserWarning,
                          stacklevel=2)
        elif device_type != "cpu":
            warnings.warn(f"{device_type.upper()} is not available. Disabling autocast.", UserWarning, stacklevel=2)
        elif not _warned_cpu:
            _warned_cpu = True
            warnings.warn("ember: torch.autocast('cpu') runs the block in full precision (ember has no bfloat16 "
                          "and casts nothing); results are float32", UserWarning, stacklevel=2)
        self._enabled = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapper


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """False: no autocast region ever takes effect on ember (see ``autocast``)."""
    return False


def custom_fwd(fwd=None, *, device_type: str = "cuda", cast_inputs=None):
    """``torch.amp.custom_fwd``: returns the forward unchanged (there is no autocast state to apply)."""
    if fwd is None:
        return lambda f: custom_fwd(f, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type: str = "cuda"):
    """``torch.amp.custom_bwd``: returns the backward unchanged."""
    if bwd is None:
        return lambda f: custom_bwd(f, device_type=device_type)
    return bwd
