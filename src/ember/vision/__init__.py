"""Vision utilities: datasets (MNIST family, digits, image folders, arrays, toy problems) and transforms.

Mirrors torchvision's layout: ``ember.vision.datasets`` and ``ember.vision.transforms``.
"""

import importlib

from ember.vision import datasets, transforms

__all__ = ["datasets", "transforms"]


def __getattr__(name: str):
    # `models` is a separate package; import it on first use so that
    # `import ember.vision` stays light and does not depend on it.
    if name == "models":
        try:
            return importlib.import_module("ember.vision.models")
        except ModuleNotFoundError as exc:
            if exc.name != "ember.vision.models":
                raise
            raise AttributeError("module 'ember.vision' has no attribute 'models' (ember.vision.models is not installed)") from exc
    raise AttributeError(f"module 'ember.vision' has no attribute {name!r}")
