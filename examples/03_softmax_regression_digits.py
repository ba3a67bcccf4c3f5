"""Chapter 3 -- Softmax regression on the handwritten digits.

What this teaches
-----------------
Softmax (multinomial logistic) regression generalises chapter 2 to K classes. Each class k
has a weight column W[:, k]; the scores ("logits") Z = X W + b become probabilities with

    P_ik = softmax(Z_i)_k = exp(Z_ik) / sum_j exp(Z_ij),

and the loss is the mean cross-entropy against the one-hot targets Y,

    L = -(1/n) sum_i sum_k Y_ik log P_ik.

The softmax's Jacobian and the log cancel just as in the binary case:

    dL/dZ = (P - Y) / n,    dL/dW = X^T (P - Y) / n,    dL/db = mean over i of (P_i - Y_i).

We train ``ember.classic.SoftmaxRegression`` (which implements exactly this in NumPy) on
the 8x8 digits that ship with ember, and look at which digits it confuses.

Run:  python examples/03_softmax_regression_digits.py [--out DIR]
Writes:  softmax_confusion.png (test confusion matrix), softmax_weights.png (W as images),
softmax_history.png (training loss and accuracy per epoch).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ember.classic import SoftmaxRegression
from ember.training.metrics import confusion_matrix
from ember.training.plots import require_matplotlib

require_matplotlib(__file__)  # one line, not a traceback, without matplotlib

from ember.training.plots import plot_confusion_matrix, plot_first_layer_weights, plot_history
from ember.vision.datasets import Digits

PNGS = ("softmax_confusion.png", "softmax_weights.png", "softmax_history.png")


def main(out: Path) -> None:
    start = time.perf_counter()

    # 1. Data: 1,797 images of 8x8 pixels (0..255), a stratified 75/25 split. Flatten each
    #    image into 64 features and scale them to [0, 1].
    train, test = Digits(train=True), Digits(train=False)
    X_train = train.data.reshape(len(train), -1) / 255.0
    X_test = test.data.reshape(len(test), -1) / 255.0
    y_train, y_test = train.targets, test.targets
    print(f"train {X_train.shape}, test {X_test.shape}, classes {train.classes}")

    # 2. Mini-batch gradient descent on the cross-entropy with a small L2 penalty.
    clf = SoftmaxRegression(lr=0.5, epochs=60, alpha=1e-4, batch_size=64, random_state=0)
    clf.fit(X_train, y_train)
    train_acc, test_acc = clf.score(X_train, y_train), clf.score(X_test, y_test)
    print(f"final training loss {clf.history_['loss'][-1]:.4f}")
    print(f"train accuracy {train_acc:.4f}, test accuracy {test_acc:.4f}")

    # 3. The gradient the learner uses is the hand-derived one: compare it with central
    #    differences on one weight.
    loss, grads = clf.loss_and_gradients(X_train, y_train)
    eps, (r, c) = 1e-6, (36, 3)
    clf.coef_[r, c] += eps
    loss_plus, _ = clf.loss_and_gradients(X_train, y_train)
    clf.coef_[r, c] -= 2 * eps
    loss_minus, _ = clf.loss_and_gradients(X_train, y_train)
    clf.coef_[r, c] += eps
    numeric = (loss_plus - loss_minus) / (2 * eps)
    print(f"dL/dW[{r},{c}]: by hand {grads['coef'][r, c]:.8f}, finite differences {numeric:.8f}")

    # 4. Where does it go wrong? Rows: true digit, columns: predicted digit.
    cm = confusion_matrix(y_test, clf.predict(X_test), num_classes=10)
    off = cm - np.diag(np.diag(cm))
    i, j = np.unravel_index(off.argmax(), off.shape)
    print(f"most frequent confusion: true {i} predicted as {j} ({off[i, j]} times)")

    out.mkdir(parents=True, exist_ok=True)
    plot_confusion_matrix(cm, out / PNGS[0], class_names=train.classes)
    # Each column W[:, k] is a 64-pixel template for digit k: draw them as 8x8 images.
    plot_first_layer_weights(clf.coef_.T, out / PNGS[1], image_shape=(8, 8))
    plot_history(clf.history_, out / PNGS[2])
    print("wrote", ", ".join(str(out / p) for p in PNGS))

    assert abs(numeric - grads["coef"][r, c]) < 1e-7
    assert np.trace(cm) == round(test_acc * len(y_test))
    assert test_acc >= 0.93, test_acc
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
