"""Adafactor: Adam-like steps with factored second moments (PyTorch's ``torch.optim.Adafactor``)."""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from .optimizer import Optimizer, _grad_of, _step_tensor, _wrap

__all__ = ["Adafactor"]


def _lerp(a, b, w: float):
    """``a + w (b − a)`` the way torch's ``lerp`` evaluates it: from ``b``'s side when ``w >= 0.5``, so ``w = 1`` gives ``b``."""
    return a + (b - a) * w if abs(w) < 0.5 else b - (b - a) * (1 - w)


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018) as PyTorch 2.13 implements it.

    For a parameter of two or more dimensions the second moment is kept factored: a row
    statistic ``row_var`` (the last dim reduced) and a column one ``col_var`` (the second to last
    reduced), so its memory is ``O(m + n)`` per matrix instead of ``O(mn)``; vectors and scalars keep
    a full ``variance``. With :math:`\hat\beta_{2,t} = 1 - t^{\text{beta2\_decay}}`,
    :math:`\rho_t = \min(\gamma, 1/\sqrt t)` and :math:`\alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1}))\,\rho_t`:

    .. math::
        R_t = \hat\beta_{2,t} R_{t-1} + (1-\hat\beta_{2,t})\,\mathrm{mean}_{-1}(g_t^2),\;
        C_t = \hat\beta_{2,t} C_{t-1} + (1-\hat\beta_{2,t})\,\mathrm{mean}_{-2}(g_t^2),\;
        \hat v_t = \frac{R_t C_t}{\max(\mathrm{mean}_{-2}(R_t), \epsilon_1)},\;
        u_t = \frac{g_t}{\sqrt{\max(\hat v_t, \epsilon_1^2)}},\;
        \theta_t = \theta_{t-1}(1 - \gamma\lambda) - \frac{\alpha_t}{\max(1, \mathrm{RMS}(u_t)/d)}\,u_t

    Weight decay is decoupled (applied to the parameter, after :math:`\alpha_t` reads its RMS).

    Args:
        params: tensors or parameter groups to optimize.
        lr: the relative step size cap :math:`\gamma` (default 1e-2).
        beta2_decay: the exponent of the second-moment decay schedule, <= 0 (default -0.8).
        eps: :math:`(\epsilon_1, \epsilon_2)`; :math:`\epsilon_1` None means the parameter dtype's
            machine epsilon (default (None, 1e-3)).
        d: the clipping threshold on the update's RMS, >= 1 (default 1.0).
        weight_decay: :math:`\lambda` (default 0).
        foreach: PyTorch's implementation switch (stored, changes nothing; see `Optimizer`).
        maximize: ascend the objective.

    Where torch's loop reuses the first
    parameter's machine epsilon for the rest of a group when ``eps[0]`` is None, ember takes each
    parameter's own (the same unless one group mixes float dtypes).
    """

    def __init__(self, params, lr: float | Tensor = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach: bool | None = None, maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, p, st, group) -> None:
        st["step"] = _step_tensor()
        G = p.grad._data
        xp = array_module(G)
        if G.ndim > 1:
            st["row_var"] = _wrap(xp.zeros(G.shape[:-1] + (1,), dtype=G.dtype))
            st["col_var"] = _wrap(xp.zeros(G.shape[:-2] + (1, G.shape[-1]), dtype=G.dtype))
        else:
            st["variance"] = _wrap(xp.zeros_like(G))

    @staticmethod
    def _gradient(p, hp):
        # the decay is decoupled and applied in _update, after the step size has read the parameter's RMS
        return _grad_of(p, hp.maximize, 0.0)

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        eps1, eps2 = hp.eps
        if eps1 is None:
            eps1 = float(np.finfo(P.dtype).eps)
        step = float(st["step"]._data)
        w = step**hp.beta2_decay  # 1 − β̂₂ₜ: the weight of the new squares
        rho = min(hp.lr, 1 / math.sqrt(step))
        alpha = max(eps2, float(xp.sqrt(xp.vdot(P, P).real)) / math.sqrt(P.size)) * rho
        if hp.weight_decay != 0:
            xp.multiply(P, 1 - hp.lr * hp.weight_decay, out=P)
        sq = xp.multiply(g, g)
        if g.ndim > 1:
            row, col = st["row_var"]._data, st["col_var"]._data
            row[...] = _lerp(row, xp.mean(sq, axis=-1, keepdims=True), w)
            col[...] = _lerp(col, xp.mean(sq, axis=-2, keepdims=True), w)
            v = xp.matmul(row, col)
            xp.divide(v, xp.maximum(xp.mean(row, axis=-2, keepdims=True), eps1), out=v)
        else:
            var = st["variance"]._data
            var[...] = _lerp(var, sq, w)
            v = var.copy()
        xp.maximum(v, eps1 * eps1, out=v)
        xp.sqrt(v, out=v)
        u = xp.divide(g, v, out=v)
        denom = max(1.0, float(xp.sqrt(xp.vdot(u, u).real)) / (math.sqrt(u.size) * hp.d))
        xp.subtract(P, u * (alpha / denom), out=P)
