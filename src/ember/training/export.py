"""``ember export``: a trained run's model as ONNX."""

from __future__ import annotations

import os

import ember
import ember.onnx as eonnx

from .errors import RunError, UsageError
from .rundir import load_run

__all__ = ["export_run"]


def export_run(run_dir: str | os.PathLike, output: str | os.PathLike, checkpoint: str = "auto",
               opset_version: int | None = None) -> tuple[str, tuple]:
    """Export a run's model to ONNX at ``output`` with a dynamic batch; returns (path, input shape)."""
    try:
        eonnx._export._require_onnx()
    except ImportError as e:
        raise UsageError(str(e)) from None
    _cfg, meta, model = load_run(run_dir, checkpoint)
    shape = tuple(int(s) for s in meta["input_shape"])
    example = ember.zeros((2,) + shape)
    try:
        eonnx.export(model, (example,), os.fspath(output), input_names=["input"], output_names=["logits"],
                     opset_version=opset_version, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    except (eonnx.OnnxExporterError, ValueError) as e:
        raise RunError(str(e)) from None
    except OSError as e:
        raise UsageError(f"cannot write {os.fspath(output)!r}: {e.strerror or e}") from None
    return os.fspath(output), shape
