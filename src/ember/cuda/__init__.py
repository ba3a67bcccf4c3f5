"""``ember.cuda``: ``torch.cuda`` as it behaves in PyTorch's CPU-only build.

ember has no CUDA backend. Queries answer like a machine without a GPU (``is_available()`` is
False, ``device_count()`` is 0, memory counters are 0), seeding is a no-op, and the calls that
need a device raise the ``AssertionError("Torch not compiled with CUDA enabled")`` PyTorch raises.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict

from .. import _absent_device as _absent
from . import amp  # noqa: F401  (``torch.cuda.amp.autocast`` without importing it first)

is_available, device_count, is_initialized = _absent.is_available, _absent.device_count, _absent.is_initialized
_not_compiled = _absent.not_compiled("CUDA")


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def get_arch_list() -> list:
    return []


manual_seed = manual_seed_all = seed = seed_all = empty_cache = _absent.noop
memory_allocated = max_memory_allocated = memory_reserved = max_memory_reserved = _absent.zero
memory_cached = max_memory_cached = _absent.zero


def memory_stats(device=None) -> OrderedDict:
    return OrderedDict()


init = synchronize = current_device = get_device_name = get_device_properties = _not_compiled
get_device_capability = initial_seed = get_rng_state = get_rng_state_all = _not_compiled
set_rng_state = set_rng_state_all = mem_get_info = ipc_collect = current_stream = default_stream = _not_compiled


def _missing_binding(binding: str):
    def fn(*args, **kwargs):
        # PyTorch's CPU build reaches for a CUDA binding it doesn't have: an AttributeError.
        raise AttributeError(f"module 'torch._C' has no attribute '{binding}'")

    return fn


set_device = _missing_binding("_cuda_setDevice")
reset_peak_memory_stats = _missing_binding("_cuda_resetPeakMemoryStats")
reset_max_memory_allocated = reset_peak_memory_stats


class device:
    """``with torch.cuda.device(i):`` constructs, and is a no-op for index -1 or None."""

    def __init__(self, device):
        self.idx = -1 if device is None else device

    def __enter__(self):
        if self.idx not in (-1, None):
            _not_compiled()

    def __exit__(self, *exc):
        return False


class Stream:
    def __new__(cls, *args, **kwargs):
        raise RuntimeError("torch.cuda.Stream requires CUDA support")


class Event:
    def __new__(cls, *args, **kwargs):
        raise RuntimeError("Tried to instantiate dummy base class Event")


@contextlib.contextmanager
def stream(stream=None):
    """``with torch.cuda.stream(None):`` is a no-op, as in PyTorch."""
    if stream is not None:
        _not_compiled()
    yield


class _LegacyCudaTensorMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return False  # no tensor is ever on a GPU


def _legacy(name: str):
    def __new__(cls, *args, **kwargs):
        raise TypeError(f"type torch.cuda.{name} not available. Torch not compiled with CUDA enabled.")

    return _LegacyCudaTensorMeta(name, (), {"__new__": __new__, "__module__": "ember.cuda",
                                            "__doc__": f"``torch.cuda.{name}``: exists; constructing it raises."})


# Old code picks a tensor type by device: ``Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor``.
FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor = (
    _legacy(n) for n in ("FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
                         "CharTensor", "ByteTensor", "BoolTensor"))
