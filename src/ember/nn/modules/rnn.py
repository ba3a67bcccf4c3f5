"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (multi-layer, bidirectional, batch_first, dropout)
and the single-step ``RNNCell``, ``LSTMCell``, ``GRUCell``.

Parameters are named exactly like PyTorch's (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
``bias_hh_l0``, ``..._reverse``) with the same gate layout (LSTM i, f, g, o; GRU r, z, n) and
the same initialisation U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), so state dicts load
both ways. Each (layer, direction) runs as one fused op over the whole sequence.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ... import _creation as C
from ..._device import _check_device
from ..._ops.rnn import run_layer
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module
from .utils import _non_default
from ..._ops.shape import cat, stack
from ..utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameter registration, checks and the layer loop."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        super().__init__()
        _check_device(device)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size  # the size of h: projected when proj_size > 0
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                params = [
                    (f"weight_ih_l{layer}{suffix}", (gate_size, layer_input_size)),
                    (f"weight_hh_l{layer}{suffix}", (gate_size, real_hidden)),
                ]
                if bias:
                    params += [(f"bias_ih_l{layer}{suffix}", (gate_size,)), (f"bias_hh_l{layer}{suffix}", (gate_size,))]
                if proj_size:
                    params.append((f"weight_hr_l{layer}{suffix}", (proj_size, hidden_size)))
                for name, shape in params:
                    setattr(self, name, Parameter(C.empty(shape, dtype=dtype)))
                self._flat_weights_names.extend(name for name, _ in params)
                self._all_weights.append([name for name, _ in params])
        self.reset_parameters()

    def _layer_weights(self, k: int) -> tuple:
        """(w_ih, w_hh, b_ih, b_hh[, w_hr]) of layer-direction k; absent biases are None."""
        names = self._all_weights[k]
        w = [getattr(self, names[0]), getattr(self, names[1])]
        w += [getattr(self, names[2]), getattr(self, names[3])] if self.bias else [None, None]
        if self.proj_size:
            w.append(getattr(self, names[-1]))
        return tuple(w)

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Accepted for compatibility (cuDNN weight packing); nothing to do on ember."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        defaults = {"proj_size": 0, "num_layers": 1, "bias": True, "batch_first": False, "dropout": 0,
                    "bidirectional": False}
        return f"{self.input_size}, {self.hidden_size}" + _non_default(self, defaults)

    # -- forward ------------------------------------------------------------------------------------------
    def _check_input(self, input: Tensor) -> bool:
        """Validate the input; returns whether it is batched."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__}: expected a Tensor or a PackedSequence input, got {type(input).__name__}")
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}")
        return input.dim() == 3

    def _check_hidden(self, hx: Tensor, expected, batched: bool, what: str = "hidden") -> None:
        if not batched and hx.dim() != 2:
            raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
        if batched and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(f"Expected {what} size {tuple(expected)}, got {list(hx.shape)}")

    def _run(self, input: Tensor, hx: Tensor | None, cx: Tensor | None):
        """input (T, B, I) time-major; hx/cx (L*D, B, H). Returns output, h_n, c_n."""
        num_directions = 2 if self.bidirectional else 1
        bsz = input.shape[1]
        shape = (self.num_layers * num_directions, bsz, self.hidden_size)
        if hx is None:
            hx = C.zeros(shape[:2] + (self.proj_size or self.hidden_size,), dtype=input.dtype)
        if self.mode == "LSTM" and cx is None:
            cx = C.zeros(shape, dtype=input.dtype)
        layer_input = input
        h_out, c_out = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                out, h, c = run_layer(self.mode, layer_input, hx[k], cx[k] if cx is not None else None,
                                      self._layer_weights(k), reverse=direction == 1)
                outs.append(out)
                h_out.append(h)
                if c is not None:
                    c_out.append(c)
            layer_input = outs[0] if num_directions == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, stack(h_out, 0), (stack(c_out, 0) if c_out else None)

    def _forward_packed(self, packed, hx, cx):
        """A PackedSequence runs as segments of constant batch size (the sequences are sorted by
        length, so the running ones are always the first rows): one fused op per segment and
        direction, the state carried between segments, each sequence's final state taken when it ends."""
        data = packed.data
        if data.dim() != 2:
            raise ValueError(f"{type(self).__name__}: packed input data must be 2-D, got {data.dim()}-D")
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {data.shape[-1]}")
        sizes = [int(b) for b in packed.batch_sizes._data]
        batch = sizes[0] if sizes else 0
        num_directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * num_directions, batch, self.hidden_size)
        expected_h = expected[:2] + (self.proj_size or self.hidden_size,)
        sorted_indices = packed.sorted_indices
        for what, state, shape in (("hidden" if self.mode != "LSTM" else "hidden[0]", hx, expected_h),
                                   ("hidden[1]", cx, expected)):
            if state is not None:
                self._check_hidden(state, shape, True, what)
                if state.dtype != data.dtype:
                    raise RuntimeError(f"Input and hidden tensors are not the same dtype, found input tensor with {data.dtype.name.capitalize()} and hidden tensor with {state.dtype.name.capitalize()}")
        if sorted_indices is not None:  # the caller's batch order -> the packed (length-sorted) order
            hx = hx.index_select(1, sorted_indices) if hx is not None else None
            cx = cx.index_select(1, sorted_indices) if cx is not None else None
        if hx is None:
            hx = C.zeros(expected_h, dtype=data.dtype)
        if self.mode == "LSTM" and cx is None:
            cx = C.zeros(expected, dtype=data.dtype)
        segments, start, offset = [], 0, 0  # (rows of data, steps, batch size)
        while start < len(sizes):
            end = start
            while end < len(sizes) and sizes[end] == sizes[start]:
                end += 1
            segments.append((offset, end - start, sizes[start]))
            offset += (end - start) * sizes[start]
            start = end
        inputs = [data.narrow(0, off, steps * b).reshape(steps, b, data.shape[1]) for off, steps, b in segments]
        h_out, c_out = [], []
        for layer in range(self.num_layers):
            per_direction = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                weights = self._layer_weights(k)
                run = self._packed_reverse if direction == 1 else self._packed_forward
                outs, h, c = run(inputs, segments, hx[k], cx[k] if cx is not None else None, weights)
                per_direction.append(outs)
                h_out.append(h)
                if c is not None:
                    c_out.append(c)
            inputs = per_direction[0] if num_directions == 1 else [cat(pair, 2) for pair in zip(*per_direction)]
            if self.dropout and self.training and layer < self.num_layers - 1:
                inputs = [F.dropout(x, self.dropout, True) for x in inputs]
        out = cat([x.reshape(-1, x.shape[-1]) for x in inputs], 0) if inputs else data.new_zeros((0, (self.proj_size or self.hidden_size) * num_directions))
        h_n = stack(h_out, 0)
        c_n = stack(c_out, 0) if c_out else None
        if packed.unsorted_indices is not None:
            h_n = h_n.index_select(1, packed.unsorted_indices)
            c_n = c_n.index_select(1, packed.unsorted_indices) if c_n is not None else None
        return PackedSequence(out, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices), h_n, c_n

    def _packed_forward(self, inputs, segments, h0, c0, weights):
        h, c = h0, c0
        done_h, done_c, outs = [], [], []
        for x, (_, _, b) in zip(inputs, segments):
            if h.shape[0] > b:  # rows b: ended with the previous segment: their state is final
                done_h.append(h[b:])
                h = h[:b]
                if c is not None:
                    done_c.append(c[b:])
                    c = c[:b]
            out, h, c = run_layer(self.mode, x, h, c, weights, reverse=False)
            outs.append(out)
        done_h.append(h)
        h_n = cat(done_h[::-1], 0)
        c_n = None
        if c is not None:
            done_c.append(c)
            c_n = cat(done_c[::-1], 0)
        return outs, h_n, c_n

    def _packed_reverse(self, inputs, segments, h0, c0, weights):
        outs = [None] * len(inputs)
        h = c = None
        for i in range(len(inputs) - 1, -1, -1):  # from the last steps back: sequences join as they end
            b = segments[i][2]
            if h is None:
                h, c = h0[:b], (c0[:b] if c0 is not None else None)
            elif h.shape[0] < b:
                h = cat([h, h0[h.shape[0]:b]], 0)
                if c is not None:
                    c = cat([c, c0[c.shape[0]:b]], 0)
            outs[i], h, c = run_layer(self.mode, inputs[i], h, c, weights, reverse=True)
        return outs, h, c

    def _forward(self, input: Tensor, hx, cx):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, cx)
        batched = self._check_input(input)
        num_directions = 2 if self.bidirectional else 1
        for state in (hx, cx):
            if state is not None and state.dim() != (3 if batched else 2):
                raise RuntimeError(
                    f"For batched 3-D input, hx should also be 3-D but got {state.dim()}-D tensor" if batched
                    else f"For unbatched 2-D input, hx should also be 2-D but got {state.dim()}-D tensor"
                )
        if not batched:
            input = input.unsqueeze(1)
            hx = hx.unsqueeze(1) if hx is not None else None
            cx = cx.unsqueeze(1) if cx is not None else None
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        expected = (self.num_layers * num_directions, input.shape[1], self.hidden_size)
        if hx is not None:
            self._check_hidden(hx, expected[:2] + (self.proj_size or self.hidden_size,), True,
                               "hidden" if self.mode != "LSTM" else "hidden[0]")
        if cx is not None:
            self._check_hidden(cx, expected, True, "hidden[1]")
        dtype = input.dtype
        for t in (hx, cx):
            if t is not None and t.dtype != dtype:
                raise RuntimeError(f"Input and hidden tensors are not the same dtype, found input tensor with {dtype.name.capitalize()} and hidden tensor with {t.dtype.name.capitalize()}")
        out, h_n, c_n = self._run(input, hx, cx)
        if not batched:
            out = out.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, h_n, c_n


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    Args:
        input_size: features of each input step.
        hidden_size: features of the hidden state.
        num_layers: stacked recurrent layers.
        nonlinearity: 'tanh' or 'relu'.
        bias: whether the layers learn biases.
        batch_first: input and output are (N, L, H) instead of (L, N, H).
        dropout: dropout on the outputs of every layer but the last (in training).
        bidirectional: run a second, reversed direction and concatenate.

    Shape:
        input (L, N, H_in) (or (N, L, H_in) with batch_first, or unbatched (L, H_in)),
        h_0 (D * num_layers, N, H_out) -> output (L, N, D * H_out), h_n (D * num_layers, N, H_out).
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self_nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self_nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self_nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self_nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self_nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = self_nonlinearity

    def extra_repr(self) -> str:
        s = super().extra_repr()
        if self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def forward(self, input: Tensor, hx: Tensor | None = None):
        out, h_n, _ = self._forward(input, hx, None)
        return out, h_n


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o = sigma, sigma, tanh, sigma(x W_ih^T + b_ih + h W_hh^T + b_hh),
    c_t = f c_{t-1} + i g, h_t = o tanh(c_t).

    ``forward(input, (h_0, c_0))`` returns ``output, (h_n, c_n)``; shapes as in `RNN`.

    Example:
        >>> lstm = nn.LSTM(28, 128, batch_first=True)
        >>> out, (h, c) = lstm(ember.randn(64, 32, 28))
        >>> out.shape, h.shape
        (ember.Size([64, 32, 128]), ember.Size([1, 64, 128]))
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Tensor, hx=None):
        h0 = c0 = None
        if hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError("LSTM: expected hx to be a tuple (h_0, c_0)")
            h0, c0 = hx
        out, h_n, c_n = self._forward(input, h0, c0)
        return out, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = sigma(.), n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)),
    h_t = (1 - z) n + z h_{t-1}. Shapes as in `RNN`."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None):
        out, h_n, _ = self._forward(input, hx, None)
        return out, h_n


