"""PNG plots of a training run: learning curves, confusion matrix, mistakes, weights, decision regions.

matplotlib is an optional dependency (``pip install 'ember[plot]'``) imported only when a plot
is drawn. Figures are built with the object-oriented API on the Agg canvas, never through
``pyplot``: nothing is registered with pyplot's global figure manager (so nothing leaks across
calls in a long run) and the caller's interactive backend (e.g. a notebook's) is left untouched.
Each function writes its PNG atomically and returns the path it wrote.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ember.serialization._io import atomic_write

from .metrics import _labels, _to_numpy

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_first_layer_weights",
    "plot_history",
    "plot_lr",
    "plot_misclassified",
]

PathLike = str | os.PathLike

# matplotlib's default colour cycle, so regions match the points' legend colours.
_TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def require_matplotlib(program: str = "this program") -> None:
    """Exit with one line (status 1, no traceback) when matplotlib is missing: for scripts that
    exist to draw, such as the course's examples."""
    import importlib.util
    import sys

    if importlib.util.find_spec("matplotlib") is None:
        print(f"{program}: this example draws its results with matplotlib, which is not installed; "
              "install it with: pip install 'ember[plot]'", file=sys.stderr)
        raise SystemExit(1)


def _new_figure(figsize: tuple[float, float]) -> Figure:
    """A Figure attached to an Agg canvas, or an ImportError naming the extra to install."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("ember.training.plots needs matplotlib; install it with: pip install 'ember[plot]'") from e
    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: PathLike) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically (temp file in the same directory, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        fig.savefig(f, format="png")  # layouts are set when drawn: "tight" bboxes cost a second draw
    return path


def _grid(n: int) -> tuple[int, int]:
    """(rows, cols) of the squarest grid holding n cells."""
    cols = max(1, math.ceil(math.sqrt(n)))
    return max(1, math.ceil(n / cols)), cols


def _class_name(label: int, class_names: Sequence[str] | None) -> str:
    if class_names is not None and 0 <= label < len(class_names):
        return str(class_names[label])
    return str(label)


# -- learning curves ----------------------------------------------------------------------------
def plot_history(history: Mapping[str, Sequence[float]] | Any, path: PathLike,
                 step_loss: Sequence[float] | None = None) -> Path:
    """Training vs validation curves, one panel per metric (loss first), against the epoch.

    With ``step_loss`` (the training loss of every step) and fewer than 3 epochs, the loss panel
    is drawn against the step instead, so a short run still shows a learning curve.

    Args:
        history: a dict of per-epoch lists such as ``{'loss': [...], 'val_loss': [...],
            'accuracy': [...], 'val_accuracy': [...]}`` (or an object whose ``.history`` is
            one). A key ``val_X`` is drawn in the same panel as ``X``. Entry i belongs to epoch
            i + 1; ``None`` marks an epoch without a value (e.g. validation every few epochs).
            Non-numeric entries and an ``'epoch'`` key are skipped.
        path: where to write the PNG.
    """
    if not isinstance(history, Mapping) and isinstance(getattr(history, "history", None), Mapping):
        history = history.history
    if not isinstance(history, Mapping):
        raise TypeError(f"plot_history: expected a dict of per-epoch lists, got {type(history).__name__}")
    series: dict[str, np.ndarray] = {}
    for key, values in history.items():
        if key == "epoch":
            continue
        try:
            a = np.asarray(values, dtype=np.float64)  # None becomes nan: a gap in the line
        except (TypeError, ValueError):
            continue
        if a.ndim == 1 and np.isfinite(a).any():
            series[str(key)] = a
    if not series:
        raise ValueError(f"plot_history: no numeric per-epoch lists in history (keys: {list(history)})")

    # Panels in first-seen order of the base name, with the loss first since it is always there.
    bases: list[str] = []
    for key in series:
        base = key.removeprefix("val_")
        if base not in bases:
            bases.append(base)
    bases.sort(key=lambda b: b != "loss")

    fig = _new_figure((5.0 * len(bases), 4.0))
    axes = fig.subplots(1, len(bases), squeeze=False)[0]
    epochs = max(len(v) for v in series.values())
    per_step = step_loss is not None and len(step_loss) > 1 and epochs < 3
    for ax, base in zip(axes, bases, strict=True):
        if per_step and base == "loss":
            steps = np.arange(1, len(step_loss) + 1)
            loss = np.asarray(step_loss, dtype=np.float64)
            window = max(1, len(loss) // 20)
            ax.plot(steps, loss, "-", color="tab:blue", alpha=0.35 if window > 1 else 1.0, linewidth=0.8,
                    label="train (each step)")
            if window > 1:  # a moving average, so the trend reads through the batch noise
                smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
                ax.plot(steps[window - 1:], smooth, "-", color="tab:blue", label=f"train (mean of {window})")
            if "val_loss" in series:
                per_epoch = len(loss) / epochs
                ax.plot(per_epoch * np.arange(1, len(series["val_loss"]) + 1), series["val_loss"], "s",
                        color="tab:orange", label="validation (end of epoch)")
            ax.set_title("loss")
            ax.set_xlabel("step")
            ax.set_ylabel("loss")
            ax.grid(True, alpha=0.3)
            ax.legend()
            continue
        for key, label, style in ((base, "train", "-o"), (f"val_{base}", "validation", "--s")):
            if key in series:
                y = series[key]
                ax.plot(np.arange(1, len(y) + 1), y, style, label=label, markersize=3)
        ax.set_title(base.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.set_ylabel(base)
        ax.grid(True, alpha=0.3)
        ax.legend()
        if epochs <= 10:
            ax.set_xticks(range(1, epochs + 1))
        else:
            ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return _save(fig, path)


def plot_lr(lrs: Sequence[float] | Sequence[Sequence[float]] | np.ndarray, path: PathLike) -> Path:
    """The learning rate per step (one line per parameter group if ``lrs`` is steps x groups).

    The y axis is logarithmic when the rates are positive and span more than a factor of 10
    (warm-up and decay schedules are unreadable on a linear axis).
    """
    a = np.asarray(_to_numpy(lrs), dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(
            f"plot_lr: expected a non-empty sequence of rates (steps,) or (steps, groups), got shape {a.shape}"
        )
    fig = _new_figure((6.0, 4.0))
    ax = fig.add_subplot()
    steps = np.arange(a.shape[0])
    for g in range(a.shape[1]):
        ax.plot(steps, a[:, g], label=f"group {g}" if a.shape[1] > 1 else None)
    finite = a[np.isfinite(a)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 10:
        ax.set_yscale("log")
    if a.shape[1] > 1:
        ax.legend()
    ax.set_title("learning rate")
    ax.set_xlabel("step")
    ax.set_ylabel("lr")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


# -- classification diagnostics ----------------------------------------------------------------
def plot_confusion_matrix(
    cm: Any,
    path: PathLike,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
) -> Path:
    """A confusion matrix heat map (rows = true class, columns = predicted class).

    Args:
        cm: square matrix of counts, e.g. from `ember.training.metrics.confusion_matrix`.
        path: where to write the PNG.
        class_names: tick labels, one per class.
        normalize: divide each row by its total, so cells read as recall per true class
            (rows with no samples stay 0).
    """
    m = np.asarray(_to_numpy(cm), dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"plot_confusion_matrix: expected a square (C, C) matrix, got shape {m.shape}")
    n = m.shape[0]
    if class_names is not None and len(class_names) != n:
        raise ValueError(f"plot_confusion_matrix: got {len(class_names)} class_names for a {n}x{n} matrix")
    if normalize:
        rows = m.sum(axis=1, keepdims=True)
        m = np.divide(m, rows, out=np.zeros_like(m), where=rows != 0)

    side = min(12.0, max(4.0, 0.5 * n + 2.0))
    fig = _new_figure((side + 1.0, side))
    ax = fig.add_subplot()
    im = ax.imshow(m, cmap="Blues", vmin=0.0, vmax=1.0 if normalize else max(m.max(), 1.0))
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    names = [_class_name(i, class_names) for i in range(n)]
    rotate = n > 10 or max(map(len, names)) > 3  # long or many names would overlap
    ax.set_xticks(range(n), names, rotation=45 if rotate else 0, ha="right" if rotate else "center")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("confusion matrix" + (" (row-normalised)" if normalize else ""))
    if n <= 30:  # beyond this the numbers no longer fit in the cells
        threshold = m.max() / 2.0
        for i in range(n):
            for j in range(n):
                text = f"{m[i, j]:.2f}" if normalize else f"{m[i, j]:.0f}"
                ax.text(
                    j, i, text, ha="center", va="center", fontsize=8, color="white" if m[i, j] > threshold else "black"
                )
    fig.tight_layout()
    return _save(fig, path)


def _as_display_images(images: Any, fn: str) -> np.ndarray:
    """Images as (N, H, W) greyscale or (N, H, W, 3|4) colour, from the layouts a model sees."""
    x = np.asarray(_to_numpy(images))
    if x.ndim == 2:  # (N, D) flattened square images, as fed to an MLP
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(
                f"{fn}: images of shape {x.shape} are flattened but {x.shape[1]} is not a square; "
                "reshape them to (N, H, W) first"
            )
        return x.reshape(x.shape[0], side, side)
    if x.ndim == 3:
        return x
    if x.ndim == 4:
        if x.shape[1] in (1, 3):  # (N, C, H, W), the layout of a conv net's input
            x = np.moveaxis(x, 1, -1)
        elif x.shape[-1] not in (1, 3, 4):
            raise ValueError(f"{fn}: expected images (N, C, H, W) or (N, H, W, C) with C in 1, 3, got shape {x.shape}")
        return x[..., 0] if x.shape[-1] == 1 else x
    raise ValueError(f"{fn}: expected images of shape (N, D), (N, H, W) or (N, C, H, W), got shape {x.shape}")


def _rescale01(img: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1] per image, so normalised (mean-subtracted) inputs still display."""
    img = img.astype(np.float64)
    lo, hi = np.nanmin(img), np.nanmax(img)
    return (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)


