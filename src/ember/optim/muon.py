"""Muon: momentum SGD whose update is orthogonalized by a Newton–Schulz iteration (PyTorch's ``torch.optim.Muon``)."""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from .adafactor import _lerp
from .optimizer import Optimizer, _zeros_like

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _round_bf16(a):
    """``a`` rounded to bfloat16 precision (nearest, ties to even), held as float32.

    torch runs the iteration in bfloat16; NumPy has no such dtype, so each result is rounded to
    the 8 significant bits bfloat16 keeps, which is what torch's bfloat16 ops return."""
    xp = array_module(a)
    bits = xp.asarray(a, dtype=np.float32).view(np.uint32)
    lsb = (bits >> np.uint32(16)) & np.uint32(1)
    rounded = (bits + np.uint32(0x7FFF) + lsb) & np.uint32(0xFFFF0000)
    return rounded.view(np.float32)


def _zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps: int, eps: float):
    """An approximate ``U Vᵀ`` of ``grad = U S Vᵀ`` by ``ns_steps`` quintic Newton–Schulz steps, in bfloat16.

    ``X ← a X + (b A + c A²) X`` with ``A = X Xᵀ``, on the wide orientation of the matrix scaled to norm <= 1.
    """
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    xp = array_module(grad)
    a, b, c = ns_coefficients
    tall = grad.shape[0] > grad.shape[1]
    x = _round_bf16(grad.astype(np.float32))
    if tall:
        x = x.T
    norm = _round_bf16(xp.sqrt(xp.sum(xp.square(x, dtype=np.float64))))
    x = _round_bf16(x / xp.maximum(norm, _round_bf16(xp.asarray(eps, dtype=np.float32))))
    for _ in range(ns_steps):
        gram = _round_bf16(xp.matmul(x, x.T))
        gram_update = _round_bf16(b * gram + c * xp.matmul(gram, gram))
        x = _round_bf16(a * x + xp.matmul(gram_update, x))
    return x.T if tall else x


def _adjust_lr(lr: float, adjust_lr_fn: str | None, param_shape) -> float:
    rows, cols = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024) as PyTorch 2.13 implements it: for 2-D parameters only.

    .. math::
        B_t = \mu B_{t-1} + (1-\mu) g_t,\;
        \tilde B_t = \begin{cases} (1-\mu) g_t + \mu B_t & \text{nesterov} \\ B_t & \text{else}\end{cases},\;
        O_t = \mathrm{NS}^{(a,b,c)}_k(\tilde B_t; \epsilon),\;
        \theta_t = \theta_{t-1}(1-\gamma\lambda) - \gamma'\,O_t

    (torch's code keeps the buffer as the lerp above, an exponential average, though its docs write
    :math:`\mu B + g`). :math:`\mathrm{NS}` is ``ns_steps`` quintic Newton–Schulz iterations that push
    the singular values of the update towards 1, computed in bfloat16 precision as torch does (ember
    rounds each float32 result to bfloat16's 8 significant bits). :math:`\gamma'` is the
    learning rate adjusted to the shape ``(A, B)``: :math:`\gamma\sqrt{\max(1, A/B)}` for ``"original"``
    (the default) or :math:`0.2\gamma\sqrt{\max(A, B)}` for ``"match_rms_adamw"``.

    Args:
        params: 2-D tensors or parameter groups of them (biases, embeddings and other parameters belong
            to another optimizer such as AdamW).
        lr: learning rate :math:`\gamma` (default 1e-3).
        weight_decay: decoupled weight decay :math:`\lambda` (default 0.1).
        momentum: :math:`\mu` (default 0.95).
        nesterov: use Nesterov momentum (default True).
        ns_coefficients: :math:`(a, b, c)` of the Newton–Schulz polynomial (default (3.4445, -4.7750, 2.0315)).
        eps: floor of the norm the update is divided by (default 1e-7).
        ns_steps: Newton–Schulz steps, < 100 (default 5).
        adjust_lr_fn: ``None``/``"original"`` or ``"match_rms_adamw"``.
    """

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.1, momentum: float = 0.95,
                 nesterov: bool = True, ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
                 eps: float = EPS, ns_steps: int = DEFAULT_NS_STEPS, adjust_lr_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        f"Muon only supports 2D parameters whereas we found a parameter with size: {p.size()}"
                    )

    def _hyper(self, group):
        hp = super()._hyper(group)
        hp.maximize = False  # torch's Muon has no maximize; the loop reads it
        hp.ns_steps = int(hp.ns_steps)
        return hp

    def _init_state(self, p, st, group) -> None:
        # torch keeps no step counter for Muon: only the momentum buffer
        st["momentum_buffer"] = _zeros_like(p.grad._data)

    @staticmethod
    def _gradient(p, hp):
        # the decay is decoupled and applied in _update, after the orthogonalization
        return p.grad._data, False

    @staticmethod
    def _update(P, g, owned, st, hp) -> None:
        xp = array_module(P, g)
        if g.ndim != 2:
            raise ValueError("Param gradient must be a 2D matrix")
        buf = st["momentum_buffer"]._data
        mu = hp.momentum
        buf[...] = _lerp(buf, g, 1 - mu)
        update = _lerp(g, buf, mu) if hp.nesterov else buf
        ortho = _zeropower_via_newtonschulz(update, hp.ns_coefficients, hp.ns_steps, hp.eps)
        lr = _adjust_lr(hp.lr, hp.adjust_lr_fn, P.shape)
        xp.multiply(P, 1 - hp.lr * hp.weight_decay, out=P)
        xp.subtract(P, ortho.astype(P.dtype) * lr, out=P)
