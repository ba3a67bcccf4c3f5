"""Loss functions, distances and ``one_hot``.

The workhorses are fused Ops: ``cross_entropy`` (log-sum-exp stable; gradient
``softmax - target`` with class weights, label smoothing and ignore_index folded in),
``nll_loss``, ``binary_cross_entropy`` (logs clamped at -100 like PyTorch),
``binary_cross_entropy_with_logits`` (softplus form, no overflow for any logit) and the
elementwise regression losses. The rarer losses are composed from differentiable ops.

Every loss takes ``reduction='none' | 'mean' | 'sum'`` (and PyTorch's deprecated
``size_average`` / ``reduce`` flags).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._backend import array_module, errstate
from .._tensor import Tensor
from .._tensor import data_of as _data
from ..autograd.function import Op
from .reduce import logsumexp, mean as _mean, norm, sum as _sum
from .shape import _mismatch, broadcast_tensors, movedim, reshape, squeeze, unsqueeze
from .pointwise import BOOL_NEGATION_ERROR, BOOL_SUBTRACTION_ERROR, abs as _abs, clamp_min, exp, log, log1p, minimum, relu, sigmoid, sqrt, where
from .. import _dtype as D
from .._dtype import result_type
from ._common import LinearOp, check_broadcast, to_dtype
from .index import gather, getitem

__all__ = [
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "hinge_embedding_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "cosine_similarity",
    "pairwise_distance",
    "pdist",
    "one_hot",
]

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction: str, size_average=None, reduce=None) -> str:
    """The reduction string, honouring PyTorch's deprecated ``size_average``/``reduce`` flags."""
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use reduction='mean' instead.", stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return _mean(loss)
    if reduction == "sum":
        return _sum(loss)
    return loss


def _reduced(xp, per, reduction: str, shape, denom, dtype=None):
    """The per-element losses ``per`` as ``reduction`` asks: reshaped to ``shape`` ('none'), summed, or summed
    over ``denom`` ('mean': the total weight, whose 0 gives PyTorch's nan without a warning)."""
    if reduction == "none":
        return per.reshape(shape)
    total = per.sum()
    if reduction == "mean":
        with errstate(xp, invalid="ignore", divide="ignore"):
            total = total / denom
    return xp.asarray(total, dtype=dtype)


def _grad_scale(g, reduction: str, denom, shape):
    """The upstream gradient's factor on each element's loss gradient: g itself ('sum'), g reshaped to
    ``shape`` ('none'), or g / denom ('mean'; with nothing counted the loss is nan and its gradient 0, like PyTorch's)."""
    if reduction == "none":
        return g.reshape(shape)
    if reduction == "mean":
        return g / denom if denom != 0 else g * denom.dtype.type(0)
    return g


def _type_name(a) -> str:
    """PyTorch's name of the dtype of ``a`` (an array, or a dtype)."""
    a = np.dtype(getattr(a, "dtype", a))
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "float16": "Half", "float32": "Float",
            "float64": "Double", "bool": "Bool", "uint8": "Byte"}.get(
        str(a), str(a)
    )


def _size(shape) -> str:
    return f"torch.Size([{', '.join(str(s) for s in shape)}])"


def _check_shapes(input, target) -> None:
    """PyTorch broadcasts input and target before it reads ``reduction``: a mismatch is reported first."""
    if isinstance(input, Tensor) and isinstance(target, Tensor):
        try:
            np.broadcast_shapes(input._data.shape, target._data.shape)
        except ValueError:
            raise RuntimeError(_mismatch([input._data.shape, target._data.shape])) from None


def _warn_broadcast(input: Tensor, target: Tensor) -> None:
    if tuple(target._data.shape) != tuple(input._data.shape):
        warnings.warn(
            f"Using a target size ({_size(target._data.shape)}) that is different to the input size ({_size(input._data.shape)}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )
        try:
            np.broadcast_shapes(input._data.shape, target._data.shape)
        except ValueError:
            a, b = input._data.shape, target._data.shape
            for i in range(1, min(len(a), len(b)) + 1):
                if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
                    raise RuntimeError(
                        f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) at non-singleton dimension {max(len(a), len(b)) - i}"
                    ) from None
            raise


def _as_tensor(x, like: Tensor | None = None):
    xp = array_module(x, like._data if like is not None else None)
    if isinstance(x, Tensor):
        return x
    return Tensor._wrap(xp.asarray(x, dtype=like._data.dtype if like is not None else None))


def _scalar(value, like) -> Tensor:
    """A 0-d constant in the array library and dtype of the array ``like`` (the other branch of a ``where``)."""
    return Tensor._wrap(array_module(like).full((), value, dtype=like.dtype))


# -- cross-entropy (fused) ------------------------------------------------------------------------------------


def _class_last(x):
    """(N, C, d1, ...) -> (N*d1*..., C); (N, C) and (C,) pass through as 2-D."""
    xp = array_module(x)
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    return xp.moveaxis(x, 1, -1).reshape(x.shape[0] * math.prod(x.shape[2:]), x.shape[1])


def _class_first(g2, shape):
    """Inverse of ``_class_last`` for a gradient of the input's ``shape``."""
    xp = array_module(g2)
    if len(shape) <= 2:
        return g2.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return xp.moveaxis(g2.reshape(moved), -1, 1)


