"""Loading saved weights into a model: ember or PyTorch state-dict files, checkpoints, ``module.`` prefixes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["freeze", "load_weights", "unfreeze"]

# torchvision's DenseNet checkpoints predate its module names: "denselayer1.norm.1.weight" is
# "denselayer1.norm1.weight" today (torchvision fixes them up the same way when loading).
_OLD_DENSENET_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var|num_batches_tracked))$")


def _state_dict_of(obj: Any, where: str) -> dict[str, Any]:
    if isinstance(obj, dict):
        for key in ("model", "state_dict", "model_state_dict"):
            if isinstance(obj.get(key), dict):
                return obj[key]
        return obj
    raise TypeError(f"{where}: expected a state dict (a dict of tensors), got {type(obj).__name__}")


def load_weights(model: Any, weights: str | os.PathLike | dict[str, Any], strict: bool = True) -> Any:
    """Load ``weights`` into ``model`` and return it.

    ``weights`` is a state dict, or a file ``ember.load`` reads (ember, PyTorch ``.pt``/``.pth`` or
    safetensors) holding a state dict or a checkpoint dict with a ``model``/``state_dict`` entry.
    ``module.`` prefixes (``nn.DataParallel``) and torchvision's old DenseNet key names are mapped.
    """
    where = f"load_weights({os.fspath(weights)!r})" if isinstance(weights, (str, os.PathLike)) else "load_weights"
    if isinstance(weights, (str, os.PathLike)):
        import ember

        if not os.path.isfile(weights):
            raise FileNotFoundError(f"{where}: no such file")
        weights = ember.load(weights)
    state = _state_dict_of(weights, where)
    fixed = {}
    for key, value in state.items():
        key = key.removeprefix("module.")
        m = _OLD_DENSENET_KEY.match(key)
        if m:
            key = m.group(1) + m.group(2)
        fixed[key] = value
    model.load_state_dict(fixed, strict=strict)
    return model


def _matches(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def freeze(model: Any, except_: str | Iterable[str] = ()) -> Any:
    """Set ``requires_grad = False`` on every parameter of ``model`` except those under ``except_``.

    ``except_`` names submodules or parameters by their dotted prefix, e.g.
    ``freeze(resnet, except_="fc")`` or ``freeze(densenet, except_=("classifier", "features.norm5"))``.
    Frozen parameters get no gradient, so an optimizer leaves them alone. Returns the model.

    The transfer-learning recipe::

        model = ember.vision.models.resnet18(weights="resnet18.pth")
        freeze(model)                                      # freeze everything ...
        model.fc = ember.nn.Linear(model.fc.in_features, 10)  # ... then a new head, trainable
        optimizer = ember.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    """
    prefixes = (except_,) if isinstance(except_, str) else tuple(except_)
    names = {n for n, _ in model.named_parameters()}
    unknown = [p for p in prefixes if not any(_matches(n, (p,)) for n in names)]
    if unknown:
        tops = sorted({n.split(".")[0] for n in names})
        raise ValueError(f"freeze: {unknown} match no parameter; top-level names are {tops}")
    for name, p in model.named_parameters():
        p.requires_grad_(_matches(name, prefixes))
    return model


def unfreeze(model: Any, only: str | Iterable[str] | None = None) -> Any:
    """Set ``requires_grad = True`` on every parameter (or only those under the ``only`` prefixes)."""
    prefixes = None if only is None else ((only,) if isinstance(only, str) else tuple(only))
    for name, p in model.named_parameters():
        if prefixes is None or _matches(name, prefixes):
            p.requires_grad_(True)
    return model
