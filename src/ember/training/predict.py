"""``ember predict``: a trained run's top classes for image or ``.npy`` files, with warnings for unlike inputs."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import ember

from .data import background
from .errors import Log, RunError, UsageError, stderr_log
from .rundir import load_run

__all__ = ["predict_files"]


def _read_input(path: Path, shape: tuple[int, ...], scale: float) -> np.ndarray:
    """One or more samples ``(n, *shape)`` from an image or a ``.npy`` file."""
    if path.suffix.lower() == ".npy":
        try:
            a = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise RunError(f"{path}: cannot read: {e}") from None
        if a.dtype.kind in "iu" and scale != 1.0:
            a = a.astype(np.float32) / np.float32(scale)
        a = a.astype(np.float32)
        if a.shape == shape:
            return a[None]
        if a.ndim >= 1 and a.shape[1:] == shape:
            return a
        if len(shape) == 3 and shape[0] == 1 and a.shape[-2:] == shape[1:] and a.ndim in (2, 3):
            return a.reshape(-1, *shape)
        if a.size % int(np.prod(shape)) == 0 and a.shape[-1] == int(np.prod(shape)):
            return a.reshape(-1, *shape)
        raise UsageError(f"{path}: array of shape {a.shape} does not fit the model's input shape {shape}")
    if len(shape) != 3:
        raise UsageError(f"{path}: this model takes feature vectors of shape {shape}; give a .npy file")
    try:
        from PIL import Image
    except ImportError:
        raise RunError("reading images needs Pillow: pip install 'ember[image]' (or give .npy files)") from None
    try:
        with Image.open(path) as img:
            img = img.convert("L" if shape[0] == 1 else "RGB").resize((shape[2], shape[1]), Image.BILINEAR)
            a = np.asarray(img, dtype=np.float32) / np.float32(255.0)
    except OSError as e:
        raise RunError(f"{path}: cannot read the image: {e}") from None
    a = a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0)
    return a[None]


def _input_warnings(path: Path, x: np.ndarray, meta: Mapping[str, Any], invert: bool, run_dir) -> list[str]:
    """Why the model may not recognise this input: a big downscale, or the opposite polarity."""
    shape = tuple(int(s) for s in meta["input_shape"])
    if len(shape) != 3 or path.suffix.lower() == ".npy":
        return []
    dataset = meta.get("dataset", "its training data")
    warnings = []
    try:
        from PIL import Image

        with Image.open(path) as img:
            w, h = img.size
    except (ImportError, OSError):
        w, h = shape[2], shape[1]
    factor = (w * h) / float(shape[1] * shape[2])
    if factor >= 4:
        warnings.append(
            f"{path} is {w}x{h} pixels; the model of {run_dir} takes {shape[2]}x{shape[1]} images (trained on "
            f"{dataset}), so it was shrunk {factor:.0f}x in area and fine detail is lost: predictions may be wrong")
    expected = meta.get("background")
    if expected in ("dark", "light") and x.ndim == 4:
        got = background(x)
        if got != expected:
            hint = "" if invert else " (pass --invert for dark drawings on light paper)"
            warnings.append(
                f"{path} has a {got} background but {dataset} images have a {expected} one{hint}: "
                "predictions may be wrong")
    return warnings


def predict_files(
    run_dir: str | os.PathLike,
    files: Sequence[str | os.PathLike],
    top_k: int = 3,
    checkpoint: str = "auto",
    invert: bool = False,
    log: Log = stderr_log,
) -> list[dict[str, Any]]:
    """Top-``k`` classes with probabilities for every sample in ``files`` (images or ``.npy`` arrays).

    Images are converted to the model's channels and resized to its input size; ``invert`` flips
    dark-on-light drawings to the light-on-dark of MNIST and digits. An image that unlike the
    training data (shrunk a lot, or with the opposite background) gets a warning through ``log``:
    the answer for it is unlikely to mean much.
    """
    if top_k < 1:
        raise UsageError(f"--top-k must be >= 1, got {top_k}")
    _, meta, model = load_run(run_dir, checkpoint)
    shape = tuple(int(s) for s in meta["input_shape"])
    classes = list(meta["classes"])
    results = []
    for f in files:
        path = Path(f)
        if not path.is_file():
            raise UsageError(f"no such file: {str(path)!r}")
        x = _read_input(path, shape, float(meta.get("scale", 255.0)))
        if invert:
            x = 1.0 - x
        for warning in _input_warnings(path, x, meta, invert, run_dir):
            log(f"warning: {warning}")
        with ember.no_grad():
            probs = ember.nn.functional.softmax(model(ember.from_numpy(np.ascontiguousarray(x))), dim=1).numpy()
        k = min(top_k, probs.shape[1])
        for i, p in enumerate(probs):
            order = np.argsort(-p, kind="stable")[:k]
            results.append({
                "file": str(path),
                "index": i if len(probs) > 1 else None,
                "top": [(classes[j] if j < len(classes) else str(j), float(p[j])) for j in order],
            })
    return results
