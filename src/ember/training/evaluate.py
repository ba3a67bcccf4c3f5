"""``ember evaluate``: a trained run's loss and accuracy on a dataset split."""

from __future__ import annotations

import os
from typing import Any

from ember import nn

from .data import as_inputs, dataset_arrays, make_loader
from .errors import UsageError
from .rundir import load_run
from .trainer import Trainer

__all__ = ["evaluate_run"]


def evaluate_run(
    run_dir: str | os.PathLike,
    dataset: str | None = None,
    data_dir: str | None = None,
    checkpoint: str = "auto",
    split: str = "test",
) -> dict[str, Any]:
    """Loss and accuracy of a trained run on a dataset's test (or train) split."""
    cfg, meta, model = load_run(run_dir, checkpoint)
    name = dataset or cfg["dataset"]
    source = dict(cfg, data_dir=data_dir if data_dir is not None else cfg["data_dir"])
    raw, y, _ = dataset_arrays(name, source, train=(split == "train"))
    x, _ = as_inputs(raw, name)
    if list(x.shape[1:]) != list(meta["input_shape"]):
        raise UsageError(
            f"dataset {name!r} has inputs of shape {tuple(x.shape[1:])}, but the model of this run takes "
            f"{tuple(meta['input_shape'])} (trained on {meta.get('dataset', cfg['dataset'])!r})"
        )
    if len(y) and int(y.max()) >= int(meta["num_classes"]):
        raise UsageError(f"dataset {name!r} has label {int(y.max())}, but the model has {meta['num_classes']} classes")
    trainer = Trainer(model, _NoOptimizer(), nn.CrossEntropyLoss(), progress=False, handle_interrupt=False)
    logs = trainer.evaluate(make_loader(x, y, 512))
    return {"dataset": name, "split": split, "samples": len(y), **logs}


class _NoOptimizer:
    """Stands in for an optimizer where a Trainer only evaluates."""

    param_groups = [{"lr": 0.0, "params": []}]

    def state_dict(self) -> dict[str, Any]:
        return {}
