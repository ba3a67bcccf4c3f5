"""The weight initialisation torchvision's MobileNets and EfficientNets share (so seeded models match theirs)."""

from __future__ import annotations

from collections.abc import Callable

from ember import nn


def init_mobile(model: nn.Module, init_linear: Callable[[nn.Linear], None]) -> None:
    """Kaiming-normal (fan_out) convolutions, unit-scale norms, zero biases; ``init_linear(m)`` sets each
    ``Linear``'s weight. Modules are visited in ``model.modules()`` order, as torchvision does."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            init_linear(m)
            nn.init.zeros_(m.bias)


def init_linear_normal(m: nn.Linear) -> None:
    """MobileNet's classifier: N(0, 0.01)."""
    nn.init.normal_(m.weight, 0, 0.01)
