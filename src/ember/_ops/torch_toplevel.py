"""PyTorch top-level functions ember lacked: fill, detach, range, constant_pad_nd, chain_matmul, addr,
renorm, frexp, histogram(dd), isreal, is_inference, and the top-level forms of the losses and RNN
cells (whose signatures differ from ``nn.functional``'s: the reduction is an int enum, 0 none,
1 mean, 2 sum). Most are compositions of existing ops, so their gradients come from those ops;
``Frexp`` is a primitive of its own."""

from __future__ import annotations

import builtins
import math
import warnings
from collections import namedtuple

import numpy as np

from .. import _dtype as D
from .._backend import array_module, errstate
from .._creation import ones_like
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Op
from . import loss as _L
from . import pointwise as P
from ._common import type_name
from ._out import factory_out, write_out, write_out_tuple
from .ctc import ctc_loss as _ctc_loss
from .linalg import einsum, outer
from .linalg_decomp import multi_dot
from .reduce import norm as _norm
from .loss import pdist  # noqa: F401  (torch.pdist is the functional one)
from .resample import channel_shuffle  # noqa: F401
from .resample import pad as _pad
from .rnn import run_layer

_wrap = Tensor._wrap

frexp_result = namedtuple("frexp", ["mantissa", "exponent"])
histogram_result = namedtuple("histogram", ["hist", "bin_edges"])
histogramdd_result = namedtuple("histogramdd", ["hist", "bin_edges"])


class Fill(Op):
    """y = v in every element (x's shape and dtype);  dy/dx = 0, dy/dv = sum(dy)."""

    @staticmethod
    def forward(ctx, x, v):
        ctx.v_dtype = v.dtype
        return array_module(x, v).full(x.shape, v, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        gv = g.sum()
        gv = gv.to(D.from_numpy_dtype(ctx.v_dtype)) if isinstance(gv, Tensor) else gv.astype(ctx.v_dtype)
        return g * 0, gv


def fill(input: Tensor, value) -> Tensor:
    """A tensor like ``input`` filled with ``value`` (a number, or a 0-d tensor, which gets the gradient)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} dimensions."
            )
        return Fill.apply(input, value)
    return Fill.apply(input, array_module(input._data).asarray(value))


def detach(input: Tensor) -> Tensor:
    return input.detach()


_RANGE_WARNING = (
    "torch.range is deprecated and will be removed in a future release because its behavior is inconsistent with "
    "Python's range builtin. Instead, use torch.arange, which produces values in [start, end)."
)


def range(start, end, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):  # noqa: A001
    """Deprecated: ``start, start + step, ...`` up to and including ``end`` (default float dtype)."""
    warnings.warn(_RANGE_WARNING, UserWarning, stacklevel=2)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(math.floor((end - start) / step)) + 1
    want = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    exact = want.np.kind == "f"
    values = start + array_module().arange(n, dtype=np.float64 if exact else np.int64) * (step if exact else int(step))
    result = _wrap(values.astype(want.np))
    if requires_grad:
        result.requires_grad_(True)
    return factory_out(out, result)


def constant_pad_nd(input: Tensor, pad, value=0) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims with ``value`` (negative widths crop)."""
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    return _pad(input, pad, "constant", value)


_CHAIN_WARNING = (
    "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use torch.linalg.multi_dot "
    "instead, which accepts a list of two or more tensors rather than multiple parameters."
)


def chain_matmul(*matrices, out=None) -> Tensor:
    """Deprecated: the product of 2-D matrices, as ``linalg.multi_dot``."""
    warnings.warn(_CHAIN_WARNING, UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    result = matrices[0].clone() if len(matrices) == 1 else multi_dot(matrices)
    return result if out is None else write_out(out, result, "chain_matmul", *matrices)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2) (input is ignored, NaN included, when beta == 0)."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.dim()}-D")
    kinds = {t._data.dtype.kind for t in (input, vec1, vec2)}
    if kinds == {"b"}:
        prod = vec1.unsqueeze(1) & vec2.unsqueeze(0)
        result = (input & bool(beta)) | (prod & bool(alpha))
    else:
        if "f" not in kinds:
            for name, s in (("beta", beta), ("alpha", alpha)):
                if isinstance(s, float):
                    raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
        prod = outer(vec1, vec2)
        prod = prod if alpha == 1 else P.mul(prod, alpha)
        if beta == 0:  # input's values (NaN and inf included) do not reach the result; its gradient is 0
            kept = P.nan_to_num(input, 0.0, 0.0, 0.0) if input._data.dtype.kind == "f" else input
            result = P.add(prod, P.mul(kept, 0))
        else:
            result = P.add(input if beta == 1 else P.mul(input, beta), prod)
    return result if out is None else write_out(out, result, "addr", input, vec1, vec2)