def plot_misclassified(
    images: Any,
    y_true: Any,
    y_pred: Any,
    path: PathLike,
    class_names: Sequence[str] | None = None,
    max_images: int = 25,
) -> Path:
    """A grid of the first ``max_images`` misclassified images, titled with true and predicted class.

    Args:
        images: (N, H, W), (N, C, H, W), (N, H, W, C) or (N, D) with D a square (flattened).
        y_true: true labels (N,).
        y_pred: predicted labels (N,) or scores (N, C).
        path: where to write the PNG. If nothing is misclassified the image says so.
        class_names: names to print instead of label numbers.
        max_images: cap on the number of images shown.
    """
    fn = "plot_misclassified"
    images = _to_numpy(images)
    x = _as_display_images(images, fn)
    t_raw, p_raw = _to_numpy(y_true), _to_numpy(y_pred)
    if not (t_raw.ndim and p_raw.ndim and x.shape[0] == t_raw.shape[0] == p_raw.shape[0]):
        raise ValueError(
            f"{fn}: images, y_true and y_pred disagree on N: shapes {images.shape}, {t_raw.shape}, {p_raw.shape}"
        )
    t = _labels(t_raw, fn, "y_true")
    p = _labels(p_raw, fn, "y_pred")
    if max_images < 1:
        raise ValueError(f"{fn}: max_images must be >= 1, got {max_images}")
    wrong = np.flatnonzero(t != p)[:max_images]

    if wrong.size == 0:
        fig = _new_figure((4.0, 2.0))
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, f"no misclassified examples among {t.shape[0]}", ha="center", va="center")
        return _save(fig, path)

    # One image of all the mistakes side by side (one imshow, not one axes per image: 10x faster to draw)
    rows, cols = _grid(wrong.size)
    tiles = np.stack([_rescale01(x[i]) for i in wrong])
    h, w = tiles.shape[1:3]
    caption = max(2, h // 3)
    mosaic = _mosaic(tiles, cols, fill=1.0, caption=caption)
    fig = _new_figure((max(1.5 * cols, 3.0), max(1.6 * rows, 2.0) + 0.4))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0 - 0.4 / (max(1.6 * rows, 2.0) + 0.4)))
    ax.imshow(mosaic, cmap="gray" if mosaic.ndim == 2 else None, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.axis("off")
    for k, i in enumerate(wrong):
        r, c = divmod(k, cols)
        ax.text(c * (w + _PAD) + w / 2 - 0.5, r * (h + caption + _PAD) + h - 0.5 + caption * 0.55,
                f"{_class_name(int(t[i]), class_names)}→{_class_name(int(p[i]), class_names)}",
                ha="center", va="center", fontsize=7, color="tab:red")
    fig.suptitle(f"misclassified (true→predicted): {np.count_nonzero(t != p)} of {t.shape[0]} (showing {wrong.size})",
                 fontsize=9)
    return _save(fig, path)


_PAD = 1  # pixels between tiles


def _mosaic(tiles: np.ndarray, cols: int, fill: float = 0.0, caption: int = 0) -> np.ndarray:
    """Tiles (N, H, W[, C]) in a grid ``cols`` wide, ``_PAD`` pixels apart and ``caption`` empty
    pixel rows under each (room for a label), as one array."""
    n, h, w = tiles.shape[:3]
    rows = -(-n // cols)
    shape = (rows * (h + caption + _PAD) - _PAD, cols * (w + _PAD) - _PAD) + tiles.shape[3:]
    out = np.full(shape, fill, dtype=np.float64)
    for k in range(n):
        r, c = divmod(k, cols)
        y, x0 = r * (h + caption + _PAD), c * (w + _PAD)
        out[y:y + h, x0:x0 + w] = tiles[k]
    return out


def plot_first_layer_weights(
    weight: Any,
    path: PathLike,
    image_shape: tuple[int, ...] | None = None,
    max_units: int = 100,
) -> Path:
    """Each first-layer unit's incoming weights drawn as an image: what the unit looks for.

    Args:
        weight: a Linear weight (out_features, in_features), or a Conv2d weight
            (out_channels, C, kH, kW) whose filters are drawn directly.
        path: where to write the PNG.
        image_shape: (H, W) or (C, H, W) with ``prod == in_features``; inferred for a square
            ``in_features``. C == 3 draws colour filters.
        max_units: cap on the number of units shown (the first ones).
    """
    fn = "plot_first_layer_weights"
    w = np.asarray(_to_numpy(weight), dtype=np.float64)
    if w.ndim == 4:
        if image_shape is None:
            image_shape = w.shape[1:]
        w = w.reshape(w.shape[0], -1)
    if w.ndim != 2:
        raise ValueError(f"{fn}: expected a weight of shape (out, in) or (out, C, kH, kW), got shape {w.shape}")
    if image_shape is None:
        side = math.isqrt(w.shape[1])
        if side * side != w.shape[1]:
            raise ValueError(
                f"{fn}: in_features={w.shape[1]} (weight shape {w.shape}) is not a square; pass image_shape"
            )
        image_shape = (side, side)
    image_shape = tuple(int(s) for s in image_shape)
    if math.prod(image_shape) != w.shape[1]:
        raise ValueError(
            f"{fn}: image_shape {image_shape} has {math.prod(image_shape)} pixels, "
            f"but weight {w.shape} has {w.shape[1]} inputs"
        )
    if len(image_shape) == 3 and image_shape[0] == 1:
        image_shape = image_shape[1:]
    if len(image_shape) == 3 and image_shape[0] != 3:
        raise ValueError(f"{fn}: image_shape (C, H, W) must have C of 1 or 3, got {image_shape}")
    if len(image_shape) not in (2, 3):
        raise ValueError(f"{fn}: image_shape must be (H, W) or (C, H, W), got {image_shape}")

    units = w[:max_units]
    rows, cols = _grid(units.shape[0])
    imgs = np.stack([u.reshape(image_shape) for u in units])
    fig = _new_figure((max(1.0 * cols, 3.0) + 1.0, max(1.0 * rows, 2.5)))
    ax = fig.add_axes((0.02, 0.02, 0.78, 0.88))
    ax.axis("off")
    if imgs.ndim == 4:  # colour filters: each rescaled to [0, 1] (no common scale to show)
        mosaic = _mosaic(np.stack([_rescale01(np.moveaxis(i, 0, -1)) for i in imgs]), cols, fill=1.0)
        ax.imshow(mosaic, interpolation="nearest")
    else:
        # One diverging scale for all units, centred on 0 (red excites, blue inhibits), read off the colour bar.
        v = float(np.abs(imgs).max()) or 1.0
        mosaic = _mosaic(imgs, cols, fill=np.nan)
        im = ax.imshow(mosaic, cmap="bwr", vmin=-v, vmax=v, interpolation="nearest")
        cax = fig.add_axes((0.84, 0.1, 0.04, 0.75))
        fig.colorbar(im, cax=cax, label="weight")
    fig.suptitle(f"first-layer weights ({units.shape[0]} of {w.shape[0]} units)", fontsize=9)
    return _save(fig, path)


def plot_decision_boundary(
    predict_fn: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    path: PathLike,
    resolution: int = 200,
) -> Path:
    """Decision regions of a 2-D classifier with the data points on top.

    Args:
        predict_fn: maps an (n, 2) float array to labels (n,) (scores (n, C) are argmax-ed).
            Labels may be any integers, e.g. {-1, +1} for a perceptron.
        X: inputs (N, 2).
        y: true labels (N,).
        path: where to write the PNG.
        resolution: grid points per axis.
    """
    fn = "plot_decision_boundary"
    x = np.asarray(_to_numpy(X), dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2 or x.shape[0] == 0:
        raise ValueError(f"{fn}: expected X of shape (N, 2), got shape {x.shape}")
    labels = _labels(y, fn, "y")
    if labels.shape[0] != x.shape[0]:
        raise ValueError(f"{fn}: X and y disagree on N: shapes {x.shape} and {labels.shape}")

    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = 0.1 * np.where(hi > lo, hi - lo, 1.0)
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    xx, yy = np.meshgrid(gx, gy)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    z = _to_numpy(predict_fn(grid))
    if z.ndim == 2 and z.shape[1] == 1:
        z = z[:, 0]
    z = _labels(z, fn, "predict_fn(grid)")
    if z.shape[0] != grid.shape[0]:
        raise ValueError(f"{fn}: predict_fn returned shape {z.shape} for a grid of shape {grid.shape}")

    # Map arbitrary label values to colour indices 0..K-1 shared by regions and points.
    classes = np.union1d(labels, z)
    zi = np.searchsorted(classes, z).reshape(xx.shape)
    yi = np.searchsorted(classes, labels)
    k = classes.size

    fig = _new_figure((6.0, 5.0))  # first: it raises the helpful ImportError
    from matplotlib.colors import ListedColormap

    ax = fig.add_subplot()
    cmap = ListedColormap([_TAB10[i % len(_TAB10)] for i in range(k)])
    ax.contourf(xx, yy, zi, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.3)
    ax.scatter(x[:, 0], x[:, 1], c=yi, cmap=cmap, vmin=-0.5, vmax=k - 0.5, edgecolors="k", linewidths=0.5, s=20)
    for i, c in enumerate(classes):
        ax.scatter([], [], color=cmap(i), edgecolors="k", label=str(c))
    ax.legend(title="class", loc="best")
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("decision regions")
    fig.tight_layout()
    return _save(fig, path)