def _softmax_graph(x):
    """Softmax over the class dim of a Tensor (class dim last, 2-D), from differentiable ops."""
    return exp(x - logsumexp(x, 1, keepdim=True))


class CrossEntropy(Op):
    """Cross-entropy of logits x against class indices t (or probabilities q), one fused op.

    loss_i = -(1 - eps) w[t_i] log p_i[t_i] - (eps / C) sum_c w_c log p_ic,  p = softmax(x_i)
    dloss_i/dx_i = p_i ((1 - eps) w[t_i] + eps W / C) - ((1 - eps) w[t_i] onehot(t_i) + eps w / C)

    log p = x - max - log(sum exp(x - max)): stable for any logit. Probabilities:
    loss_i = -sum_c w_c q'_ic log p_ic with q' = (1 - eps) q + eps / C;  dx = p sum_c w_c q'_c - w q'.
    """

    _node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, smoothing, reduction, probs):
        xp = array_module(x, target)
        shape = x.shape
        x2 = _class_last(x)
        m, c = x2.shape
        dt = x2.dtype
        mx = x2.max(axis=1, keepdims=True) if m and c else xp.zeros((m, 1), dt)
        e = xp.exp(x2 - mx)
        s = e.sum(axis=1, keepdims=True)
        # log-sum-exp per row (of no classes: 0, so the losses of nothing are 0 and not 0 * -inf)
        lse = (mx + xp.log(s)).reshape(-1) if c else xp.zeros(m, dt)
        ctx.meta = (shape, m, c, ignore_index, smoothing, reduction, probs)
        e /= s
        ctx.p, ctx.lse = e, lse  # softmax, for dx = p - target
        ctx.save_for_backward(x, target, weight)
        if probs:
            q = _class_last(target)
            if smoothing > 0:
                q = q * dt.type(1 - smoothing) + dt.type(smoothing / max(c, 1))
            wq = q * weight if weight is not None else q
            sum_wq = wq.sum(axis=1)
            per = sum_wq * lse - xp.einsum("mc,mc->m", wq, x2)
            ctx.coef = (sum_wq, wq, q)
            # 'mean' divides by numel / C, as PyTorch: 0 / 0 = nan for no classes
            return _reduced(xp, per, reduction, (shape[0],) + shape[2:] if len(shape) > 1 else (), dt.type(m if c else 0), dt)
        t = target.reshape(-1)
        valid = t != ignore_index if ignore_index is not None else None
        ts = xp.where(valid, t, 0) if valid is not None else t
        picked = x2[xp.arange(m), ts] if m else xp.zeros(0, dt)
        wt = weight[ts] if weight is not None else xp.ones(m, dt)
        if valid is not None:
            wt = xp.where(valid, wt, dt.type(0))
        per = wt * (lse - picked)
        if smoothing > 0:
            if weight is not None:
                smooth = weight.sum() * lse - x2 @ weight
            else:
                smooth = c * lse - x2.sum(axis=1)
            if valid is not None:
                smooth = xp.where(valid, smooth, dt.type(0))
            per = per * dt.type(1 - smoothing) + smooth * dt.type(smoothing / max(c, 1))
        ctx.coef = (ts, wt, valid)
        return _reduced(xp, per, reduction, target.shape, wt.sum(), dt)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(ctx.p)
        x, target, weight = ctx.saved_tensors
        shape, m, c, ignore_index, smoothing, reduction, probs = ctx.meta
        need_x, need_t, need_w = ctx.needs_input_grad[:3]
        graph = isinstance(g, Tensor)
        p = _softmax_graph(_class_last_t(x)) if graph else ctx.p
        gd = g
        dt = ctx.p.dtype
        scale = _grad_scale(gd, reduction, dt.type(m if c else 0) if probs else ctx.coef[1].sum(), (-1, 1))  # per row
        gx = gt = gw = None
        if probs:
            sum_wq, wq, q = ctx.coef
            if need_x:
                gx = (p * sum_wq.reshape(-1, 1) - wq) * scale
                gx = _class_first_any(gx, shape)
            if need_t or need_w:
                if graph:
                    x2 = _class_last_t(x)
                    logp = x2 - logsumexp(x2, 1, keepdim=True)
                else:
                    logp = _class_last(x) - ctx.lse.reshape(-1, 1)
            if need_t:
                wl = logp * weight if weight is not None else logp
                gt = _class_first_any(-(wl * dt.type(1 - smoothing)) * scale, shape)
            if need_w:  # dloss/dw_c = -sum_i q'_ic log p_ic (times the reduction's factor)
                gw = -(logp * q) * scale
                gw = _sum(gw, 0) if isinstance(gw, Tensor) else gw.sum(axis=0)
            return gx, gt, gw, None, None, None, None
        ts, wt, valid = ctx.coef
        if need_x:
            a = wt * dt.type(1 - smoothing)
            onehot = xp.zeros((m, c), dtype=dt)
            if m:
                onehot[xp.arange(m), ts] = a
            if smoothing > 0:
                wsum = weight.sum() if weight is not None else dt.type(c)
                a = a + (wsum * dt.type(smoothing / max(c, 1)))
                sm = (weight if weight is not None else xp.ones(c, dt)) * dt.type(smoothing / max(c, 1))
                if valid is not None:
                    a = xp.where(valid, a, dt.type(0))
                    onehot += xp.where(valid[:, None], sm, dt.type(0))
                else:
                    onehot += sm
            gx = (p * a.reshape(-1, 1) - onehot) * scale
            gx = _class_first_any(gx, shape)
        return gx, None, None, None, None, None, None


