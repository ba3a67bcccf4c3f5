"""``summary(model, input_size)``: a per-layer table of a model, as torchinfo's ``summary`` prints it.

One forward pass on a zero input (or ``input_data``), with a hook on every module, records each
layer's output shape; parameters are counted per layer, the trainable/frozen split and the
multiply-adds of the layers that do the arithmetic (linear, convolutions, recurrent layers) are
summed, and the memory the pass needs is estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from .._tensor import Tensor
from ..nn.modules import conv, linear, rnn
from ..autograd.grad_mode import no_grad

_COLUMNS = ("input_size", "output_size", "num_params", "params_percent", "kernel_size", "mult_adds", "trainable")
_HEADERS = {"input_size": "Input Shape", "output_size": "Output Shape", "num_params": "Param #",
            "params_percent": "Param %", "kernel_size": "Kernel Shape", "mult_adds": "Mult-Adds",
            "trainable": "Trainable"}


@dataclass
class LayerInfo:
    """One row of the summary: a module at some depth of the tree."""

    name: str  # the attribute path, e.g. "layer1.0.conv1"
    class_name: str
    depth: int
    depth_index: int  # position among the rows of this depth, 1-based (torchinfo's "depth-idx")
    num_params: int = 0  # the module's own parameters (not its children's)
    trainable_params: int = 0
    total_params: int = 0  # the whole subtree
    input_size: list = field(default_factory=list)
    output_size: list = field(default_factory=list)
    kernel_size: list = field(default_factory=list)
    mult_adds: int = 0
    is_leaf: bool = True
    executed: bool = False
    children: list = field(default_factory=list, repr=False)

    def subtree_mult_adds(self) -> int:
        return self.mult_adds + sum(c.subtree_mult_adds() for c in self.children)


class ModelStatistics:
    """What ``summary`` returns: ``str()`` is the table; the totals are attributes."""

    def __init__(self, rows: list[LayerInfo], model, input_bytes: int, columns: Sequence[str], col_width: int,
                 depth: int) -> None:
        self.summary_list = rows
        params = list(model.parameters())
        self.total_params = int(sum(p.numel() for p in params))
        self.trainable_params = int(sum(p.numel() for p in params if p.requires_grad))
        self.non_trainable_params = self.total_params - self.trainable_params
        self.total_mult_adds = int(sum(r.mult_adds for r in rows if r.is_leaf))
        self.total_input = input_bytes
        # outputs of the leaf layers are what the forward pass keeps for backward (and the gradients as many again)
        self.total_output_bytes = 2 * int(sum(_bytes(r.output_size, r._itemsize) for r in rows if r.is_leaf and r.executed))
        self.total_param_bytes = int(sum(p.numel() * p.element_size() for p in params))
        self.columns = tuple(columns)
        self.col_width = col_width
        self.depth = depth

    def __str__(self) -> str:
        first = max([len(self._label(r)) for r in self.summary_list if r.depth <= self.depth] + [30]) + 2
        widths = [first] + [self.col_width] * len(self.columns)
        total_width = sum(widths)
        line = "=" * total_width
        header = "Layer (type:depth-idx)".ljust(first) + "".join(_HEADERS[c].ljust(self.col_width) for c in self.columns)
        out = [line, header, line]
        for r in self.summary_list:
            if r.depth > self.depth:
                continue
            cells = [self._cell(r, c) for c in self.columns]
            out.append(self._label(r).ljust(first) + "".join(c.ljust(self.col_width) for c in cells))
        out += [
            line,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            f"Total mult-adds ({_unit(self.total_mult_adds)[1]}): {_unit(self.total_mult_adds)[0]:.2f}",
            line,
            f"Input size (MB): {self.total_input / 1e6:.2f}",
            f"Forward/backward pass size (MB): {self.total_output_bytes / 1e6:.2f}",
            f"Params size (MB): {self.total_param_bytes / 1e6:.2f}",
            f"Estimated Total Size (MB): {(self.total_input + self.total_output_bytes + self.total_param_bytes) / 1e6:.2f}",
            line,
        ]
        return "\n".join(out)

    __repr__ = __str__

    @staticmethod
    def _label(r: LayerInfo) -> str:
        indent = "│    " * max(r.depth - 1, 0) + ("├─" if r.depth else "")
        return f"{indent}{r.class_name}: {r.depth}-{r.depth_index}" if r.depth else r.class_name

    def _cell(self, r: LayerInfo, column: str) -> str:
        folded = not r.is_leaf and r.depth == self.depth  # its children are not shown: it stands for them
        if column == "num_params":
            if r.depth == 0 or folded:
                return f"{r.total_params:,}" if r.total_params else "--"
            return f"{r.num_params:,}" if r.num_params else "--"
        if column == "params_percent":
            share = (r.total_params if not r.is_leaf else r.num_params) / max(self.total_params, 1)
            return f"{100 * share:.2f}%" if share else "--"
        if column in ("input_size", "output_size", "kernel_size"):
            value = getattr(r, column)
            return str(value) if value else "--"
        if column == "mult_adds":
            value = r.subtree_mult_adds() if folded else r.mult_adds
            return f"{value:,}" if value else "--"
        if column == "trainable":
            if r.num_params == 0 and r.is_leaf:
                return "--"
            own = r.trainable_params, r.num_params
            return "True" if own[0] == own[1] else ("False" if own[0] == 0 else "Partial")
        raise AssertionError(column)


def _bytes(shape, itemsize) -> int:
    if not shape:
        return 0
    if shape and isinstance(shape[0], list):
        return sum(_bytes(s, itemsize) for s in shape)
    return int(np.prod(shape)) * itemsize


def _unit(n: int):
    for scale, name in ((1e12, "T"), (1e9, "G"), (1e6, "M")):
        if n >= scale:
            return n / scale, name
    return n / 1e6, "M"


def _shapes(x):
    if isinstance(x, Tensor):
        return list(x.shape)
    if isinstance(x, (list, tuple)):
        shapes = [_shapes(v) for v in x if _shapes(v) != []]
        return shapes[0] if len(shapes) == 1 else shapes
    return []


def _mult_adds(module, inputs, output) -> int:
    """Multiply-adds of the layers that do the arithmetic; other layers count none."""
    w = getattr(module, "weight", None)
    if isinstance(module, linear.Linear) and output is not None:
        return int(w.numel() * (output.numel() // max(module.out_features, 1)))
    out = output[0] if isinstance(output, tuple) else output
    if isinstance(module, (conv.Conv1d, conv.Conv2d)) and out is not None:
        # each output element is a dot product of C_in/groups * prod(kernel) weights
        return int(w.numel() // w.shape[0] * out.numel())
    if type(module).__name__.startswith("ConvTranspose") and inputs:
        x = inputs[0]
        return int(w.numel() * x.numel() // max(x.shape[1] if x.dim() > 1 else 1, 1))
    if isinstance(module, rnn.RNNBase) and inputs:
        x = inputs[0]
        steps = x.numel() // max(x.shape[-1], 1)
        return int(sum(p.numel() for name, p in module.named_parameters() if name.startswith("weight")) * steps)
    return 0


def summary(model, input_size: Sequence | None = None, input_data: Any = None, batch_dim: int | None = None,
            col_names: Sequence[str] | None = None, col_width: int = 25, depth: int = 3, device=None,
            dtypes: Sequence | None = None, mode: str = "same", verbose: int | None = None,
            **kwargs) -> ModelStatistics:
    """Print and return a summary of ``model``: one row per layer (to ``depth``), with totals.

    Args:
        model: the module.
        input_size: shape of the example input (a tuple), or a list of shapes for several inputs;
            the batch dim is included unless ``batch_dim`` says where to insert a batch of 1.
        input_data: example input tensor(s) instead of ``input_size``.
        batch_dim: where to insert a batch dimension of size 1 in each ``input_size``.
        col_names: columns among ``input_size``, ``output_size``, ``num_params``, ``params_percent``,
            ``kernel_size``, ``mult_adds``, ``trainable`` (default: output_size, num_params).
        col_width: width of each column.
        depth: deepest level of nested modules shown.
        device: only ``'cpu'`` (or None).
        dtypes: dtypes of the generated inputs (default float32).
        mode: ``'same'`` (the model's mode), ``'eval'`` or ``'train'`` for the pass (restored after).
        verbose: 0 prints nothing, 1 (default) prints the table.
        **kwargs: passed to the forward call.

    Returns:
        ModelStatistics: ``str()`` is the table; ``total_params``, ``trainable_params``,
        ``non_trainable_params``, ``total_mult_adds`` and ``summary_list`` hold the numbers.
    """
    import ember

    columns = tuple(col_names) if col_names is not None else ("output_size", "num_params")
    bad = [c for c in columns if c not in _COLUMNS]
    if bad:
        raise ValueError(f"summary: unknown col_names {bad}; choose from {list(_COLUMNS)}")
    if device is not None and str(device) != "cpu":
        raise ValueError(f"summary: ember runs on the CPU only, got device={device!r}")
    if mode not in ("same", "eval", "train"):
        raise ValueError(f"summary: mode must be 'same', 'eval' or 'train', got {mode!r}")
    if input_data is None and input_size is None:
        raise ValueError("summary: give input_size (a shape, batch included) or input_data")
    if input_data is not None:
        inputs = [input_data] if isinstance(input_data, Tensor) else list(input_data)
    else:
        sizes = [input_size] if all(isinstance(s, int) for s in input_size) else list(input_size)
        dtypes = list(dtypes) if dtypes is not None else [ember.float32] * len(sizes)
        inputs = []
        for size, dt in zip(sizes, dtypes):
            size = list(size)
            if batch_dim is not None:
                size.insert(batch_dim, 1)
            inputs.append(ember.zeros(size, dtype=dt))

    rows: list[LayerInfo] = []
    by_module = {}
    counters: dict[int, int] = {}

    def visit(module, name, d, parent=None):
        counters[d] = counters.get(d, 0) + 1
        own = list(module.parameters(recurse=False))
        row = LayerInfo(name=name, class_name=type(module).__name__, depth=d, depth_index=counters[d],
                        num_params=int(sum(p.numel() for p in own)),
                        trainable_params=int(sum(p.numel() for p in own if p.requires_grad)),
                        total_params=int(sum(p.numel() for p in module.parameters())))
        w = getattr(module, "weight", None)
        if isinstance(w, Tensor) and w.dim() >= 3:
            row.kernel_size = list(w.shape[2:])
        row._itemsize = 4
        rows.append(row)
        if parent is not None:
            parent.children.append(row)
        by_module[id(module)] = row
        children = list(module.named_children())
        row.is_leaf = not children
        for child_name, child in children:
            visit(child, f"{name}.{child_name}" if name else child_name, d + 1, row)

    visit(model, "", 0)

    def hook(module, args, output):
        row = by_module.get(id(module))
        if row is None:
            return
        row.executed = True
        row.input_size = _shapes(args)
        row.output_size = _shapes(output)
        out = output[0] if isinstance(output, tuple) else output
        if isinstance(out, Tensor):
            row._itemsize = out.element_size()
        row.mult_adds += _mult_adds(module, args, output)

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    modes = {m: m.training for m in model.modules()}
    if mode != "same":
        model.train(mode == "train")
    try:
        with no_grad():
            model(*inputs, **kwargs)
    finally:
        for h in handles:
            h.remove()
        for m, t in modes.items():
            m.training = t
    input_bytes = int(sum(t.numel() * t.element_size() for t in inputs if isinstance(t, Tensor)))
    stats = ModelStatistics(rows, model, input_bytes, columns, col_width, depth)
    if verbose is None or verbose >= 1:
        print(stats)
    return stats
