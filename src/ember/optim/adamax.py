"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from .._backend import array_module
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _add_scaled_, _lerp_

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, PyTorch's ``torch.optim.Adamax``.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\;
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\;
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\frac{m_t}{u_t}

    with :math:`g_t = \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1}`.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate :math:`\gamma` (default 2e-3).
        betas: :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
        eps: :math:`\epsilon` (default 1e-8).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        maximize: ascend the objective instead of descending it.
        foreach, differentiable, capturable: PyTorch's implementation switches (see `Optimizer`).
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_hyperparameters(lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    _state_zeros = ("exp_avg", "exp_inf")

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        beta1, beta2 = hp.betas
        step = float(st["step"]._data)
        m = st["exp_avg"]._data
        u = st["exp_inf"]._data
        tmp = xp.empty_like(P)
        _lerp_(m, g, 1.0 - beta1, tmp)
        # u ← max(β₂ u, |g| + ε)
        xp.multiply(u, beta2, out=u)
        xp.abs(g, out=tmp)
        xp.add(tmp, hp.eps, out=tmp)
        xp.maximum(u, tmp, out=u)
        clr = hp.lr / (1.0 - beta1**step)
        xp.divide(m, u, out=tmp)
        _add_scaled_(P, tmp, -clr, out=tmp)
