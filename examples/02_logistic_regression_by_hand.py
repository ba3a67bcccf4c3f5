"""Chapter 2 -- Logistic regression, gradient derived by hand.

What this teaches
-----------------
Logistic regression replaces the perceptron's hard threshold by a smooth probability,

    p = sigmoid(z) = 1 / (1 + exp(-z)),    z = X w + b,

and fits w, b by minimising the mean log-loss (binary cross-entropy)

    L(w, b) = -(1/n) sum_i [ y_i log p_i + (1 - y_i) log(1 - p_i) ].

Because sigmoid'(z) = p (1 - p), the chain rule collapses to the famous residual form

    dL/dz_i = (p_i - y_i) / n,    dL/dw = X^T (p - y) / n,    dL/db = mean(p - y).

We write gradient descent with exactly these two lines in NumPy, check the hand-derived
gradient against central finite differences, and check that our weights match
``ember.classic.LogisticRegression`` (the same algorithm in the library) to 1e-10.

Run:  python examples/02_logistic_regression_by_hand.py [--out DIR]
Writes:  logreg_boundary.png (decision regions), logreg_loss.png (loss per step).
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

from ember.classic import LogisticRegression
from ember.training.plots import plot_decision_boundary
from ember.vision.datasets import make_blobs

PNGS = ("logreg_boundary.png", "logreg_loss.png")


def sigmoid(z: np.ndarray) -> np.ndarray:
    # Written with exp(-|z|) only, so large |z| never overflows.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def loss_and_grad(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float):
    """Mean log-loss and its gradient (dL/dw, dL/db), derived by hand."""
    p = sigmoid(X @ w + b)
    p_safe = np.clip(p, 1e-15, 1 - 1e-15)  # keeps log() finite; the gradient uses p itself
    loss = -np.mean(y * np.log(p_safe) + (1 - y) * np.log(1 - p_safe))
    residual = p - y  # dL/dz times n: the sigmoid's derivative cancelled against the log's
    return loss, X.T @ residual / len(X), residual.mean()


def main(out: Path) -> None:
    start = time.perf_counter()

    # 1. Data: two overlapping Gaussian clouds in 2-D. Split 75% / 25%.
    X, y = make_blobs(n_samples=400, centers=[[-1.5, -1.0], [1.5, 1.0]], cluster_std=1.0, seed=0)
    X, y = X.astype(np.float64), y.astype(np.float64)
    X_train, y_train, X_test, y_test = X[:300], y[:300], X[300:], y[300:]

    # 2. Is the hand-derived gradient right? Compare with central differences
    #    dL/dw_j ~ (L(w + eps e_j) - L(w - eps e_j)) / (2 eps) at a random point.
    rng = np.random.default_rng(0)
    w0, b0, eps = rng.normal(size=2), 0.3, 1e-6
    _, gw, gb = loss_and_grad(X_train, y_train, w0, b0)
    num_gw = np.array(
        [
            (
                loss_and_grad(X_train, y_train, w0 + eps * e, b0)[0]
                - loss_and_grad(X_train, y_train, w0 - eps * e, b0)[0]
            )
            / (2 * eps)
            for e in np.eye(2)
        ]
    )
    num_gb = (loss_and_grad(X_train, y_train, w0, b0 + eps)[0] - loss_and_grad(X_train, y_train, w0, b0 - eps)[0]) / (
        2 * eps
    )
    grad_error = max(np.abs(gw - num_gw).max(), abs(gb - num_gb))
    print(f"hand gradient vs finite differences: max abs difference {grad_error:.2e}")

    # 3. Gradient descent: w <- w - lr * dL/dw, b <- b - lr * dL/db, from zero.
    lr, epochs = 0.5, 200
    w, b = np.zeros(2), 0.0
    losses = []
    for _ in range(epochs):
        loss, gw, gb = loss_and_grad(X_train, y_train, w, b)
        w -= lr * gw
        b -= lr * gb
        losses.append(loss)
    train_acc = np.mean((X_train @ w + b > 0) == y_train)
    test_acc = np.mean((X_test @ w + b > 0) == y_test)
    print(f"by hand:  w = {np.round(w, 4).tolist()}, b = {b:+.4f}, final loss {losses[-1]:.4f}")
    print(f"          train accuracy {train_acc:.3f}, test accuracy {test_acc:.3f}")

    # 4. The library's learner runs the same full-batch gradient descent from zero,
    #    so it must land on the same weights.
    clf = LogisticRegression(lr=lr, epochs=epochs).fit(X_train, y_train)
    diff = max(np.abs(clf.coef_ - w).max(), abs(clf.intercept_ - b))
    print(
        f"ember.classic.LogisticRegression: test accuracy {clf.score(X_test, y_test):.3f}, "
        f"max |weights - ours| = {diff:.1e}"
    )

    # 5. Plots: decision regions with the test points, and the loss curve.
    out.mkdir(parents=True, exist_ok=True)
    plot_decision_boundary(lambda g: (g @ w + b > 0).astype(int), X_test, y_test.astype(int), out / PNGS[0])
    fig = Figure(figsize=(5, 3.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(np.arange(1, epochs + 1), losses)
    ax.set_xlabel("gradient step")
    ax.set_ylabel("mean log-loss (train)")
    ax.set_title("logistic regression by gradient descent")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / PNGS[1])
    print("wrote", ", ".join(str(out / p) for p in PNGS))

    # 6. Checks.
    assert grad_error < 1e-8, grad_error
    assert diff < 1e-10, diff
    assert losses[-1] < losses[0]
    assert test_acc >= 0.9, test_acc
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
