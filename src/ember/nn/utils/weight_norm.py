"""The original hook-based ``weight_norm`` and ``spectral_norm`` (``torch.nn.utils.weight_norm`` and friends).

Kept because older code calls them: the module gets parameters ``weight_g``/``weight_v`` (or
``weight_orig`` and buffers ``weight_u``/``weight_v``) and a forward pre-hook that recomputes
``module.weight`` before every call. New code should use ``ember.nn.utils.parametrizations``.
"""

from __future__ import annotations

import warnings

from ... import _creation as C
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.module import Module
from ..parameter import Parameter
from .parametrizations import _norm_except_dim

__all__ = ["remove_spectral_norm", "remove_weight_norm", "spectral_norm", "weight_norm"]


class _WeightNormHook:
    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module: Module, inputs) -> None:
        object.__setattr__(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """``w = g * v / ||v||`` with parameters ``<name>_g`` and ``<name>_v``, recomputed before each forward."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of `torch.nn.utils.parametrizations.weight_norm`.",
                  FutureWarning, stacklevel=2)
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNormHook) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    fn = _WeightNormHook(name, dim)
    weight = getattr(module, name)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, fn.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    object.__setattr__(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Fold ``<name>_g`` and ``<name>_v`` back into one parameter ``<name>`` and drop the hook."""
    return _fold_back(module, name, _WeightNormHook, "weight_norm", lambda hook: hook.compute_weight(module),
                      parameters=("_g", "_v"))


def _fold_back(module: Module, name: str, hook_type, label: str, weight_of, parameters=(), buffers=()) -> Module:
    """Replace the ``hook_type`` reparametrization of ``name`` by a plain parameter holding ``weight_of(hook)``,
    deleting the hook and the parameters/buffers ``name + suffix`` it kept."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, hook_type) and hook.name == name:
            weight = weight_of(hook)
            del module._forward_pre_hooks[key]
            for suffix in parameters:
                del module._parameters[name + suffix]
            for suffix in buffers:
                del module._buffers[name + suffix]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight.detach()))
            return module
    raise ValueError(f"{label} of '{name}' not found in {module}")


class _SpectralNormHook:
    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def _matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.flatten(1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        mat = self._matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(mat.T @ u, dim=0, eps=self.eps))
                    u.copy_(F.normalize(mat @ v, dim=0, eps=self.eps))
        u, v = u.clone(), v.clone()
        sigma = (u * (mat @ v)).sum()
        return weight / sigma

    def __call__(self, module: Module, inputs) -> None:
        object.__setattr__(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Divide ``<name>`` by its spectral norm before every forward (parameter ``<name>_orig``, buffers
    ``<name>_u`` and ``<name>_v`` for the power iteration, as torch's)."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _SpectralNormHook) and hook.name == name:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    if n_power_iterations <= 0:
        raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}")
    fn = _SpectralNormHook(name, n_power_iterations, dim, eps)
    weight = module._parameters[name]
    with no_grad():
        mat = fn._matrix(weight)
        h, w = mat.shape
        u = F.normalize(C.randn(h, dtype=weight.dtype), dim=0, eps=eps)
        v = F.normalize(C.randn(w, dtype=weight.dtype), dim=0, eps=eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Keep the current normalised weight as a plain parameter ``<name>`` and drop the hook and buffers."""

    def weight_of(hook):
        with no_grad():
            return hook.compute_weight(module, do_power_iteration=False)

    return _fold_back(module, name, _SpectralNormHook, "spectral_norm", weight_of, parameters=("_orig",),
                      buffers=("_u", "_v"))
