"""``ember.cpu.amp``: PyTorch's deprecated CPU AMP entry points."""

from __future__ import annotations

from ..amp._deprecated import DeprecatedAutocast, DeprecatedGradScaler


class autocast(DeprecatedAutocast):
    """``torch.cpu.amp.autocast``: deprecated spelling of ``torch.amp.autocast('cpu')``."""

    _device_type = "cpu"


class GradScaler(DeprecatedGradScaler):
    """``torch.cpu.amp.GradScaler``: deprecated spelling of ``torch.amp.GradScaler('cpu')``."""

    _device_type = "cpu"
