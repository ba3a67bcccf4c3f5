"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from .._backend import array_module, errstate
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _add_scaled_, _ema_sq_, _to_float, _zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's ``torch.optim.RMSprop`` (``centered``, ``momentum``).

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\;
        \bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t \text{ (centered)},\;
        \sigma_t = \sqrt{v_t - \bar g_t^2} + \epsilon \text{ (or } \sqrt{v_t} + \epsilon),\\
        b_t = \mu b_{t-1} + g_t/\sigma_t,\;
        \theta_t = \theta_{t-1} - \gamma b_t \quad(\text{or } \theta_{t-1} - \gamma g_t/\sigma_t \text{ when } \mu = 0)

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate :math:`\gamma` (default 1e-2).
        alpha: smoothing constant :math:`\alpha` (default 0.99).
        eps: :math:`\epsilon` (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor :math:`\mu` (default 0).
        centered: normalise by the estimated variance instead of the raw second moment (default False).
        maximize: ascend the objective instead of descending it.
        capturable, foreach, differentiable: PyTorch's implementation switches (see `Optimizer`).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        check_hyperparameters(lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    _state_zeros = ("square_avg",)

    def _init_state(self, p, st, group) -> None:
        super()._init_state(p, st, group)
        if _to_float(group["momentum"]) > 0:
            st["momentum_buffer"] = _zeros_like(p._data)
        if group["centered"]:
            st["grad_avg"] = _zeros_like(p._data)

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        alpha = hp.alpha
        sq = st["square_avg"]._data
        avg = xp.empty_like(P)
        _ema_sq_(sq, g, alpha, avg)
        if hp.centered:
            ga = st["grad_avg"]._data
            # ḡ ← ḡ + (1 − α)(g − ḡ): torch's lerp formula, since v − ḡ² below cancels digits
            xp.subtract(g, ga, out=avg)
            _add_scaled_(ga, avg, 1.0 - alpha, out=avg)
            # σ = √(v − ḡ²): rounding can make the radicand slightly negative, as in torch (NaN, no warning)
            xp.multiply(ga, ga, out=avg)
            xp.subtract(sq, avg, out=avg)
            with errstate(xp, invalid="ignore"):
                xp.sqrt(avg, out=avg)
        else:
            xp.sqrt(sq, out=avg)
        xp.add(avg, hp.eps, out=avg)
        xp.divide(g, avg, out=avg)
        if hp.momentum > 0:
            buf = st["momentum_buffer"]._data
            xp.multiply(buf, hp.momentum, out=buf)
            xp.add(buf, avg, out=buf)
            _add_scaled_(P, buf, -hp.lr, out=avg)
        else:
            _add_scaled_(P, avg, -hp.lr, out=avg)
