"""Stochastic gradient descent, optionally with (Nesterov) momentum."""

from __future__ import annotations

from .._backend import array_module
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _add_scaled_, _wrap

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's ``torch.optim.SGD``.

    .. math::
        g_t = \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1},\quad
        b_t = \mu b_{t-1} + (1-\tau) g_t \;(b_1 = g_1),\quad
        \theta_t = \theta_{t-1} - \gamma\,(g_t + \mu b_t \text{ if nesterov else } b_t)

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate :math:`\gamma` (default 1e-3).
        momentum: momentum factor :math:`\mu` (default 0).
        dampening: dampening :math:`\tau` of the momentum (default 0).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and zero dampening).
        maximize: ascend the objective instead of descending it.
        foreach, differentiable, fused: PyTorch's implementation switches (see `Optimizer`).

    Example:
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0, weight_decay: float = 0,
                 nesterov: bool = False, *, maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_hyperparameters(lr, momentum=momentum, weight_decay=weight_decay, nan_passes=True)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _keeps_state(self, hp) -> bool:
        return hp.momentum != 0

    def _init_state(self, p, st, group) -> None:
        """SGD's only state is the momentum buffer, made from the first gradient (no step counter, like torch)."""

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        scratch = g if owned else None
        momentum, damp = hp.momentum, 1.0 - hp.dampening
        if momentum != 0:
            buf_t = st.get("momentum_buffer")
            if buf_t is None:
                buf = g.copy()
                st["momentum_buffer"] = _wrap(buf)
            else:
                # b ← μ b + (1 − τ) g
                buf = buf_t._data
                xp.multiply(buf, momentum, out=buf)
                if damp == 1.0:
                    xp.add(buf, g, out=buf)
                else:
                    xp.add(buf, xp.multiply(g, damp, out=None if hp.nesterov else scratch), out=buf)
            if hp.nesterov:
                d = xp.multiply(buf, momentum, out=xp.empty_like(buf))
                xp.add(d, g, out=d)
                scratch = d
            else:
                d = buf
        else:
            d = g
        # θ ← θ − γ d
        _add_scaled_(P, d, -hp.lr, out=scratch)
