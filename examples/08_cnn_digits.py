"""Chapter 8 -- A small convolutional network on the 8x8 digits.

What this teaches
-----------------
A fully connected layer treats an image as 64 unrelated numbers. A convolution slides a
small filter (here 3x3) over the image and computes the same weighted sum at every
position,

    out[c_out, i, j] = b[c_out] + sum_{c_in, u, v} W[c_out, c_in, u, v] * x[c_in, i + u, j + v],

so a stroke detector learned in one corner works everywhere (weight sharing) with only
9 weights per filter and input channel. Its gradient is again a convolution: dL/dW is the
correlation of the input with dL/dout, and dL/dx is the "full" convolution of dL/dout with
the flipped filter. Max pooling keeps the largest value of each 2x2 block (its gradient
goes to that winner only), halving the resolution.

The pipeline is the one used for MNIST-size data: a torchvision-style transform turns each
image into a normalised ``(1, 8, 8)`` tensor, a DataLoader batches them, ``nn.Conv2d`` /
``nn.MaxPool2d`` / ``nn.Linear`` build the model and Adam trains it.

Run:  python examples/08_cnn_digits.py [--out DIR]
Writes:  cnn_history.png (loss and accuracy curves), cnn_confusion.png (test confusion matrix),
cnn_filters.png (the 16 learned 3x3 filters), cnn_misclassified.png (the test mistakes).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.training.metrics import confusion_matrix
from ember.training.plots import require_matplotlib

require_matplotlib(__file__)  # one line, not a traceback, without matplotlib

from ember.training.plots import plot_confusion_matrix, plot_first_layer_weights, plot_history, plot_misclassified
from ember.utils.data import DataLoader
from ember.vision import transforms
from ember.vision.datasets import Digits

PNGS = ("cnn_history.png", "cnn_confusion.png", "cnn_filters.png", "cnn_misclassified.png")


class SmallCNN(nn.Module):
    """(1, 8, 8) -> conv 3x3 (16) -> pool -> (16, 4, 4) -> conv 3x3 (32) -> pool -> (32, 2, 2) -> 10 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)  # padding=1 keeps 8x8
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))  # (N, 16, 4, 4)
        x = self.pool(F.relu(self.conv2(x)))  # (N, 32, 2, 2)
        return self.fc(x.flatten(1))  # (N, 10)


@ember.no_grad()
def evaluate(model: nn.Module, loader: DataLoader) -> tuple[float, float, ember.Tensor]:
    """Mean loss, accuracy and the predicted labels over a whole loader."""
    model.eval()
    total, correct, loss_sum, preds = 0, 0, 0.0, []
    for xb, yb in loader:
        logits = model(xb)
        loss_sum += F.cross_entropy(logits, yb, reduction="sum").item()
        pred = logits.argmax(dim=1)
        correct += (pred == yb).sum().item()
        total += len(yb)
        preds.append(pred)
    return loss_sum / total, correct / total, ember.cat(preds)


def main(out: Path) -> None:
    start = time.perf_counter()
    ember.manual_seed(0)

    # 1. Data: ToTensor maps the 0..255 pixels to [0, 1] with shape (1, 8, 8); Normalize centres them.
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    train_set = Digits(train=True, transform=transform)
    test_set = Digits(train=False, transform=transform)
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)
    xb, yb = next(iter(train_loader))
    print(f"a batch: images {tuple(xb.shape)} {xb.dtype}, labels {tuple(yb.shape)} {yb.dtype}")

    # 2. Model, loss, optimiser.
    model = SmallCNN()
    print(model)
    print(f"parameters: {sum(p.numel() for p in model.parameters())}")
    criterion = nn.CrossEntropyLoss()
    optimizer = ember.optim.Adam(model.parameters(), lr=3e-3)

    # 3. The training loop, with the test set as validation after each epoch.
    history = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
    for epoch in range(1, 13):
        model.train()
        seen, loss_sum, correct = 0, 0.0, 0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            logits = model(xb)
            loss = criterion(logits, yb)
            loss.backward()
            optimizer.step()
            seen += len(yb)
            loss_sum += loss.item() * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum().item()
        val_loss, val_acc, _ = evaluate(model, test_loader)
        history["loss"].append(loss_sum / seen)
        history["accuracy"].append(correct / seen)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_acc)
        print(
            f"epoch {epoch:2d}: train loss {loss_sum / seen:.4f}, test loss {val_loss:.4f}, test accuracy {val_acc:.4f}"
        )

    # 4. Final evaluation and plots.
    test_loss, test_acc, pred = evaluate(model, test_loader)
    print(f"test accuracy {test_acc:.4f} ({int(round(test_acc * len(test_set)))} of {len(test_set)})")
    out.mkdir(parents=True, exist_ok=True)
    plot_history(history, out / PNGS[0])
    cm = confusion_matrix(test_set.targets, pred, num_classes=10)
    plot_confusion_matrix(cm, out / PNGS[1], class_names=test_set.classes)
    plot_first_layer_weights(model.conv1.weight.detach(), out / PNGS[2])
    plot_misclassified(test_set.data, test_set.targets, pred, out / PNGS[3])
    print("wrote", ", ".join(str(out / p) for p in PNGS))

    assert test_acc >= 0.95, test_acc
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
