"""The answers of a device backend ember does not have, as PyTorch's CPU build gives them for ``torch.cuda``
and ``torch.xpu``: nothing available, no devices, zero memory, seeding a no-op, device calls an error."""

from __future__ import annotations


def not_compiled(backend: str):
    """The function PyTorch's CPU build has for a call that needs ``backend``'s device: it raises."""
    message = f"Torch not compiled with {backend} enabled"

    def not_compiled_(*args, **kwargs):
        raise AssertionError(message)

    return not_compiled_


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def noop(*args, **kwargs) -> None:
    """Seeding and cache calls are lazy no-ops without the device, as in PyTorch."""


def zero(device=None) -> int:
    return 0
