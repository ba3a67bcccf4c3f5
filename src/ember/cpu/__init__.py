"""``ember.cpu``: ``torch.cpu``, the device ember computes on."""

from __future__ import annotations

from . import amp  # noqa: F401


def is_available() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def synchronize(device=None) -> None:
    """NumPy work is finished when a call returns: nothing to wait for."""


def set_device(device) -> None:
    """Accepted, as in PyTorch (there is one CPU device)."""
