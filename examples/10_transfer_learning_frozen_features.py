"""Chapter 10 -- Transfer learning: reuse a trained feature extractor, train only a new head.

What this teaches
-----------------
The hidden layers of a trained network compute features (strokes, loops, corners) that are
useful beyond the classes it was trained on. Transfer learning keeps those layers, the
*feature extractor* or *body*, and trains only a new final layer, the *head*, for a new task:

1. train body + head on task A: digits 0-4;
2. freeze the body: ``body.requires_grad_(False)`` makes autograd stop there, so
   ``loss.backward()`` computes gradients for the head only, and the optimiser is given
   the head's parameters only;
3. train a new head on task B: digits 5-9, which the body has never seen.

For a linear head on frozen features, training is convex (it is softmax regression on the
features h = body(x)), fast, and needs little data. We compare against the same head on a
frozen *random* body to see what the pretrained features bring, and we check that the
frozen weights did not move by a single bit.

Run:  python examples/10_transfer_learning_frozen_features.py [--out DIR]
Writes:  transfer_learning.png (task B test accuracy per epoch: pretrained vs random features).
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

PNG = "transfer_learning.png"


def make_body() -> nn.Module:
    """A small convolutional feature extractor: a (1, 8, 8) image -> 128 features."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (16, 4, 4)
        nn.Conv2d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (32, 2, 2)
        nn.Flatten(),  # 128 features
    )


def subset(ds: Digits, classes: range):
    """The images of the given digits as (N, 1, 8, 8) floats in [0, 1], labels renumbered from 0."""
    keep = np.isin(ds.targets, list(classes))
    X = ember.tensor(ds.data[keep].reshape(-1, 1, 8, 8) / 255.0, dtype=ember.float32)
    return X, ember.tensor(ds.targets[keep] - classes.start)


def train(model: nn.Module, params, X, y, epochs: int, lr: float, on_epoch=None) -> None:
    optimizer = ember.optim.Adam(params, lr=lr)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for epoch in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        if on_epoch is not None:
            on_epoch(epoch)


@ember.no_grad()
def accuracy(model: nn.Module, X, y) -> float:
    return (model(X).argmax(dim=1) == y).float().mean().item()


def main(out: Path) -> None:
    start = time.perf_counter()
    ember.manual_seed(0)
    train_set, test_set = Digits(train=True), Digits(train=False)

    # 1. Task A: digits 0-4. Train body and head together.
    XA, yA = subset(train_set, range(0, 5))
    XA_test, yA_test = subset(test_set, range(0, 5))
    body = make_body()
    random_body = copy.deepcopy(body)  # the same initial weights, never trained: our baseline
    model_a = nn.Sequential(body, nn.Linear(128, 5))
    train(model_a, model_a.parameters(), XA, yA, epochs=15, lr=1e-3)
    model_a.zero_grad()  # drop the last gradients of task A (set to None)
    acc_a = accuracy(model_a, XA_test, yA_test)
    print(f"task A (digits 0-4): {len(XA)} training images, test accuracy {acc_a:.4f}")

    # 2. Freeze the body and remember its weights.
    body.requires_grad_(False)
    body.eval()
    frozen_before = {k: v.clone() for k, v in body.state_dict().items()}

    # 3. Task B: digits 5-9 with a fresh head; only the head's parameters go to the optimiser.
    XB, yB = subset(train_set, range(5, 10))
    XB_test, yB_test = subset(test_set, range(5, 10))
    curves = {}
    for name, features in (("pretrained body (frozen)", body), ("random body (frozen)", random_body)):
        features.requires_grad_(False)
        head = nn.Linear(128, 5)
        model_b = nn.Sequential(features, head)
        trainable = [p for p in model_b.parameters() if p.requires_grad]
        n_trainable = sum(p.numel() for p in trainable)
        n_total = sum(p.numel() for p in model_b.parameters())
        accs: list[float] = []

        def record(_epoch, model=model_b, accs=accs):  # test accuracy after every epoch
            accs.append(accuracy(model, XB_test, yB_test))

        train(model_b, trainable, XB, yB, epochs=20, lr=3e-3, on_epoch=record)
        curves[name] = accs
        print(
            f"task B (digits 5-9), {name}: {n_trainable} of {n_total} parameters trained, test accuracy {accs[-1]:.4f}"
        )

    # 4. Did the frozen weights move? They got no gradient at all, so they cannot have.
    unchanged = all(ember.equal(frozen_before[k], v) for k, v in body.state_dict().items())
    no_grads = all(p.grad is None for p in body.parameters())
    print(f"frozen body unchanged bit for bit: {unchanged}; its parameters have no .grad: {no_grads}")

    # 5. Plot the head's test accuracy per epoch for both bodies.
    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for name, accs in curves.items():
        ax.plot(np.arange(1, len(accs) + 1), accs, "-o", ms=3, label=name)
    ax.set(
        xlabel="epoch (training the head only)",
        ylabel="test accuracy on digits 5-9",
        title="a new head on features learned from digits 0-4",
    )
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / PNG)
    print(f"wrote {out / PNG}")

    # Epoch-to-epoch accuracy wobbles by a point or two: compare the means of the last 5 epochs.
    pretrained = float(np.mean(curves["pretrained body (frozen)"][-5:]))
    random_ = float(np.mean(curves["random body (frozen)"][-5:]))
    print(f"mean test accuracy over the last 5 epochs: pretrained {pretrained:.4f}, random {random_:.4f}")
    assert acc_a >= 0.95, acc_a
    assert unchanged and no_grads
    assert curves["pretrained body (frozen)"][-1] >= 0.93, curves["pretrained body (frozen)"][-1]
    assert pretrained > random_ + 0.02, (pretrained, random_)
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
