"""Memory formats (``ember.channels_last`` ...): how a tensor's elements are laid out in memory.

ember's ops accept any layout NumPy can describe, so a format is a real stride order, not a tag:
``x.contiguous(memory_format=ember.channels_last)`` returns the same values with NHWC strides, as
PyTorch does, and ``is_contiguous(memory_format=...)`` reads the strides. It never changes a result.
This module imports nothing from ember (the bottom layer, beside ``_dtype``).
"""

from __future__ import annotations


class memory_format:  # noqa: N801 - PyTorch's name
    """A memory format; the four instances are ``ember.contiguous_format``, ``channels_last``,
    ``channels_last_3d`` and ``preserve_format``."""

    __slots__ = ("name", "rank")

    def __init__(self, name: str, rank: int | None):
        self.name, self.rank = name, rank

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name  # pickles as the module-level singleton


contiguous_format = memory_format("contiguous_format", None)
channels_last = memory_format("channels_last", 4)
channels_last_3d = memory_format("channels_last_3d", 5)
preserve_format = memory_format("preserve_format", None)


def check_memory_format(fmt, fn: str):
    """``fmt`` if it is a memory format (None means contiguous_format), else PyTorch's TypeError."""
    if fmt is None:
        return contiguous_format
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{fn}(): argument 'memory_format' must be torch.memory_format, not {type(fmt).__name__}")
    return fmt


def _channels_last_order(ndim: int) -> tuple:
    """Axes from outermost to innermost in memory: N, spatial dims..., C."""
    return (0, *range(2, ndim), 1)


def check_rank(shape, fmt: memory_format) -> None:
    if fmt.rank is not None and len(shape) != fmt.rank:
        raise RuntimeError(f"required rank {fmt.rank} tensor to use {fmt.name} format")


def is_contiguous_as(array, fmt: memory_format, exact: bool = False) -> bool:
    """Whether ``array``'s strides are dense in ``fmt``'s order. Size-1 dims may have any stride (PyTorch's
    rule), unless ``exact`` asks for the canonical strides."""
    if fmt.rank is None:
        if not array.flags.c_contiguous:
            return False
        return not exact or array.strides == _dense_strides(array, range(array.ndim))
    if array.ndim != fmt.rank:
        return False
    dense = _dense_strides(array, _channels_last_order(array.ndim))
    if exact:
        return array.strides == dense
    return all(size == 1 or stride == want for size, stride, want in zip(array.shape, array.strides, dense))


def _dense_strides(array, order) -> tuple:
    """The byte strides of a dense array of ``array``'s shape whose axes run ``order`` outermost first."""
    strides = [0] * array.ndim
    step = array.itemsize
    for axis in reversed(tuple(order)):
        strides[axis] = step
        step *= max(array.shape[axis], 1)
    return tuple(strides)


def arrange(xp, array, fmt: memory_format):
    """A copy of ``array`` laid out in ``fmt`` (channels-last: NHWC / NDHWC strides on the same shape)."""
    if fmt.rank is None:
        return xp.ascontiguousarray(array)
    order = _channels_last_order(array.ndim)
    dense = xp.array(array.transpose(order), copy=True, order="C")  # canonical strides, size-1 dims too
    return dense.transpose(tuple(order.index(i) for i in range(array.ndim)))
