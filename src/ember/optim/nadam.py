"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

from .._backend import array_module
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _add_scaled_, _adam_moments, _step_tensor, _zeros_like

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, PyTorch's ``torch.optim.NAdam`` (optionally with decoupled weight decay, "NAdamW").

    .. math::
        \mu_t = \beta_1\big(1 - \tfrac12 0.96^{t\psi}\big),\;
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\;
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\\
        \theta_t = \theta_{t-1}
            - \gamma\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\frac{g_t}{\sqrt{v_t/(1-\beta_2^t)}+\epsilon}
            - \gamma\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\frac{m_t}{\sqrt{v_t/(1-\beta_2^t)}+\epsilon}

    with :math:`\psi` the ``momentum_decay``.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate :math:`\gamma` (default 2e-3).
        betas: :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
        eps: :math:`\epsilon` (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        momentum_decay: :math:`\psi` (default 4e-3).
        decoupled_weight_decay: decay the weights directly, :math:`\theta \leftarrow \theta(1-\gamma\lambda)`.
        maximize: ascend the objective instead of descending it.
        foreach, capturable, differentiable: PyTorch's implementation switches (see `Optimizer`).
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_hyperparameters(lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, st, group) -> None:
        st["step"] = _step_tensor()
        st["mu_product"] = _step_tensor(1.0)
        st["exp_avg"] = _zeros_like(p._data)
        st["exp_avg_sq"] = _zeros_like(p._data)

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        lr, (beta1, beta2), psi = hp.lr, hp.betas, hp.momentum_decay
        step = float(st["step"]._data)
        bc2 = 1.0 - beta2**step
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        # the running product lives in a 0-d tensor of the state's dtype, like torch's
        mp_arr = st["mu_product"]._data
        mp_arr *= mu
        mu_product = float(mp_arr)
        mu_product_next = mu_product * mu_next
        tmp = xp.empty_like(P)
        m, v = _adam_moments(st, g, beta1, beta2, tmp)
        denom = xp.divide(v, bc2, out=xp.empty_like(v))
        xp.sqrt(denom, out=denom)
        xp.add(denom, hp.eps, out=denom)
        xp.divide(g, denom, out=tmp)
        _add_scaled_(P, tmp, -lr * (1.0 - mu) / (1.0 - mu_product), out=tmp)
        xp.divide(m, denom, out=tmp)
        _add_scaled_(P, tmp, (-lr * mu_next) / (1.0 - mu_product_next), out=tmp)
