"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_lr, _ema_sq_, _Hyper, _step_tensor, _to_float, _wrap

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
        foreach: accepted for PyTorch compatibility.
        capturable: accepted for PyTorch compatibility.
        maximize: ascend the objective.
        differentiable: must be False (accepted for PyTorch compatibility).
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _hyper(self, group):
        return _Hyper(lr=_to_float(group["lr"]), rho=_to_float(group["rho"]), eps=_to_float(group["eps"]),
                      weight_decay=_to_float(group["weight_decay"]), maximize=group["maximize"])

    def _init_state(self, p, st, group) -> None:
        st["step"] = _step_tensor()
        st["square_avg"] = _wrap(np.zeros_like(p._data))
        st["acc_delta"] = _wrap(np.zeros_like(p._data))

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        rho, eps = hp.rho, hp.eps
        sq = st["square_avg"]._data
        acc = st["acc_delta"]._data
        std = np.empty_like(P)
        _ema_sq_(sq, g, rho, std)
        np.add(sq, eps, out=std)
        np.sqrt(std, out=std)
        delta = np.add(acc, eps, out=np.empty_like(acc))
        np.sqrt(delta, out=delta)
        np.divide(delta, std, out=delta)
        np.multiply(delta, g, out=delta)
        _ema_sq_(acc, delta, rho, std)
        np.multiply(delta, -hp.lr, out=delta)
        np.add(P, delta, out=P)
