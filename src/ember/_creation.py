"""Factory functions: ``tensor``, ``zeros``, ``randn``, ... with PyTorch's signatures."""

from __future__ import annotations

import math

import numpy as np

from . import _dtype as D
from ._backend import array_module, is_array
from ._device import _check_device
from ._random import _rng
from ._ops._out import factory_dtype, factory_out, fill_out, write_out
from ._tensor import Tensor

_wrap = Tensor._wrap


_INT64_MAX = (1 << 63) - 1


def _size(size) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(ember.Size([2, 3]))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    elif len(size) == 1 and isinstance(size[0], Tensor) and size[0]._data.ndim == 1:
        size = size[0].tolist()
    try:
        shape = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(f"size must be a sequence of ints, got {size!r}") from None
    for s in shape:
        if s > _INT64_MAX:
            raise TypeError("argument 'size' failed to unpack the object at pos 1 with error \"Overflow when unpacking long long\"")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


_BIG = 1 << 30  # below this many bytes an allocation is not worth a look at /proc/meminfo


def _available_bytes() -> int | None:
    """Memory an allocation can still get: available RAM plus free swap (None if unknown)."""
    try:
        with open("/proc/meminfo") as f:
            info = {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in f)}
        return info.get("MemAvailable", info.get("MemFree", 0)) + info.get("SwapFree", 0)
    except (OSError, ValueError):
        try:
            import os

            return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None


def check_alloc(shape, np_dtype) -> None:
    """Refuse, before allocating, an array larger than the memory left: PyTorch's allocator
    fails at once with a RuntimeError, where NumPy would raise MemoryError or, with lazy
    zero pages, succeed now and let the process be killed later."""
    n = 1
    for s in shape:
        n *= s
    nbytes = n * np.dtype(np_dtype).itemsize
    if nbytes < _BIG:
        return
    avail = _available_bytes()
    if avail is not None and nbytes > avail:
        raise RuntimeError(
            f"[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to "
            f"allocate {nbytes} bytes. Error code 12 (Cannot allocate memory)"
        )


def _float_dtype(dtype) -> np.dtype:
    return (D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()).np


def _finish(array: np.ndarray, requires_grad: bool, device=None) -> Tensor:
    _check_device(device)
    t = _wrap(array)
    if requires_grad:
        if array.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


_PLAIN_NUMBERS = frozenset((bool, int, float))


def _infer_dtype(data) -> D.dtype:
    """The dtype PyTorch infers for nested data: the promotion of every element's dtype, where
    a Python bool is bool, an int int64, a float the default dtype, and NumPy scalars, arrays
    and tensors bring their own (``[np.float64(1.5)]`` is float64, ``[1, np.float16(2)]`` float16)."""
    result = None
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            kinds = set(map(type, x))
            if kinds <= _PLAIN_NUMBERS:  # the common case, without a Python loop per element
                for k in kinds:
                    d = D.bool if k is bool else D.int64 if k is int else D.get_default_dtype()
                    result = d if result is None else D.promote_types(result, d)
            else:
                stack.extend(x)
            continue
        if isinstance(x, Tensor):
            d = x.dtype
        elif is_array(x) or isinstance(x, np.generic):
            d = D.from_numpy_dtype(x.dtype)
        elif isinstance(x, bool):
            d = D.bool
        elif isinstance(x, int):
            d = D.int64
        elif isinstance(x, float):
            d = D.get_default_dtype()
        elif isinstance(x, str):
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        result = d if result is None else D.promote_types(result, d)
    return result if result is not None else D.get_default_dtype()


def _ragged_message(data) -> str | None:
    """PyTorch's message for a non-rectangular nested list: the first length that differs."""
    def shape_of(x):
        return len(x) if isinstance(x, (list, tuple)) else None

    level = [data]
    dim = 0
    while True:
        lengths = [shape_of(x) for x in level]
        if all(n is None for n in lengths):
            return None
        expected = lengths[0]
        for n in lengths:
            if n != expected:
                if expected is None or n is None:
                    return f"expected sequence of length {expected} at dim {dim} (got {n})" if n is not None else (
                        f"expected sequence of length {expected} at dim {dim} (got a number)")
                return f"expected sequence of length {expected} at dim {dim} (got {n})"
        level = [y for x in level for y in x]
        dim += 1


