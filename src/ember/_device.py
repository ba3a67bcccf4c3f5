"""The device seam. ember computes on the CPU with NumPy; a GPU backend could slot in here."""

from __future__ import annotations


class device:
    """``ember.device('cpu')``: where a tensor lives. Only 'cpu' exists today."""

    __slots__ = ("type", "index")

    def __init__(self, type: str = "cpu", index: int | None = None):  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string like 'cpu', got {type!r}")
        if ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


_KNOWN = ("cpu", "cuda", "mps", "xpu", "meta")
_TYPES = ("cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, vulkan, mps, meta, hpu, "
          "mtia, privateuseone")

# What PyTorch's CPU-only build raises when a tensor is sent to a device it wasn't built for.
_NOT_BUILT = {
    "cuda": (AssertionError, "Torch not compiled with CUDA enabled"),
    "xpu": (AssertionError, "Torch not compiled with XPU enabled"),
    "mps": (RuntimeError, "PyTorch is not linked with support for mps devices"),
}


def _check_device(dev) -> None:
    """Accept the CPU; refuse any other device as PyTorch's CPU-only build does."""
    if dev is None:
        return
    d = device(dev) if not isinstance(dev, device) else dev
    if d.type == "cpu":
        return
    if d.type in _NOT_BUILT:
        exc, message = _NOT_BUILT[d.type]
        raise exc(message)
    if d.type in _KNOWN:
        raise RuntimeError(f"ember has no '{d.type}' backend: tensors live on the CPU only. Use device='cpu'.")
    raise RuntimeError(f"Expected one of {_TYPES} device type at start of device string: {d.type}")


def get_default_device() -> device:
    """Where factory functions put tensors: always the CPU in ember."""
    return device("cpu")


def set_default_device(dev) -> None:
    """Accepts the CPU (or None); any other device is refused (no GPU backend)."""
    _check_device(dev)
