"""Chapter 1 -- The perceptron learns logic gates (and fails on XOR).

What this teaches
-----------------
Rosenblatt's perceptron is the simplest learning machine: a weighted sum followed by a
threshold,

    y_hat = 1  if  w . x + b > 0  else  0.

It learns with the *perceptron trick*: for every misclassified sample, with the label
mapped to t in {-1, +1},

    w <- w + lr * t * x,        b <- b + lr * t,

which nudges the line w . x + b = 0 towards the sample. If a line separating the two
classes exists, this converges after finitely many mistakes (Novikoff's theorem). AND, OR
and NOT are linearly separable; XOR is not: no single line puts (0,1) and (1,0) on one side
and (0,0) and (1,1) on the other. That failure is why we need hidden layers (chapter 4).

Run:  python examples/01_perceptron_logic_gates.py [--out DIR]
Writes:  perceptron_gates.png (the learned decision line of every gate).
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

from ember.classic import Perceptron

PNG = "perceptron_gates.png"


def main(out: Path) -> None:
    start = time.perf_counter()

    # 1. The truth tables. Two inputs for AND, OR and XOR; one input for NOT.
    X2 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    gates = {
        "AND": (X2, np.array([0, 0, 0, 1])),
        "OR": (X2, np.array([0, 1, 1, 1])),
        "XOR": (X2, np.array([0, 1, 1, 0])),
        "NOT": (np.array([[0.0], [1.0]]), np.array([1, 0])),
    }

    # 2. Train one perceptron per gate. shuffle=False makes every run visit the samples in
    #    the same order, so the numbers below are reproducible.
    models = {}
    for name, (X, y) in gates.items():
        clf = Perceptron(lr=1.0, max_epochs=20, shuffle=False).fit(X, y)
        models[name] = clf
        acc = clf.score(X, y)
        print(
            f"{name:>3}: w = {np.round(clf.coef_, 2).tolist()}, b = {clf.intercept_:+.1f}, "
            f"converged = {clf.converged_} after {clf.n_epochs_} epochs, "
            f"mistakes per epoch = {clf.errors_[:6]}{'...' if len(clf.errors_) > 6 else ''}, "
            f"training accuracy = {acc:.2f}"
        )

    # 3. Draw every gate: the four (or two) inputs coloured by their label and the learned
    #    line w1 x1 + w2 x2 + b = 0, i.e. x2 = -(w1 x1 + b) / w2.
    fig = Figure(figsize=(12, 3.4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 4)
    for ax, (name, (X, y)) in zip(axes, gates.items()):
        clf = models[name]
        if X.shape[1] == 1:  # NOT: one input, the "line" is the point x = -b / w
            ax.scatter(X[:, 0], np.zeros(len(X)), c=y, cmap="coolwarm", s=120, edgecolors="k", vmin=0, vmax=1)
            ax.axvline(-clf.intercept_ / clf.coef_[0], color="k", ls="--")
            ax.set_yticks([])
        else:
            ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=120, edgecolors="k", vmin=0, vmax=1)
            w1, w2 = clf.coef_
            xs = np.linspace(-0.5, 1.5, 2)
            if abs(w2) > 1e-12:
                ax.plot(xs, -(w1 * xs + clf.intercept_) / w2, "k--")
            elif abs(w1) > 1e-12:
                ax.axvline(-clf.intercept_ / w1, color="k", ls="--")
            else:  # XOR's updates cancel out epoch after epoch: w = 0, there is no line at all
                ax.text(0.5, 0.5, "w = 0: no line", ha="center", va="center")
            ax.set_ylim(-0.5, 1.5)
        ax.set_xlim(-0.5, 1.5)
        status = "converged" if clf.converged_ else "never converges"
        ax.set_title(f"{name}: {status}\ntrain acc {clf.score(X, y):.2f}")
        ax.set_xlabel("x1")
    fig.suptitle("Perceptron decision lines (red = 1, blue = 0)")
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / PNG)
    print(f"wrote {out / PNG}")

    # 4. What we expect: AND, OR and NOT are solved exactly; XOR is not linearly separable,
    #    so the perceptron keeps making mistakes and at best gets 3 of 4 right.
    for name in ("AND", "OR", "NOT"):
        assert models[name].converged_, name
        assert models[name].score(*gates[name]) == 1.0, name
    assert not models["XOR"].converged_
    assert models["XOR"].score(*gates["XOR"]) <= 0.75
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
