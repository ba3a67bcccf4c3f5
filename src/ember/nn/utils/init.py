"""``skip_init``: build a module without running its parameter initialization (PyTorch's ``nn.utils.init``)."""

from __future__ import annotations

import inspect

from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` whose parameters and buffers torch leaves uninitialized.

    The module class must accept a ``device`` argument, as in torch (else ``RuntimeError``). torch
    builds the module on the ``meta`` device and allocates empty storage; ember has no meta device, so
    it builds the module on ``device`` (default ``"cpu"``) with its default initialization, which is one
    of the values "uninitialized" allows: only the cost of initializing is not saved.
    """
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs["device"] = kwargs.pop("device", "cpu")
    return module_cls(*args, **kwargs)
