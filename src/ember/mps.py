"""``ember.mps``: ``torch.mps`` on a machine without Apple's Metal backend (answers as PyTorch's build does)."""

from __future__ import annotations


def _no_mps(what: str):
    def fn(*args, **kwargs):
        raise RuntimeError(f"Cannot execute {what}() without MPS backend.")

    return fn


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """A no-op without MPS, as in PyTorch."""


def seed() -> None:
    """A no-op without MPS, as in PyTorch."""


synchronize = _no_mps("deviceSynchronize")
empty_cache = _no_mps("emptyCache")
current_allocated_memory = _no_mps("getCurrentAllocatedMemory")
driver_allocated_memory = _no_mps("getDriverAllocatedMemory")
recommended_max_memory = _no_mps("getRecommendedMaxMemory")
set_per_process_memory_fraction = _no_mps("setMemoryFraction")
get_rng_state = _no_mps("getDefaultGenerator")
set_rng_state = _no_mps("getDefaultGenerator")
