"""``SyncBatchNorm``: batch normalization whose statistics cover every process's batch.

With ``DistributedDataParallel`` each process sees a slice of the global batch; ``SyncBatchNorm``
normalizes with the mean and variance of the whole global batch (gathered across ranks in
forward) and all-reduces the two sums its input gradient needs in backward, so the model computes
what ``BatchNorm`` would on the global batch in one process.
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...autograd.function import Op
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


def _axes(x: np.ndarray) -> tuple:
    return (0,) + tuple(range(2, x.ndim))


def _global_stats(x: np.ndarray, pg) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean and biased variance per channel over all ranks' inputs, and the global count.

    Each rank contributes (count, mean, M2) and they are combined with Chan's parallel formula,
    which stays accurate where sum-of-squares minus squared-sum would cancel.
    """
    from ... import distributed as dist

    axes = _axes(x)
    count = x.size // x.shape[1] if x.shape[1] else 0
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes) if count else np.zeros(x.shape[1])
    m2 = ((x64 - mean.reshape((1, -1) + (1,) * (x.ndim - 2))) ** 2).sum(axis=axes)
    mine = np.concatenate([[float(count)], mean, m2])
    everyone = np.empty((pg.size(), mine.size))
    dist.all_gather_into_tensor(Tensor._wrap(everyone), Tensor._wrap(mine), group=pg)
    counts, means, m2s = everyone[:, :1], everyone[:, 1:1 + x.shape[1]], everyone[:, 1 + x.shape[1]:]
    total = counts.sum()
    if total == 0:
        raise ValueError("SyncBatchNorm: the global batch is empty")
    g_mean = (counts * means).sum(axis=0) / total
    g_m2 = (m2s + counts * (means - g_mean) ** 2).sum(axis=0)
    return g_mean, g_m2 / total, int(total)


class _SyncBatchNormOp(Op):
    """y = xhat * w + b, xhat = (x - mean) * invstd, with mean and invstd over the global batch of M samples;
    dx = w * invstd * (dy - sum(dy) / M - xhat * sum(dy * xhat) / M), the two sums all-reduced over the ranks;
    dw = sum(dy * xhat), db = sum(dy) over this rank's batch (DistributedDataParallel averages them)."""

    @staticmethod
    def forward(ctx, x, weight, bias, mean, invstd, total, pg):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        xhat = (x - mean.astype(x.dtype).reshape(shape)) * invstd.astype(x.dtype).reshape(shape)
        ctx.xhat, ctx.invstd, ctx.total, ctx.pg, ctx.weight = xhat, invstd.astype(x.dtype), total, pg, weight
        y = xhat
        if weight is not None:
            y = y * weight.reshape(shape)
        if bias is not None:
            y = y + bias.reshape(shape)
        return y

    @staticmethod
    def backward(ctx, g):
        from ... import distributed as dist

        xhat, weight = ctx.xhat, ctx.weight
        axes = _axes(g)
        shape = (1, -1) + (1,) * (g.ndim - 2)
        sum_dy = g.sum(axis=axes)
        sum_dy_xhat = (g * xhat).sum(axis=axes)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = None
        if need_x:
            sums = np.concatenate([sum_dy, sum_dy_xhat])
            dist.all_reduce(Tensor._wrap(sums), group=ctx.pg)
            c = g.shape[1]
            mean_dy = (sums[:c] / ctx.total).astype(g.dtype).reshape(shape)
            mean_dy_xhat = (sums[c:] / ctx.total).astype(g.dtype).reshape(shape)
            scale = ctx.invstd if weight is None else ctx.invstd * weight
            gx = (g - mean_dy - xhat * mean_dy_xhat) * scale.reshape(shape)
        return gx, (sum_dy_xhat if need_w else None), (sum_dy if need_b else None), None, None, None, None


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over the global batch of all processes in ``process_group`` (default: all).

    In training mode with an initialised process group of more than one process, the batch
    statistics are those of every rank's batch together; otherwise it is ``BatchNorm``. Input
    ``(N, C, *)``. Use `convert_sync_batchnorm` to convert a model's ``BatchNorm*d`` layers.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:
        from ... import distributed as dist
        from ...distributed import process_group as _pg

        self._check_input_dim(input)
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        pg = None
        if self.training and dist.is_initialized():
            pg = _pg._resolve(self.process_group)
        if pg is None or pg.size() == 1:
            return super().forward(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._bump_version()
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        x = input._data
        mean, var, total = _global_stats(x, pg)
        if self.track_running_stats:
            unbiased = var * (total / (total - 1)) if total > 1 else np.full_like(var, np.nan)
            for buf, stat in ((self.running_mean, mean), (self.running_var, unbiased)):
                buf._data[...] = (1 - factor) * buf._data + factor * stat.astype(buf._data.dtype)
                buf._bump_version()
        invstd = 1.0 / np.sqrt(var + self.eps)
        return _SyncBatchNormOp.apply(input, self.weight, self.bias, mean, invstd, total, pg)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every ``BatchNorm*d`` in ``module`` by a ``SyncBatchNorm`` sharing its parameters and
        buffers; returns the module (a new one if ``module`` itself is a batch norm layer)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                      process_group, bias=module.bias is not None if module.affine else True)
            if module.affine:
                out.weight = module.weight
                if module.bias is not None:
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out

