"""The model zoo: ``get_model(name, **kwargs)``, ``available_models()`` and the builders themselves.

=================  =====================================================================
``mlp``            multilayer perceptron (flattens its input)
``logistic``       softmax regression
``lenet5``         LeNet-5 for 28x28 images (alias ``lenet``)
``course_cnn``     the course's all-convolutional net (any image size)
``resnet18/34/50`` torchvision-compatible ResNets (``state_dict`` keys and shapes match;
                   also 101, 152, ``resnext50_32x4d``, ``wide_resnet50_2`` ...)
``densenet121``    torchvision-compatible DenseNets (also 161, 169, 201)
``vgg11/13/16/19`` torchvision-compatible VGGs, with ``_bn`` variants
``alexnet``        torchvision-compatible AlexNet
``mobilenet_v2``   torchvision-compatible MobileNetV2 (and ``mobilenet_v3_large/small``)
``efficientnet_b0`` torchvision-compatible EfficientNets (B0-B7)
``squeezenet1_0``  torchvision-compatible SqueezeNets (1.0 and 1.1)
``convnext_tiny``  torchvision-compatible ConvNeXts (tiny, small, base, large)
``inception_v3``   torchvision-compatible Inception v3 (with the auxiliary classifier)
``shufflenet_v2_*`` torchvision-compatible ShuffleNet V2 (x0_5, x1_0, x1_5, x2_0)
=================  =====================================================================

torchvision's builder conventions hold: ``weights=None`` (or the deprecated ``pretrained=False``),
``num_classes=...``, and the other keyword arguments of the model class. ember has no model hub, so
named weights (``weights="IMAGENET1K_V1"``, ``ResNet18_Weights.DEFAULT``) raise and say which file to
fetch; ``weights=PATH`` loads a state-dict file you have (torchvision's ``.pth`` files load as they are).

A model of your own is named ``path/to/file.py:ClassName`` (or ``...:function``): the file is
imported and the class called with the keyword arguments its signature accepts.

Transfer learning: ``freeze(model, except_=...)`` turns off gradients, then replace the head::

    model = resnet18(weights="resnet18.pth")
    freeze(model)
    model.fc = ember.nn.Linear(512, 10)
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

from ember import nn

from . import _named_weights
from ._named_weights import *  # noqa: F403  (ResNet18_Weights, ...)
from ._weights import _WEIGHTS_BY_ARCH, WeightsEnum, freeze, load_weights, unfreeze
from .alexnet import AlexNet, alexnet
from .convnext import ConvNeXt, convnext_base, convnext_large, convnext_small, convnext_tiny
from .course_cnn import CourseCNN, course_cnn
from .densenet import DenseNet, densenet121, densenet161, densenet169, densenet201
from .efficientnet import (
    EfficientNet,
    efficientnet_b0,
    efficientnet_b1,
    efficientnet_b2,
    efficientnet_b3,
    efficientnet_b4,
    efficientnet_b5,
    efficientnet_b6,
    efficientnet_b7,
)
from .inception import Inception3, InceptionOutputs, inception_v3
from .lenet import LeNet5, lenet5
from .logistic import LogisticRegression, logistic
from .mlp import MLP, mlp
from .mobilenetv2 import InvertedResidual, MobileNetV2, mobilenet_v2
from .mobilenetv3 import MobileNetV3, mobilenet_v3_large, mobilenet_v3_small
from .resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50_32x4d,
    resnext101_32x8d,
    wide_resnet50_2,
    wide_resnet101_2,
)
from .shufflenetv2 import ShuffleNetV2, shufflenet_v2_x0_5, shufflenet_v2_x1_0, shufflenet_v2_x1_5, shufflenet_v2_x2_0
from .squeezenet import SqueezeNet, squeezenet1_0, squeezenet1_1
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

__all__ = [
    *_named_weights.__all__,
    "AlexNet",
    "InvertedResidual",
    "MobileNetV2",
    "MobileNetV3",
    "EfficientNet",
    "SqueezeNet",
    "ShuffleNetV2",
    "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_0",
    "shufflenet_v2_x1_5",
    "shufflenet_v2_x2_0",
    "Inception3",
    "InceptionOutputs",
    "inception_v3",
    "ConvNeXt",
    "convnext_base",
    "convnext_large",
    "convnext_small",
    "convnext_tiny",
    "squeezenet1_0",
    "squeezenet1_1",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "efficientnet_b4",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
    "mobilenet_v3_large",
    "mobilenet_v3_small",
    "VGG",
    "WeightsEnum",
    "alexnet",
    "get_model_weights",
    "get_weight",
    "list_models",
    "mobilenet_v2",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "resnext101_32x8d",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
    "wide_resnet50_2",
    "wide_resnet101_2",
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
    "resnet101": resnet101,
    "resnet152": resnet152,
    "resnext50_32x4d": resnext50_32x4d,
    "resnext101_32x8d": resnext101_32x8d,
    "wide_resnet50_2": wide_resnet50_2,
    "wide_resnet101_2": wide_resnet101_2,
    "vgg11": vgg11,
    "vgg11_bn": vgg11_bn,
    "vgg13": vgg13,
    "vgg13_bn": vgg13_bn,
    "vgg16": vgg16,
    "vgg16_bn": vgg16_bn,
    "vgg19": vgg19,
    "vgg19_bn": vgg19_bn,
    "alexnet": alexnet,
    "mobilenet_v2": mobilenet_v2,
    "mobilenet_v3_large": mobilenet_v3_large,
    "mobilenet_v3_small": mobilenet_v3_small,
    "efficientnet_b0": efficientnet_b0,
    "efficientnet_b1": efficientnet_b1,
    "efficientnet_b2": efficientnet_b2,
    "efficientnet_b3": efficientnet_b3,
    "efficientnet_b4": efficientnet_b4,
    "efficientnet_b5": efficientnet_b5,
    "efficientnet_b6": efficientnet_b6,
    "efficientnet_b7": efficientnet_b7,
    "squeezenet1_0": squeezenet1_0,
    "squeezenet1_1": squeezenet1_1,
    "convnext_tiny": convnext_tiny,
    "convnext_small": convnext_small,
    "convnext_base": convnext_base,
    "convnext_large": convnext_large,
    "inception_v3": inception_v3,
    "shufflenet_v2_x0_5": shufflenet_v2_x0_5,
    "shufflenet_v2_x1_0": shufflenet_v2_x1_0,
    "shufflenet_v2_x1_5": shufflenet_v2_x1_5,
    "shufflenet_v2_x2_0": shufflenet_v2_x2_0,
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


def list_models(module: Any = None, include: str | list[str] | None = None, exclude: str | list[str] | None = None) -> list[str]:
    """Sorted model names ``get_model`` builds, filtered by ``fnmatch`` patterns (torchvision's ``list_models``)."""
    names = set(_MODELS)
    if module is not None:
        prefix = getattr(module, "__name__", str(module))
        names = {n for n in names if _MODELS[n].__module__.startswith(prefix)}
    if include is not None:
        patterns = [include] if isinstance(include, str) else include
        names = {n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)}
    if exclude is not None:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        names = {n for n in names if not any(fnmatch.fnmatch(n, p) for p in patterns)}
    return sorted(names)


def get_model_weights(name: str | Callable[..., Any]) -> type[WeightsEnum]:
    """The weights enum of a model (``get_model_weights("resnet18") is ResNet18_Weights``)."""
    key = name.__name__ if callable(name) else _resolve(name)
    if key not in _WEIGHTS_BY_ARCH:
        raise ValueError(f"no weights are listed for model {key!r}")
    return _WEIGHTS_BY_ARCH[key]


def get_weight(name: str) -> WeightsEnum:
    """A weights member from its full name, e.g. ``get_weight("ResNet50_Weights.IMAGENET1K_V2")``."""
    enum_name, _, member = str(name).partition(".")
    enum = getattr(_named_weights, enum_name, None)
    if enum is None or member not in enum.__members__:
        raise ValueError(f"Invalid weight name provided: '{name}'.")
    return enum[member]
