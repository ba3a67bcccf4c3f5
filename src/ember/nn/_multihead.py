"""``F.multi_head_attention_forward``: PyTorch's multi-head attention, composed of ember's ops.

Internally everything runs batch-first, (N, L, E): that is the layout the fused projection
splits into heads without copying, and ``nn.MultiheadAttention(batch_first=True)`` enters
here directly. The public function keeps torch's sequence-first signature and only transposes
(views) at its door.

The attention itself is the one fused op of ``ember._ops.attention``; with ``need_weights``
it also returns the (dropped-out) attention weights and, like torch's weights path, uses a
plain softmax, so a row whose every key is masked gives NaN rather than zeros.
"""

from __future__ import annotations

import math
import warnings

from .. import _dtype as D
from .._backend import array_module
from .._ops import attention as A
from .._ops import pointwise as P
from .._ops.dropout import _check_p, _inverted_keep_mask
from .._ops.linalg import linear
from .._ops.resample import pad
from .._ops.shape import cat
from .._tensor import Tensor

__all__ = ["multi_head_attention_forward"]

_wrap = Tensor._wrap


def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask, mask_name: str, other_type, other_name: str, target_type, check_other: bool = True):
    """A bool mask as a float one (True -> -inf, False -> 0); float masks pass through.
    Warns, like torch, when it and the other mask have different types."""
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind != "b" and kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both instead.",
            stacklevel=3,
        )
    if kind == "b":
        np_dtype = D.as_dtype(target_type).np
        xp = array_module(mask._data)
        mask = _wrap(xp.where(mask._data, np_dtype.type(-math.inf), np_dtype.type(0)))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Torch's checks of the input ranks; returns whether the input is batched."""
    qd, kd, vd = query.dim(), key.dim(), value.dim()
    if qd not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {qd}-D query tensor")
    batched = qd == 3
    which = "For batched (3-D) `query`" if batched else "For unbatched (2-D) `query`"
    if kd != qd or vd != qd:
        raise AssertionError(f"{which}, expected `key` and `value` to be {qd}-D but found {kd}-D and {vd}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != qd - 1:
        raise AssertionError(
            f"{which}, expected `key_padding_mask` to be `None` or {qd - 1}-D but found {key_padding_mask.dim()}-D tensor instead"
        )
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(
                f"{which}, expected `attn_mask` to be `None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor instead"
            )
        if not batched and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
    return batched


def _seq_first(shape) -> tuple:
    """A (N, L, ...) shape as torch's sequence-first functional sees it, for its messages."""
    return (shape[1], shape[0]) + tuple(shape[2:])


def _project(query, key, value, in_proj_weight, in_proj_bias, separate, q_w, k_w, v_w, num_heads):
    """q, k, v as (N, H, L, Dh) heads. Self-attention is one GEMM with the packed weight,
    split into heads as views (torch's ``_in_projection_packed`` takes the same three routes)."""
    E = query.shape[-1] if not separate else q_w.shape[0]
    if not separate:
        if key is value and query is key:
            return A.split_heads(linear(query, in_proj_weight, in_proj_bias), 3, num_heads)
        w_q, w_kv = in_proj_weight[:E], in_proj_weight[E:]
        b_q, b_kv = (None, None) if in_proj_bias is None else (in_proj_bias[:E], in_proj_bias[E:])
        (q,) = A.split_heads(linear(query, w_q, b_q), 1, num_heads)
        if key is value:
            k, v = A.split_heads(linear(key, w_kv, b_kv), 2, num_heads)
            return q, k, v
        ws = (w_kv[:E], w_kv[E:])
        bs = (None, None) if b_kv is None else (b_kv[:E], b_kv[E:])
    else:
        ws = (k_w, v_w)
        b_q, *bs = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        (q,) = A.split_heads(linear(query, q_w, b_q), 1, num_heads)
    (k,) = A.split_heads(linear(key, ws[0], bs[0]), 1, num_heads)
    (v,) = A.split_heads(linear(value, ws[1], bs[1]), 1, num_heads)
    return q, k, v


def _mha_batch_first(
    query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
    dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask, need_weights, attn_mask,
    use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, static_k, static_v, average_attn_weights,
    is_causal,
):
    """Multi-head attention on batched (N, L, E) inputs; masks already checked for rank."""
    bsz, tgt_len, embed_dim = query.shape
    src_len = key.shape[1]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
            "`generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the causal hint alone reaches the fused op, which builds the mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(
                f"key's sequence and batch dims {_seq_first(key.shape[:2])} do not match value's {_seq_first(value.shape[:2])}"
            )
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {_seq_first(key.shape)} does not match value shape {_seq_first(value.shape)}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    q, k, v = _project(query, key, value, in_proj_weight, in_proj_bias, use_separate_proj_weight,
                       q_proj_weight, k_proj_weight, v_proj_weight, num_heads)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be {(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        # one more key/value position, the learned bias, for every batch entry and head
        k = cat([k, bias_k.reshape(1, num_heads, 1, head_dim).expand(bsz, num_heads, 1, head_dim)], 2)
        v = cat([v, bias_v.reshape(1, num_heads, 1, head_dim).expand(bsz, num_heads, 1, head_dim)], 2)
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = pad(key_padding_mask, (0, 1)) if key_padding_mask is not None else None
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    k = _static(k, static_k, bsz, num_heads, head_dim, "k")
    v = _static(v, static_v, bsz, num_heads, head_dim, "v")

    if add_zero_attn:
        zeros = _wrap(array_module(k._data).zeros((bsz, num_heads, 1, head_dim), k._data.dtype))
        k = cat([k, zeros], 2)
        v = cat([v, zeros], 2)
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = pad(key_padding_mask, (0, 1)) if key_padding_mask is not None else None

    src_len = k.shape[2]
    if attn_mask is not None and attn_mask.shape[0] != 1:
        attn_mask = attn_mask.reshape(bsz, num_heads, tgt_len, src_len)
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got {key_padding_mask.shape[1]}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len)
        attn_mask = kpm if attn_mask is None else P.add(attn_mask, kpm)

    if not training:
        dropout_p = 0.0
    _check_p(dropout_p)
    qa = q._data
    keep = None
    if dropout_p > 0.0:
        keep = _inverted_keep_mask(array_module(qa), (bsz, num_heads, tgt_len, src_len), dropout_p, qa.dtype)
    scale = 1.0 / math.sqrt(head_dim)
    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        out, weights = A._attention(q, k, v, attn_mask, scale, keep, 1, False, True)
    else:
        bias = A._causal_bias(array_module(qa), tgt_len, src_len, qa.dtype) if is_causal else attn_mask
        out, weights = A._attention(q, k, v, bias, scale, keep, 1, True, False), None
    out = out.transpose(1, 2).reshape(bsz, tgt_len, embed_dim)  # merge heads: (N, L, H, Dh) -> (N, L, E)
    out = linear(out, out_proj_weight, out_proj_bias)
    if weights is not None and average_attn_weights:
        weights = weights.mean(dim=1)
    return out, weights


def _static(x, static, bsz, num_heads, head_dim, name):
    """torch's ``static_k`` / ``static_v``: precomputed (N * H, S, Dh) keys or values replacing the projection."""
    if static is None:
        return x
    if static.shape[0] != bsz * num_heads:
        raise AssertionError(f"expecting static_{name}.size(0) of {bsz * num_heads}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting static_{name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static.reshape(bsz, num_heads, static.shape[1], head_dim)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention (Vaswani et al. 2017) with torch's signature and sequence-first layout.

    Shape: query (L, N, E) or (L, E); key (S, N, kdim) or (S, kdim); value (S, N, vdim) or (S, vdim);
    key_padding_mask (N, S) or (S,); attn_mask (L, S) or (N * num_heads, L, S).
    Returns the output (L, N, E) and, with ``need_weights``, the weights (N, L, S) averaged over
    heads or (N, num_heads, L, S).
    """
    return _mha(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
                add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask, need_weights,
                attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, static_k, static_v,
                average_attn_weights, is_causal, batch_first=False)


def _mha(query, key, value, *args, batch_first: bool):
    """Dispatch on layout: unbatched inputs get a batch of one; sequence-first ones are viewed batch-first."""
    key_padding_mask, attn_mask = args[11], args[13]
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, args[1])
    args = list(args)
    if not is_batched:
        query, key, value = _unsqueeze_same(query, key, value, 0)
        if key_padding_mask is not None:
            args[11] = key_padding_mask.unsqueeze(0)
    elif not batch_first:
        query, key, value = _transpose_same(query, key, value)
    out, weights = _mha_batch_first(query, key, value, *args)
    if not is_batched:
        out = out.squeeze(0)
        weights = weights.squeeze(0) if weights is not None else None
    elif not batch_first:
        out = out.transpose(0, 1)
    return out, weights


def _transpose_same(query, key, value):
    """Swap dims 0 and 1, keeping ``query is key`` / ``key is value`` (they choose the fused projection)."""
    return _map_same(lambda t: t.transpose(0, 1), query, key, value)


def _unsqueeze_same(query, key, value, dim):
    return _map_same(lambda t: t.unsqueeze(dim), query, key, value)


def _map_same(fn, query, key, value):
    q = fn(query)
    k = q if key is query else fn(key)
    v = k if value is key else (q if value is query else fn(value))
    return q, k, v
