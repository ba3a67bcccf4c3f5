"""The layers of ``ember.nn``: every class here is also exported as ``ember.nn.<Name>``."""

import importlib as _importlib

from .module import Module, RemovableHandle

__all__ = ["Module", "RemovableHandle"]


def _star_import(module_name: str, optional: bool = False) -> None:
    """``from .<module_name> import *``; with ``optional``, a file that does not exist yet is skipped."""
    full = f"{__name__}.{module_name}"
    try:
        module = _importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if optional and exc.name == full:
            return
        raise
    names = list(module.__all__)
    globals().update({n: getattr(module, n) for n in names})
    __all__.extend(names)


for _name in ("container", "linear", "activation", "dropout", "flatten", "embedding"):
    _star_import(_name)
# Convolution, pooling, normalisation, losses, recurrent layers, padding and resampling.
for _name in ("conv", "pooling", "normalization", "loss", "rnn", "padding", "upsampling", "pixelshuffle", "lazy",
              "transformer", "adaptive", "fractional_pooling", "legacy"):
    _star_import(_name, optional=True)
_star_import("sync_batchnorm", optional=True)  # SyncBatchNorm (uses ember.distributed)
del _name
