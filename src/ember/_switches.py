"""Process-wide debug switches PyTorch has at its top level: anomaly mode, warn-always, the
deterministic debug mode, flush-denormal and init_num_threads. Each says what it changes in ember."""

from __future__ import annotations

from . import _compat_api
from .autograd import grad_mode as _gm

_state = {"anomaly_without_nan": False, "check_nan": True, "warn_always": False}


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off. ember's anomaly mode is the NaN check in backward, so with
    ``check_nan=False`` the mode reads as enabled but checks nothing."""
    _gm._anomaly = bool(enabled) and bool(check_nan)
    _state["anomaly_without_nan"] = bool(enabled) and not check_nan
    _state["check_nan"] = bool(check_nan)


def is_anomaly_enabled() -> bool:
    return _gm._anomaly or _state["anomaly_without_nan"]


def is_anomaly_check_nan_enabled() -> bool:
    """The NaN-check setting of anomaly mode (True unless set otherwise), whether or not the mode is on."""
    return _state["check_nan"]


def set_warn_always(b: bool) -> None:
    """Record the flag. ember's warnings go through Python's ``warnings`` filters, which already
    decide whether a repeated warning shows; there are no warn-once-per-process sites to widen."""
    _state["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    return _state["warn_always"]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode) -> None:
    """0/'default': off; 1/'warn' and 2/'error': ``use_deterministic_algorithms(True, warn_only=mode == 1)``."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    elif isinstance(debug_mode, int) and not isinstance(debug_mode, bool):
        if debug_mode not in (0, 1, 2):
            raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    else:
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    _compat_api.use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not _compat_api.are_deterministic_algorithms_enabled():
        return 0
    return 1 if _compat_api.is_deterministic_algorithms_warn_only_enabled() else 2


def set_flush_denormal(mode: bool) -> bool:
    """Returns False, PyTorch's answer where flushing denormals is unsupported: NumPy gives no
    control over the FPU's flush-to-zero / denormals-are-zero bits, so ember changes nothing."""
    return False


def init_num_threads() -> None:
    """Nothing to initialise: ember's thread pools are sized by ``set_num_threads`` when asked."""


__all__ = [
    "set_anomaly_enabled", "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_warn_always",
    "is_warn_always_enabled", "set_deterministic_debug_mode", "get_deterministic_debug_mode", "set_flush_denormal",
    "init_num_threads",
]
