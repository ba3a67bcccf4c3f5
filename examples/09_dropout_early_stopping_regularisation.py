"""Chapter 9 -- Overfitting, and three cures: dropout, L2 weight decay, early stopping.

What this teaches
-----------------
A network with many more parameters than training samples can memorise them: the
training loss keeps falling while the loss on held-out data turns around and rises. We
provoke that on purpose (a 256-unit network, 150 training images) and compare:

* no regularisation: the baseline that overfits;
* dropout (p = 0.5): during training every hidden unit is zeroed with probability p and
  the survivors are scaled by 1 / (1 - p), so no unit can rely on a particular other one;
  ``model.eval()`` switches it off (the scaling keeps the expected activation unchanged);
* L2 weight decay: minimise L + (lambda / 2) ||w||^2, whose gradient adds lambda * w, so
  every step also shrinks the weights: w <- w - lr * (dL/dw + lambda * w). In PyTorch-style
  optimisers this is ``weight_decay=lambda``;
* early stopping: watch the validation loss, stop after ``patience`` epochs without
  improvement, and restore the weights of the best epoch.

Run:  python examples/09_dropout_early_stopping_regularisation.py [--out DIR]
Writes:  regularisation_curves.png (training and validation loss of each variant).
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np
from ember.training.plots import require_matplotlib

require_matplotlib(__file__)  # one line, not a traceback, without matplotlib

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset
from ember.vision.datasets import Digits

PNG = "regularisation_curves.png"


def make_model(dropout: float) -> nn.Module:
    layers = [nn.Linear(64, 256), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers += [nn.Linear(256, 256), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(256, 10))
    return nn.Sequential(*layers)


@ember.no_grad()
def evaluate(model: nn.Module, X, y) -> tuple[float, float]:
    model.eval()  # dropout off
    logits = model(X)
    return F.cross_entropy(logits, y).item(), (logits.argmax(dim=1) == y).float().mean().item()


def train(model, X, y, X_val, y_val, *, weight_decay=0.0, epochs=150, patience=None):
    """Mini-batch Adam; returns the per-epoch history and, with patience, the best epoch."""
    optimizer = ember.optim.Adam(model.parameters(), lr=3e-3, weight_decay=weight_decay)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    history = {"loss": [], "val_loss": []}
    best_loss, best_state, best_epoch, wait = float("inf"), None, 0, 0
    for epoch in range(1, epochs + 1):
        model.train()  # dropout on
        for xb, yb in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        history["loss"].append(evaluate(model, X, y)[0])
        history["val_loss"].append(evaluate(model, X_val, y_val)[0])
        if patience is not None:  # early stopping
            if history["val_loss"][-1] < best_loss:
                best_loss, best_epoch, wait = history["val_loss"][-1], epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                wait += 1
                if wait >= patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)  # go back to the best epoch
    return history, best_epoch


def main(out: Path) -> None:
    start = time.perf_counter()
    ember.manual_seed(0)

    # 1. A deliberately small training set (15 images per digit),
    #    400 other training images as the validation set to watch, and the test set for the final word.
    digits, test = Digits(train=True), Digits(train=False)
    rng = np.random.default_rng(0)
    train_idx = np.concatenate([rng.permutation(np.flatnonzero(digits.targets == c))[:15] for c in range(10)])
    val_idx = rng.permutation(np.setdiff1d(np.arange(len(digits)), train_idx))[:400]

    def as_tensors(data, targets):
        return ember.tensor(data.reshape(len(data), -1) / 255.0, dtype=ember.float32), ember.tensor(targets)

    X, y = as_tensors(digits.data[train_idx], digits.targets[train_idx])
    X_val, y_val = as_tensors(digits.data[val_idx], digits.targets[val_idx])
    X_test, y_test = as_tensors(test.data, test.targets)
    print(f"train {len(X)}, validation {len(X_val)}, test {len(X_test)} images")

    # 2. Four runs from the same initial weights (same seed before building each model).
    variants = {
        "no regularisation": dict(dropout=0.0, weight_decay=0.0, patience=None),
        "dropout p=0.5": dict(dropout=0.5, weight_decay=0.0, patience=None),
        "L2 weight decay 1e-3": dict(dropout=0.0, weight_decay=1e-3, patience=None),
        "early stopping (patience 10)": dict(dropout=0.0, weight_decay=0.0, patience=10),
    }
    runs = {}
    for name, cfg in variants.items():
        ember.manual_seed(1)
        model = make_model(cfg["dropout"])
        history, best_epoch = train(
            model, X, y, X_val, y_val, weight_decay=cfg["weight_decay"], patience=cfg["patience"]
        )
        val_loss, _ = evaluate(model, X_val, y_val)
        _, test_acc = evaluate(model, X_test, y_test)
        runs[name] = dict(history=history, best_epoch=best_epoch, val_loss=val_loss, test_acc=test_acc)
        h = history
        extra = f", stopped after {len(h['loss'])} epochs, restored epoch {best_epoch}" if cfg["patience"] else ""
        print(
            f"{name:<29} train loss {h['loss'][-1]:.4f}, validation loss final {val_loss:.4f} "
            f"(lowest {min(h['val_loss']):.4f} at epoch {int(np.argmin(h['val_loss'])) + 1}), "
            f"test accuracy {test_acc:.4f}{extra}"
        )

    # 3. One panel per variant: training vs validation loss.
    fig = Figure(figsize=(14, 3.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(runs), sharey=True)
    for ax, (name, r) in zip(axes, runs.items()):
        ep = np.arange(1, len(r["history"]["loss"]) + 1)
        ax.plot(ep, r["history"]["loss"], label="train")
        ax.plot(ep, r["history"]["val_loss"], label="validation")
        if r["best_epoch"]:
            ax.axvline(r["best_epoch"], color="k", ls=":", label=f"best epoch {r['best_epoch']}")
        ax.set(title=f"{name}\ntest acc {r['test_acc']:.3f}", xlabel="epoch", yscale="log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("cross-entropy")
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / PNG)
    print(f"wrote {out / PNG}")

    # 4. What we expect.
    base = runs["no regularisation"]
    # the baseline overfits: its validation loss ends well above its own minimum
    assert base["val_loss"] > 1.1 * min(base["history"]["val_loss"]), base["val_loss"]
    # each cure ends with a lower validation loss than the baseline
    for name in list(variants)[1:]:
        assert runs[name]["val_loss"] < base["val_loss"], (name, runs[name]["val_loss"], base["val_loss"])
    # early stopping stopped early and gave back the weights of its best epoch
    es = runs["early stopping (patience 10)"]
    assert len(es["history"]["loss"]) < 150
    assert abs(es["val_loss"] - min(es["history"]["val_loss"])) < 1e-6
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
