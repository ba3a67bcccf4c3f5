"""ember.training.plots: every plot writes a real, non-trivial PNG and validates its inputs."""

import builtins
import sys

import numpy as np
import pytest

# Importing the module needs no matplotlib (it is imported when a plot is drawn).
from ember.training import plots
from ember.training.plots import (
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_first_layer_weights,
    plot_history,
    plot_lr,
    plot_misclassified,
)

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")


def _open_png(path):
    """Open the PNG, check it is a sensible image and return it as an RGB array."""
    with Image.open(path) as im:
        assert im.format == "PNG"
        width, height = im.size
        assert width > 100 and height > 100
        return np.asarray(im.convert("RGB"))


def _n_colours(rgb):
    return len(np.unique(rgb.reshape(-1, 3), axis=0))


def test_plot_history_writes_png_and_returns_path(tmp_path):
    history = {
        "loss": [1.0, 0.6, 0.4, 0.3],
        "val_loss": [1.1, 0.7, 0.5, 0.45],
        "accuracy": [0.5, 0.7, 0.8, 0.85],
        "val_accuracy": [0.45, 0.65, 0.75, None],  # a missing value is a gap, not an error
        "epoch": [1, 2, 3, 4],
        "note": ["a", "b", "c", "d"],  # non-numeric: skipped
    }
    out = plot_history(history, tmp_path / "history.png")
    assert out == tmp_path / "history.png"
    rgb = _open_png(out)
    assert rgb.shape[1] > rgb.shape[0]  # two panels side by side: loss and accuracy
    assert _n_colours(rgb) > 10
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temp file
    assert out.stat().st_mode & 0o044 == 0o044  # group/world readable, not mkstemp's 0600


def test_plot_history_accepts_object_with_history_attribute_and_creates_dirs(tmp_path):
    class History:
        def __init__(self):
            self.history = {"loss": [0.5, 0.4]}

    out = plot_history(History(), tmp_path / "sub" / "dir" / "h.png")
    _open_png(out)


def test_plot_history_rejects_history_without_numbers(tmp_path):
    with pytest.raises(ValueError, match="no numeric per-epoch lists"):
        plot_history({"name": ["x"]}, tmp_path / "h.png")
    with pytest.raises(TypeError, match="dict of per-epoch lists"):
        plot_history([1.0, 2.0], tmp_path / "h.png")


@pytest.mark.parametrize("normalize", [False, True])
def test_plot_confusion_matrix(tmp_path, normalize):
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 0]])  # an empty row must not divide by zero
    out = plot_confusion_matrix(cm, tmp_path / "cm.png", class_names=["cat", "dog", "eel"], normalize=normalize)
    assert _n_colours(_open_png(out)) > 10


def test_plot_confusion_matrix_validates_shape_and_names(tmp_path):
    with pytest.raises(ValueError, match=r"square.*\(2, 3\)"):
        plot_confusion_matrix(np.zeros((2, 3)), tmp_path / "cm.png")
    with pytest.raises(ValueError, match="2 class_names for a 3x3"):
        plot_confusion_matrix(np.eye(3), tmp_path / "cm.png", class_names=["a", "b"])


@pytest.mark.parametrize(
    "shape",
    [(12, 8, 8), (12, 1, 8, 8), (12, 3, 8, 8), (12, 8, 8, 3), (12, 64)],
    ids=["NHW", "N1HW", "N3HW", "NHW3", "flat"],
)
def test_plot_misclassified_layouts(tmp_path, shape):
    rng = np.random.default_rng(0)
    images = rng.normal(size=shape).astype(np.float32)  # normalised data, not in [0, 1]
    y_true = np.arange(12) % 3
    logits = rng.normal(size=(12, 3))
    out = plot_misclassified(images, y_true, logits, tmp_path / "wrong.png", class_names=["a", "b", "c"], max_images=6)
    assert _n_colours(_open_png(out)) > 10


