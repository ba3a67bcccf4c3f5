"""Connectionist Temporal Classification loss (``F.ctc_loss``), by the log-space forward-backward algorithm.

A target l (length S) is extended with blanks, l' = (b, l_1, b, l_2, ..., l_S, b) (length 2S + 1). With
lp[t, c] = log p_t(c):

    alpha[0, 0] = lp[0, b],  alpha[0, 1] = lp[0, l_1]
    alpha[t, s] = lp[t, l'_s] + logsumexp(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2] if l'_s != b, l'_{s-2})
    beta  mirrors it from t = T - 1 backwards (beta also contains lp[t, l'_s])
    nll = -logsumexp(alpha[T-1, 2S], alpha[T-1, 2S-1])

The gradient is torch's: d nll / d lp[t, c] = exp(lp[t, c]) - exp(logsumexp_{s: l'_s = c}(alpha + beta)[t, s] + nll - lp[t, c]),
the exact derivative composed with log_softmax's (it assumes ``log_probs`` came out of ``log_softmax``).
Vectorised over the batch and the extended labels; the only Python loop is over time.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module, errstate
from .._tensor import Tensor
from ..autograd.function import Op
from ._common import first_order_only
from .loss import _reduction
from .pointwise import div
from .reduce import mean, sum as _sum

__all__ = ["ctc_loss"]

_NEG = -math.inf


def _shift(a, k):
    """a[..., s - k] along the last axis, -inf where s < k."""
    out = array_module(a).full_like(a, _NEG)
    out[..., k:] = a[..., :-k]
    return out


def _unshift(a, k):
    """a[..., s + k] along the last axis, -inf past the end."""
    out = array_module(a).full_like(a, _NEG)
    out[..., :-k] = a[..., k:]
    return out


class CTCLoss(Op):
    """nll[n] = -log sum over alignments of prod_t p_t(path_t) (see the module docstring);
    d nll / d lp = exp(lp) - exp(lcab + nll - lp) for t < input_length, 0 after (torch's convention)."""

    _node_name = "CtcLossBackward0"

    @staticmethod
    def forward(ctx, log_probs, targets, in_lens, tg_lens, blank, zero_infinity):
        xp = array_module(log_probs, targets)
        t_max, n, c = log_probs.shape
        lp = log_probs.astype(np.float64)
        s_max = targets.shape[1]
        ell = 2 * s_max + 1
        ext = xp.full((n, ell), blank, dtype=np.int64)
        ext[:, 1::2] = xp.where((targets >= 0) & (targets < c), targets, blank)  # padding may hold anything
        skip = xp.zeros((n, ell), dtype=bool)
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        lpe = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (t_max, n, ell)), axis=2)  # (T, N, L)
        rows = xp.arange(n)
        last, prev = 2 * tg_lens, 2 * tg_lens - 1
        has_label = tg_lens > 0
        with errstate(xp, invalid="ignore", divide="ignore"):
            alpha = xp.full((t_max, n, ell), _NEG)
            if t_max:
                alpha[0, :, 0] = lpe[0, :, 0]
                if ell > 1:
                    alpha[0, :, 1] = xp.where(has_label, lpe[0, :, 1], _NEG)
            for t in range(1, t_max):
                a = alpha[t - 1]
                alpha[t] = lpe[t] + xp.logaddexp(xp.logaddexp(a, _shift(a, 1)), xp.where(skip, _shift(a, 2), _NEG))
            tl = xp.maximum(in_lens - 1, 0)
            end = xp.logaddexp(alpha[tl, rows, last], xp.where(has_label, alpha[tl, rows, xp.maximum(prev, 0)], _NEG))
            nll = xp.where(in_lens > 0, -end, xp.where(has_label, math.inf, 0.0))
        ctx.meta = (lp, ext, skip, lpe, alpha, nll, in_lens, tg_lens, zero_infinity, log_probs.dtype)
        out = xp.where(zero_infinity & xp.isinf(nll), 0.0, nll)
        return out.astype(log_probs.dtype)

    @staticmethod
    def backward(ctx, g):
        first_order_only("ctc_loss", g)
        lp, ext, skip, lpe, alpha, nll, in_lens, tg_lens, zero_infinity, dtype = ctx.meta
        xp = array_module(g, lp)
        t_max, n, c = lp.shape
        ell = ext.shape[1]
        rows = xp.arange(n)
        last, prev = 2 * tg_lens, 2 * tg_lens - 1
        skip_up = _unshift(skip.astype(np.float64), 2) > 0  # may s jump to s + 2
        with errstate(xp, invalid="ignore", divide="ignore", over="ignore"):
            beta = xp.full((t_max, n, ell), _NEG)
            for t in range(t_max - 1, -1, -1):
                init = xp.full((n, ell), _NEG)
                init[rows, last] = lpe[t, rows, last]
                ok = tg_lens > 0
                init[rows[ok], prev[ok]] = lpe[t, rows[ok], prev[ok]]
                if t < t_max - 1:
                    b = beta[t + 1]
                    rec = lpe[t] + xp.logaddexp(xp.logaddexp(b, _unshift(b, 1)), xp.where(skip_up, _unshift(b, 2), _NEG))
                else:
                    rec = xp.full((n, ell), _NEG)
                ends = in_lens - 1
                beta[t] = xp.where((t == ends)[:, None], init, xp.where((t < ends)[:, None], rec, _NEG))
            ab = alpha + beta  # (T, N, L)
            m = xp.max(ab, axis=2, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0.0)
            index = ((xp.arange(t_max)[:, None, None] * n + rows[None, :, None]) * c + ext[None]).ravel()
            sums = xp.bincount(index, weights=xp.exp(ab - m).ravel(), minlength=t_max * n * c).reshape(t_max, n, c)
            lcab = xp.log(sums) + m
            grad = xp.exp(lp) - xp.exp(lcab + nll[None, :, None] - lp)
        grad[xp.arange(t_max)[:, None] >= in_lens[None, :]] = 0.0
        if zero_infinity:
            grad[:, xp.isinf(nll)] = 0.0
        grad *= xp.asarray(g, dtype=np.float64)[None, :, None]
        return grad.astype(dtype), None, None, None, None, None


