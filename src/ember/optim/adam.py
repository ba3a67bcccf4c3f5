"""Adam: adaptive moment estimation (with optional AMSGrad and decoupled weight decay)."""

from __future__ import annotations

import math

from .._backend import array_module
from .._tensor import Tensor
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _add_scaled_, _adam_moments, _zeros_like

__all__ = ["Adam"]


def _adam_update_(p, m, v, step_size: float, bc2_sqrt: float, eps: float, tmp) -> None:
    r"""``θ ← θ − s · m / (√v / √(1−β₂ᵗ) + ε)`` with ``s = γ / (1−β₁ᵗ)``, in four passes plus one sqrt.

    The step size is folded into the denominator, ``m / ((√v / (√bc₂·s)) + ε/s)``, which saves a pass.
    """
    xp = array_module(p, m, v)
    if step_size > 1e-30:
        xp.sqrt(v, out=tmp)
        xp.multiply(tmp, 1.0 / (bc2_sqrt * step_size), out=tmp)
        xp.add(tmp, eps / step_size, out=tmp)
        xp.divide(m, tmp, out=tmp)
        xp.subtract(p, tmp, out=p)
    elif step_size != 0.0:
        xp.sqrt(v, out=tmp)
        xp.divide(tmp, bc2_sqrt, out=tmp)
        xp.add(tmp, eps, out=tmp)
        xp.divide(m, tmp, out=tmp)
        _add_scaled_(p, tmp, -step_size, out=tmp)


class Adam(Optimizer):
    r"""Adam, PyTorch's ``torch.optim.Adam`` (``amsgrad``, ``maximize``, ``decoupled_weight_decay``).

    .. math::
        g_t = \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1},\;
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\;
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\;
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    with :math:`\hat v_t = \max(\hat v_{t-1}, v_t)` under AMSGrad (else :math:`v_t`); with
    ``decoupled_weight_decay`` the decay is :math:`\theta \leftarrow \theta(1-\gamma\lambda)` instead (AdamW).

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate :math:`\gamma` (default 1e-3).
        betas: :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
        eps: :math:`\epsilon` added to the denominator (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        amsgrad: use the running maximum of :math:`v_t` (default False).
        maximize: ascend the objective.
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        foreach, capturable, differentiable, fused: PyTorch's implementation switches (see `Optimizer`).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        check_hyperparameters(lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if foreach and not capturable:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    _state_zeros = ("exp_avg", "exp_avg_sq")

    def _init_state(self, p, st, group) -> None:
        super()._init_state(p, st, group)
        if group["amsgrad"]:
            st["max_exp_avg_sq"] = _zeros_like(p._data)

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        beta1, beta2 = hp.betas
        step = float(st["step"]._data)
        tmp = xp.empty_like(P)
        m, v = _adam_moments(st, g, beta1, beta2, tmp)
        if hp.amsgrad:
            vmax = st["max_exp_avg_sq"]._data
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        bc1 = 1.0 - beta1**step
        bc2 = 1.0 - beta2**step
        _adam_update_(P, m, v, hp.lr / bc1, math.sqrt(bc2), hp.eps, tmp)