def _class_last_t(x):
    """``_class_last`` for arrays and Tensors alike."""
    if not isinstance(x, Tensor):
        return _class_last(x)
    if x.ndim == 1:
        return reshape(x, (1, -1))
    if x.ndim == 2:
        return x
    return reshape(movedim(x, 1, -1), (-1, x.shape[1]))


def _class_first_any(g2, shape):
    if not isinstance(g2, Tensor):
        return _class_first(g2, shape)
    if len(shape) <= 2:
        return reshape(g2, shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return movedim(reshape(g2, moved), -1, 1)


def _check_class_target(input: Tensor, target: Tensor, weight, name: str):
    x, t = input._data, target._data
    if x.ndim == 0:
        raise RuntimeError("input tensor should be 1D or 2D" if name == "nll_loss" else "cross_entropy: input must have at least one dimension")
    c = x.shape[1] if x.ndim >= 2 else x.shape[0]
    if x.ndim == 1:
        if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != 1):
            if name == "nll_loss":
                raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0] if t.ndim else 0}")
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif x.ndim == 2:
        if t.ndim != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if t.shape[0] != x.shape[0]:
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]}).")
    else:
        if t.ndim >= 1 and t.shape[0] != x.shape[0]:
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]}).")
        expected = (x.shape[0],) + x.shape[2:]
        if tuple(t.shape) != expected:
            if name == "nll_loss":
                raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: {list(t.shape)}")
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(t.shape)}")
    if t.dtype not in (np.int64, np.uint8):  # PyTorch's kernels take class indices as int64 or uint8 only
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_type_name(t)}")
    if weight is not None and (weight._data.ndim != 1 or weight._data.shape[0] != c):
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got weight tensor of shape: {list(weight._data.shape)}"
        )
    return c


def _check_target_range(t, c: int, ignore_index):
    flat = t.reshape(-1)
    if flat.size == 0:
        return
    bad = (flat < 0) | (flat >= c)
    if ignore_index is not None:
        bad &= flat != ignore_index
    if bad.any():
        raise IndexError(f"Target {int(flat[bad][0])} is out of bounds.")


def _class_index_weight(input: Tensor, target: Tensor, weight, ignore_index, name: str):
    """Check class-index targets (shape, dtype, range) and return the class ``weight`` in the input's dtype."""
    c = _check_class_target(input, target, weight, name)
    _check_target_range(target._data, c, ignore_index)
    if weight is not None and weight._data.dtype != input._data.dtype:  # PyTorch's kernels take one dtype
        raise RuntimeError(f"expected scalar type {_type_name(input._data)} but found {_type_name(weight._data)}")
    return weight


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits (N, C, d1, ...) and class indices (N, d1, ...) or class
    probabilities (same shape as input), fused with log-softmax.

    Options: per-class ``weight``, ``ignore_index`` (indices only), ``label_smoothing`` in [0, 1].
    """
    reduction = _reduction(reduction, size_average, reduce)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    label_smoothing = max(float(label_smoothing), 0.0)  # PyTorch smooths only for a positive value
    x, t = input._data, target._data
    if x.dtype.kind != "f" and x.size:
        last = x.ndim <= 2  # the class dim (1, or 0 for unbatched input) is the last one
        raise NotImplementedError(f'"log_softmax_{"lastdim_" if last else ""}kernel_impl" not implemented for \'{_type_name(x)}\'')
    w = weight._data if weight is not None else None
    if x.ndim == 0 and t.ndim == 0 and t.dtype.kind != "f":  # same shapes: PyTorch takes it as probabilities
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got {_type_name(t)}")
    if x.ndim >= 1 and t.shape == x.shape:
        if t.dtype.kind != "f":
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got {_type_name(t)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        c = x.shape[1] if x.ndim >= 2 else x.shape[0]
        if weight is not None and (w.ndim != 1 or w.shape[0] != c):
            raise RuntimeError(
                f"weight tensor should be defined either for all {c} classes or no classes but got weight tensor of shape: {list(w.shape)}"
            )
        common = np.result_type(x, t, *(() if w is None else (w,)))  # PyTorch promotes the three
        common = D.from_numpy_dtype(common)
        input, target, weight = (v if v is None else to_dtype(v, common) for v in (input, target, weight))
        return CrossEntropy.apply(input, target, weight, None, float(label_smoothing), reduction, True)
    weight = _class_index_weight(input, target, weight, ignore_index, "cross_entropy")
    return CrossEntropy.apply(input, target, weight, ignore_index, float(label_smoothing), reduction, False)


class NLLLoss(Op):
    """loss_i = -w[t_i] x[i, t_i];  dx[i, t_i] = -w[t_i] (scaled by the reduction)."""

    _node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        xp = array_module(x, target)
        shape = x.shape
        x2 = _class_last(x)
        m = x2.shape[0]
        dt = x2.dtype
        t = target.reshape(-1)
        valid = t != ignore_index
        ts = xp.where(valid, t, 0)
        wt = weight[ts] if weight is not None else xp.ones(m, dt)
        wt = xp.where(valid, wt, dt.type(0))
        per = -wt * (x2[xp.arange(m), ts] if m and x2.shape[1] else xp.zeros(m, dt))
        ctx.meta = (shape, ts, wt, reduction)
        return _reduced(xp, per, reduction, target.shape, wt.sum(), dt)

    @staticmethod
    def backward(ctx, g):
        return _NLLGrad.of(g, *ctx.meta), None, None, None, None


def _nll_grad(g, shape, ts, wt, reduction):
    xp = array_module(g, wt)
    m = ts.shape[0]
    scale = _grad_scale(g, reduction, wt.sum(), (-1,))
    c = shape[1] if len(shape) >= 2 else shape[0]
    gx = xp.zeros((m, c), dtype=wt.dtype)
    if m and c:
        gx[xp.arange(m), ts] = -wt * scale
    return _class_first(gx, shape)


class _NLLGrad(LinearOp):
    """dx of nll_loss as a function of the upstream gradient (for create_graph)."""

    f = staticmethod(_nll_grad)

    @staticmethod
    def adjoint(h, gshape, shape, ts, wt, reduction):
        xp = array_module(_data(h), wt)
        h2 = _class_last(_data(h))
        m = ts.shape[0]
        picked = -wt * (h2[xp.arange(m), ts] if m else xp.zeros(0, wt.dtype))
        return _reduced(xp, picked, reduction, gshape, wt.sum())


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C, d1, ...) at class indices (N, d1, ...)."""
    reduction = _reduction(reduction, size_average, reduce)
    x = input._data
    if x.ndim < 1:
        raise ValueError(f"Expected 2 or more dimensions (got {x.ndim})")
    weight = _class_index_weight(input, target, weight, ignore_index, "nll_loss")
    if x.dtype.kind != "f":
        kernel = "nll_loss2d_forward_out_frame" if x.ndim == 4 else "nll_loss_out_frame"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(x)}\'')
    w = weight._data if weight is not None else None
    out = NLLLoss.apply(input, target, w, ignore_index, reduction)
    if reduction == "none" and x.ndim == 1:
        return reshape(out, ())  # an unbatched input has one loss, whether the target is 0-d or of size 1
    return out


