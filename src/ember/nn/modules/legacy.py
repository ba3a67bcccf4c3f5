"""Layers PyTorch keeps for old code: ``NLLLoss2d`` (a deprecated alias) and ``CrossMapLRN2d`` (Lua Torch's LRN)."""

from __future__ import annotations

import warnings

import numpy as np

from ... import _creation as C
from ..._dtype import int64
from ..._ops.shape import cat
from ..._tensor import Tensor
from .loss import NLLLoss
from .normalization import _ResponseNormBase

__all__ = ["CrossMapLRN2d", "NLLLoss2d"]


class NLLLoss2d(NLLLoss):
    """Deprecated alias of `NLLLoss` (which takes inputs of any number of dims); warns with ``FutureWarning``."""

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:
        warnings.warn(
            "`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and see "
            "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


def _window_bounds(channels: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per channel ``c``, the range ``[lo, hi]`` of the channels whose squares torch's running sum holds,
    besides channel 0, which its update never subtracts (so it stays in every window)."""
    pre_pad = int((size - 1) / 2 + 1)
    c = np.arange(channels)
    lo = np.maximum(1, c - pre_pad + 1)
    hi = np.minimum(c + pre_pad - 1, channels - 1)
    return lo, hi


class CrossMapLRN2d(_ResponseNormBase):
    r"""Local response normalization across channels of a 4-D input, as Lua Torch's ``SpatialCrossMapLRN``:

    .. math:: y_c = x_c \left(k + \frac{\alpha}{n} \sum_{c' \in W(c)} x_{c'}^2\right)^{-\beta}

    with the channel window :math:`W(c)` of torch's running sum (``size`` channels centred on ``c``,
    clipped at the edges; torch's update never drops channel 0 from it, and neither does ember).

    Args:
        size: the window size :math:`n`.
        alpha: :math:`\alpha` (default 1e-4).
        beta: :math:`\beta` (default 0.75).
        k: :math:`k` (default 1).

    The forward values are torch's. The gradient differs from torch's: ember differentiates this
    forward exactly (it passes gradcheck), while torch's hand-written backward sums over a symmetric
    window without the channel-0 term and so is not the derivative of its own forward (torch's
    gradcheck of ``CrossMapLRN2d`` fails).
    """

    # torch's default k here is the int 1 (LocalResponseNorm's is 1.0), which shows in the repr
    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__(size, alpha, beta, k)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        channels = input.shape[1]
        sq = input * input
        # window sums from a cumulative sum with a leading zero: sum(lo..hi) = cs[hi + 1] − cs[lo]
        cs = sq.cumsum(1)
        cs = cat([C.zeros((cs.shape[0], 1) + tuple(cs.shape[2:]), dtype=cs.dtype), cs], 1)
        lo, hi = _window_bounds(channels, self.size)
        window = cs.index_select(1, C.tensor(hi + 1, dtype=int64)) - cs.index_select(1, C.tensor(lo, dtype=int64))
        total = window + sq[:, :1]
        scale = total * (self.alpha / self.size) + self.k
        return input * scale.pow(-self.beta)
