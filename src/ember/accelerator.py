"""``ember.accelerator``: ``torch.accelerator`` on a machine with no accelerator, as PyTorch answers there.

``is_available()`` is False, ``current_accelerator()`` is None and ``device_count()`` is 0, so the
idiom ``device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"``
picks the CPU; the calls that need a device raise PyTorch's ``RuntimeError``.
"""

from __future__ import annotations

_NONE = "Cannot access accelerator device when none is available."


def _no_accelerator(*args, **kwargs):
    raise RuntimeError(_NONE)


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    return None


def device_count() -> int:
    return 0


current_device_index = current_device_idx = set_device_index = set_device_idx = _no_accelerator
synchronize = current_stream = set_stream = empty_cache = _no_accelerator
memory_allocated = max_memory_allocated = memory_reserved = max_memory_reserved = memory_stats = _no_accelerator
reset_peak_memory_stats = reset_accumulated_memory_stats = get_memory_info = _no_accelerator


class device_index:
    """``with torch.accelerator.device_index(i):``: constructs; entering with an index needs a device."""

    def __init__(self, device, /):
        self.idx = device

    def __enter__(self):
        if self.idx is not None:
            _no_accelerator()

    def __exit__(self, *exc):
        return False
