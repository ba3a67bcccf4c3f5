"""SparseAdam: not supported in ember (there are no sparse gradients); use Adam or AdamW."""

from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""Placeholder for PyTorch's ``torch.optim.SparseAdam``; constructing it raises ``NotImplementedError``.

    PyTorch's SparseAdam updates only the rows present in a *sparse* gradient (lazy Adam):

    .. math::
        m_i \leftarrow \beta_1 m_i + (1-\beta_1) g_i,\;
        v_i \leftarrow \beta_2 v_i + (1-\beta_2) g_i^2 \quad \text{for rows } i \text{ with } g_i \ne 0 \text{ stored}

    and it rejects dense gradients. ember has no sparse tensors (``nn.Embedding(sparse=True)``
    gives dense gradients), so the algorithm has nothing to act on. ``ember.optim.Adam`` or
    ``AdamW`` train the same models, updating every row each step.
    """

    def __init__(self, params=None, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, maximize: bool = False):
        raise NotImplementedError(
            "SparseAdam is not supported by ember: it only works with sparse gradients, and ember has no "
            "sparse tensors (embeddings produce dense gradients). Use ember.optim.Adam or ember.optim.AdamW "
            "instead; they update all entries every step."
        )

    def step(self, closure=None):  # pragma: no cover - the constructor always raises
        raise NotImplementedError("SparseAdam is not supported by ember; use Adam or AdamW")