# -- cells ------------------------------------------------------------------------------------------------------


class RNNCellBase(Module):
    """Shared parameters of the cells: weight_ih (G H, I), weight_hh (G H, H), bias_ih, bias_hh."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None, dtype=None) -> None:
        super().__init__()
        _check_device(device)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(C.empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(C.empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(C.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(C.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    reset_parameters = RNNBase.reset_parameters  # U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), like the layers

    def _prepare(self, input: Tensor, hx: Tensor | None, name: str):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = C.zeros((input.shape[0], self.hidden_size), dtype=input.dtype)
        elif not batched:
            hx = hx.unsqueeze(0)
        if hx.shape[0] != input.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden0 batch size {hx.shape[0]}")
        if hx.shape[1] != self.hidden_size:
            raise RuntimeError(f"hidden0 has inconsistent hidden_size: got {hx.shape[1]}, expected {self.hidden_size}")
        return input, hx, batched

    def _step(self, mode: str, input: Tensor, hx: Tensor, cx: Tensor | None):
        out, h, c = run_layer(mode, input.unsqueeze(0), hx, cx, (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh), False)
        del out
        return h, c


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx, "RNNCell")
        h, _ = self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", x, h, None)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for t in hx:
                if t.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{list(hx).index(t)}] to be 1D or 2D, got {t.dim()}D instead")
        h0, c0 = (None, None) if hx is None else hx
        x, h, batched = self._prepare(input, h0, "LSTMCell")
        if c0 is None:
            c = C.zeros(h.shape, dtype=x.dtype)
        else:
            c = c0 if batched else c0.unsqueeze(0)
        h, c = self._step("LSTM", x, h, c)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: h' = (1 - z) n + z h."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx, "GRUCell")
        h, _ = self._step("GRU", x, h, None)
        return h if batched else h.squeeze(0)
