"""Rprop: resilient backpropagation, sign-based steps with adaptive per-coordinate sizes."""

from __future__ import annotations

from .._backend import array_module
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _to_float, _wrap

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
        maximize: ascend the objective instead of descending it.
        capturable, foreach, differentiable: PyTorch's implementation switches (see `Optimizer`).
    """

    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        check_hyperparameters(lr, etas=etas)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    _state_zeros = ("prev",)

    def _init_state(self, p, st, group) -> None:
        super()._init_state(p, st, group)
        G = p.grad._data
        st["step_size"] = _wrap(array_module(G).full_like(G, _to_float(group["lr"])))

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        etaminus, etaplus = hp.etas
        step_size_min, step_size_max = hp.step_sizes
        if not owned:
            g = xp.array(g, copy=True)  # zeroed below where the sign flipped
        prev = st["prev"]._data
        step_size = st["step_size"]._data
        prod = xp.multiply(g, prev, out=xp.empty_like(P))
        pos = prod > 0
        neg = prod < 0
        # η ← clip(η · {η₊, η₋, 1}, Γmin, Γmax)
        factor = prod
        factor.fill(1)
        xp.copyto(factor, etaplus, where=pos)
        xp.copyto(factor, etaminus, where=neg)
        xp.multiply(step_size, factor, out=step_size)
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        # where the sign flipped, take no step and forget the gradient
        xp.copyto(g, 0, where=neg)
        xp.sign(g, out=factor)
        xp.multiply(factor, step_size, out=factor)
        xp.subtract(P, factor, out=P)
        xp.copyto(prev, g)
