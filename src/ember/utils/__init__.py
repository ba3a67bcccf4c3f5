"""Utilities with PyTorch's layout: ``ember.utils.data`` (datasets, samplers, DataLoader)."""

from __future__ import annotations

import importlib as _importlib


def __getattr__(name):
    # ``ember.utils.data`` loads on first use, like the other heavy subpackages.
    if name == "data":
        return _importlib.import_module("ember.utils.data")
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
