"""Adagrad: per-coordinate learning rates from the accumulated squared gradients."""

from __future__ import annotations

from .._backend import array_module
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _add_scaled_, _step_tensor, _to_float, _wrap

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's ``torch.optim.Adagrad``.

    .. math::
        \tilde\gamma_t = \frac{\gamma}{1 + (t-1)\eta},\;
        s_t = s_{t-1} + g_t^2,\;
        \theta_t = \theta_{t-1} - \tilde\gamma_t\frac{g_t}{\sqrt{s_t} + \epsilon}

    with :math:`\eta` the ``lr_decay`` and :math:`s_0` the ``initial_accumulator_value``.
    Like PyTorch, the state (``step``, ``sum``) is created for every parameter at construction.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate :math:`\gamma` (default 1e-2).
        lr_decay: :math:`\eta` (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: :math:`s_0` (default 0).
        eps: :math:`\epsilon` (default 1e-10).
        maximize: ascend the objective instead of descending it.
        foreach, differentiable, fused: PyTorch's implementation switches (see `Optimizer`).
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        check_hyperparameters(lr, lr_decay=lr_decay, weight_decay=weight_decay,
                              initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # Adagrad's state exists from construction, as in torch (its state_dict shows it before any step).
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    def _init_state(self, p, st, group) -> None:
        st["step"] = _step_tensor()
        P = p._data
        st["sum"] = _wrap(array_module(P).full_like(P, _to_float(group["initial_accumulator_value"])))

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        step = float(st["step"]._data)
        clr = hp.lr / (1 + (step - 1) * hp.lr_decay)
        s = st["sum"]._data
        std = xp.multiply(g, g, out=xp.empty_like(s))
        xp.add(s, std, out=s)
        xp.sqrt(s, out=std)
        xp.add(std, hp.eps, out=std)
        xp.divide(g, std, out=std)
        _add_scaled_(P, std, -clr, out=std)
