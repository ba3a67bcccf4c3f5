"""``torch.<device>.amp.autocast`` / ``GradScaler``: the deprecated per-device spellings of ``torch.amp``'s.

Each device module subclasses these and names its device; constructing one warns as PyTorch does,
then behaves as ``torch.amp``'s class for that device.
"""

from __future__ import annotations

import warnings

from .autocast_mode import autocast
from .grad_scaler import GradScaler


def _warn(device: str, name: str) -> None:
    warnings.warn(f"`torch.{device}.amp.{name}(args...)` is deprecated. Please use "
                  f"`torch.amp.{name}('{device}', args...)` instead.", FutureWarning, stacklevel=3)


class DeprecatedAutocast(autocast):
    _device_type: str  # set by each device's subclass

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True):
        _warn(self._device_type, "autocast")
        super().__init__(self._device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class DeprecatedGradScaler(GradScaler):
    _device_type: str  # set by each device's subclass

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        _warn(self._device_type, "GradScaler")
        super().__init__(self._device_type, init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval, enabled=enabled)