def _to_array(data, dtype) -> np.ndarray:
    """A fresh array from Python data, NumPy arrays or tensors, in ``dtype`` (an ember dtype or None)."""
    if isinstance(data, Tensor):
        a = data._data
        return array_module(a).array(a, dtype=dtype.np if dtype is not None else a.dtype, copy=True)
    if is_array(data):
        d = dtype.np if dtype is not None else D.from_numpy_dtype(data.dtype).np
        return array_module(data).array(data, dtype=d, copy=True)
    if isinstance(data, np.generic):
        d = dtype if dtype is not None else D.from_numpy_dtype(data.dtype)
        return np.array(data, dtype=d.np)
    d = dtype if dtype is not None else _infer_dtype(data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat_first_level(data)):
        data = _tensors_to_lists(data)
    try:
        return np.array(data, dtype=d.np)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    except ValueError as exc:
        message = _ragged_message(data) if isinstance(data, (list, tuple)) else None
        raise ValueError(message or str(exc)) from None


def _flat_first_level(data):
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        else:
            yield x


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data._data.tolist() if data._data.ndim else data._data.item()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors)."""
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    d = D.as_dtype(dtype) if dtype is not None else None
    return _finish(_to_array(data, d), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when the dtype allows."""
    _check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or D.as_dtype(dtype) is data.dtype else data.to(D.as_dtype(dtype))
    if is_array(data):
        d = D.as_dtype(dtype) if dtype is not None else D.from_numpy_dtype(data.dtype)
        return _wrap(data if data.dtype == d.np else data.astype(d.np))
    return tensor(data, dtype=dtype)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    """A tensor from ``obj`` sharing its memory when possible (``copy=True`` always copies,
    ``copy=False`` refuses to)."""
    if copy:
        t = tensor(obj, dtype=dtype, device=device)
    else:
        t = as_tensor(obj, dtype=dtype, device=device)
        if copy is False and (is_array(obj) or isinstance(obj, Tensor)) and not array_module(t._data).shares_memory(t._data, obj._data if isinstance(obj, Tensor) else obj):
            raise ValueError("asarray(copy=False): the data can't be shared without a copy")
    if requires_grad:
        t = t.detach().requires_grad_(True) if t is obj else t.requires_grad_(True)
    return t


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A 0-d tensor holding ``s``, in the default float dtype unless ``dtype`` says otherwise."""
    return _finish(np.asarray(s, dtype=_float_dtype(dtype)), requires_grad, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    D.from_numpy_dtype(array.dtype)
    return _wrap(array)


def _tensor_from_args(args, dtype) -> np.ndarray:
    """``Tensor(data)`` or ``Tensor(*sizes)`` (uninitialised, here zeros), float by default."""
    d = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    if not args:
        return np.zeros((0,), dtype=d.np)
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        return _to_array(args[0], d)
    return np.zeros(_size(args), dtype=d.np)


def _filled(fill, size, dtype, requires_grad, device, default=None, out=None) -> Tensor:
    shape = _size(size)
    if out is not None:
        dtype = factory_dtype(out, dtype)
    d = D.as_dtype(dtype).np if dtype is not None else (default or D.get_default_dtype()).np
    check_alloc(shape, d)
    return factory_out(out, _finish(np.full(shape, fill, dtype=d), requires_grad, device))


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kwargs) -> Tensor:
    """A tensor of zeros with the given shape."""
    return _filled(0, _size_kw(size, kwargs), dtype, requires_grad, device, out=out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kwargs) -> Tensor:
    """A tensor of ones with the given shape."""
    return _filled(1, _size_kw(size, kwargs), dtype, requires_grad, device, out=out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None, **kwargs) -> Tensor:
    """An 'uninitialised' tensor; ember fills it with zeros so results are reproducible."""
    return _filled(0, _size_kw(size, kwargs), dtype, requires_grad, device, out=out)


def _size_kw(size: tuple, kwargs: dict) -> tuple:
    """PyTorch also takes the shape as ``size=``: ``zeros(size=(2, 3))``."""
    if kwargs:
        if set(kwargs) != {"size"} or size:
            raise TypeError(f"got unexpected keyword arguments {sorted(kwargs)}")
        return (kwargs["size"],)
    return size


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype is inferred from the value like PyTorch."""
    default = D.bool if isinstance(fill_value, bool) else D.int64 if isinstance(fill_value, int) else None
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(fill_value, (size,), dtype, requires_grad, device, default, out=out)