# -- binary cross-entropy --------------------------------------------------------------------------------------


class BinaryCrossEntropy(Op):
    """loss = -w (t log x + (1 - t) log(1 - x)), each log clamped at -100;
    dx = w (x - t) / max(x (1 - x), 1e-12),  dt = w (log(1 - x) - log x) (unclamped, as PyTorch)."""

    _node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, t, w):
        xp = array_module(x, t)
        dt = x.dtype
        with errstate(xp, divide="ignore"):
            raw_logx, raw_log1mx = xp.log(x), xp.log1p(-x)
        logx = xp.maximum(raw_logx, dt.type(-100))
        log1mx = xp.maximum(raw_log1mx, dt.type(-100))
        loss = (t - 1) * log1mx - t * logx
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t, w)
        ctx.logs = (raw_logx, raw_log1mx)  # the target gradient uses unclamped logs, like PyTorch
        return loss

    @staticmethod
    def backward(ctx, g):
        x, t, w = ctx.saved_tensors
        xp = array_module(_data(x), _data(g))
        need_x, need_t = ctx.needs_input_grad[:2]
        gx = gt = None
        if need_x:
            xd = _data(x)
            eps = xd.dtype.type(1e-12)
            denom = xp.maximum(xd * (1 - xd), eps)
            if isinstance(g, Tensor):
                denom = xp.maximum((1 - x) * x, Tensor._wrap(xp.full_like(xd, eps)))
            gx = g * (x - t) / denom
            if w is not None:
                gx = gx * w
        if need_t:
            logx, log1mx = ctx.logs
            with errstate(xp, invalid="ignore"):
                gt = g * (log1mx - logx)
            if w is not None:
                gt = gt * w
        return gx, gt, None


