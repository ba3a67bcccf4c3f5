"""Top-level switches of PyTorch that are about compilation, precision and determinism.

ember runs everything eagerly in the precision asked for, and its kernels are deterministic;
these functions accept PyTorch's arguments, validate them as PyTorch does, and record the
settings so the getters answer consistently.
"""

from __future__ import annotations

import warnings

from .amp import autocast  # noqa: F401  (torch.autocast)
from .amp.autocast_mode import is_autocast_enabled  # noqa: F401

_COMPILE_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_state = {"deterministic": False, "warn_only": False, "matmul_precision": "highest", "interop_threads": 1}


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None,  # noqa: A001
            options=None, name=None, disable: bool = False, recompile_limit=None, isolate_recompiles: bool = False,
            shapes_spec=None):
    """``torch.compile``: returns ``model`` itself, which runs eagerly (ember has no compiler).

    Works as a call (``model = torch.compile(model)``) and as a decorator, with or without
    arguments. Arguments are validated as PyTorch does; none of them changes what runs.
    """
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _COMPILE_MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_COMPILE_MODES)}")
    if model is None:
        return lambda m: m
    if not callable(model):
        raise RuntimeError("Model must be callable")
    return model


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the setting; every ember kernel is deterministic already, so nothing ever warns or raises."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' must be bool, not {type(mode).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """Record the setting ('highest', 'high' or 'medium'); ember's float32 matmuls are always full precision."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"  # sic, PyTorch's text
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def get_num_interop_threads() -> int:
    """ember runs one op at a time (NumPy's BLAS threads work inside an op)."""
    return _state["interop_threads"]


def set_num_interop_threads(n: int) -> None:
    if int(n) < 1:
        raise RuntimeError("Number of interop threads must be positive")
    _state["interop_threads"] = int(n)