def _like(t: Tensor, dtype):
    return D.as_dtype(dtype) if dtype is not None else t.dtype


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(np.zeros(input._data.shape, dtype=_like(input, dtype).np), requires_grad, device)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(np.ones(input._data.shape, dtype=_like(input, dtype).np), requires_grad, device)


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(np.full(input._data.shape, fill_value, dtype=_like(input, dtype).np), requires_grad, device)


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    dtype = factory_dtype(out, dtype)
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is not None:
        d = D.as_dtype(dtype)
    elif all(isinstance(v, (int, np.integer)) for v in vals):
        d = D.int64
    else:
        d = D.get_default_dtype()
    n = max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    check_alloc((n,), d.np)
    # Computed in float64 then cast, like PyTorch, so float32 ranges don't drift.
    a = (vals[0] + np.arange(n, dtype=np.float64) * vals[2]) if d.category == 2 else np.arange(vals[0], vals[1], vals[2])
    if out is not None and out._data.size != n:
        import warnings

        warnings.warn(f"The number of elements in the out tensor of shape {list(out._data.shape)} is {out._data.size} which does "
                      f"not match the computed number of elements {n}. Note that this may occur as a result of rounding error. "
                      "The out tensor will be resized to a tensor of shape (" + f"{n},).", UserWarning, stacklevel=2)
    return factory_out(out, _finish(a.astype(d.np, copy=False), requires_grad, device))


def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = factory_dtype(out, dtype)
    d = _no_bool(_float_dtype(dtype), "linspace_cpu")
    check_alloc((int(steps),), d)
    return factory_out(out, _finish(np.linspace(float(start), float(end), int(steps)).astype(d), requires_grad, device))


def _no_bool(d: np.dtype, kernel: str) -> np.dtype:
    if d.kind == "b":
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    return d


def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = factory_dtype(out, dtype)
    d = _no_bool(_float_dtype(dtype), "logspace_cpu")
    check_alloc((int(steps),), d)
    a = np.logspace(float(start), float(end), int(steps), base=base).astype(d)
    return factory_out(out, _finish(a, requires_grad, device))


def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """The identity matrix (n x m)."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    dtype = factory_dtype(out, dtype)
    d = _float_dtype(dtype)
    check_alloc((n, n if m is None else m), d)
    return factory_out(out, _finish(np.eye(n, m, dtype=d), requires_grad, device))


# -- random ----------------------------------------------------------------------------------


_SAMPLING_KERNELS = {"rand": "check_uniform_bounds", "randn": "normal_kernel_cpu", "normal": "normal_kernel_cpu"}


def _sampling_dtype(dtype, name: str) -> np.dtype:
    d = _float_dtype(dtype)
    if d.kind != "f":
        raise NotImplementedError(f"\"{_SAMPLING_KERNELS[name]}\" not implemented for '{D.from_numpy_dtype(d)._legacy[:-6]}'")
    return d


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1)."""
    d = _sampling_dtype(factory_dtype(out, dtype), "rand")
    shape = _size(size)
    check_alloc(shape, d)
    return factory_out(out, _finish(_rng(generator).random(shape, dtype=np.float64).astype(d, copy=False), requires_grad, device))


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    d = _sampling_dtype(factory_dtype(out, dtype), "randn")
    shape = _size(size)
    check_alloc(shape, d)
    a = _rng(generator).standard_normal(shape, dtype=np.float32 if d == np.float32 else np.float64)
    return factory_out(out, _finish(a.astype(d, copy=False), requires_grad, device))


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = factory_dtype(out, dtype)
    d = D.as_dtype(dtype).np if dtype is not None else np.int64
    shape = _size((size,))
    check_alloc(shape, np.int64)
    a = _rng(generator).integers(low, high, size=shape, dtype=np.int64).astype(d, copy=False)
    return factory_out(out, _finish(a, requires_grad, device))