def _check_loss_weight(wshape, xshape) -> None:
    """A weight must broadcast to the input's shape without growing it (PyTorch writes into that shape)."""
    try:
        shape = np.broadcast_shapes(wshape, xshape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({wshape[-1]}) must match the size of tensor b ({xshape[-1]}) at "
                           f"non-singleton dimension {len(xshape) - 1}") from None
    if shape != tuple(xshape):
        raise RuntimeError(f"output with shape {list(xshape)} doesn't match the broadcast shape {list(shape)}")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities in [0, 1]; logs are clamped at -100 like PyTorch."""
    xp = array_module(input._data)
    reduction = _reduction(reduction, size_average, reduce)
    x, t = input._data, target._data
    if t.shape != x.shape:
        raise ValueError(
            f"Using a target size ({_size(t.shape)}) that is different to the input size ({_size(x.shape)}) is deprecated. "
            "Please ensure they have the same size."
        )
    if x.size and (xp.any(x < 0) or xp.any(x > 1) or xp.any(xp.isnan(x))):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if t.dtype != x.dtype:  # torch checks the dtype before the target's range
        raise RuntimeError(f"Found dtype {_type_name(t)} but expected {_type_name(x)}")
    if t.size and (xp.any(t < 0) or xp.any(t > 1)):
        raise RuntimeError("all elements of target should be between 0 and 1")
    if weight is not None:
        _check_loss_weight(weight._data.shape, x.shape)
    loss = BinaryCrossEntropy.apply(input, target, weight)
    return _reduce(loss, reduction)


class BCEWithLogits(Op):
    """loss = w ((1 - t) x + lw softplus(-x)),  lw = 1 + (pos_weight - 1) t,
    softplus(-x) = max(-x, 0) + log1p(exp(-|x|)) (never overflows);
    dx = w ((1 - t) - lw sigmoid(-x)),  dt = w (-x - (pos_weight - 1) softplus(-x))."""

    _node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, t, w, pos_weight):
        xp = array_module(x, t)
        sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))  # softplus(-x)
        if pos_weight is not None:
            lw = 1 + (pos_weight - 1) * t
            loss = (1 - t) * x + lw * sp
        else:
            loss = (1 - t) * x + sp
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t, w, pos_weight)
        ctx.sp = sp
        return loss

    @staticmethod
    def backward(ctx, g):
        x, t, w, pos_weight = ctx.saved_tensors
        need_x, need_t, need_w, need_pw = ctx.needs_input_grad[:4]
        graph = isinstance(g, Tensor)
        if graph:
            sig_neg = sigmoid(-x)
            sp = relu(-x) + log1p(exp(-_abs(x)))
        else:
            sig_neg = _stable_sigmoid(-x)
            sp = ctx.sp
        gx = gt = gpw = None
        lw = (1 + (pos_weight - 1) * t) if pos_weight is not None else None
        wg = g * w if w is not None else g
        if need_x:
            gx = wg * ((1 - t) - (lw * sig_neg if lw is not None else sig_neg))
        if need_t:
            gt = wg * (-x + ((pos_weight - 1) * sp if pos_weight is not None else 0))
        if need_pw:
            gpw = wg * t * sp
        gw = None
        if need_w:
            base = (1 - t) * x + (lw * sp if lw is not None else sp)
            gw = g * base
        return gx, gt, gw, gpw


def _stable_sigmoid(z):
    """1 / (1 + exp(-z)) without overflow: 0.5 (1 + tanh(z / 2))."""
    xp = array_module(z)
    half = z.dtype.type(0.5)
    return half * (1 + xp.tanh(half * z))


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross-entropy in one numerically stable op (any logit magnitude)."""
    reduction = _reduction(reduction, size_average, reduce)
    x, t = input._data, target._data
    if t.shape != x.shape:
        raise ValueError(f"Target size ({_size(t.shape)}) must be the same as input size ({_size(x.shape)})")
    if t.dtype == np.bool_:
        raise RuntimeError(BOOL_SUBTRACTION_ERROR)
    if t.dtype.kind in "biu" and x.dtype.kind == "f":
        raise RuntimeError(f"result type {_type_name(x)} can't be cast to the desired output type {_type_name(t)}")
    # torch 2.13's loss has the floating target's dtype (weights do not promote); an integer target is refused above
    common = D.from_numpy_dtype(t.dtype if t.dtype.kind == "f" else np.result_type(x, t))
    input, target, weight, pos_weight = (v if v is None else to_dtype(v, common) for v in (input, target, weight, pos_weight))
    for extra in (weight, pos_weight):
        if extra is not None:
            _check_loss_weight(extra._data.shape, x.shape)
    loss = BCEWithLogits.apply(input, target, weight, pos_weight)
    return _reduce(loss, reduction)


# -- elementwise regression losses ---------------------------------------------------------------------------


class _Elementwise(Op):
    """Shared machinery: loss(x, t) elementwise with broadcasting, gradient wrt x and -gradient wrt t."""

    @staticmethod
    def forward(ctx, x, t, kind, param):
        xp = array_module(x, t)
        d = x - t
        ctx.save_for_backward(x, t)
        ctx.kind, ctx.param = kind, param
        if kind == "mse":
            return d * d
        ad = xp.abs(d)
        if kind == "l1":
            return ad
        p = x.dtype.type(param)
        if kind == "smooth_l1":  # beta
            if param == 0:
                return ad
            return xp.where(ad < p, (d * d) * (x.dtype.type(0.5) / p), ad - x.dtype.type(0.5) * p)
        # huber: delta
        return xp.where(ad < p, x.dtype.type(0.5) * d * d, p * (ad - x.dtype.type(0.5) * p))

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        xp = array_module(_data(x), _data(g))
        need_x, need_t = ctx.needs_input_grad[:2]
        kind, param = ctx.kind, ctx.param
        d = x - t
        if kind == "mse":
            gd = g * (d + d)
        elif kind == "l1" or (kind == "smooth_l1" and param == 0):
            dd = _data(d)
            gd = g * xp.where(dd == dd, xp.sign(dd), dd.dtype.type(0))  # PyTorch's sign(nan) is 0: a NaN gives gradient 0
        else:
            dd = _data(d)
            p = dd.dtype.type(param)
            inside = xp.abs(dd) < p
            if kind == "smooth_l1":
                gd = g * xp.where(inside, d / p, xp.sign(d))
            else:
                gd = g * xp.where(inside, d, xp.sign(d) * p)
        return (gd if need_x else None), (-gd if need_t else None), None, None


_INTEGER_KERNELS = {"mse": "mse_cpu", "smooth_l1": "smooth_l1_cpu", "huber": "huber_cpu"}


