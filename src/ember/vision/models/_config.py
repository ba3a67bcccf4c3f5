"""The check torchvision's config-driven models (ConvNeXt, EfficientNet, MobileNetV3) make of their settings."""

from __future__ import annotations

from collections.abc import Sequence


def check_setting(setting: Sequence, name: str, config: type) -> None:
    """``setting`` (the constructor's argument ``name``) must be a non-empty sequence of ``config`` objects."""
    if not setting:
        raise ValueError(f"The {name} should not be empty")
    if not all(isinstance(s, config) for s in setting):
        raise TypeError(f"The {name} should be List[{config.__name__}]")
