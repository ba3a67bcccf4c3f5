"""``AdaptiveLogSoftmaxWithLoss``: Grave et al.'s adaptive softmax, with PyTorch's structure and state_dict keys.

Frequent classes (the shortlist, ids < cutoffs[0]) sit in the head next to one entry per tail cluster;
a rare class c in cluster i scores log p(cluster i | x) + log p(c | cluster i, x), the tail
cluster being a low-rank Sequential(Linear(in, in // div^(i+1)), Linear(.., cluster size)).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Sequence

import numpy as np

from ..._tensor import Tensor
from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax approximation for large output spaces (Grave et al., 2016).

    Args: in_features, n_classes, cutoffs (increasing, in [1, n_classes - 1]), div_value=4.0, head_bias=False.
    ``forward(input, target)`` returns ``(output, loss)``: the target log-probabilities (N,) and their negated mean.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int], div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing order, "
                             "where each value is between 1 and n_classes-1")
        kw = dict(device=device, dtype=dtype)
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, **kw), Linear(hsz, osz, bias=False, **kw)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        import ember

        targ_dim = target_.dim()
        if targ_dim == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size {input_.size()}")
        elif targ_dim == 0:
            if input_.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size {input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = targ_dim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)
        t = np.asarray(target.numpy()).astype(np.int64)
        batch = t.shape[0]
        gather_inds = t.copy()
        rows_done, pieces, piece_rows = 0, [], []
        bounds = [0] + self.cutoffs
        for i in range(len(bounds) - 1):
            rows = np.nonzero((t >= bounds[i]) & (t < bounds[i + 1]))[0]
            if rows.size == 0:
                continue
            rows_done += rows.size
            if i == 0:
                continue  # the head alone scores shortlist targets
            gather_inds[rows] = self.shortlist_size + i - 1
            index = ember.tensor(rows)
            cluster_logprob = F.log_softmax(self.tail[i - 1](input.index_select(0, index)), dim=1)
            relative = ember.tensor((t[rows] - bounds[i])[:, None])
            pieces.append(cluster_logprob.gather(1, relative).squeeze(1))
            piece_rows.append(rows)
        if rows_done != batch:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{t.min()}, {t.max()}] were found. ")
        head_logprob = F.log_softmax(self.head(input), dim=1)
        output = head_logprob.gather(1, ember.tensor(gather_inds[:, None])).squeeze(1)
        if pieces:
            # tail terms, in target order (rows of the shortlist get 0)
            rows = np.concatenate(piece_rows)
            tail = ember.cat(pieces + [ember.zeros(batch - rows.size, dtype=output.dtype)])
            order = np.argsort(np.concatenate([rows, np.setdiff1d(np.arange(batch), rows)]), kind="stable")
            output = output + tail.index_select(0, ember.tensor(order))
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        import ember

        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, : self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster_logprob + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return ember.cat(parts, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of every class: (N, in_features) -> (N, n_classes)."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of every row: the head's argmax when it is a shortlist class, else the full argmax."""
        import ember

        x = input
        head_output = self.head(x)
        output = ember.argmax(head_output, dim=1)
        rare = output.numpy() >= self.shortlist_size
        if rare.any():
            pick = np.nonzero(rare)[0]
            index = ember.tensor(pick)
            full = self._get_full_log_prob(x.index_select(0, index), head_output.index_select(0, index))
            values = output.numpy().copy()
            values[pick] = ember.argmax(full, dim=1).numpy()
            output = ember.tensor(values)
        return output
