"""Scaled dot-product attention: one fused Op, forward and backward written by hand.

    S = scale * Q K^T + M          (M: the additive float mask, or 0 / -inf from a bool or causal mask)
    P = softmax(S) along the keys  (max-subtracted, in place; a row with every key masked gives P = 0)
    O = (P * D) V                  (D: the dropout keep-mask scaled by 1 / (1 - p), or 1)

Backward, with dO the incoming gradient:

    dV = (P * D)^T dO
    dP = (dO V^T) * D
    dS = P * (dP - rowsum(dP * P))
    dQ = scale * dS K,   dK = scale * dS^T Q,   dM = dS (summed over the dims M was broadcast over)

Grouped-query attention (``enable_gqa``) never copies K or V: the query heads are viewed as
(kv heads, group) so each key/value head broadcasts over its group, and dK, dV sum over it.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .._backend import array_module, errstate
from .._tensor import Tensor
from ..autograd.function import Op
from ._common import c_type_name, check_broadcast, type_name
from .dropout import _inverted_keep_mask
from . import pointwise as P
from .linalg import matmul
from .activation import softmax
from .. import _dtype as D
from .shape import stack

__all__ = ["scaled_dot_product_attention"]  # split_heads is internal: multi-head attention uses it

_wrap = Tensor._wrap


def _t(x):
    """The last two axes swapped (an array view, or a differentiable Tensor view under create_graph)."""
    return x.swapaxes(-1, -2)


@lru_cache(maxsize=32)
def _causal_bias(xp, L: int, S: int, np_dtype):
    """0 on and below the diagonal (top-left aligned, as torch's ``is_causal``), -inf above, an ``xp`` array."""
    bias = xp.triu(xp.full((L, S), -math.inf, dtype=np_dtype), 1)
    bias.flags.writeable = False
    return bias


def _softmax_rows_(s, safe: bool):
    """Softmax over the last axis of ``s``, in place. ``safe``: a row whose every entry is -inf
    becomes zeros (torch's attention kernels), not the NaN of a plain softmax."""
    if s.size == 0:
        return s
    xp = array_module(s)
    m = s.max(axis=-1, keepdims=True)
    if safe and not xp.isfinite(m).all():
        m[xp.isneginf(m)] = 0
    with errstate(xp, invalid="ignore"):
        s -= m
    xp.exp(s, out=s)
    total = s.sum(axis=-1, keepdims=True)
    if safe and not total.all():
        total[total == 0] = math.inf  # exp(-inf) everywhere: 0 / inf keeps the row at 0
    s /= total
    return s


class ScaledDotProductAttention(Op):
    """O = softmax(scale Q K^T + M) V;  dS = P (dP - rowsum(dP P)), dQ = scale dS K, dK = scale dS^T Q,
    dV = P^T dO, dM = dS (see the module docstring for the dropout and grouped-query forms)."""

    _node_name = "ScaledDotProductAttentionBackward0"

    @staticmethod
    def forward(ctx, query, key, value, bias, scale, keep, groups, safe, with_weights):
        xp = array_module(query, key, value)
        q, k, v = _grouped(query, key, value, groups)
        s = xp.matmul(q, _t(k))
        s *= scale
        if bias is not None:
            b = _grouped_bias(bias, groups)
            if np.broadcast_shapes(s.shape, b.shape) == s.shape:
                s += b
            else:
                s = s + b
        p = _softmax_rows_(s, safe)
        pd = p * keep if keep is not None else p
        out = xp.matmul(pd, v)
        ctx.save_for_backward(query, key, value, bias, p, keep)
        ctx.meta = (scale, groups, safe)
        if groups > 1:
            out = _merge_heads(out)
        if with_weights:
            ctx.set_materialize_grads(False)
            return out, (_merge_heads(pd) if groups > 1 else pd)
        return out

    @staticmethod
    def backward(ctx, g, g_weights=None):
        if ctx._graph_mode:
            # create_graph: P is kept as an array, a constant; rebuild it from Q, K, M so the
            # second derivative flows through it.
            return _graph_backward(ctx, g, g_weights)
        query, key, value, _, p, keep = ctx.saved_tensors
        xp = array_module(g, g_weights, p)
        scale, groups, _ = ctx.meta
        q, k, v = _grouped(query, key, value, groups)
        need_q, need_k, need_v, need_m = ctx.needs_input_grad[:4]
        if groups > 1:
            if g is not None:
                g = _split_heads(g, groups)
            if g_weights is not None:
                g_weights = _split_heads(g_weights, groups)
        pd = p * keep if keep is not None else p
        dv = dp = None
        if g is not None:
            if need_v:
                dv = xp.matmul(_t(pd), g)
            if need_q or need_k or need_m:
                dp = xp.matmul(g, _t(v))
        if g_weights is not None:
            dp = g_weights.copy() if dp is None else xp.add(dp, g_weights, out=dp)
        dq = dk = dm = None
        if dp is not None and (need_q or need_k or need_m):
            if keep is not None:
                dp *= keep
            # dS = P (dP - rowsum(dP P)), computed in dp's buffer
            dp -= xp.einsum("...j,...j->...", dp, p)[..., None]
            dp *= p
            ds = dp
            if need_m:
                dm = _merge_heads(ds) if groups > 1 else ds
                ds = ds * scale
            else:
                ds *= scale
            if need_q:
                dq = xp.matmul(ds, k)
            if need_k:
                dk = xp.matmul(_t(ds), q)
        if groups > 1:
            dq = _merge_heads(dq) if dq is not None else None
            dk = dk.sum(axis=-3) if dk is not None else None  # a key head serves its whole group
            dv = dv.sum(axis=-3) if dv is not None else None
        return dq, dk, dv, dm, None, None, None, None, None


def _split_heads(x, groups):
    """(.., H, L, S) -> (.., H / groups, groups, L, S)."""
    return x.reshape(x.shape[:-3] + (x.shape[-3] // groups, groups) + x.shape[-2:])


def _merge_heads(x):
    """(.., Hkv, G, L, S) -> (.., Hkv * G, L, S)."""
    return x.reshape(x.shape[:-4] + (x.shape[-4] * x.shape[-3],) + x.shape[-2:])


def _grouped(q, k, v, groups):
    """Views for grouped-query attention: q (.., Hq, L, E) -> (.., Hkv, G, L, E); k, v -> (.., Hkv, 1, S, E)."""
    if groups == 1:
        return q, k, v
    return _split_heads(q, groups), k[..., None, :, :], v[..., None, :, :]


def _grouped_bias(bias, groups):
    if groups == 1 or bias.ndim < 3:
        return bias
    return bias[..., None, :, :] if bias.shape[-3] == 1 else _split_heads(bias, groups)


def _graph_backward(ctx, g, g_weights):
    """The same derivative in differentiable ember ops (used under ``create_graph``)."""
    saved = ctx.saved_tensors
    q, k, v, bias = (x if x is None or isinstance(x, Tensor) else _wrap(x) for x in saved[:4])
    keep = saved[5]
    keep = keep._data if isinstance(keep, Tensor) else keep
    scale, groups, safe = ctx.meta
    q, k, v = (_grouped(q, k, v, groups))
    s = P.mul(matmul(q, _t(k)), scale)
    if bias is not None:
        s = P.add(s, _grouped_bias(bias, groups))
    p = softmax(s, -1)
    if safe:
        xp = array_module(p._data)
        p = P.where(_wrap(xp.isnan(p._data)), _wrap(xp.zeros((), p._data.dtype)), p)
    keep_t = _wrap(keep) if keep is not None else None
    pd = P.mul(p, keep_t) if keep_t is not None else p
    if groups > 1:
        g = _split_heads(g, groups) if g is not None else None
        g_weights = _split_heads(g_weights, groups) if g_weights is not None else None
    need_q, need_k, need_v, need_m = ctx.needs_input_grad[:4]
    dv = matmul(_t(pd), g) if (need_v and g is not None) else None
    dp = matmul(g, _t(v)) if g is not None else None
    if g_weights is not None:
        dp = g_weights if dp is None else P.add(dp, g_weights)
    dq = dk = dm = None
    if dp is not None:
        if keep_t is not None:
            dp = P.mul(dp, keep_t)
        ds = P.mul(p, P.sub(dp, (dp * p).sum(-1, keepdim=True)))
        if need_m:
            dm = _merge_heads(ds) if groups > 1 else ds
        ds = P.mul(ds, scale)
        dq = matmul(ds, k) if need_q else None
        dk = matmul(_t(ds), q) if need_k else None
    if groups > 1:
        dq = _merge_heads(dq) if dq is not None else None
        dk = dk.sum(-3) if dk is not None else None
        dv = dv.sum(-3) if dv is not None else None
    return dq, dk, dv, dm, None, None, None, None, None


def _dtype_name(a) -> str:
    return c_type_name(D.from_numpy_dtype(a.dtype))


def _check_inputs(q: Tensor, k: Tensor, v: Tensor, attn_mask, is_causal: bool, enable_gqa: bool):
    for name, x in (("query", q), ("key", k), ("value", v)):
        if not isinstance(x, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, not {type(x).__name__}")
    qa, ka, va = q._data, k._data, v._data
    if qa.dtype != ka.dtype or qa.dtype != va.dtype:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_dtype_name(qa)} key.dtype: {_dtype_name(ka)} and value.dtype: {_dtype_name(va)} instead."
        )
    if qa.ndim < 2 or ka.ndim < 2 or va.ndim < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
            f"{qa.ndim} key.dim: {ka.ndim} and value.dim: {va.ndim} instead."
        )
    if qa.dtype.kind != "f":
        raise RuntimeError(f"expected scalar type Float but found {type_name(q.dtype)}")
    if attn_mask is not None:
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
        md = attn_mask._data.dtype
        if attn_mask._data.ndim < 2:  # torch reads the mask's last two dims
            n = max(attn_mask._data.ndim, 1)
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got -2)")
        if md != np.bool_ and md != qa.dtype:
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: "
                f"{_dtype_name(attn_mask._data)} and  query.dtype: {_dtype_name(qa)} instead."
            )
    groups = 1
    if enable_gqa and qa.ndim >= 3 and ka.ndim >= 3:
        hq, hk, hv = qa.shape[-3], ka.shape[-3], va.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
        if hk == hv and hk != hq and hk != 1:
            groups = hq // hk
    return groups


