"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_betas, _check_lr, _Hyper, _lerp_, _step_tensor, _to_float, _wrap

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
        foreach: accepted for PyTorch compatibility.
        maximize: ascend the objective.
        differentiable: must be False (accepted for PyTorch compatibility).
        capturable: accepted for PyTorch compatibility.
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _hyper(self, group):
        beta1, beta2 = (_to_float(b) for b in group["betas"])
        return _Hyper(lr=_to_float(group["lr"]), beta1=beta1, beta2=beta2, eps=_to_float(group["eps"]),
                      weight_decay=_to_float(group["weight_decay"]), maximize=group["maximize"])

    def _init_state(self, p, st, group) -> None:
        st["step"] = _step_tensor()
        st["exp_avg"] = _wrap(np.zeros_like(p._data))
        st["exp_inf"] = _wrap(np.zeros_like(p._data))

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        step = float(st["step"]._data)
        m = st["exp_avg"]._data
        u = st["exp_inf"]._data
        tmp = np.empty_like(P)
        _lerp_(m, g, 1.0 - hp.beta1, tmp)
        # u ← max(β₂ u, |g| + ε)
        np.multiply(u, hp.beta2, out=u)
        np.abs(g, out=tmp)
        np.add(tmp, hp.eps, out=tmp)
        np.maximum(u, tmp, out=u)
        clr = hp.lr / (1.0 - hp.beta1**step)
        np.divide(m, u, out=tmp)
        np.multiply(tmp, -clr, out=tmp)
        np.add(P, tmp, out=P)