def _lengths(xp, x, name):
    if isinstance(x, Tensor):
        if x.dtype.is_floating_point or x.dtype.name == "bool":
            raise RuntimeError(f"{name} must be integral")
        return xp.asarray(x._data, dtype=np.int64).reshape(-1)
    if isinstance(x, (list, tuple)):
        return xp.asarray([int(v) for v in x], dtype=np.int64).reshape(-1)
    raise TypeError(f"ctc_loss(): argument '{name}' must be a tuple of ints or a Tensor, not {type(x).__name__}")


def _check_range(values, low, high, name):
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    for v in values:
        if v < low:
            raise RuntimeError(f"Expected {name} to have value at least {low}, but got value {v}{where}")
        if high is not None and v > high:
            raise RuntimeError(f"Expected {name} to have value at most {high}, but got value {v}{where}")


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """CTC loss of ``log_probs`` (T, N, C) or (T, C) (log_softmax outputs) against ``targets``: padded (N, S)
    or all targets concatenated (sum(target_lengths),). ``'mean'`` divides each loss by its target length
    (at least 1) and averages over the batch; ``zero_infinity`` zeroes impossible alignments and their gradients."""
    reduction = _reduction(reduction)
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    unbatched = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    xp = array_module(lp._data)
    in_lens, tg_lens = _lengths(xp, input_lengths, "input_lengths"), _lengths(xp, target_lengths, "target_lengths")
    if in_lens.shape[0] != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tg_lens.shape[0] != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    _check_range(in_lens, 0, t_max, "input_lengths")
    _check_range(tg_lens, 0, None, "target_lengths")
    tg = xp.asarray(targets._data).astype(np.int64)
    where = " for argument #2 'targets' (while checking arguments for ctc_loss_allocate_outputs)"
    if unbatched:
        tg = tg.reshape(1, -1)
    if tg.ndim == 1:
        total = int(tg_lens.sum())
        if tg.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got size {tg.shape[0]}{where}")
        s_max = int(tg_lens.max(initial=0))
        padded = xp.full((n, s_max), blank, dtype=np.int64)
        starts = xp.concatenate([xp.zeros(1, np.int64), xp.cumsum(tg_lens)[:-1]])
        pos = xp.arange(s_max)[None, :]
        inside = pos < tg_lens[:, None]
        padded[inside] = tg[(starts[:, None] + pos)[inside]]
        tg = padded
    else:
        longest = int(tg_lens.max(initial=0))
        if tg.shape[1] < longest:
            raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, but got size {tg.shape[1]}{where}")
    loss = CTCLoss.apply(lp, tg, in_lens, tg_lens, int(blank), bool(zero_infinity))
    if reduction == "mean":
        denom = Tensor._wrap(xp.maximum(tg_lens, 1).astype(loss._data.dtype))
        return mean(div(loss, denom))
    if reduction == "sum":
        return _sum(loss)
    return loss.squeeze(0) if unbatched else loss