def _batch_error(q, other, what: str) -> RuntimeError:
    bh = math.prod(q.shape[:-2])
    want = q.shape[-1] if what == "key" else other.shape[-2]
    got = other.shape[-1]
    return RuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{bh}, {want}] but got: [{bh}, {got}]."
    )


def _score_shape(qa, ka, groups: int) -> tuple:
    """The shape of Q K^T: the batch dims of query and key broadcast (key heads counted per query head)."""
    kb = ka.shape[:-2]
    if groups > 1:
        kb = kb[:-1] + (kb[-1] * groups,)
    return check_broadcast(qa.shape[:-2], kb) + (qa.shape[-2], ka.shape[-2])


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(Q K^T * scale + mask) V, one fused op.

    Args:
        query: (N, ..., Hq, L, E); key: (N, ..., H, S, E); value: (N, ..., H, S, Ev).
        attn_mask: bool (True = take part in attention) or float (added to the scores),
            broadcastable to (N, ..., Hq, L, S).
        dropout_p: probability of dropping an attention weight (ember's RNG).
        is_causal: a lower-triangular mask aligned to the top-left corner (query i sees keys j <= i).
        scale: defaults to 1 / sqrt(E).
        enable_gqa: key/value heads may be fewer than query heads (each serves Hq / H query heads).

    Shape: output (N, ..., Hq, L, Ev).
    """
    groups = _check_inputs(query, key, value, attn_mask, is_causal, enable_gqa)
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    qa, ka, va = query._data, key._data, value._data
    if ka.shape[-1] != qa.shape[-1]:
        raise _batch_error(qa, ka, "key")
    if va.shape[-2] != ka.shape[-2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{math.prod(qa.shape[:-2])}, {ka.shape[-2]}] but got: "
            f"[{math.prod(qa.shape[:-2])}, {va.shape[-2]}]."
        )
    L, S = qa.shape[-2], ka.shape[-2]
    xp = array_module(qa, ka, va)
    scale = 1.0 / math.sqrt(qa.shape[-1]) if scale is None else float(scale)
    bias = None
    if is_causal:
        bias = _causal_bias(xp, L, S, qa.dtype)
    elif attn_mask is not None:
        if attn_mask._data.dtype == np.bool_:
            bias = xp.where(attn_mask._data, qa.dtype.type(0), qa.dtype.type(-math.inf))
        else:
            bias = attn_mask
        check_broadcast(_score_shape(qa, ka, groups), attn_mask._data.shape)
    keep = None
    if dropout_p > 0.0:
        out_shape = _score_shape(qa, ka, groups)
        if groups > 1:
            out_shape = out_shape[:-3] + (out_shape[-3] // groups, groups) + out_shape[-2:]
        keep = _inverted_keep_mask(xp, out_shape, dropout_p, qa.dtype)
    return _attention(query, key, value, bias, scale, keep, groups, True, False)


def _attention(query, key, value, bias, scale, keep, groups, safe, with_weights):
    """Apply the op (also used by multi-head attention, whose weights path is a plain softmax)."""
    return ScaledDotProductAttention.apply(query, key, value, bias, scale, keep, groups, safe, with_weights)


class SplitHeads(Op):
    """(B, L, n*H*D) -> n views (B, H, L, D): the packed q/k/v projection cut into heads without a copy;
    the gradient is the n head gradients written back into one (B, L, n, H, D) array."""

    _node_name = "SplitWithSizesBackward0"

    @staticmethod
    def forward(ctx, x, n, heads):
        ctx.set_materialize_grads(False)
        B, L, width = x.shape
        parts = x.reshape(B, L, n, heads, width // (n * heads))
        return tuple(parts[:, :, i].transpose(0, 2, 1, 3) for i in range(n))

    @staticmethod
    def backward(ctx, *grads):
        B, H, L, D = next(g.shape for g in grads if g is not None)
        n = len(grads)
        if ctx._graph_mode:
            xp = array_module(*(g._data for g in grads if g is not None))
            zeros = _wrap(xp.zeros((B, H, L, D), grads[0].dtype if grads[0] is not None else np.float64))
            gs = [g if g is not None else zeros for g in grads]
            return stack(gs, 0).permute(1, 3, 0, 2, 4).reshape(B, L, n * H * D), None, None
        dtype = next(g.dtype for g in grads if g is not None)
        out = array_module(*grads).empty((B, L, n, H, D), dtype)
        for i, g in enumerate(grads):
            if g is None:
                out[:, :, i] = 0
            else:
                out[:, :, i] = g.transpose(0, 2, 1, 3)
        return out.reshape(B, L, n * H * D), None, None


def split_heads(x: Tensor, n: int, heads: int):
    """Cut the last dim of (B, L, n*E) into n tensors (B, heads, L, E / heads)."""
    return SplitHeads.apply(x, n, heads)
