"""What a training run is built from: its model (checked against the data), optimizer, schedule, BLAS threads."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

import ember
from ember import optim
from ember.optim import lr_scheduler as S
from ember.vision import models

from .errors import Log, UsageError, stderr_log

__all__ = ["blas_threads", "build_model", "build_optimizer", "build_scheduler", "check_forward"]


def build_model(config: Mapping[str, Any], meta: Mapping[str, Any], explicit: Sequence[str] = (), log: Log = stderr_log):
    """The configured model for inputs of ``meta['input_shape']`` and ``meta['num_classes']`` outputs."""
    name = config["model"]
    shape = tuple(meta["input_shape"])
    offered = {
        "in_features": int(np.prod(shape)),
        "num_classes": int(meta["num_classes"]),
        "in_channels": int(shape[0]) if len(shape) == 3 else 1,
        "hidden": tuple(config["hidden"]),
        "activation": config["activation"],
        "dropout": config["dropout"],
    }
    try:
        accepted = models.accepted_kwargs(name)
        if accepted is not None:
            ignored = [k for k in ("hidden", "activation", "dropout") if k in explicit and k not in accepted]
            if ignored:
                log(f"warning: model {name!r} does not take {', '.join(ignored)}; ignored")
            offered = {k: v for k, v in offered.items() if k in accepted}
        if models.is_user_model(name):
            return models.load_user_model(name, **offered)
        return models.get_model(name, **offered)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None


def check_forward(model: Any, x: np.ndarray, num_classes: int, name: str, dataset: str) -> None:
    """One forward pass on two samples, so a model/data mismatch is reported before training."""
    was = model.training
    model.eval()
    try:
        with ember.no_grad():
            out = model(ember.from_numpy(x[:2]))
    except Exception as e:  # noqa: BLE001 - any failure here means "this model does not fit this data"
        raise UsageError(
            f"model {name!r} cannot take inputs of shape {tuple(x.shape[1:])} from dataset {dataset!r}: {e}\n"
            "Choose a model for this input size (mlp, logistic and course_cnn take any size)."
        ) from None
    finally:
        model.train(was)
    if tuple(out.shape) != (min(2, len(x)), num_classes):
        raise UsageError(
            f"model {name!r} returned shape {tuple(out.shape)} for 2 samples; expected (2, {num_classes}) "
            f"logits for the {num_classes} classes of {dataset!r}"
        )


def build_optimizer(config: Mapping[str, Any], params: Any):
    """The configured optimizer (``lr`` and ``momentum`` already resolved)."""
    name, lr, wd, mom = config["optimizer"], config["lr"], config["weight_decay"], config["momentum"]
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=mom, weight_decay=wd)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=mom, weight_decay=wd)
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr, weight_decay=wd)
    raise UsageError(f"unknown optimizer {name!r}")


def build_scheduler(config: Mapping[str, Any], optimizer: Any, steps_per_epoch: int):
    """The configured learning-rate schedule (``None`` for ``'none'``)."""
    name, epochs = config["scheduler"], config["epochs"]
    if name == "none":
        return None
    if name == "step":
        return S.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "onecycle":
        cycle = config["optimizer"] in ("adam", "adamw") or (
            config["optimizer"] in ("sgd", "rmsprop") and config["momentum"] > 0
        )
        return S.OneCycleLR(
            optimizer, max_lr=config["lr"], total_steps=epochs * steps_per_epoch, cycle_momentum=cycle
        )
    if name == "plateau":
        patience = max(1, config["early_stopping"] // 2) if config["early_stopping"] else 3
        return S.ReduceLROnPlateau(optimizer, mode="min", factor=0.1, patience=patience)
    raise UsageError(f"unknown scheduler {name!r}")


_SMALL_MODEL = 1_000_000


@contextlib.contextmanager
def blas_threads(threads: int | str | None, n_params: int) -> Iterator[None]:
    """Limit the BLAS thread pool for the duration of the block (needs threadpoolctl; else a no-op)."""
    if threads == "auto":
        threads = 1 if n_params < _SMALL_MODEL else None
    if threads is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=int(threads), user_api="blas"):
        yield
