"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""

from __future__ import annotations

import math

from .._backend import array_module
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _adam_moments

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, PyTorch's ``torch.optim.RAdam`` (optionally with decoupled weight decay).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\;
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\;
        \rho_\infty = \tfrac{2}{1-\beta_2} - 1,\;
        \rho_t = \rho_\infty - \tfrac{2t\beta_2^t}{1-\beta_2^t},\\
        \theta_t = \theta_{t-1} - \gamma\frac{m_t}{1-\beta_1^t}\cdot
        \begin{cases} r_t\,\frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon} & \rho_t > 5\\ 1 & \text{otherwise}\end{cases},\quad
        r_t = \sqrt{\tfrac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate :math:`\gamma` (default 1e-3).
        betas: :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
        eps: :math:`\epsilon` (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        decoupled_weight_decay: decay the weights directly, :math:`\theta \leftarrow \theta(1-\gamma\lambda)`.
        maximize: ascend the objective instead of descending it.
        foreach, capturable, differentiable: PyTorch's implementation switches (see `Optimizer`).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False) -> None:
        check_hyperparameters(lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    _state_zeros = ("exp_avg", "exp_avg_sq")

    def _hyper(self, group):
        hp = super()._hyper(group)
        hp.rho_inf = 2.0 / (1.0 - hp.betas[1]) - 1.0
        return hp

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        lr, (beta1, beta2), rho_inf = hp.lr, hp.betas, hp.rho_inf
        step = float(st["step"]._data)
        tmp = xp.empty_like(P)
        m, v = _adam_moments(st, g, beta1, beta2, tmp)
        bc1 = 1.0 - beta1**step
        bc2 = 1.0 - beta2**step
        rho_t = rho_inf - 2.0 * step * (beta2**step) / bc2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            # θ ← θ − γ r √bc₂ / bc₁ · m / (√v + ε)
            xp.sqrt(v, out=tmp)
            xp.add(tmp, hp.eps, out=tmp)
            xp.divide(m, tmp, out=tmp)
            xp.multiply(tmp, lr * rect * math.sqrt(bc2) / bc1, out=tmp)
        else:
            xp.multiply(m, lr / bc1, out=tmp)
        xp.subtract(P, tmp, out=P)