def test_plot_misclassified_with_no_mistakes_still_writes_an_image(tmp_path):
    images = np.zeros((4, 5, 5))
    out = plot_misclassified(images, [0, 1, 2, 3], [0, 1, 2, 3], tmp_path / "none.png")
    _open_png(out)


def test_plot_misclassified_validates(tmp_path):
    with pytest.raises(ValueError, match="not a square"):
        plot_misclassified(np.zeros((2, 10)), [0, 1], [1, 0], tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"disagree on N.*\(3, 4, 4\), \(3,\), \(2,\)"):
        plot_misclassified(np.zeros((3, 4, 4)), [0, 1, 2], [1, 0], tmp_path / "x.png")


def test_plot_first_layer_weights_linear_square_and_explicit_shape(tmp_path):
    rng = np.random.default_rng(1)
    out = plot_first_layer_weights(rng.normal(size=(16, 28 * 28)), tmp_path / "w.png")
    assert _n_colours(_open_png(out)) > 10
    out = plot_first_layer_weights(rng.normal(size=(10, 3 * 8 * 6)), tmp_path / "w_rgb.png", image_shape=(3, 8, 6))
    _open_png(out)


def test_plot_first_layer_weights_conv_filters_and_max_units(tmp_path):
    rng = np.random.default_rng(2)
    out = plot_first_layer_weights(rng.normal(size=(200, 1, 5, 5)), tmp_path / "conv.png", max_units=36)
    _open_png(out)


def test_plot_first_layer_weights_validates(tmp_path):
    with pytest.raises(ValueError, match="not a square; pass image_shape"):
        plot_first_layer_weights(np.zeros((4, 10)), tmp_path / "w.png")
    with pytest.raises(ValueError, match=r"image_shape \(3, 3\) has 9 pixels"):
        plot_first_layer_weights(np.zeros((4, 10)), tmp_path / "w.png", image_shape=(3, 3))


def test_plot_decision_boundary_shows_both_regions(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] + X[:, 1] > 0, 1, -1)  # perceptron-style labels

    def predict(points):
        return np.where(points[:, 0] + points[:, 1] > 0, 1, -1)

    out = plot_decision_boundary(predict, X, y, tmp_path / "boundary.png")
    rgb = _open_png(out)
    assert _n_colours(rgb) > 2  # not a single colour: two regions plus points
    # Both region colours fill large areas: opposite corners of the axes differ.
    h, w, _ = rgb.shape
    assert not np.array_equal(rgb[int(0.25 * h), int(0.3 * w)], rgb[int(0.75 * h), int(0.8 * w)])


def test_plot_decision_boundary_accepts_scores_and_validates(tmp_path):
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])

    def scores(points):
        return np.stack([-points[:, 0], points[:, 0]], axis=1)  # argmax -> class 1 when x0 > 0

    _open_png(plot_decision_boundary(scores, X, [0, 1, 0], tmp_path / "b.png"))
    with pytest.raises(ValueError, match=r"\(N, 2\).*\(3, 3\)"):
        plot_decision_boundary(scores, np.zeros((3, 3)), [0, 1, 0], tmp_path / "b.png")


def test_plot_lr_linear_and_log_scale_and_groups(tmp_path):
    warmup_cosine = np.concatenate([np.linspace(1e-4, 1e-1, 10), 1e-1 * np.cos(np.linspace(0, 1.5, 90)) + 1e-4])
    _open_png(plot_lr(warmup_cosine, tmp_path / "lr.png"))
    _open_png(plot_lr([[0.1, 0.01]] * 5, tmp_path / "lr_groups.png"))
    with pytest.raises(ValueError, match="non-empty"):
        plot_lr([], tmp_path / "lr_empty.png")


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    with pytest.raises(ImportError, match=r"pip install 'ember\[plot\]'"):
        plots.plot_lr([0.1, 0.2], tmp_path / "lr.png")
    assert not (tmp_path / "lr.png").exists()
