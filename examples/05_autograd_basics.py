"""Chapter 5 -- Autograd: how ember computes derivatives for you.

What this teaches
-----------------
Chapter 4 wrote backpropagation by hand. Autograd automates it: every operation on a
tensor with ``requires_grad=True`` is recorded in a graph (each result's ``grad_fn`` points
to the operation that made it), and ``loss.backward()`` walks that graph from the output
back to the leaves, multiplying local derivatives (the chain rule) and *accumulating* the
result in each leaf's ``.grad``.

Steps below:
  1. requires_grad, grad_fn, is_leaf: the recorded graph.
  2. backward() and the chain rule: f(x) = sin(x^2) e^{-x/3} against its derivative by hand,
         f'(x) = 2x cos(x^2) e^{-x/3} - (1/3) sin(x^2) e^{-x/3}.
  3. Gradients accumulate; zero them between steps.
  4. no_grad() and detach(): computing without recording.
  5. A custom autograd.Function (forward and backward written by us) and gradcheck, which
     compares its backward against central finite differences.
  6. Second derivatives with autograd.grad(..., create_graph=True).

Run:  python examples/05_autograd_basics.py [--out DIR]
Writes:  autograd_derivative.png (f, f' by autograd, f' by hand).
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
from ember.autograd import Function, gradcheck

PNG = "autograd_derivative.png"


class Softplus(Function):
    """y = log(1 + e^x), computed stably;  dy/dx = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)  # what backward will need
        # log(1 + e^x) = max(x, 0) + log(1 + e^{-|x|}): no overflow for large x
        return ember.clamp(x, min=0) + ember.log1p(ember.exp(-x.abs()))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * ember.sigmoid(x)  # chain rule: upstream gradient * local derivative


def f(x):
    return ember.sin(x**2) * ember.exp(-x / 3)


def f_prime_by_hand(x: np.ndarray) -> np.ndarray:
    return 2 * x * np.cos(x**2) * np.exp(-x / 3) - np.sin(x**2) * np.exp(-x / 3) / 3


def main(out: Path) -> None:
    start = time.perf_counter()

    # 1. Leaves and the recorded graph.
    x = ember.tensor(1.5, dtype=ember.float64, requires_grad=True)
    y = f(x)
    print(f"x: requires_grad={x.requires_grad}, is_leaf={x.is_leaf}, grad_fn={x.grad_fn}")
    print(f"y = f(x) = {y.item():.6f}: is_leaf={y.is_leaf}, grad_fn={type(y.grad_fn).__name__}")
    print(f"   its inputs came from: {[type(n).__name__ for n, _ in y.grad_fn.next_functions if n]}")

    # 2. backward() fills x.grad with dy/dx; compare with the derivative by hand.
    y.backward()
    by_hand = f_prime_by_hand(1.5)
    print(f"dy/dx at 1.5: autograd {x.grad.item():.12f}, by hand {by_hand:.12f}")
    assert abs(x.grad.item() - by_hand) < 1e-12

    #    The same on a whole grid: backward of a sum gives every element's own derivative,
    #    because d(sum_j f(x_j))/dx_i = f'(x_i).
    xs = ember.linspace(-3, 3, 400, dtype=ember.float64, requires_grad=True)
    ys = f(xs)
    ys.sum().backward()
    grid_error = np.abs(xs.grad.numpy() - f_prime_by_hand(xs.detach().numpy())).max()
    print(f"on 400 points in [-3, 3]: max |autograd - by hand| = {grid_error:.1e}")

    # 3. Gradients accumulate: a second backward adds to x.grad. Training loops zero them.
    x.grad = None
    for _ in range(2):
        f(x).backward()
    accumulated = x.grad.item()
    print(f"two backward() calls without zeroing: x.grad = {accumulated:.6f} = 2 * {by_hand:.6f}")
    x.grad.zero_()

    # 4. no_grad(): nothing is recorded (inference, parameter updates); detach() cuts a tensor
    #    out of the graph.
    with ember.no_grad():
        z = f(x)
    print(f"under no_grad: requires_grad={z.requires_grad}, grad_fn={z.grad_fn}")
    d = f(x).detach()
    print(f"detach(): requires_grad={d.requires_grad}")

    # 5. A custom Function, checked against finite differences in float64.
    t = ember.tensor([-30.0, -1.0, 0.0, 2.0, 40.0], dtype=ember.float64, requires_grad=True)
    s = Softplus.apply(t)
    s.sum().backward()
    print(f"Softplus({t.detach().tolist()}) = {np.round(s.detach().numpy(), 4).tolist()}")
    print(f"   grad_fn={type(s.grad_fn).__name__}, d/dx = sigmoid(x) = {np.round(t.grad.numpy(), 4).tolist()}")
    ok = gradcheck(Softplus.apply, (ember.randn(6, dtype=ember.float64, requires_grad=True),))
    print(f"gradcheck(Softplus): {ok}")

    # 6. Second derivative: keep the graph of the first derivative and differentiate it again.
    x2 = ember.tensor(1.5, dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(f(x2), x2, create_graph=True)
    (gg,) = ember.autograd.grad(g, x2)
    h = 1e-5
    gg_numeric = (f_prime_by_hand(1.5 + h) - f_prime_by_hand(1.5 - h)) / (2 * h)
    print(f"f''(1.5): autograd {gg.item():.8f}, finite differences of f' {gg_numeric:.8f}")

    # 7. Plot f and both derivatives.
    fig = Figure(figsize=(6, 3.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xn = xs.detach().numpy()
    ax.plot(xn, ys.detach().numpy(), label="f(x) = sin(x^2) exp(-x/3)")
    ax.plot(xn, xs.grad.numpy(), lw=3, alpha=0.5, label="f'(x) by autograd")
    ax.plot(xn, f_prime_by_hand(xn), "k--", lw=1, label="f'(x) by hand")
    ax.set(xlabel="x", title="autograd = the derivative you would write by hand")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / PNG)
    print(f"wrote {out / PNG}")

    assert grid_error < 1e-12, grid_error
    assert abs(accumulated - 2 * by_hand) < 1e-12
    assert not z.requires_grad and z.grad_fn is None and not d.requires_grad
    assert np.allclose(t.grad.numpy(), 1 / (1 + np.exp(-t.detach().numpy())))
    assert ok
    assert abs(gg.item() - gg_numeric) < 1e-6
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
