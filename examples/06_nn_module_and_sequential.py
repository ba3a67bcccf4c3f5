"""Chapter 6 -- nn.Module and nn.Sequential: two ways to write the same network.

What this teaches
-----------------
Chapter 4 kept the weights in a Python list. ``ember.nn`` packages them: an ``nn.Module``
owns its parameters (``nn.Linear`` creates W and b with PyTorch's default initialisation),
finds the parameters of the modules assigned to it as attributes, and names every one of
them with a dotted path ("fc1.weight"). That is what ``parameters()`` hands to an optimiser
and what ``state_dict()`` saves.

There are two common ways to build a network:

* subclass ``nn.Module``: create the layers in ``__init__``, write ``forward`` yourself
  (any Python control flow is allowed);
* ``nn.Sequential``: a chain of layers applied in order; with an ``OrderedDict`` the layers
  get names instead of numbers.

If both use the same names, their ``state_dict`` keys are identical, so the weights of one
load into the other and the two produce exactly the same outputs.

The network is trained for a few epochs with the update written by hand,
``p -= lr * p.grad`` for every ``p in model.parameters()`` (chapter 7 hands this to
``ember.optim``).

Run:  python examples/06_nn_module_and_sequential.py [--out DIR]
Writes:  module_vs_sequential.png (the logits of both networks against each other).
"""

from __future__ import annotations

import argparse
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
from ember.training.plots import require_matplotlib

require_matplotlib(__file__)  # one line, not a traceback, without matplotlib

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.vision.datasets import Digits

PNG = "module_vs_sequential.png"


class MLP(nn.Module):
    """64 -> 32 -> 10 with a ReLU: the subclass style."""

    def __init__(self, n_in: int = 64, n_hidden: int = 32, n_out: int = 10) -> None:
        super().__init__()  # always first: sets up the registries for parameters and submodules
        self.fc1 = nn.Linear(n_in, n_hidden)  # assigning a Module registers it under "fc1"
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def main(out: Path) -> None:
    start = time.perf_counter()
    ember.manual_seed(0)

    # 1. Build the network in the subclass style and look at it.
    model = MLP()
    print(model)
    for name, p in model.named_parameters():
        print(f"  {name:<11} {tuple(p.shape)}")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"trainable parameters: {n_params}")

    # 2. Train it briefly on the digits: forward, loss, backward, update, zero the gradients.
    train, test = Digits(train=True), Digits(train=False)
    X = ember.tensor(train.data.reshape(len(train), -1) / 255.0, dtype=ember.float32)
    y = ember.tensor(train.targets)
    X_test = ember.tensor(test.data.reshape(len(test), -1) / 255.0, dtype=ember.float32)
    y_test = ember.tensor(test.targets)
    lr, batch = 0.2, 32
    g = ember.Generator().manual_seed(0)
    for _ in range(15):
        for idx in ember.randperm(len(X), generator=g).split(batch):
            loss = F.cross_entropy(model(X[idx]), y[idx])
            model.zero_grad()
            loss.backward()
            with ember.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
    model.eval()  # no dropout or batch norm here, but it is the habit before evaluating
    with ember.no_grad():
        acc = (model(X_test).argmax(dim=1) == y_test).float().mean().item()
    print(f"subclass model after 15 epochs: test accuracy {acc:.4f}")

    # 3. The same architecture as a Sequential with named layers.
    seq = nn.Sequential(
        OrderedDict(
            [
                ("fc1", nn.Linear(64, 32)),
                ("act", nn.ReLU()),
                ("fc2", nn.Linear(32, 10)),
            ]
        )
    )
    print(seq)
    print(f"state_dict keys: {list(model.state_dict())} vs {list(seq.state_dict())}")

    # 4. Load the trained weights into the Sequential: same keys, same shapes, same function.
    result = seq.load_state_dict(model.state_dict())
    print(f"load_state_dict: {result}")
    seq.eval()
    with ember.no_grad():
        a, b = model(X_test), seq(X_test)
    max_diff = (a - b).abs().max().item()
    print(f"max |model(x) - seq(x)| on the test set: {max_diff}")
    # Indexing and slicing work on a Sequential: seq[:2] is the hidden layer of the network.
    with ember.no_grad():
        hidden = seq[:2](X_test)
    print(
        f"seq[:2] (the hidden layer) gives shape {tuple(hidden.shape)}, {(hidden > 0).float().mean().item():.0%} active"
    )

    # 5. Plot: every logit of one network against the same logit of the other.
    fig = Figure(figsize=(4.5, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.scatter(a.numpy().ravel(), b.numpy().ravel(), s=2, alpha=0.4)
    lim = np.abs(a.numpy()).max() * 1.05
    ax.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
    ax.set(
        xlabel="MLP (subclass) logits", ylabel="Sequential logits", title=f"identical outputs (max diff {max_diff:.0e})"
    )
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / PNG)
    print(f"wrote {out / PNG}")

    assert list(model.state_dict()) == list(seq.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert n_params == 64 * 32 + 32 + 32 * 10 + 10
    assert max_diff == 0.0, max_diff
    assert acc >= 0.93, acc
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