def _elementwise_loss(kind, input, target, reduction, param=None, name=""):
    if not isinstance(target, Tensor):
        target = _as_tensor(target, input)
    if kind == "l1" and input._data.dtype == np.bool_ and target._data.dtype == np.bool_:
        raise RuntimeError(BOOL_SUBTRACTION_ERROR)
    if kind in _INTEGER_KERNELS and input._data.dtype.kind in "biu" and target._data.dtype.kind in "biu":
        dt = np.result_type(input._data, target._data)
        raise NotImplementedError(f'"{_INTEGER_KERNELS[kind]}" not implemented for \'{_type_name(dt)}\'')
    # PyTorch's promotion: an integer tensor meeting a floating one takes the floating dtype (NumPy would widen)
    xk, tk = input._data.dtype.kind, target._data.dtype.kind
    if xk == "f" and tk in "biu":
        target = Tensor._wrap(target._data.astype(input._data.dtype))
    elif tk == "f" and xk in "biu":
        if kind == "huber":  # PyTorch's huber writes into a tensor of the input's dtype
            raise RuntimeError(f"result type {_type_name(target._data)} can't be cast to the desired output type {_type_name(input._data)}")
        input = Tensor._wrap(input._data.astype(target._data.dtype))
    elif kind == "huber" and tk == xk == "f" and target._data.dtype != input._data.dtype:
        target = to_dtype(target, D.from_numpy_dtype(input._data.dtype))
    _warn_broadcast(input, target)
    return _reduce(_Elementwise.apply(input, target, kind, param), reduction)


