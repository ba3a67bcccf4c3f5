"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

from .._backend import array_module
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _add_scaled_, _step_tensor, _to_float, _zeros_like

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD, PyTorch's ``torch.optim.ASGD``; the running average is ``state['ax']``.

    .. math::
        \theta_t = \theta_{t-1}(1-\lambda\eta_t) - \eta_t g_t,\;
        \bar\theta_t = \begin{cases}\bar\theta_{t-1} + \mu_t(\theta_t-\bar\theta_{t-1}) & \mu_t \ne 1\\
            \theta_t & \mu_t = 1\end{cases},\\
        \eta_{t+1} = \frac{\gamma}{(1+\lambda\gamma t)^\alpha},\;
        \mu_{t+1} = \frac{1}{\max(1, t-t_0)}

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate :math:`\gamma` (default 1e-2).
        lambd: decay term :math:`\lambda` (default 1e-4).
        alpha: power :math:`\alpha` of the eta update (default 0.75).
        t0: step :math:`t_0` at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective instead of descending it.
        foreach, differentiable, capturable: PyTorch's implementation switches (see `Optimizer`).
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_hyperparameters(lr, weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, st, group) -> None:
        st["step"] = _step_tensor()
        st["eta"] = _step_tensor(_to_float(group["lr"]))
        st["mu"] = _step_tensor(1.0)
        st["ax"] = _zeros_like(p._data)

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        step = float(st["step"]._data)
        lr, lambd = hp.lr, hp.lambd
        eta_arr = st["eta"]._data
        mu_arr = st["mu"]._data
        eta = float(eta_arr)
        xp.multiply(P, 1.0 - lambd * eta, out=P)
        upd = g if owned else xp.empty_like(P)
        _add_scaled_(P, g, -eta, out=upd)
        ax = st["ax"]._data
        mu = float(mu_arr)
        if mu != 1:
            # ā ← ā + μ (θ − ā)
            xp.subtract(P, ax, out=upd)
            _add_scaled_(ax, upd, mu, out=upd)
        else:
            xp.copyto(ax, P)
        eta_arr[...] = lr / ((1 + lambd * lr * step) ** hp.alpha)
        mu_arr[...] = 1 / max(1, step - hp.t0)
