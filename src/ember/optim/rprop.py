"""Rprop: resilient backpropagation, sign-based steps with adaptive per-coordinate sizes."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_lr, _Hyper, _step_tensor, _to_float, _wrap

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop, PyTorch's ``torch.optim.Rprop``.

    .. math::
        \eta_t = \operatorname{clip}\Big(\eta_{t-1}\cdot
            \begin{cases}\eta_+ & g_t g_{t-1} > 0\\ \eta_- & g_t g_{t-1} < 0\\ 1 & \text{else}\end{cases},
            \Gamma_{\min}, \Gamma_{\max}\Big),\;
        g_t \leftarrow 0 \text{ where } g_t g_{t-1} < 0,\;
        \theta_t = \theta_{t-1} - \eta_t \operatorname{sign}(g_t)

    Args:
        params: tensors or parameter groups to optimize.
        lr: initial step size :math:`\eta_0` (default 1e-2).
        etas: :math:`(\eta_-, \eta_+)`, the shrink and growth factors (default (0.5, 1.2)).
        step_sizes: :math:`(\Gamma_{\min}, \Gamma_{\max})`, the bounds of the step sizes (default (1e-6, 50)).
        capturable: accepted for PyTorch compatibility.
        foreach: accepted for PyTorch compatibility.
        maximize: ascend the objective.
        differentiable: must be False (accepted for PyTorch compatibility).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _hyper(self, group):
        etaminus, etaplus = (_to_float(e) for e in group["etas"])
        step_size_min, step_size_max = (_to_float(s) for s in group["step_sizes"])
        return _Hyper(etaminus=etaminus, etaplus=etaplus, step_size_min=step_size_min, step_size_max=step_size_max,
                      weight_decay=0.0, maximize=group["maximize"])

    def _init_state(self, p, st, group) -> None:
        st["step"] = _step_tensor()
        st["prev"] = _wrap(np.zeros_like(p._data))
        st["step_size"] = _wrap(np.full_like(p.grad._data, _to_float(group["lr"])))

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        if not owned:
            g = np.array(g, copy=True)  # zeroed below where the sign flipped
        prev = st["prev"]._data
        step_size = st["step_size"]._data
        prod = np.multiply(g, prev, out=np.empty_like(P))
        pos = prod > 0
        neg = prod < 0
        # η ← clip(η · {η₊, η₋, 1}, Γmin, Γmax)
        factor = prod
        factor.fill(1)
        np.copyto(factor, hp.etaplus, where=pos)
        np.copyto(factor, hp.etaminus, where=neg)
        np.multiply(step_size, factor, out=step_size)
        np.clip(step_size, hp.step_size_min, hp.step_size_max, out=step_size)
        # where the sign flipped, take no step and forget the gradient
        np.copyto(g, 0, where=neg)
        np.sign(g, out=factor)
        np.multiply(factor, step_size, out=factor)
        np.subtract(P, factor, out=P)
        np.copyto(prev, g)
