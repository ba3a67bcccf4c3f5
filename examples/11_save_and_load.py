"""Chapter 11 -- Saving and loading: checkpoints that resume training exactly.

What this teaches
-----------------
A trained model is its ``state_dict()``: an ordered mapping from dotted names
("0.weight", "0.bias", ...) to tensors. To *use* a model later, save that and load it into
a freshly built model of the same architecture with ``load_state_dict``.

To *continue training* later you need everything the next step depends on:

* the model's parameters (and buffers),
* the optimiser's state: Adam keeps running averages m and v of every gradient and a step
  count; without them the resumed run takes different steps,
* the learning-rate scheduler's position,
* the random number generators: dropout masks and the DataLoader's shuffle order,
* the epoch counter (and whatever history you want to plot).

``ember.save(obj, path)`` writes such a nested dict of tensors, numbers and strings;
``ember.load(path)`` reads it back. We train for 10 epochs in one go, then train for 5,
save, throw everything away, rebuild from scratch with *different* random weights, load
the checkpoint and train the remaining 5: the loss curve and the final weights are
identical to the last bit.

Run:  python examples/11_save_and_load.py [--out DIR]
Writes:  save_and_load_resume.png (loss per epoch, uninterrupted vs resumed), plus the
checkpoint files checkpoint_epoch5.pt and digits_mlp.pt in the same directory.
"""

from __future__ import annotations

import argparse
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

PNG = "save_and_load_resume.png"
EPOCHS, SAVE_AT = 10, 5


def build(seed: int):
    """Model, optimiser, scheduler and the DataLoader's generator, all from one seed."""
    ember.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
    optimizer = ember.optim.Adam(model.parameters(), lr=5e-3)
    scheduler = ember.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)
    generator = ember.Generator().manual_seed(seed)
    return model, optimizer, scheduler, generator


def train_epoch(model, optimizer, scheduler, loader) -> float:
    """One pass over the data; returns the mean training loss."""
    model.train()
    total, n = 0.0, 0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)  # dropout draws from ember's default generator
        loss.backward()
        optimizer.step()
        total += loss.item() * len(yb)
        n += len(yb)
    scheduler.step()
    return total / n


def main(out: Path) -> None:
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    train_set, test_set = Digits(train=True), Digits(train=False)
    X = ember.tensor(train_set.data.reshape(-1, 64) / 255.0, dtype=ember.float32)
    dataset = TensorDataset(X, ember.tensor(train_set.targets))
    X_test = ember.tensor(test_set.data.reshape(-1, 64) / 255.0, dtype=ember.float32)
    y_test = ember.tensor(test_set.targets)

    # 1. Run A: ten epochs without interruption.
    model, optimizer, scheduler, g = build(seed=0)
    loader = DataLoader(dataset, batch_size=32, shuffle=True, generator=g)
    losses_a = [train_epoch(model, optimizer, scheduler, loader) for _ in range(EPOCHS)]
    final_a = {k: v.clone() for k, v in model.state_dict().items()}
    print(f"run A (uninterrupted): losses {np.round(losses_a, 4).tolist()}")

    # 2. Run B, part 1: the same start, five epochs, then a full checkpoint.
    model, optimizer, scheduler, g = build(seed=0)
    loader = DataLoader(dataset, batch_size=32, shuffle=True, generator=g)
    losses_b = [train_epoch(model, optimizer, scheduler, loader) for _ in range(SAVE_AT)]
    checkpoint = {
        "epoch": SAVE_AT,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng_state": ember.get_rng_state(),  # dropout masks
        "loader_rng_state": g.get_state(),  # shuffle order
        "losses": losses_b,
    }
    ckpt_path = out / f"checkpoint_epoch{SAVE_AT}.pt"
    ember.save(checkpoint, ckpt_path)
    print(f"saved {ckpt_path} ({ckpt_path.stat().st_size / 1024:.1f} KiB) after epoch {SAVE_AT}")
    del model, optimizer, scheduler, g, loader, checkpoint, losses_b

    # 3. Run B, part 2: a new process could start here. Build everything anew -- with a different
    #    seed, to show that loading really replaces the state -- then restore the checkpoint.
    model, optimizer, scheduler, g = build(seed=123)
    checkpoint = ember.load(ckpt_path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    ember.set_rng_state(checkpoint["rng_state"])
    g.set_state(checkpoint["loader_rng_state"])
    losses_b = list(checkpoint["losses"])
    print(f"resumed at epoch {checkpoint['epoch']}, learning rate {scheduler.get_last_lr()[0]:.5f}")
    loader = DataLoader(dataset, batch_size=32, shuffle=True, generator=g)
    losses_b += [train_epoch(model, optimizer, scheduler, loader) for _ in range(checkpoint["epoch"], EPOCHS)]
    print(f"run B (saved and resumed): losses {np.round(losses_b, 4).tolist()}")

    same_losses = losses_a == losses_b
    same_weights = all(ember.equal(final_a[k], v) for k, v in model.state_dict().items())
    print(f"identical loss curves: {same_losses}; identical final weights: {same_weights}")

    # 4. For inference only the weights are needed: save the state_dict, load it into a new model.
    weights_path = out / "digits_mlp.pt"
    ember.save(model.state_dict(), weights_path)
    fresh, *_ = build(seed=7)
    fresh.load_state_dict(ember.load(weights_path))
    model.eval()
    fresh.eval()  # dropout off: predictions are deterministic
    with ember.no_grad():
        same_predictions = ember.equal(model(X_test), fresh(X_test))
        test_acc = (fresh(X_test).argmax(dim=1) == y_test).float().mean().item()
    print(f"reloaded model: test accuracy {test_acc:.4f}, same outputs as the original: {same_predictions}")

    # 5. Plot both loss curves.
    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ep = np.arange(1, EPOCHS + 1)
    ax.plot(ep, losses_a, "-", lw=4, alpha=0.4, label="run A: uninterrupted")
    ax.plot(ep, losses_b, "k--o", ms=3, label="run B: saved and resumed")
    ax.axvline(SAVE_AT + 0.5, color="tab:red", ls=":", label=f"checkpoint after epoch {SAVE_AT}")
    ax.set(xlabel="epoch", ylabel="training loss", yscale="log", title="resuming from a checkpoint changes nothing")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / PNG)
    print(f"wrote {out / PNG}")

    assert same_losses, (losses_a, losses_b)
    assert same_weights
    assert same_predictions
    assert test_acc >= 0.93, test_acc
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
