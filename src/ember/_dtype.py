"""dtypes with PyTorch's names, and PyTorch's type-promotion rules.

An ember dtype wraps a NumPy dtype. Promotion follows PyTorch, not NumPy:
a Python scalar never widens a tensor within its category (float32 * 2.5 stays
float32, int32 + 1 stays int32), an int tensor meeting a float scalar gives the
default float dtype, and zero-dimensional tensors rank below dimensioned ones.
"""

from __future__ import annotations

import builtins as _builtins

import numpy as np

_pyfloat, _pyint, _pybool = _builtins.float, _builtins.int, _builtins.bool
_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:
    """A tensor element type (``ember.float32``, ``ember.int64``, ...)."""

    __slots__ = ("name", "np", "category", "is_floating_point", "is_signed", "itemsize", "_legacy")

    def __init__(self, name: str, np_dtype, category: int, legacy: str):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.is_floating_point = category == _FLOAT
        self.is_signed = self.np.kind in "if"
        self.itemsize = self.np.itemsize
        self._legacy = legacy

    @property
    def is_complex(self) -> bool:
        return False

    def to_real(self) -> "dtype":
        return self

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


float16 = half = dtype("float16", np.float16, _FLOAT, "HalfTensor")
float32 = float = dtype("float32", np.float32, _FLOAT, "FloatTensor")
float64 = double = dtype("float64", np.float64, _FLOAT, "DoubleTensor")
uint8 = dtype("uint8", np.uint8, _INT, "ByteTensor")
int8 = dtype("int8", np.int8, _INT, "CharTensor")
int16 = short = dtype("int16", np.int16, _INT, "ShortTensor")
int32 = int = dtype("int32", np.int32, _INT, "IntTensor")
int64 = long = dtype("int64", np.int64, _INT, "LongTensor")
bool = dtype("bool", np.bool_, _BOOL, "BoolTensor")  # noqa: A001 - PyTorch's name

ALL_DTYPES = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_BY_NP = {d.np: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)
_BY_LEGACY = {d._legacy: d for d in ALL_DTYPES}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


_default_float = float32


def get_default_dtype() -> dtype:
    """The dtype of floating-point tensors made from Python floats."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float32 or float64, like PyTorch)."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def from_numpy_dtype(np_dtype) -> dtype:
    """The ember dtype of a NumPy dtype; refuses types PyTorch has no name for."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def dtype_named(name: str) -> dtype | None:
    """The dtype a name means ('float32', 'torch.float64', 'ember.long'), or None."""
    for prefix in ("torch.", "ember."):
        name = name.removeprefix(prefix)
    return _BY_NAME.get(name)


def as_dtype(d) -> dtype:
    """Accept an ember dtype, a NumPy dtype/type, a Python type or a name."""
    if isinstance(d, dtype):
        return d
    if d is _pyfloat:
        return _default_float
    if d is _pyint:
        return int64
    if d is _pybool:
        return bool
    if isinstance(d, str):
        named = dtype_named(d)
        if named is not None:
            return named
        raise TypeError(f"unknown dtype {d!r}")
    legacy = getattr(d, "_legacy_dtype", None)
    if legacy is not None:
        return legacy
    return from_numpy_dtype(d)


def promote_types(a: dtype, b: dtype) -> dtype:
    """PyTorch's ``promote_types``: the smallest dtype both can be cast to."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return _BY_NP[np.promote_types(a.np, b.np)]


def _scalar_dtype(x) -> dtype:
    if isinstance(x, (_pybool, np.bool_)):
        return bool
    if isinstance(x, (_pyint, np.integer)):
        return int64
    return _default_float


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """PyTorch's combine_categories: a lower-priority operand only matters when it
    brings a higher category (float over int, int over bool)."""
    if higher is None:
        return lower
    if lower is None or higher.category == _FLOAT:
        return higher
    if higher.category == _BOOL or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> dtype:
    """The dtype PyTorch gives an op over these tensors and Python scalars."""
    dim_result = zero_result = scalar_result = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim:
                dim_result = d if dim_result is None else promote_types(dim_result, d)
            else:
                zero_result = d if zero_result is None else promote_types(zero_result, d)
        elif isinstance(x, np.ndarray):
            d = from_numpy_dtype(x.dtype)
            dim_result = d if dim_result is None else promote_types(dim_result, d)
        else:
            d = _scalar_dtype(x)
            scalar_result = d if scalar_result is None else promote_types(scalar_result, d)
    return _combine(dim_result, _combine(zero_result, scalar_result))


class _Limits:
    """What ``finfo`` and ``iinfo`` share: the dtype's name, its bits, and its range as ``number`` s."""

    def _set_range(self, d: dtype, info, number) -> None:
        self.dtype = d.name
        self.bits = _pyint(info.bits)
        self.min = number(info.min)
        self.max = number(info.max)


class finfo(_Limits):
    """Machine limits of a floating dtype (PyTorch's ``torch.finfo``): ``eps``, ``max``, ``min``, ``tiny`` ..."""

    def __init__(self, type=None):  # noqa: A002 - PyTorch's name
        d = as_dtype(type) if type is not None else _default_float
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(d.np)
        self._set_range(d, info, _pyfloat)
        self.eps = _pyfloat(info.eps)
        self.tiny = self.smallest_normal = _pyfloat(info.smallest_normal)
        self.resolution = 10.0 ** -_pyint(info.precision)

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo(_Limits):
    """Limits of an integer dtype (PyTorch's ``torch.iinfo``): ``min``, ``max``, ``bits``."""

    def __init__(self, type):  # noqa: A002 - PyTorch's name
        d = as_dtype(type)
        if d.category != _INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        self._set_range(d, np.iinfo(d.np), _pyint)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