def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = factory_dtype(out, dtype)
    d = D.as_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    if d.kind == "b":
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if n > 0 and d.kind in "iu" and n - 1 > np.iinfo(d).max:
        raise RuntimeError(f"value cannot be converted to type {d.name}_t without overflow")
    check_alloc((n,), np.int64)
    return factory_out(out, _finish(_rng(generator).permutation(n).astype(d, copy=False), requires_grad, device))


def rand_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return rand(*input._data.shape, dtype=_like(input, dtype), requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return randn(*input._data.shape, dtype=_like(input, dtype), requires_grad=requires_grad)


def randint_like(input: Tensor, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input._data.shape), dtype=_like(input, dtype))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (broadcast together) or floats with ``size``."""
    if out is not None:
        _sampling_dtype(out.dtype, "normal")
        return write_out(out, normal(mean, std, size, generator=generator, dtype=dtype), "normal")
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if is_array(m) or is_array(s):
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        d = (mean if isinstance(mean, Tensor) else std).dtype.np
    else:
        if size is None:
            raise TypeError("normal() with float mean and std needs a size")
        shape = _size((size,) if isinstance(size, (int, np.integer)) else tuple(size))
        d = _float_dtype(dtype)
    if np.any(np.asarray(s) < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    a = m + s * _rng(generator).standard_normal(shape)
    return _finish(np.asarray(a, dtype=d), requires_grad, device)


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson samples with rates ``input`` (elementwise); same dtype as input."""
    if np.any(input._data < 0):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _wrap(_rng(generator).poisson(input._data).astype(input._data.dtype))


def bernoulli(input: Tensor, p=None, *, generator=None, out=None) -> Tensor:
    """Samples 1 with probability ``input`` (elementwise), else 0; same dtype as input."""
    if out is not None:
        return fill_out(out, bernoulli(input, p, generator=generator)._data)
    probs = input._data if p is None else np.full(input._data.shape, p)
    if np.any((probs < 0) | (probs > 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    return _wrap((_rng(generator).random(probs.shape) < probs).astype(input._data.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None, out=None) -> Tensor:
    """Indices drawn from each row's (unnormalised) probabilities."""
    if out is not None:
        if out._data.dtype != np.int64:
            raise RuntimeError(f"multinomial expects Long tensor out, got: {out.dtype._legacy[:-6]}")
        return fill_out(out, multinomial(input, num_samples, replacement, generator=generator)._data)
    w = np.asarray(input._data, dtype=np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {w.ndim}")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = w.reshape(-1, w.shape[-1])
    n_cat = rows.shape[1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = _rng(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, r in enumerate(rows):
        total = r.sum()
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement:
            out[i] = rng.choice(n_cat, size=num_samples, replace=True, p=r / total)
        else:
            # Gumbel-top-k: sampling without replacement in one vectorised pass. Categories
            # of probability 0 come last, in random order (PyTorch returns them too when
            # more samples are asked for than there are possible categories).
            with np.errstate(divide="ignore"):
                keys = np.where(r > 0, np.log(np.where(r > 0, r, 1.0)) - np.log(-np.log(rng.random(n_cat))), -np.inf)
            out[i] = np.lexsort((rng.random(n_cat), -keys))[:num_samples]
    return _wrap(out.reshape(w.shape[:-1] + (num_samples,)))

