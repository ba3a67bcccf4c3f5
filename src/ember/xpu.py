"""``ember.xpu``: ``torch.xpu`` on a machine without Intel GPUs (answers as PyTorch's CPU build does)."""

from __future__ import annotations

_NOT_COMPILED = "Torch not compiled with XPU enabled"


def _not_compiled(*args, **kwargs):
    raise AssertionError(_NOT_COMPILED)


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def _noop(*args, **kwargs) -> None:
    """Seeding and cache calls are lazy no-ops without XPU, as in PyTorch."""


manual_seed = manual_seed_all = seed = seed_all = empty_cache = _noop


def memory_allocated(device=None) -> int:
    return 0


max_memory_allocated = memory_reserved = max_memory_reserved = memory_allocated
init = synchronize = current_device = get_device_name = get_device_properties = set_device = _not_compiled
get_device_capability = initial_seed = get_rng_state = set_rng_state = _not_compiled
