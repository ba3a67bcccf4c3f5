"""Loading saved weights into a model: ember or PyTorch state-dict files, checkpoints, ``module.`` prefixes."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, NamedTuple, Union

import ember
from ember.vision.transforms._presets import ImageClassification
from ember.vision.transforms.functional import InterpolationMode

__all__ = ["WeightsEnum", "build", "freeze", "load_weights", "resolve_weights", "unfreeze"]

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


# ---------------------------------------------------------------------------------------- named weights


class Weights(NamedTuple):
    """Where torchvision publishes a set of weights and the preprocessing they were trained with."""

    url: str
    crop_size: int = 224
    resize_size: int = 256
    interpolation: str = "bilinear"


class WeightsEnum(Enum):
    """Named pretrained weights, as torchvision lists them (``ResNet18_Weights.IMAGENET1K_V1``, ``.DEFAULT``).

    ember has no model hub: building a model with one of these raises and says which file to
    fetch. ``.transforms()`` gives the matching inference preprocessing, which needs no download.
    """

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def meta(self) -> dict[str, Any]:
        return {}

    def transforms(self, **kwargs: Any) -> Any:
        kwargs.setdefault("interpolation", InterpolationMode(self.value.interpolation))
        return ImageClassification(crop_size=self.value.crop_size, resize_size=self.value.resize_size, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


WeightsSpec = Union[None, str, os.PathLike, dict, WeightsEnum]

# Every named WeightsEnum subclass, by model name: filled in by the model modules.
_WEIGHTS_BY_ARCH: dict[str, type[WeightsEnum]] = {}


def register_weights(arch: str, enum: type[WeightsEnum]) -> type[WeightsEnum]:
    _WEIGHTS_BY_ARCH[arch] = enum
    return enum


def _hub_error(arch: str, weights: WeightsEnum) -> RuntimeError:
    filename = weights.url.rsplit("/", 1)[-1]
    return RuntimeError(
        f"{arch}: weights={weights!r} must be downloaded and ember has no model hub: fetch {weights.url} yourself, "
        f"then pass weights={filename!r} (a path) or call model.load_state_dict(ember.load({filename!r}))"
    )


def resolve_weights(arch: str, weights: WeightsSpec) -> str | os.PathLike | dict | None:
    """A file path or state dict to load into ``arch``, or ``None``; named (downloadable) weights raise.

    Raises:
        RuntimeError: ``weights`` names published weights (``"IMAGENET1K_V1"``, ``"DEFAULT"``, an enum member).
        FileNotFoundError: ``weights`` looks like a path but there is no such file.
        ValueError: ``weights`` is neither a file nor a name of ``arch``'s weights.
    """
    if weights is None or isinstance(weights, dict):
        return weights
    if isinstance(weights, WeightsEnum):
        raise _hub_error(arch, weights)
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"{arch}: weights should be None, a weights name, a file path or a state dict, got {type(weights).__name__}")
    if os.path.isfile(weights):
        return weights
    enum = _WEIGHTS_BY_ARCH.get(arch)
    name = os.fspath(weights)
    member = name.split(".")[-1] if enum is not None else None
    if enum is not None and name in (member, f"{enum.__name__}.{member}") and member in enum.__members__:
        raise _hub_error(arch, enum[member])
    if os.sep in name or os.path.splitext(name)[1] in (".pt", ".pth", ".bin", ".safetensors", ".ckpt", ".tar"):
        raise FileNotFoundError(f"{arch}: weights file {name!r} not found")
    if enum is None:
        raise RuntimeError(
            f"{arch}: weights={name!r} is not a file, and ember has no model hub to download named weights: "
            "pass the path of a state-dict file (e.g. torchvision's .pth)"
        )
    raise ValueError(f"{arch}: unknown weights {name!r}: expected a file path or one of {', '.join(enum.__members__)}")


def _legacy_pretrained(arch: str, weights: WeightsSpec, kwargs: dict[str, Any]) -> WeightsSpec:
    """torchvision's deprecated ``pretrained=`` flag: False means no weights, True the default ones."""
    kwargs.pop("progress", None)  # a download progress bar: there is no download
    if "pretrained" not in kwargs:
        return weights
    pretrained = kwargs.pop("pretrained")
    warnings.warn(
        "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
        "please use 'weights' instead.",
        UserWarning,
        stacklevel=4,
    )
    if pretrained and weights is None:
        enum = _WEIGHTS_BY_ARCH.get(arch)
        if enum is None:
            raise ValueError(f"{arch}: no pretrained weights are published for this model")
        return enum["DEFAULT"]
    return weights


def build(arch: str, make: Callable[..., Any], weights: WeightsSpec, kwargs: dict[str, Any]) -> Any:
    """Build ``make(**kwargs)`` and load ``weights`` into it (the shared body of every model builder)."""
    kwargs = dict(kwargs)
    source = resolve_weights(arch, _legacy_pretrained(arch, weights, kwargs))
    model = make(**kwargs)
    if source is not None:
        load_weights(model, source)
    return model
