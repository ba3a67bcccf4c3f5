"""Chapter 4 -- A two-layer network: backpropagation by hand, checked against autograd.

What this teaches
-----------------
One hidden layer is enough to escape the straight lines of chapters 1-3. The network is

    a = X W1 + b1,   h = tanh(a),   z = h W2 + b2,   P = softmax(z),
    L = -(1/n) sum_i sum_k Y_ik log P_ik.

Backpropagation is the chain rule applied from the loss back to every weight, reusing
what the forward pass computed:

    dL/dz  = (P - Y) / n                          (softmax + cross-entropy, as in chapter 3)
    dL/dW2 = h^T dL/dz,          dL/db2 = sum_i dL/dz_i
    dL/dh  = dL/dz W2^T
    dL/da  = dL/dh * (1 - h^2)                     (tanh'(a) = 1 - tanh(a)^2)
    dL/dW1 = X^T dL/da,          dL/db1 = sum_i dL/da_i

We code those six lines in NumPy, then let ember's autograd compute the same gradients
from the forward pass alone (``loss.backward()``), and assert they agree to 1e-10 in
float64. Finally we train both versions side by side with the same mini-batches: the two
training runs stay identical step after step.

Run:  python examples/04_two_layer_network_by_hand.py [--out DIR]
Writes:  two_layer_training.png (training loss of both versions, test accuracy per epoch).
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
from ember.vision.datasets import Digits

PNG = "two_layer_training.png"


# ---------------------------------------------------------------- the network by hand, in NumPy
def forward_backward_numpy(X, Y, W1, b1, W2, b2):
    """Loss and gradients of the two-layer tanh network, with backprop written out."""
    n = len(X)
    # forward
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z_shift = z - z.max(axis=1, keepdims=True)  # subtract the row max: exp cannot overflow
    log_p = z_shift - np.log(np.exp(z_shift).sum(axis=1, keepdims=True))
    loss = -(Y * log_p).sum() / n
    # backward: the chain rule, from the loss back to the inputs of every layer
    dz = (np.exp(log_p) - Y) / n
    dW2 = h.T @ dz
    db2 = dz.sum(axis=0)
    dh = dz @ W2.T
    da = dh * (1 - h**2)
    dW1 = X.T @ da
    db1 = da.sum(axis=0)
    return loss, (dW1, db1, dW2, db2)


# ---------------------------------------------------------------- the same network with autograd
def loss_ember(X, Y, W1, b1, W2, b2):
    """Only the forward pass: autograd records it and derives the backward pass itself."""
    z = ember.tanh(X @ W1 + b1) @ W2 + b2
    # cross-entropy = logsumexp(z) - z[true class], averaged over the batch
    return (ember.logsumexp(z, dim=1) - (z * Y).sum(dim=1)).mean()


def main(out: Path) -> None:
    start = time.perf_counter()

    # 1. Data: the digits as 64 features in [0, 1], labels as one-hot rows. float64 throughout,
    #    so hand-written and automatic gradients can be compared to ~1e-16 relative precision.
    train, test = Digits(train=True), Digits(train=False)
    X_train = train.data.reshape(len(train), -1) / 255.0
    X_test = test.data.reshape(len(test), -1) / 255.0
    Y_train = np.eye(10)[train.targets]
    y_test = test.targets

    # 2. Parameters: small random weights (Glorot-scaled) break the symmetry between hidden units.
    rng = np.random.default_rng(0)
    n_in, n_hidden, n_out = 64, 32, 10
    params = [
        rng.normal(0, np.sqrt(1 / n_in), size=(n_in, n_hidden)),
        np.zeros(n_hidden),
        rng.normal(0, np.sqrt(1 / n_hidden), size=(n_hidden, n_out)),
        np.zeros(n_out),
    ]

    # 3. Gradient check: hand-written backprop vs ember autograd on the whole training set.
    loss_np, grads_np = forward_backward_numpy(X_train, Y_train, *params)
    tensors = [ember.tensor(p, requires_grad=True) for p in params]  # float64 arrays stay float64
    loss_t = loss_ember(ember.tensor(X_train), ember.tensor(Y_train), *tensors)
    loss_t.backward()
    names = ("W1", "b1", "W2", "b2")
    worst = abs(loss_t.item() - loss_np)
    for name, g_np, t in zip(names, grads_np, tensors):
        err = np.abs(t.grad.numpy() - g_np).max()
        worst = max(worst, err)
        print(f"d loss / d {name}: shape {g_np.shape}, max |autograd - by hand| = {err:.1e}")
    print(f"loss by hand {loss_np:.12f}, with autograd {loss_t.item():.12f}")

    # 4. Train both for 30 epochs of mini-batch gradient descent with the same batches.
    lr, epochs, batch = 0.5, 30, 32
    p_np = [p.copy() for p in params]
    p_t = [ember.tensor(p, requires_grad=True) for p in params]
    X_t, Y_t = ember.tensor(X_train), ember.tensor(Y_train)
    hist = {"numpy": [], "ember": [], "test_acc": []}
    for _ in range(epochs):
        order = rng.permutation(len(X_train))
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            # by hand: our own gradients, our own update
            _, g = forward_backward_numpy(X_train[idx], Y_train[idx], *p_np)
            for p, gp in zip(p_np, g):
                p -= lr * gp
            # autograd: forward, backward, update under no_grad, reset the gradients
            loss = loss_ember(X_t[idx], Y_t[idx], *p_t)
            loss.backward()
            with ember.no_grad():
                for p in p_t:
                    p -= lr * p.grad
                    p.grad = None
        hist["numpy"].append(forward_backward_numpy(X_train, Y_train, *p_np)[0])
        with ember.no_grad():
            hist["ember"].append(loss_ember(X_t, Y_t, *p_t).item())
        h = np.tanh(X_test @ p_np[0] + p_np[1])
        hist["test_acc"].append(np.mean((h @ p_np[2] + p_np[3]).argmax(axis=1) == y_test))
    drift = max(np.abs(a - b.detach().numpy()).max() for a, b in zip(p_np, p_t))
    test_acc = hist["test_acc"][-1]
    print(
        f"after {epochs} epochs: training loss {hist['numpy'][-1]:.4f} (by hand) "
        f"vs {hist['ember'][-1]:.4f} (autograd); max parameter difference {drift:.1e}"
    )
    print(f"test accuracy {test_acc:.4f}")

    # 5. Plot the two loss curves (they lie on top of each other) and the test accuracy.
    fig = Figure(figsize=(10, 3.6))
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    ep = np.arange(1, epochs + 1)
    ax1.plot(ep, hist["numpy"], "-", lw=3, alpha=0.5, label="backprop by hand (NumPy)")
    ax1.plot(ep, hist["ember"], "k--", label="ember autograd")
    ax1.set(xlabel="epoch", ylabel="training loss", yscale="log", title="same gradients, same training run")
    ax1.legend()
    ax2.plot(ep, hist["test_acc"], "-o", ms=3)
    ax2.set(xlabel="epoch", ylabel="test accuracy", title="two-layer tanh network on digits")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / PNG)
    print(f"wrote {out / PNG}")

    assert worst < 1e-10, worst
    assert drift < 1e-8, drift
    assert test_acc >= 0.95, test_acc
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
