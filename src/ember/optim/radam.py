"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, _check_betas, _check_lr, _ema_sq_, _Hyper, _lerp_, _step_tensor, _to_float, _wrap

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
        foreach: accepted for PyTorch compatibility.
        maximize: ascend the objective.
        capturable: accepted for PyTorch compatibility.
        differentiable: must be False (accepted for PyTorch compatibility).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
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
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _hyper(self, group):
        beta1, beta2 = (_to_float(b) for b in group["betas"])
        return _Hyper(lr=_to_float(group["lr"]), beta1=beta1, beta2=beta2, eps=_to_float(group["eps"]),
                      weight_decay=_to_float(group["weight_decay"]), decoupled=group["decoupled_weight_decay"],
                      maximize=group["maximize"], rho_inf=2.0 / (1.0 - beta2) - 1.0)

    def _init_state(self, p, st, group) -> None:
        st["step"] = _step_tensor()
        st["exp_avg"] = _wrap(np.zeros_like(p._data))
        st["exp_avg_sq"] = _wrap(np.zeros_like(p._data))

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        lr, beta1, beta2, rho_inf = hp.lr, hp.beta1, hp.beta2, hp.rho_inf
        step = float(st["step"]._data)
        m = st["exp_avg"]._data
        v = st["exp_avg_sq"]._data
        tmp = np.empty_like(P)
        _lerp_(m, g, 1.0 - beta1, tmp)
        _ema_sq_(v, g, beta2, tmp)
        bc1 = 1.0 - beta1**step
        bc2 = 1.0 - beta2**step
        rho_t = rho_inf - 2.0 * step * (beta2**step) / bc2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            # θ ← θ − γ r √bc₂ / bc₁ · m / (√v + ε)
            np.sqrt(v, out=tmp)
            np.add(tmp, hp.eps, out=tmp)
            np.divide(m, tmp, out=tmp)
            np.multiply(tmp, lr * rect * math.sqrt(bc2) / bc1, out=tmp)
        else:
            np.multiply(m, lr / bc1, out=tmp)
        np.subtract(P, tmp, out=P)