def renorm(input: Tensor, p, dim: int, maxnorm, *, out=None) -> Tensor:
    """Each slice ``input.select(dim, i)`` whose p-norm exceeds ``maxnorm`` scaled down to norm ``maxnorm``."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {nd} dimensions")
    d = _wrap_dim(dim, nd)
    norms = _norm(input, p, [k for k in builtins.range(nd) if k != d], keepdim=True)
    # torch's factor: maxnorm / (norm + 1e-7) where the norm exceeds maxnorm
    factor = P.where(norms > maxnorm, P.div(maxnorm, P.add(norms, 1e-7)), 1.0)
    result = P.mul(input, factor)
    return result if out is None else write_out(out, result, "renorm", input)


class Frexp(Op):
    """x = m * 2^e with 0.5 <= |m| < 1;  dm/dx = 2^-e (e is piecewise constant, not differentiable)."""

    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        m, e = xp.frexp(x)
        with errstate(xp, over="ignore"):  # 2^-e of a denormal overflows to inf, as torch's gradient does
            ctx.scale = xp.ldexp(xp.ones((), dtype=x.dtype), -e)
        return m, e.astype(np.int32)

    @staticmethod
    def backward(ctx, gm, ge=None):
        return gm * (_wrap(ctx.scale) if isinstance(gm, Tensor) else ctx.scale)


def frexp(input: Tensor, *, out=None):
    """(mantissa, exponent) with input = mantissa * 2^exponent; exponent is int32."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = Frexp.apply(input)
    result = frexp_result(m, e)
    return result if out is None else frexp_result(*write_out_tuple(out, result, "frexp", input))


# -- histograms (not differentiable) ---------------------------------------------------------------


def _edges(values, bins, lo_hi, dim):
    """Bin edges for one dimension: ``bins`` equal bins over the range, or the given edges."""
    if isinstance(bins, Tensor):
        return bins._data.astype(values.dtype)
    bins = int(bins)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension {dim}")
    if lo_hi is None:
        lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    else:
        lo, hi = (float(v) for v in lo_hi)
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for dimension {dim}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension {dim}'s range [{lo:g}, {hi:g}] is not finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return array_module(values).linspace(lo, hi, bins + 1).astype(values.dtype)


def _histdd(data, bins_list, ranges, weight, density):
    """The histogram of the rows of ``data`` (N, D): counts in the half-open bins, the last closed."""
    xp = array_module(data)
    edges = [_edges(data[:, k], b, None if ranges is None else ranges[k], k) for k, b in enumerate(bins_list)]
    index = xp.zeros(data.shape[0], dtype=np.int64)
    keep = xp.ones(data.shape[0], dtype=bool)
    for k, e in enumerate(edges):
        col = data[:, k]
        keep &= (col >= e[0]) & (col <= e[-1])
        i = xp.searchsorted(e, col, side="right") - 1
        i = xp.clip(xp.where(col == e[-1], e.size - 2, i), 0, max(e.size - 2, 0))
        index = index * (e.size - 1) + i
    shape = tuple(e.size - 1 for e in edges)
    w = xp.ones(data.shape[0], dtype=data.dtype) if weight is None else weight.astype(data.dtype)
    hist = xp.bincount(index[keep], weights=w[keep], minlength=math.prod(shape)).astype(data.dtype).reshape(shape)
    if density:
        volume = xp.ones(shape, dtype=data.dtype)
        for k, e in enumerate(edges):
            s = [1] * len(shape)
            s[k] = -1
            volume = volume * xp.diff(e).reshape(s)
        hist = hist / (hist.sum() * volume)
    return hist, edges


def _hist_input(input: Tensor, name: str):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{name}\" not implemented for '{type_name(input.dtype)}'")
    return input._data


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False, out=None):  # noqa: A002
    """(hist, bin_edges): counts of input's elements in ``bins`` equal bins (or between given edges)."""
    data = _hist_input(input, "histogramdd").reshape(-1, 1)
    w = None if weight is None else weight._data.reshape(-1)
    hist, edges = _histdd(data, [bins], None if range is None else [range], w, density)
    result = histogram_result(_wrap(hist), _wrap(edges[0]))
    return result if out is None else histogram_result(*write_out_tuple(out, result, "histogram", input))


