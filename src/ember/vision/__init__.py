"""Vision utilities with torchvision's layout: ``datasets``, ``transforms`` (and ``transforms.v2``), ``models``,
``utils`` (``make_grid``, ``save_image``), ``io`` (``read_image``, ``write_png``) and ``ops``.

Code written for torchvision runs with ``import ember.vision as torchvision``.
"""

import importlib

from ember.vision import datasets, transforms

# The torchvision release whose documented API this package follows (scripts compare against it).
__version__ = "0.28.0"

__all__ = ["__version__", "datasets", "io", "models", "ops", "transforms", "utils"]

_LAZY = ("models", "utils", "io", "ops")


def __getattr__(name: str):
    # The heavier submodules load on first use, so that `import ember.vision` stays light.
    if name in _LAZY:
        return importlib.import_module(f"ember.vision.{name}")
    raise AttributeError(f"module 'ember.vision' has no attribute {name!r}")
