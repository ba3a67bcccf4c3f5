"""Chapter 7 -- Batch, mini-batch and stochastic gradient descent with a DataLoader.

What this teaches
-----------------
Gradient descent needs dL/dtheta, and L is a mean over the n training samples:

    L(theta) = (1/n) sum_i l(x_i, y_i; theta),     theta <- theta - lr * dL/dtheta.

How many samples we average over for one step is a trade-off:

* batch GD (all n samples): the exact gradient, but one step per pass over the data;
* stochastic GD (one sample): n cheap, very noisy steps per pass;
* mini-batch GD (B samples, here 32): an unbiased estimate with variance ~ 1/B, n/B steps
  per pass, and vectorised arithmetic. This is what everyone uses.

In PyTorch-style code the choice is one argument: ``DataLoader(dataset, batch_size=B,
shuffle=True)`` yields shuffled batches, and the training loop does not change. The optimiser
(``ember.optim.SGD``) applies theta <- theta - lr * grad to every parameter it was given.

We train the same small network from the same initial weights with the three batch sizes
for the same number of epochs and plot the training loss after every epoch.

Run:  python examples/07_minibatch_sgd_dataloader.py [--out DIR]
Writes:  gd_batch_minibatch_sgd.png (training loss per epoch for the three variants).
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

PNG = "gd_batch_minibatch_sgd.png"


def evaluate(model: nn.Module, X, y) -> tuple[float, float]:
    """Mean loss and accuracy over a whole set, without recording a graph."""
    with ember.no_grad():
        logits = model(X)
        return F.cross_entropy(logits, y).item(), (logits.argmax(dim=1) == y).float().mean().item()


def main(out: Path) -> None:
    start = time.perf_counter()
    ember.manual_seed(0)

    # 1. Data as tensors, wrapped in a TensorDataset: ds[i] is the pair (x_i, y_i).
    train, test = Digits(train=True), Digits(train=False)
    X = ember.tensor(train.data.reshape(len(train), -1) / 255.0, dtype=ember.float32)
    y = ember.tensor(train.targets)
    X_test = ember.tensor(test.data.reshape(len(test), -1) / 255.0, dtype=ember.float32)
    y_test = ember.tensor(test.targets)
    #    Standardise every pixel with the training set's mean and standard deviation: centred
    #    inputs of similar scale make gradient descent much better conditioned.
    mean, std = X.mean(dim=0), X.std(dim=0) + 0.1
    X, X_test = (X - mean) / std, (X_test - mean) / std
    dataset = TensorDataset(X, y)

    # 2. One initial network, copied for every variant so they all start from the same point.
    init = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

    # batch size and learning rate per variant: smaller batches are noisier and want smaller steps
    variants = {
        "batch GD (B = n)": (len(dataset), 0.5),
        "mini-batch GD (B = 32)": (32, 0.1),
        "stochastic GD (B = 1)": (1, 0.01),
    }
    epochs = 15
    curves, results = {}, {}
    for name, (batch_size, lr) in variants.items():
        model = copy.deepcopy(init)
        optimizer = ember.optim.SGD(model.parameters(), lr=lr)
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=ember.Generator().manual_seed(0))
        losses = [evaluate(model, X, y)[0]]  # epoch 0: before training
        steps, t0 = 0, time.perf_counter()
        for _ in range(epochs):
            model.train()
            for xb, yb in loader:  # the same five lines whatever the batch size
                optimizer.zero_grad()
                loss = F.cross_entropy(model(xb), yb)
                loss.backward()
                optimizer.step()
                steps += 1
            losses.append(evaluate(model, X, y)[0])
        seconds = time.perf_counter() - t0
        test_loss, test_acc = evaluate(model, X_test, y_test)
        curves[name] = losses
        results[name] = (losses[-1], test_acc, steps, seconds)
        print(
            f"{name:<24} {steps:>6} steps in {seconds:5.2f} s: train loss {losses[-1]:.4f}, test accuracy {test_acc:.4f}"
        )

    # 3. One plot with the three curves.
    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for name, losses in curves.items():
        ax.plot(np.arange(epochs + 1), losses, "-o", ms=3, label=f"{name}, {results[name][2]} steps")
    ax.set(xlabel="epoch (passes over the training set)", ylabel="training loss (cross-entropy)", yscale="log")
    ax.set_title("same network, same epochs, different batch sizes")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / PNG)
    print(f"wrote {out / PNG}")

    # 4. What we expect: per epoch, more (noisier) steps beat one exact step.
    batch_loss, mini_loss, sgd_loss = (results[n][0] for n in variants)
    assert mini_loss < batch_loss and sgd_loss < batch_loss, (batch_loss, mini_loss, sgd_loss)
    assert results["mini-batch GD (B = 32)"][1] >= 0.93, results
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
