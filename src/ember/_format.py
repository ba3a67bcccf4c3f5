"""PyTorch's tensor repr: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import numpy as np


def _float_formatter(a: np.ndarray):
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return lambda x: _special(x) or f"{x:.4f}"
    absmax = np.abs(finite).max()
    nonzero = np.abs(finite[finite != 0])
    absmin = nonzero.min() if nonzero.size else 0.0
    if np.all(finite == np.round(finite)) and absmax < 1e8:
        width = max(len(f"{v:.0f}.") for v in (finite.max(), finite.min()))
        return lambda x: (_special(x) or f"{x:.0f}.").rjust(width)
    if absmax >= 1e8 or (absmin and absmin < 1e-4) or (absmin and absmax / absmin > 1e3 and absmax > 1e3):
        return lambda x: _special(x) or f"{x:.4e}"
    width = max(len(f"{v:.4f}") for v in (finite.max(), finite.min()))
    return lambda x: (_special(x) or f"{x:.4f}").rjust(width)


def _special(x) -> str | None:
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return None


def tensor_repr(t) -> str:
    from . import _dtype as D

    a = t._data
    d = t.dtype
    prefix = "tensor("
    suffixes = []
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
    else:
        if a.dtype.kind == "f":
            fmt = {"float_kind": _float_formatter(a.astype(np.float64))}
        elif a.dtype.kind == "b":
            fmt = {"bool": lambda x: "True" if x else "False"}
        else:
            fmt = None
        body = np.array2string(
            a, separator=", ", prefix=prefix, formatter=fmt, threshold=1000, edgeitems=3, max_line_width=80
        )
    if d not in (D.get_default_dtype(), D.int64, D.bool):
        suffixes.append(f"dtype=ember.{d.name}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    extra = "".join(", " + s for s in suffixes)
    return f"{prefix}{body}{extra})"
