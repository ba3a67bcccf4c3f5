"""Embedding lookup: rows of a weight matrix selected by integer indices."""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Op
from .index import index_put_values
from . import index as I, pointwise as P, reduce as R, shape as S
from .linalg import matmul

__all__ = ["embedding", "embedding_bag"]

_wrap = Tensor._wrap


class Embedding(Op):
    """y[..., :] = W[idx[...], :];  dW[k] = sum of dy over the positions where idx == k
    (zero for ``padding_idx``; divided by k's count in the batch with ``scale_grad_by_freq``)."""

    _node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.meta = (weight.shape, weight.dtype, indices, padding_idx, scale_grad_by_freq)
        return weight[indices]

    @staticmethod
    def infer(weight, indices, padding_idx, scale_grad_by_freq):
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        shape, dtype, indices, padding_idx, scale = ctx.meta
        xp = array_module(g, indices)
        flat = indices.reshape(-1)
        weights = None  # per-position factor on the incoming gradient
        if scale:
            counts = xp.bincount(flat, minlength=shape[0])
            weights = 1.0 / counts[flat]
        if padding_idx is not None and padding_idx >= 0:
            keep = (flat != padding_idx).astype(dtype)
            weights = keep if weights is None else weights * keep
        g2 = g.reshape((flat.size,) + tuple(shape[1:]))
        if weights is not None:
            g2 = g2 * weights.astype(dtype).reshape((-1,) + (1,) * (len(shape) - 1))
        if isinstance(g2, Tensor):  # create_graph: a differentiable scatter-add

            return index_put_values(_wrap(xp.zeros(shape, dtype)), (flat,), g2, accumulate=True), None, None, None
        return _scatter_rows(flat, g2, shape, dtype), None, None, None


def _scatter_rows(flat, rows, shape, dtype):
    """out[k] = sum of rows[i] where flat[i] == k. Sorting the indices and summing each run with
    ``add.reduceat`` is about 5x faster than ``add.at``'s element-wise scatter."""
    xp = array_module(flat, rows)
    out = xp.zeros(shape, dtype=dtype)
    if flat.size == 0:
        return out
    order = xp.argsort(flat, kind="stable")
    sorted_idx = flat[order]
    starts = xp.flatnonzero(xp.concatenate((xp.ones(1, bool), sorted_idx[1:] != sorted_idx[:-1])))
    out[sorted_idx[starts]] = xp.add.reduceat(rows[order], starts, axis=0)
    return out


def _check_indices(input, name: str = "embedding"):
    idx = input._data if isinstance(input, Tensor) else array_module(input).asarray(input)
    if idx.dtype.kind not in "iu":
        legacy = input.type() if isinstance(input, Tensor) else str(idx.dtype)
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {legacy} instead (while checking arguments for {name})"
        )
    return idx


def _renorm_(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Rescale, in place and outside autograd, the referenced rows whose p-norm exceeds max_norm."""
    w = weight._data
    xp = array_module(w, idx)
    rows = xp.unique(idx)
    sub = w[rows]
    if norm_type == math.inf:
        norms = xp.abs(sub).max(axis=1)
    else:
        norms = (xp.abs(sub) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] = sub[over] * scale[:, None]
        weight._bump_version()


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` at the integer ``input`` indices: output shape ``input.shape + (embedding_dim,)``.

    ``sparse`` is accepted for compatibility; the gradient is always dense.
    """
    num = weight._data.shape[0]
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    if weight._data.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got {weight._data.ndim}-D")
    idx = _check_indices(input)
    if idx.size and num == 0:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        if weight._data.shape[1] == 0:  # PyTorch takes another kernel for zero-width rows, with this error
            bad = idx[(idx < 0) | (idx >= num)].flat[0]
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(bad)} axis_dim={num}")
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    # the index tensor itself goes through the door (not its array), so a tracer sees where it came from
    return Embedding.apply(weight, input if isinstance(input, Tensor) else idx, padding_idx, scale_grad_by_freq)


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxes of bags of embeddings, without materialising the per-index rows' grad graph.

    ``input`` is 2-D (B, N) (one bag per row) or 1-D with ``offsets`` marking where bags start.
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    idx = _check_indices(input, "embedding_bag")
    xp = array_module(idx, weight._data)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='{mode}'). Please open a feature request on GitHub."
        )
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences.")
        b, n = idx.shape
        starts = xp.arange(0, b * n, n)
        idx = idx.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = S.reshape(per_sample_weights, (-1,))
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = xp.asarray(offsets._data if isinstance(offsets, Tensor) else offsets, dtype=np.int64)
        if include_last_offset:
            starts = starts[:-1]
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    n_rows = weight._data.shape[0]
    bad = xp.flatnonzero((idx < 0) | (idx >= n_rows))
    if bad.size:
        raise RuntimeError(f"Index {int(bad[0])} of input takes value {int(idx[bad[0]])} which is not in the valid range "
                           f"[0, {n_rows})")
    rows = embedding(_wrap(idx), weight, padding_idx, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = P.mul(rows, S.unsqueeze(per_sample_weights, 1))
    keep = xp.ones(idx.shape, dtype=bool) if padding_idx is None else idx != (padding_idx % weight._data.shape[0])
    ends = xp.concatenate((starts[1:], xp.asarray([idx.size]))).astype(np.int64)
    n_bags = starts.size
    if mode != "max":
        # One GEMM: bag b = sum_i M[b, i] rows[i], with M holding 1 (sum) or 1/len (mean).
        bag_of = xp.repeat(xp.arange(n_bags), ends - starts)
        m = xp.zeros((n_bags, idx.size), dtype=weight._data.dtype)
        m[bag_of, xp.arange(idx.size)] = keep
        if mode == "mean":
            counts = m.sum(axis=1, keepdims=True)
            xp.divide(m, counts, out=m, where=counts > 0)

        return matmul(_wrap(m), rows)
    bags = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        sel = xp.arange(s, e)[keep[s:e]]
        if sel.size == 0:
            bags.append(_wrap(xp.zeros(weight._data.shape[1:], weight._data.dtype)))
        else:
            bags.append(R.amax(I.getitem(rows, _wrap(sel)), 0))
    if not bags:
        return _wrap(xp.zeros((0,) + weight._data.shape[1:], weight._data.dtype))
    return S.stack(bags, 0)
