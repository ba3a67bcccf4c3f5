"""The model zoo: ``get_model(name, **kwargs)``, ``available_models()`` and the builders themselves.

=================  =====================================================================
``mlp``            multilayer perceptron (flattens its input)
``logistic``       softmax regression
``lenet5``         LeNet-5 for 28x28 images (alias ``lenet``)
``course_cnn``     the course's all-convolutional net (any image size)
``resnet18/34/50`` torchvision-compatible ResNets (``state_dict`` keys and shapes match)
``densenet121``    torchvision-compatible DenseNets (also 161, 169, 201)
=================  =====================================================================

A model of your own is named ``path/to/file.py:ClassName`` (or ``...:function``): the file is
imported and the class called with the keyword arguments its signature accepts.

Transfer learning: ``freeze(model, except_=...)`` turns off gradients, then replace the head::

    model = resnet18(weights="resnet18.pth")
    freeze(model)
    model.fc = ember.nn.Linear(512, 10)
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

from ._weights import freeze, load_weights, unfreeze
from .course_cnn import CourseCNN, course_cnn
from .densenet import DenseNet, densenet121, densenet161, densenet169, densenet201
from .lenet import LeNet5, lenet5
from .logistic import LogisticRegression, logistic
from .mlp import MLP, mlp
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "CourseCNN",
    "DenseNet",
    "LeNet5",
    "LogisticRegression",
    "MLP",
    "ResNet",
    "accepted_kwargs",
    "available_models",
    "course_cnn",
    "densenet121",
    "densenet161",
    "densenet169",
    "densenet201",
    "freeze",
    "get_model",
    "is_user_model",
    "lenet5",
    "load_user_model",
    "load_weights",
    "logistic",
    "mlp",
    "resnet18",
    "resnet34",
    "resnet50",
    "unfreeze",
]

_MODELS: dict[str, Callable[..., Any]] = {
    "mlp": mlp,
    "logistic": logistic,
    "lenet5": lenet5,
    "course_cnn": course_cnn,
    "resnet18": resnet18,
    "resnet34": resnet34,
    "resnet50": resnet50,
    "densenet121": densenet121,
    "densenet161": densenet161,
    "densenet169": densenet169,
    "densenet201": densenet201,
}
_ALIASES = {
    "lenet": "lenet5",
    "lenet-5": "lenet5",
    "course-cnn": "course_cnn",
    "coursecnn": "course_cnn",
    "cnn": "course_cnn",
    "softmax": "logistic",
    "softmax_regression": "logistic",
    "logistic_regression": "logistic",
    "resnet-18": "resnet18",
    "resnet-34": "resnet34",
    "resnet-50": "resnet50",
    "densenet-121": "densenet121",
}


def available_models() -> list[str]:
    """The names ``get_model`` accepts (aliases such as ``lenet`` are accepted too)."""
    return list(_MODELS)


def is_user_model(name: str) -> bool:
    """True for ``path/to/file.py:Name``."""
    path, sep, attr = str(name).rpartition(":")
    return bool(sep and attr and path.endswith(".py"))


def _resolve(name: str) -> str:
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _MODELS:
        close = difflib.get_close_matches(key, list(_MODELS) + list(_ALIASES), n=1, cutoff=0.5)
        hint = f" Did you mean {_ALIASES.get(close[0], close[0])!r}?" if close else ""
        raise ValueError(
            f"unknown model {name!r}.{hint} Available: {', '.join(available_models())} "
            "(or a model of your own as path/to/file.py:ClassName)"
        )
    return key


def _load_user_attr(spec: str) -> Any:
    path, _, attr = str(spec).rpartition(":")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file {path!r} not found (from {spec!r}; expected path/to/file.py:ClassName)")
    mod_name = "_ember_user_model_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    module_spec = importlib.util.spec_from_file_location(mod_name, os.path.abspath(path))
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot import {path!r} as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module
    module_spec.loader.exec_module(module)
    if not hasattr(module, attr):
        from ember import nn

        candidates = [
            n for n, v in vars(module).items() if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == mod_name
        ]
        close = difflib.get_close_matches(attr, candidates, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        found = f" Modules defined there: {', '.join(candidates)}." if candidates else ""
        raise ValueError(f"{path!r} has no {attr!r}.{hint}{found}")
    return getattr(module, attr)


def accepted_kwargs(name: str) -> set[str] | None:
    """The keyword arguments the builder of ``name`` accepts (``None``: any, it takes ``**kwargs``)."""
    user = is_user_model(name)
    builder = _load_user_attr(name) if user else _MODELS[_resolve(name)]
    try:
        params = inspect.signature(builder).parameters.values()
    except (TypeError, ValueError):
        return None
    if user and any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def load_user_model(spec: str, **kwargs: Any) -> Any:
    """Build the model ``path/to/file.py:ClassName`` with the ``kwargs`` its signature accepts."""
    builder = _load_user_attr(spec)
    try:
        params = inspect.signature(builder).parameters.values()
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            names = {p.name for p in params}
            kwargs = {k: v for k, v in kwargs.items() if k in names}
    except (TypeError, ValueError):
        pass
    return builder(**kwargs)


def get_model(name: str, **kwargs: Any) -> Any:
    """Build a model by name, e.g. ``get_model('mlp', hidden=(128,))`` or ``get_model('resnet18', num_classes=10)``.

    Raises:
        ValueError: unknown name (the message lists the valid ones and the closest match), or an
            argument the model does not take.
    """
    if is_user_model(name):
        return load_user_model(name, **kwargs)
    key = _resolve(name)
    builder = _MODELS[key]
    params = inspect.signature(builder).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    unexpected = [k for k in kwargs if k not in params] if not takes_any else []
    if unexpected:
        valid = [n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        raise ValueError(f"model {key!r} does not take {', '.join(map(repr, unexpected))}; it takes: {', '.join(valid)}")
    return builder(**kwargs)
