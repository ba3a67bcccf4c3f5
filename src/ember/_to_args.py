"""How ``Tensor.to`` and ``Module.to`` read their arguments: PyTorch's three call forms, parsed in one place.

    to(device=None, dtype=None, non_blocking=False, copy=False, *, memory_format=None)
    to(dtype, non_blocking=False, copy=False, *, memory_format=None)
    to(tensor, non_blocking=False, copy=False, *, memory_format=None)

A call that fits none of them raises PyTorch's TypeError, naming what came.
"""

from __future__ import annotations

from typing import NamedTuple

from . import _dtype as D
from ._memory_format import memory_format as _memory_format_cls
from ._device import device as _device_cls
from ._tensor import Tensor


class ToArgs(NamedTuple):
    device: object
    dtype: object
    non_blocking: bool
    copy: bool
    memory_format: object


_FLAGS = "bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None"
_FORMS = (
    f" * (torch.device device = None, torch.dtype dtype = None, {_FLAGS})",
    f" * (torch.dtype dtype, {_FLAGS})",
    f" * (Tensor tensor, {_FLAGS})",
)


def _is_dtype(a) -> bool:
    if isinstance(a, str):  # ember also takes a dtype's name ('float32', 'torch.float64')
        return D.dtype_named(a) is not None
    return isinstance(a, (D.dtype, type))


def _is_device(a) -> bool:
    return isinstance(a, (str, _device_cls)) or (isinstance(a, int) and not isinstance(a, bool))


def _type_name(a) -> str:
    if isinstance(a, Tensor):
        return "Tensor"
    if isinstance(a, D.dtype):
        return "torch.dtype"
    return "torch.device" if isinstance(a, _device_cls) else type(a).__name__


def _invalid(args, kwargs) -> TypeError:
    got = [_type_name(a) for a in args] + [f"{k}={_type_name(v)}" for k, v in kwargs.items()]
    return TypeError(
        f"to() received an invalid combination of arguments - got ({', '.join(got)}, ), but expected one of:\n"
        + "\n".join(_FORMS)
    )


def parse_to(args: tuple, kwargs: dict) -> ToArgs:
    """The ``(device, dtype, non_blocking, copy, memory_format)`` a ``to(...)`` call asks for.

    ``device``/``dtype`` are as given (None: unchanged); a device index ``n`` means ``'cuda:n'``, as in PyTorch.
    """
    rest = list(args)
    device = dtype = None
    keywords = {"non_blocking", "copy", "memory_format"}
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        device, dtype = other.device, other.dtype
    elif rest and rest[0] is not None and _is_dtype(rest[0]):
        dtype = rest.pop(0)
    else:
        keywords |= {"device", "dtype"}
        if rest and (rest[0] is None or _is_device(rest[0])):
            device = rest.pop(0)
            if rest and (rest[0] is None or _is_dtype(rest[0])):
                dtype = rest.pop(0)
                keywords.discard("dtype")
            keywords.discard("device")
    if len(rest) > 2 or not all(isinstance(a, bool) for a in rest) or not keywords.issuperset(kwargs):
        raise _invalid(args, kwargs)
    flags = rest + [False] * (2 - len(rest))
    if len(rest) == 2 and "copy" in kwargs or len(rest) >= 1 and "non_blocking" in kwargs:
        raise _invalid(args, kwargs)
    fmt = kwargs.get("memory_format")
    if fmt is not None and not isinstance(fmt, _memory_format_cls):
        raise _invalid(args, kwargs)
    if isinstance(device, int):
        device = f"cuda:{device}"
    return ToArgs(
        kwargs.get("device", device),
        kwargs.get("dtype", dtype),
        kwargs.get("non_blocking", flags[0]),
        kwargs.get("copy", flags[1]),
        fmt,
    )