def histogramdd(input: Tensor, bins=10, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """(hist, bin_edges) of the rows of ``input`` (..., D) in D dimensions."""
    data = _hist_input(input, "histogramdd")
    d = data.shape[-1]
    data = data.reshape(-1, d)
    bins_list = [bins] * d if isinstance(bins, (int, np.integer)) else list(bins)
    ranges = None if range is None else [tuple(range[2 * k: 2 * k + 2]) for k in builtins.range(d)]
    w = None if weight is None else weight._data.reshape(-1)
    hist, edges = _histdd(data, bins_list, ranges, w, density)
    return histogramdd_result(_wrap(hist), tuple(_wrap(e) for e in edges))


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k for every output feature k.

    Shape: input1 (*, in1), input2 (*, in2), weight (out, in1, in2), bias (out,) -> (*, out).
    """
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and {list(input2.shape[:-1])}"
        )
    if weight.dim() != 3 or weight.shape[1] != input1.shape[-1] or weight.shape[2] != input2.shape[-1]:
        raise RuntimeError(
            f"bilinear(): weight of shape {list(weight.shape)} does not match inputs with last dimensions "
            f"{input1.shape[-1]} and {input2.shape[-1]}"
        )
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return P.add(out, bias) if bias is not None else out


def isreal(input: Tensor) -> Tensor:
    """True everywhere: ember has no complex dtypes, so every element is real."""
    return ones_like(input, dtype=D.bool)


def is_inference(input: Tensor) -> bool:
    """False: ember has no inference tensors (``inference_mode`` behaves like ``no_grad``)."""
    return False


# -- losses and RNN cells with torch's top-level signatures ----------------------------------------

_REDUCTIONS = ("none", "mean", "sum")
# torch 2.13's top-level bindings document ``reduction=Mean`` but an omitted reduction arrives as 0 (none):
# torch.kl_div(x, t) is unreduced. ember matches what torch does, so the defaults below are 0.


def _reduction(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'reduction' must be int, not {type(value).__name__}")
    if not 0 <= int(value) <= 2:
        raise ValueError(f"{int(value)} is not a valid value for reduction")
    return _REDUCTIONS[int(value)]


def kl_div(input: Tensor, target: Tensor, reduction: int = 0, *, log_target: bool = False) -> Tensor:
    loss = _L.kl_div(input, target, reduction="none", log_target=log_target)
    how = _reduction(reduction, "kl_div")
    return loss if how == "none" else (loss.mean() if how == "mean" else loss.sum())


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, reduction: int = 0) -> Tensor:
    return _L.cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction(reduction, "cosine_embedding_loss"))


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction: int = 0) -> Tensor:
    return _L.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction, "hinge_embedding_loss"))


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction: int = 0) -> Tensor:
    return _L.margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction, "margin_ranking_loss"))


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, reduction: int = 0) -> Tensor:
    return _L.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                  reduction=_reduction(reduction, "triplet_margin_loss"))


def poisson_nll_loss(input, target, log_input: bool, full: bool, eps: float, reduction: int) -> Tensor:
    return _L.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_reduction(reduction, "poisson_nll_loss"))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0, reduction: int = 0,
             zero_infinity: bool = False) -> Tensor:
    return _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _reduction(reduction, "ctc_loss"),
                     zero_infinity)


def _cell(mode, input, hx, cx, w_ih, w_hh, b_ih, b_hh):
    _, h, c = run_layer(mode, input.unsqueeze(0), hx, cx, (w_ih, w_hh, b_ih, b_hh), False)
    return h, c


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One Elman step: tanh(input w_ih^T + b_ih + hx w_hh^T + b_hh)."""
    return _cell("RNN_TANH", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One Elman step with relu."""
    return _cell("RNN_RELU", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One GRU step."""
    return _cell("GRU", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; ``hx`` is (h, c); returns (h', c')."""
    h0, c0 = hx
    return _cell("LSTM", input, h0, c0, w_ih, w_hh, b_ih, b_hh)


__all__ = [
    "fill", "detach", "range", "constant_pad_nd", "chain_matmul", "addr", "renorm", "frexp", "histogram",
    "histogramdd", "pdist", "bilinear", "channel_shuffle", "isreal", "is_inference", "kl_div", "cosine_embedding_loss",
    "hinge_embedding_loss", "margin_ranking_loss", "triplet_margin_loss", "poisson_nll_loss", "ctc_loss",
    "rnn_tanh_cell", "rnn_relu_cell", "gru_cell", "lstm_cell",
]
