"""Adam: adaptive moment estimation (with optional AMSGrad and decoupled weight decay)."""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check_betas, _check_lr, _ema_sq_, _Hyper, _lerp_, _step_tensor, _to_float, _wrap

__all__ = ["Adam"]


def _adam_update_(
    p: np.ndarray, m: np.ndarray, v: np.ndarray, step_size: float, bc2_sqrt: float, eps: float, tmp: np.ndarray
) -> None:
    r"""``θ ← θ − s · m / (√v / √(1−β₂ᵗ) + ε)`` with ``s = γ / (1−β₁ᵗ)``, in four passes plus one sqrt.

    The step size is folded into the denominator, ``m / ((√v / (√bc₂·s)) + ε/s)``, which saves a pass.
    """
    if step_size > 1e-30:
        np.sqrt(v, out=tmp)
        np.multiply(tmp, 1.0 / (bc2_sqrt * step_size), out=tmp)
        np.add(tmp, eps / step_size, out=tmp)
        np.divide(m, tmp, out=tmp)
        np.subtract(p, tmp, out=p)
    elif step_size != 0.0:
        np.sqrt(v, out=tmp)
        np.divide(tmp, bc2_sqrt, out=tmp)
        np.add(tmp, eps, out=tmp)
        np.divide(m, tmp, out=tmp)
        np.multiply(tmp, -step_size, out=tmp)
        np.add(p, tmp, out=p)


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
        foreach: accepted for PyTorch compatibility (ember has one implementation).
        capturable: accepted for PyTorch compatibility.
        differentiable: must be False (ember does not differentiate through the step).
        fused: accepted for PyTorch compatibility.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor) and betas[i].numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _hyper(self, group):
        beta1, beta2 = (_to_float(b) for b in group["betas"])
        return _Hyper(lr=_to_float(group["lr"]), beta1=beta1, beta2=beta2, eps=_to_float(group["eps"]),
                      weight_decay=_to_float(group["weight_decay"]), amsgrad=group["amsgrad"],
                      maximize=group["maximize"], decoupled=group["decoupled_weight_decay"])

    def _init_state(self, p, st, group) -> None:
        P = p._data
        st["step"] = _step_tensor()
        st["exp_avg"] = _wrap(np.zeros_like(P))
        st["exp_avg_sq"] = _wrap(np.zeros_like(P))
        if group["amsgrad"]:
            st["max_exp_avg_sq"] = _wrap(np.zeros_like(P))

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        step = float(st["step"]._data)
        m = st["exp_avg"]._data
        v = st["exp_avg_sq"]._data
        tmp = np.empty_like(P)
        _lerp_(m, g, 1.0 - hp.beta1, tmp)
        _ema_sq_(v, g, hp.beta2, tmp)
        if hp.amsgrad:
            vmax = st["max_exp_avg_sq"]._data
            np.maximum(vmax, v, out=vmax)
            v = vmax
        bc1 = 1.0 - hp.beta1**step
        bc2 = 1.0 - hp.beta2**step
        _adam_update_(P, m, v, hp.lr / bc1, math.sqrt(bc2), hp.eps, tmp)
