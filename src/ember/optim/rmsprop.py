"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_lr, _ema_sq_, _Hyper, _step_tensor, _to_float, _wrap

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
        capturable: accepted for PyTorch compatibility.
        foreach: accepted for PyTorch compatibility.
        maximize: ascend the objective.
        differentiable: must be False (accepted for PyTorch compatibility).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _hyper(self, group):
        return _Hyper(lr=_to_float(group["lr"]), alpha=_to_float(group["alpha"]), eps=_to_float(group["eps"]),
                      weight_decay=_to_float(group["weight_decay"]), momentum=_to_float(group["momentum"]),
                      centered=group["centered"], maximize=group["maximize"])

    def _init_state(self, p, st, group) -> None:
        P = p._data
        st["step"] = _step_tensor()
        st["square_avg"] = _wrap(np.zeros_like(P))
        if _to_float(group["momentum"]) > 0:
            st["momentum_buffer"] = _wrap(np.zeros_like(P))
        if group["centered"]:
            st["grad_avg"] = _wrap(np.zeros_like(P))

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        alpha = hp.alpha
        sq = st["square_avg"]._data
        avg = np.empty_like(P)
        _ema_sq_(sq, g, alpha, avg)
        if hp.centered:
            ga = st["grad_avg"]._data
            # ḡ ← ḡ + (1 − α)(g − ḡ): torch's lerp formula, since v − ḡ² below cancels digits
            np.subtract(g, ga, out=avg)
            np.multiply(avg, 1.0 - alpha, out=avg)
            np.add(ga, avg, out=ga)
            # σ = √(v − ḡ²): rounding can make the radicand slightly negative, as in torch (NaN, no warning)
            np.multiply(ga, ga, out=avg)
            np.subtract(sq, avg, out=avg)
            with np.errstate(invalid="ignore"):
                np.sqrt(avg, out=avg)
        else:
            np.sqrt(sq, out=avg)
        np.add(avg, hp.eps, out=avg)
        if hp.momentum > 0:
            buf = st["momentum_buffer"]._data
            np.multiply(buf, hp.momentum, out=buf)
            np.divide(g, avg, out=avg)
            np.add(buf, avg, out=buf)
            np.multiply(buf, -hp.lr, out=avg)
        else:
            np.divide(g, avg, out=avg)
            np.multiply(avg, -hp.lr, out=avg)
        np.add(P, avg, out=P)
