"""``ember.cuda.amp``: PyTorch's deprecated CUDA AMP entry points, on a machine without CUDA."""

from __future__ import annotations

from ..amp import custom_bwd, custom_fwd  # noqa: F401
from ..amp._deprecated import DeprecatedAutocast, DeprecatedGradScaler


class autocast(DeprecatedAutocast):
    """``torch.cuda.amp.autocast``: deprecated; without CUDA it warns and disables itself."""

    _device_type = "cuda"


class GradScaler(DeprecatedGradScaler):
    """``torch.cuda.amp.GradScaler``: deprecated; without CUDA it warns and disables itself."""

    _device_type = "cuda"
