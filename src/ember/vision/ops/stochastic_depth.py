"""Stochastic depth (Huang et al., 2016): drop whole residual branches at random while training."""

from __future__ import annotations

import ember
from ember import nn


def stochastic_depth(input, p: float, mode: str, training: bool = True):
    """Zero ``input`` per sample (``mode="row"``) or all at once (``"batch"``) with probability ``p``; scale the rest by 1/(1-p).

    The identity when not ``training`` or ``p == 0``.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.dim() - 1) if mode == "row" else [1] * input.dim()
    noise = ember.bernoulli(ember.full(size, survival_rate, dtype=input.dtype))
    if survival_rate > 0.0:
        noise = noise / survival_rate
    return input * noise


class StochasticDepth(nn.Module):
    """``stochastic_depth`` as a module (``mode``: ``"row"`` or ``"batch"``)."""

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"
