"""PyTorch's tensor repr: ``tensor([1., 2.], requires_grad=True)``.

A port of ``torch/_tensor_str.py`` onto NumPy arrays, so the layout is PyTorch's to the
character: one width for every element, ``int mode`` (``1.``) when all values are whole,
scientific notation when the values span more than 1e3 or leave [1e-4, 1e8], lines
wrapped at 80 columns, summaries (``...``) above 1000 elements, and the suffixes
(``dtype=``, ``grad_fn=``, ``requires_grad=True``) moved to a new line when they
would overflow it. ember prints ``ember.float64`` where PyTorch prints ``torch.float64``.
"""

from __future__ import annotations

import math

import numpy as np
from . import _dtype as D


class _PrintOptions:
    """PyTorch's print options and their defaults."""

    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None) -> None:
    """Set how tensors print (PyTorch's ``torch.set_printoptions``)."""
    if profile is not None:
        presets = {
            "default": (4, 1000, 3, 80),
            "short": (2, 1000, 2, 80),
            "full": (4, math.inf, 3, 80),
        }
        if profile not in presets:
            raise ValueError(f"profile must be one of {sorted(presets)}, got {profile!r}")
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = presets[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    return dict(vars(PRINT_OPTS))


class _Formatter:
    """One format (and width) for every element, chosen from the values shown."""

    def __init__(self, a: np.ndarray):
        self.floating = a.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = a.reshape(-1)
        if not self.floating:
            if flat.size:
                if a.dtype.kind == "b":
                    self.max_width = 5 if not flat.all() else 4
                else:
                    self.max_width = max(len(str(flat.max())), len(str(flat.min())))
            return
        values = flat.astype(np.float64)
        values = values[np.isfinite(values) & (values != 0)]
        if values.size == 0:
            return
        absolute = np.abs(values)
        lo, hi = absolute.min(), absolute.max()
        self.int_mode = bool(np.all(values == np.ceil(values)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        candidates = values.tolist()  # at most ~1000 values: the print is summarized beyond
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{p}e}") for v in candidates)
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") + 1 for v in candidates)
        else:
            self.max_width = max(len(f"{v:.{p}f}") for v in candidates)

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        if self.floating:
            value = float(value)
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{PRINT_OPTS.precision}f}"
        elif isinstance(value, (bool, np.bool_)):
            ret = "True" if value else "False"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _vector_str(a: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    element_length = formatter.width() + 2
    elements_per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        data = [formatter.format(v) for v in a[:edge].tolist()] + [" ..."] + [formatter.format(v) for v in a[-edge:].tolist()]
    else:
        data = [formatter.format(v) for v in a.tolist()]
    lines = [", ".join(data[i : i + elements_per_line]) for i in range(0, len(data), elements_per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(a: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    dim = a.ndim
    if dim == 0:
        return formatter.format(a.item())
    if dim == 1:
        return _vector_str(a, indent, summarize, formatter)
    edge = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * edge:
        slices = (
            [_tensor_str_with_formatter(a[i], indent + 1, summarize, formatter) for i in range(edge)]
            + ["..."]
            + [_tensor_str_with_formatter(a[i], indent + 1, summarize, formatter) for i in range(len(a) - edge, len(a))]
        )
    else:
        slices = [_tensor_str_with_formatter(a[i], indent + 1, summarize, formatter) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized_data(a: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows (the edges of every dim)."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate((a[:edge], a[-edge:])) if a.shape[0] > 2 * edge else a
    if not edge:
        return a[(slice(0, 0),) * a.ndim]
    if a.shape[0] > 2 * edge:
        rows = [a[i] for i in range(edge)] + [a[i] for i in range(len(a) - edge, len(a))]
    else:
        rows = list(a)
    return np.stack([_summarized_data(r) for r in rows])


def _tensor_str(a: np.ndarray, indent: int) -> str:
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    formatter = _Formatter(_summarized_data(a) if summarize else a)
    return _tensor_str_with_formatter(a, indent, summarize, formatter)


def _add_suffixes(tensor_str: str, suffixes: list, indent: int) -> str:
    parts = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, prefix: str = "tensor(") -> str:
    a = t._data
    d = D.from_numpy_dtype(a.dtype)
    indent = len(prefix)
    suffixes = []
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        # No element shows the dtype of an empty tensor, so only the default float goes unsaid.
        if d is not D.get_default_dtype():
            suffixes.append(f"dtype={d!r}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")
        if d not in (D.get_default_dtype(), D.int64, D.bool):
            suffixes.append(f"dtype={d!r}")
        body = _tensor_str(a, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
