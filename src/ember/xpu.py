"""``ember.xpu``: ``torch.xpu`` on a machine without Intel GPUs (answers as PyTorch's CPU build does)."""

from __future__ import annotations

from . import _absent_device as _absent

is_available, device_count, is_initialized = _absent.is_available, _absent.device_count, _absent.is_initialized
_not_compiled = _absent.not_compiled("XPU")
manual_seed = manual_seed_all = seed = seed_all = empty_cache = _absent.noop
memory_allocated = _absent.zero
max_memory_allocated = memory_reserved = max_memory_reserved = memory_allocated
init = synchronize = current_device = get_device_name = get_device_properties = set_device = _not_compiled
get_device_capability = initial_seed = get_rng_state = set_rng_state = _not_compiled
