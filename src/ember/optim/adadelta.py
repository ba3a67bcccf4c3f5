"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from .._backend import array_module
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _add_scaled_, _ema_sq_

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's ``torch.optim.Adadelta``.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2,\;
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t,\;
        u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\;
        \theta_t = \theta_{t-1} - \gamma\Delta_t

    Args:
        params: tensors or parameter groups to optimize.
        lr: scale :math:`\gamma` of the update (default 1.0).
        rho: averaging coefficient :math:`\rho` (default 0.9).
        eps: :math:`\epsilon` (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective instead of descending it.
        foreach, capturable, differentiable: PyTorch's implementation switches (see `Optimizer`).
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach: bool | None = None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_hyperparameters(lr, rho=rho, eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    _state_zeros = ("square_avg", "acc_delta")

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        rho, eps = hp.rho, hp.eps
        sq = st["square_avg"]._data
        acc = st["acc_delta"]._data
        std = xp.empty_like(P)
        _ema_sq_(sq, g, rho, std)
        xp.add(sq, eps, out=std)
        xp.sqrt(std, out=std)
        delta = xp.add(acc, eps, out=xp.empty_like(acc))
        xp.sqrt(delta, out=delta)
        xp.divide(delta, std, out=delta)
        xp.multiply(delta, g, out=delta)
        _ema_sq_(acc, delta, rho, std)
        _add_scaled_(P, delta, -hp.lr, out=delta)