def _weighted(loss: Tensor, input: Tensor, weight, reduction: str, mean_by_weight: bool) -> Tensor:
    """PyTorch's optional elementwise ``weight`` of mse/l1 (mean = sum / sum(weight)) and huber (plain mean)."""
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(_data(weight).shape) != tuple(input._data.shape):
        raise ValueError("Weights and input must have the same size.")
    weighted = loss * weight
    if reduction == "mean" and mean_by_weight:
        return _sum(weighted) / _sum(weight)
    return _reduce(weighted, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """Mean squared error (x - t)^2; with ``weight`` the mean is sum(w l) / sum(w), like PyTorch."""
    _check_shapes(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if input._data.dtype.kind != "f" and isinstance(target, Tensor):
        check_broadcast(input._data.shape, target._data.shape)
        res = result_type(input, target)
        if res.category != 2:
            raise NotImplementedError(f'"mse_cpu" not implemented for \'{_type_name(res.np)}\'')
    if weight is None:
        return _elementwise_loss("mse", input, target, reduction)
    return _weighted(_elementwise_loss("mse", input, target, "none"), input, weight, reduction, True)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """Mean absolute error |x - t|; with ``weight`` the mean is sum(w l) / sum(w), like PyTorch."""
    _check_shapes(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if weight is None:
        return _elementwise_loss("l1", input, target, reduction)
    return _weighted(_elementwise_loss("l1", input, target, "none"), input, weight, reduction, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (d = x - t)."""
    _check_shapes(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _elementwise_loss("smooth_l1", input, target, reduction, float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2)."""
    _check_shapes(input, target)
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return _elementwise_loss("huber", input, target, reduction, float(delta))
    return _weighted(_elementwise_loss("huber", input, target, "none", float(delta)), input, weight, reduction, False)


# -- composed losses -----------------------------------------------------------------------------------------------


def _softplus(z: Tensor) -> Tensor:
    """log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)), from differentiable ops."""
    return relu(z) + log1p(exp(-_abs(z)))


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: t (log t - x), or exp(t) (t - x) with ``log_target``.

    ``reduction='batchmean'`` divides the sum by the batch size (the true KL divergence).
    """
    xp = array_module(input._data)
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    if not isinstance(target, Tensor):
        target = _as_tensor(target, input)
    if target._data.dtype.kind in "biu" or input._data.dtype.kind in "biu":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = exp(target) * (target - input)
    else:
        # t log t as xlogy(t, t): 0 where t == 0, NaN where t < 0 (as PyTorch), t log t elsewhere
        td = target._data
        # xlogy(t, t): 0 where t == 0, NaN where t < 0 (not a distribution), like PyTorch
        nonzero = Tensor._wrap(td != 0)
        safe = where(nonzero, target, _scalar(1, td))
        with errstate(xp, invalid="ignore"):
            tlogt = target * log(safe)
        loss = where(nonzero, tlogt, _scalar(0, td)) - target * input
    if reduction == "batchmean":
        total = _sum(loss)
        return total / input._data.shape[0] if input._data.ndim else total
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _reduce(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """x where t = 1, max(0, margin - x) where t = -1."""
    reduction = _reduction(reduction, size_average, reduce)
    td = _data(target)
    zero = _scalar(0, input._data)
    margin_clamp = clamp_min(margin - input, 0)
    out_margin = where(Tensor._wrap(td != 1), margin_clamp, zero)
    out_self = where(Tensor._wrap(td != -1), input, zero)
    return _reduce(out_margin + out_self, reduction)


def multi_margin_loss(
    input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """sum_{j != y} max(0, margin - x[y] + x[j])^p / C (times w[y]) per sample."""
    xp = array_module(input._data)
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input._data
    _check_margin_input(x)
    unbatched = x.ndim <= 1
    inp = reshape(input, (1, -1)) if unbatched else input
    n, c = inp._data.shape
    t0 = xp.asarray(_data(target))
    if t0.ndim > 1 or t0.size != n:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples (batch size). "
            f"Expected target size [{n}], but got {list(t0.shape)}. Input has shape {list(x.shape)}."
        )
    t = t0.reshape(-1)
    if t0.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_type_name(t0)}")
    if weight is not None:
        if weight._data.ndim != 1:
            raise ValueError("weight must be one-dimensional")
        if weight._data.shape[0] != c:
            raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight._data.shape)}")
        if weight._data.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {_type_name(x)} but found {_type_name(weight._data)}")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    idx = Tensor._wrap(t.reshape(-1, 1).astype(np.int64))
    xy = gather(inp, 1, idx)
    z = clamp_min(margin - xy + inp, 0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * Tensor._wrap(weight._data[t].reshape(-1, 1).astype(x.dtype))
    mask = xp.ones(inp._data.shape, dtype=x.dtype)
    if t.size:
        mask[xp.arange(t.size), t] = 0
    per = _sum(z * Tensor._wrap(mask), 1) / c
    if unbatched:  # one loss, shaped like the target (0-d, or (1,))
        per = reshape(per, t0.shape)
    return _reduce(per, reduction)


def _check_margin_input(x) -> None:
    if x.ndim > 2 or (x.ndim == 2 and x.shape[1] == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(x.shape)}")


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C."""
    xp = array_module(input._data)
    reduction = _reduction(reduction, size_average, reduce)
    x = input._data
    _check_margin_input(x)
    t = xp.asarray(_data(target))
    if t.shape != x.shape:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: {list(x.shape)}")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_type_name(t)}")
    unbatched = x.ndim <= 1
    inp = reshape(input, (1, -1)) if unbatched else input
    n, c = inp._data.shape
    t = t.reshape(n, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    is_target = xp.zeros((n, c), dtype=bool)
    pair = xp.zeros((n, c, c), dtype=x.dtype)  # pair[n, j, i]: j a target class, i a non-target class
    for row in range(n):
        labels = []
        for v in t[row]:
            if v < 0:
                break
            labels.append(int(v))
        is_target[row, labels] = True
        for j in labels:  # a label listed twice counts twice, as in PyTorch
            pair[row, j] += 1
    pair *= ~is_target[:, None, :]
    diff = 1 - (reshape(inp, (n, c, 1)) - reshape(inp, (n, 1, c)))
    per = _sum(clamp_min(diff, 0) * Tensor._wrap(pair), (1, 2)) / c
    if unbatched:
        per = squeeze(per, 0)
    return _reduce(per, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-t x)), stable."""
    reduction = _reduction(reduction, size_average, reduce)
    if not isinstance(target, Tensor):
        target = _as_tensor(target, input)
    xd, td = input._data.dtype, target._data.dtype
    if td == np.bool_:  # PyTorch negates the target first
        raise RuntimeError(BOOL_NEGATION_ERROR)
    if xd.kind in "biu":  # the loss is floating and written into a tensor of the input's dtype
        res = _type_name(td) if td.kind == "f" else "Float"
        raise RuntimeError(f"result type {res} can't be cast to the desired output type {_type_name(input._data)}")
    elif td != xd and not target._requires_grad:  # PyTorch computes in the input's dtype
        target = Tensor._wrap(target._data.astype(xd))
    try:
        shape = np.broadcast_shapes(input._data.shape, target._data.shape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({input._data.shape[-1]}) must match the size of tensor b "
                           f"({target._data.shape[-1]}) at non-singleton dimension {input._data.ndim - 1}") from None
    if shape != input._data.shape:  # PyTorch writes the loss into a tensor of the input's shape
        raise RuntimeError(f"output with shape {list(input._data.shape)} doesn't match the broadcast shape {list(shape)}")
    return _reduce(_softplus(-(target * input)), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-mean_c [t log sigmoid(x) + (1 - t) log sigmoid(-x)] (times weight) per sample."""
    reduction = _reduction(reduction, size_average, reduce)
    if input._data.ndim == 0:  # the class dim is -1
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    if not isinstance(target, Tensor):
        target = _as_tensor(target, input)
    # -log sigmoid(x) = softplus(-x)
    loss = target * _softplus(-input) + (1 - target) * _softplus(input)
    if weight is not None:
        loss = loss * weight
    per = _mean(loss, input._data.ndim - 1)
    return _reduce(per, reduction)


def cosine_embedding_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """1 - cos(x1, x2) where t = 1, max(0, cos(x1, x2) - margin) where t = -1."""
    xp = array_module(input1._data)
    reduction = _reduction(reduction, size_average, reduce)
    a, b = input1._data, input2._data
    if a.shape != b.shape:
        raise RuntimeError(f"cosine_embedding_loss: input1 and input2 must have the same shape, got {list(a.shape)} and {list(b.shape)}")
    t = _data(target)
    tdim = xp.ndim(t)
    if tdim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if a.ndim != tdim + 1:
        raise RuntimeError(f"{tdim}D target tensor expects {tdim + 1}D input tensors, but found inputs with sizes "
                           f"{list(a.shape)} and {list(b.shape)}.")
    if tdim == 1 and xp.shape(t)[0] not in (1, a.shape[0]):
        raise RuntimeError(f"The size of tensor a ({xp.shape(t)[0]}) must match the size of tensor b ({a.shape[0]}) at non-singleton dimension 0")
    dim = a.ndim - 1
    eps = 1e-12
    prod = _sum(input1 * input2, dim)
    mag1 = _sum(input1 * input1, dim) + eps
    mag2 = _sum(input2 * input2, dim) + eps
    cos = prod / sqrt(mag1 * mag2)
    zero = _scalar(0, a)
    pos = where(Tensor._wrap(t == 1), 1 - cos, zero)
    neg = where(Tensor._wrap(t == -1), clamp_min(cos - margin, 0), zero)
    return _reduce(pos + neg, reduction)


def margin_ranking_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """max(0, -t (x1 - x2) + margin)."""
    xp = array_module(input1._data)
    reduction = _reduction(reduction, size_average, reduce)
    shapes = [input1._data.shape, input2._data.shape, xp.shape(_data(target))]
    if len({len(s) for s in shapes}) != 1:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: {_size(shapes[0])}, "
            f"input2: {_size(shapes[1])}, target: {_size(shapes[2])} "
        )
    if not isinstance(target, Tensor):
        target = _as_tensor(target, input1)
    return _reduce(clamp_min(-target * (input1 - input2) + margin, 0), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with the p-norm pairwise distance."""
    reduction = _reduction(reduction, size_average, reduce)
    dims = {anchor._data.ndim, positive._data.ndim, negative._data.ndim}
    if len(dims) != 1:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor "
            f"{anchor._data.ndim}D, positive {positive._data.ndim}D, and negative {negative._data.ndim}D inputs"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp_min(margin + d_pos - d_neg, 0), reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None, margin: float = 1.0, swap: bool = False, reduction: str = "mean"
) -> Tensor:
    """Triplet loss with a custom ``distance_function`` (pairwise_distance by default)."""
    reduction = _reduction(reduction)
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce(clamp_min(margin + d_pos - d_neg, 0), reduction)


def poisson_nll_loss(
    input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean"
) -> Tensor:
    """exp(x) - t x (``log_input``) or x - t log(x + eps); ``full`` adds Stirling's term."""
    reduction = _reduction(reduction, size_average, reduce)
    if not isinstance(target, Tensor):
        target = _as_tensor(target, input)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        td = target._data
        big = Tensor._wrap(td > 1)
        safe = where(big, target, _scalar(1, td))
        stirling = safe * log(safe) - safe + 0.5 * log(2 * math.pi * safe)
        loss = loss + where(big, stirling, _scalar(0, td))
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6, reduction: str = "mean"
) -> Tensor:
    """0.5 (log max(var, eps) + (x - t)^2 / max(var, eps)) (+ 0.5 log 2 pi with ``full``).

    The clamp passes the gradient through unchanged, like PyTorch's in-place no-grad clamp.
    """
    xp = array_module(input._data)
    x = input._data
    if not isinstance(var, Tensor):
        var = Tensor._wrap(xp.full(x.shape, var, dtype=x.dtype)) if xp.ndim(var) == 0 else _as_tensor(var, input)
    v = var._data
    if xp.any(v < 0):  # PyTorch checks the values before the shape
        raise ValueError("var has negative entry/entries")
    if v.shape != x.shape:
        if x.shape[:-1] == v.shape:
            var = unsqueeze(var, -1)
        # same rank, and the dims that differ add up to 1 in var (one broadcast dim of size 1), as PyTorch's rule
        elif v.ndim != x.ndim or sum(vs for xs, vs in zip(x.shape, v.shape) if xs != vs) != 1:
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    clamped = xp.maximum(var._data, var._data.dtype.type(eps))
    var = var + Tensor._wrap(clamped - var._data)  # value clamped, gradient straight through
    if not isinstance(target, Tensor):
        target = _as_tensor(target, input)
    d = input - target
    loss = 0.5 * (log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# -- distances and one_hot ---------------------------------------------------------------------------------------


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim`` (PyTorch's formula: the
    clamp is applied to the value only, the gradient flows through the norm)."""
    xp = array_module(x1._data)
    common = np.result_type(x1._data, x2._data)
    if common.kind != "f":
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {_type_name(common)}")
    a, b = broadcast_tensors(x1, x2)
    n1 = norm(a, 2, dim, keepdim=True)
    n2 = norm(b, 2, dim, keepdim=True)
    n1 = n1 + Tensor._wrap(xp.maximum(n1._data, eps) - n1._data)
    n2 = n2 + Tensor._wrap(xp.maximum(n2._data, eps) - n2._data)
    return _sum((a / n1) * (b / n2), dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    diff = x1 - x2 + eps
    if diff._data.ndim == 0:  # PyTorch takes two scalars as one-element vectors: a 0-d distance, keepdim or not
        return norm(reshape(diff, (1,)), p, -1, False)
    return norm(diff, p, -1, keepdim)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """Distances between every pair of rows of a 2-D input (upper triangle, row-major)."""
    xp = array_module(input._data)
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = xp.triu_indices(x.shape[0], 1)
    diff = getitem(input, Tensor._wrap(i)) - getitem(input, Tensor._wrap(j))
    return norm(diff, p, -1)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices -> int64 one-hot vectors in a new last dim."""
    xp = array_module(tensor._data)
    t = tensor._data
    if t.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes < 0:
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if t.size and t.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = xp.zeros(t.shape + (num_classes,), dtype=np.int64)
    xp.put_along_axis(out, t[..., None].astype(np.intp), 1, axis=-1)
    return Tensor._wrap(out)
