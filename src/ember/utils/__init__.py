"""Utilities with PyTorch's layout: ``ember.utils.data`` (datasets, samplers, DataLoader),
``ember.utils.tensorboard`` (SummaryWriter) and ``ember.utils.summary`` (a model summary)."""

from __future__ import annotations

import importlib as _importlib


def __getattr__(name):
    # ``ember.utils.data`` loads on first use, like the other heavy subpackages.
    if name in ("data", "tensorboard"):
        return _importlib.import_module(f"ember.utils.{name}")
    if name in ("summary", "ModelStatistics"):
        return getattr(_importlib.import_module("ember.utils._summary"), name)
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
