"""Where one CIFAR ResNet-18 training step spends its time, ember against PyTorch, at 1 thread.

    python benchmarks/conv_breakdown.py [--batch 32] [--steps 3] [--repeat 3]

Issue 13 asks what a compiled convolution kernel would buy. This script measures it, in three parts:

1. The step, by category. ember: every Op class's ``forward`` and ``backward`` is wrapped with a
   CPU-time counter (thread time: on a shared machine it excludes the slices the OS gave to other
   processes), and ``optimizer.step`` likewise; what the categories do not cover is "Python
   overhead" (autograd bookkeeping, module calls, zero_grad, argument checks). PyTorch: the same
   step under ``torch.profiler`` (self CPU time per aten op, grouped the same way; the profiler adds
   its own cost, so the step time quoted for torch is the one measured without it).
2. The convolutions, layer by layer: forward, input gradient (dx) and weight gradient (dW) of each
   distinct ResNet-18 convolution, timed alone, on ember (its Ops through autograd, only the needed
   gradient) and on PyTorch (``aten.convolution_backward`` with an output mask: oneDNN/its own kernels).
3. The projection: ember's step with its convolution time replaced by PyTorch's (the same layers
   at oneDNN's speed), and by the convolution FLOPs at the machine's GEMM peak
   (``benchmarks/gemm_peak.py``, 1 thread). That is the figure a compiled kernel would have to reach.

Every figure is the median of ``--repeat`` rounds; a round runs ``--steps`` steps (after one warm-up).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy / torch load their BLAS

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from compare import resnet18_setup  # noqa: E402

CATEGORIES = ("conv forward", "conv backward (dx + dW)", "batch norm", "relu", "add", "pooling", "linear", "loss",
              "optimizer", "other ops", "Python overhead")

# ember Op class name -> category (forward and backward of the class both count there)
EMBER_OPS = {
    "Conv2d": "conv", "ConvNd": "conv", "ConvTranspose2d": "conv", "ConvTransposeNd": "conv",
    "BatchNorm": "batch norm", "_Affine": "batch norm",
    "Relu": "relu", "ReLU": "relu", "Threshold": "relu",
    "Add": "add",
    "AvgPool2d": "pooling", "MaxPool2d": "pooling", "_Separable": "pooling", "Mean": "pooling",
    "Linear": "linear", "Addmm": "linear", "Matmul": "linear",
    "CrossEntropy": "loss", "CrossEntropyLoss": "loss", "LogSoftmax": "loss", "NllLoss": "loss",
}


def _ember_category(cls_name: str, phase: str) -> str:
    low = cls_name.lower()
    cat = EMBER_OPS.get(cls_name)
    if cat is None:
        cat = next((c for key, c in (("relu", "relu"), ("crossentropy", "loss"), ("batchnorm", "batch norm"),
                                      ("pool", "pooling"), ("linear", "linear")) if key in low), "other ops")
    if cat == "conv":
        return "conv forward" if phase == "forward" else "conv backward (dx + dW)"
    return cat


# -- part 1: the step by category ----------------------------------------------------------------------


def _all_subclasses(cls):
    out, todo = [], [cls]
    while todo:
        c = todo.pop()
        for s in c.__subclasses__():
            out.append(s)
            todo.append(s)
    return out


class _EmberTimers:
    """Wraps every Op subclass's forward/backward with a thread-CPU-time counter per category."""

    def __init__(self):
        from ember.autograd.function import Function, Op

        self.totals: dict[str, float] = {}
        self.seen: dict[str, set] = {}
        self._saved = []
        classes = {c for base in (Op, Function) for c in _all_subclasses(base)}
        for cls in classes:
            for phase in ("forward", "backward"):
                fn = cls.__dict__.get(phase)
                if not isinstance(fn, staticmethod):
                    continue
                self._saved.append((cls, phase, fn))
                setattr(cls, phase, staticmethod(self._wrap(fn.__func__, _ember_category(cls.__name__, phase),
                                                            cls.__name__)))
        self.depth = 0

    def _wrap(self, fn, category, name):
        timers = self

        def timed(*args, **kwargs):
            if timers.depth:  # an op inside another op's forward/backward counts for the outer one
                return fn(*args, **kwargs)
            timers.depth += 1
            t0 = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                timers.totals[category] = timers.totals.get(category, 0.0) + time.thread_time() - t0
                timers.seen.setdefault(category, set()).add(name)
                timers.depth -= 1

        return timed

    def add(self, category, seconds):
        self.totals[category] = self.totals.get(category, 0.0) + seconds

    def restore(self):
        for cls, phase, fn in self._saved:
            setattr(cls, phase, fn)


def _step_fn(lib, batch):
    x, y, model, opt, loss_fn = resnet18_setup(lib, batch)

    def forward_backward():
        opt.zero_grad()
        loss_fn(model(x), y).backward()

    def step(timers=None):
        forward_backward()
        if timers is None:
            opt.step()
            return
        timers.depth += 1  # ops the optimizer calls count as optimizer time
        t0 = time.thread_time()
        opt.step()
        timers.add("optimizer", time.thread_time() - t0)
        timers.depth -= 1

    return step, forward_backward


class _Counter:
    """The optimizer timer of ``_step_fn`` for PyTorch (ember's is ``_EmberTimers``)."""

    def __init__(self):
        self.totals, self.depth = {}, 0

    def add(self, category, seconds):
        self.totals[category] = self.totals.get(category, 0.0) + seconds


def ember_step_breakdown(batch: int, steps: int):
    """(seconds per step, {category: seconds per step}, {category: op class names}) for one round."""
    import ember

    step, _ = _step_fn(ember, batch)
    step()  # warm-up: buffers, caches
    timers = _EmberTimers()
    try:
        t0 = time.thread_time()
        for _ in range(steps):
            step(timers)
        total = (time.thread_time() - t0) / steps
    finally:
        timers.restore()
    cats = {k: v / steps for k, v in timers.totals.items()}
    cats["Python overhead"] = total - sum(cats.values())
    return total, cats, timers.seen


def _torch_category(name: str) -> str | None:
    n = name.lower()
    if not n.startswith("aten::"):
        return None
    if "convolution_backward" in n:
        return "conv backward (dx + dW)"
    if "conv" in n:
        return "conv forward"
    if "batch_norm" in n:
        return "batch norm"
    if "relu" in n or "threshold" in n or "clamp_min" in n:
        return "relu"
    if "pool" in n or n in ("aten::mean",):
        return "pooling"
    if n in ("aten::addmm", "aten::mm", "aten::linear", "aten::t"):
        return "linear"
    if "softmax" in n or "nll" in n or "cross_entropy" in n:
        return "loss"
    if n in ("aten::add", "aten::add_"):
        return "add"
    return "other ops"


def torch_step_breakdown(batch: int, steps: int):
    """(CPU seconds per step, {category: CPU seconds per step}) for one round.

    The step and its optimizer are timed in thread CPU time without the profiler. The profiler
    times wall clock, which a loaded machine inflates, so it only gives each category's share of
    forward + backward (self time of the aten ops; what no aten op covers is the Python/dispatcher
    overhead, the profiler's own cost included); the shares are applied to the CPU time of
    forward + backward."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    torch.set_num_threads(1)
    step, forward_backward = _step_fn(torch, batch)
    step()
    counter = _Counter()
    t0 = time.thread_time()
    for _ in range(steps):
        step(counter)
    total = (time.thread_time() - t0) / steps
    opt = counter.totals["optimizer"] / steps
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        w0 = time.perf_counter()
        for _ in range(steps):
            forward_backward()
        wall = time.perf_counter() - w0
    shares: dict[str, float] = {}
    for evt in prof.key_averages():
        cat = _torch_category(evt.key)
        if cat is not None:
            shares[cat] = shares.get(cat, 0.0) + evt.self_cpu_time_total / 1e6 / wall
    shares["Python overhead"] = max(0.0, 1.0 - sum(shares.values()))
    cats = {k: v * (total - opt) for k, v in shares.items()}
    cats["optimizer"] = opt
    return total, cats


def gemm_peak_cpu(n: int = 2048, repeat: int = 5) -> float:
    """``benchmarks/gemm_peak.py``'s measure (best sgemm n x n GFLOP/s, 1 thread) in thread CPU time,
    which other processes on a shared machine do not inflate."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    np.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.thread_time()
        np.matmul(a, b, out=out)
        best = min(best, time.thread_time() - t0)
    return 2 * n**3 / best / 1e9


# -- part 2: the convolutions, layer by layer ------------------------------------------------------------


def resnet18_convs():
    """(name, cin, cout, kernel, stride, padding, input size, count) of CIFAR ResNet-18's convolutions."""
    layers = [("stem 3->64 3x3", 3, 64, 3, 1, 1, 32, 1)]
    cin, size = 64, 32
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        if stride == 2:
            layers.append((f"{cin}->{cout} 3x3/2 @{size}", cin, cout, 3, 2, 1, size, 1))
            layers.append((f"{cin}->{cout} 1x1/2 @{size}", cin, cout, 1, 2, 0, size, 1))
            size //= 2
            layers.append((f"{cout}->{cout} 3x3 @{size}", cout, cout, 3, 1, 1, size, 3))
        else:
            layers.append((f"{cin}->{cout} 3x3 @{size}", cin, cout, 3, 1, 1, size, 4))
        cin = cout
    return layers


def _conv_flops(batch, cin, cout, k, stride, pad, size):
    out = (size + 2 * pad - k) // stride + 1
    return 2 * batch * cout * cin * k * k * out * out


def _median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.thread_time()
        fn()
        times.append(time.thread_time() - t0)
    return statistics.median(times)


def _torch_layer(x, w, dy, stride, pad, inner):
    """PyTorch's (forward, dx, dW) seconds: its own kernels, one gradient at a time through
    ``aten.convolution_backward``'s output mask."""
    import torch

    tx, tw, tdy = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(dy)
    args = ([stride] * 2, [pad] * 2, [1, 1], False, [0, 0], 1)
    calls = (lambda: torch.nn.functional.conv2d(tx, tw, None, stride, pad),
             lambda: torch.ops.aten.convolution_backward(tdy, tx, tw, None, *args, [True, False, False]),
             lambda: torch.ops.aten.convolution_backward(tdy, tx, tw, None, *args, [False, True, False]))
    for fn in calls:
        fn()
    return tuple(_median_time(fn, inner) for fn in calls)


def _ember_layer(x, w, dy, stride, pad, inner):
    """ember's (forward, dx, dW) seconds: its Ops through autograd, only the gradient asked for."""
    import ember

    F = ember.nn.functional
    ex, ew, edy = ember.from_numpy(x), ember.from_numpy(w), ember.from_numpy(dy)

    def forward():
        with ember.no_grad():
            F.conv2d(ex, ew, None, stride, pad)

    def grad(which):
        xr, wr = ex.detach().requires_grad_(which == "x"), ew.detach().requires_grad_(which == "w")
        y = F.conv2d(xr, wr, None, stride, pad)
        t0 = time.thread_time()
        y.backward(edy)
        return time.thread_time() - t0

    forward(), grad("x"), grad("w")
    fwd = _median_time(forward, inner)
    return fwd, statistics.median(grad("x") for _ in range(inner)), statistics.median(grad("w") for _ in range(inner))


def layer_times(batch: int, inner: int):
    """Per distinct layer: {framework: (forward, dx, dW) seconds}, medians of ``inner`` calls."""
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(1)
    out = []
    for name, cin, cout, k, stride, pad, size, count in resnet18_convs():
        x = rng.standard_normal((batch, cin, size, size), dtype=np.float32)
        w = (rng.standard_normal((cout, cin, k, k), dtype=np.float32) * 0.05).astype(np.float32)
        osz = (size + 2 * pad - k) // stride + 1
        dy = rng.standard_normal((batch, cout, osz, osz), dtype=np.float32)
        res = {"torch": _torch_layer(x, w, dy, stride, pad, inner), "ember": _ember_layer(x, w, dy, stride, pad, inner)}
        out.append((name, count, _conv_flops(batch, cin, cout, k, stride, pad, size), res))
    return out


# -- report ------------------------------------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3, help="steps per round (after a warm-up step)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; every figure is their median")
    parser.add_argument("--inner", type=int, default=5, help="calls per layer timing")
    args = parser.parse_args(argv)
    med = statistics.median

    e_rounds = [ember_step_breakdown(args.batch, args.steps) for _ in range(args.repeat)]
    t_rounds = [torch_step_breakdown(args.batch, args.steps) for _ in range(args.repeat)]
    e_total = med(r[0] for r in e_rounds)
    t_total = med(r[0] for r in t_rounds)
    e_cats = {c: med(r[1].get(c, 0.0) for r in e_rounds) for c in CATEGORIES}
    t_cats = {c: med(r[1].get(c, 0.0) for r in t_rounds) for c in CATEGORIES}

    print(f"CIFAR ResNet-18, batch {args.batch}, 1 thread; CPU (thread) time, median of {args.repeat} rounds "
          f"of {args.steps} steps\n")
    print(f"{'category':26s} {'ember ms':>9s} {'torch ms':>9s} {'ratio':>6s}")
    for c in CATEGORIES:
        e, t = e_cats[c] * 1e3, t_cats.get(c, 0.0) * 1e3
        ratio = f"{e / t:6.2f}" if t > 0 else "     -"
        print(f"{c:26s} {e:9.1f} {t:9.1f} {ratio}")
    print(f"{'step':26s} {e_total * 1e3:9.1f} {t_total * 1e3:9.1f} {e_total / t_total:6.2f}")
    print("  torch: step and optimizer in CPU time; the forward + backward categories are torch.profiler's shares "
          "applied to their CPU time (its Python overhead includes the profiler's own cost)")
    classes = {c: sorted(set().union(*(r[2].get(c, set()) for r in e_rounds))) for c in CATEGORIES}
    print("  ember op classes per category: " + "; ".join(f"{c}: {', '.join(v)}" for c, v in classes.items() if v))

    rounds = [layer_times(args.batch, args.inner) for _ in range(args.repeat)]
    print(f"\nconvolutions one at a time (ms per call, median of {args.repeat} rounds of {args.inner} calls)")
    print(f"{'layer':24s} {'n':>2s} {'GFLOP':>6s} | {'ember fwd':>9s} {'dx':>7s} {'dW':>7s} | "
          f"{'torch fwd':>9s} {'dx':>7s} {'dW':>7s} | {'ratio':>5s}")
    e_conv = t_conv = flops = 0.0
    for i, (name, count, fl, _) in enumerate(rounds[0]):
        e = [med(r[i][3]["ember"][j] for r in rounds) for j in range(3)]
        t = [med(r[i][3]["torch"][j] for r in rounds) for j in range(3)]
        stem = name.startswith("stem")  # the images need no gradient: no dx in the step
        e_layer = e[0] + e[2] + (0 if stem else e[1])
        t_layer = t[0] + t[2] + (0 if stem else t[1])
        e_conv += count * e_layer
        t_conv += count * t_layer
        flops += count * fl * (2 if stem else 3)
        print(f"{name:24s} {count:2d} {fl / 1e9:6.2f} | {e[0] * 1e3:9.2f} {e[1] * 1e3:7.2f} {e[2] * 1e3:7.2f} | "
              f"{t[0] * 1e3:9.2f} {t[1] * 1e3:7.2f} {t[2] * 1e3:7.2f} | {e_layer / t_layer:5.2f}")
    print(f"{'all convolutions':24s}    {flops / 1e9:6.2f} | ember {e_conv * 1e3:.1f} ms, torch {t_conv * 1e3:.1f} ms "
          f"({e_conv / t_conv:.2f}x)")

    gemm = med(gemm_peak_cpu() for _ in range(args.repeat))
    in_step = e_cats["conv forward"] + e_cats["conv backward (dx + dW)"]
    rest = e_total - in_step
    at_torch = rest + t_conv
    at_peak = rest + flops / (gemm * 1e9)
    print(f"\nprojection (ember step {e_total * 1e3:.1f} ms, of which convolutions {in_step * 1e3:.1f} ms; "
          f"torch step {t_total * 1e3:.1f} ms)")
    print(f"  ember with torch's convolutions (layer timings above): {at_torch * 1e3:7.1f} ms = "
          f"{at_torch / t_total:.2f}x torch")
    print(f"  ember with convolutions at the GEMM peak ({gemm:.0f} GFLOP/s, 1 thread, sgemm 2048, CPU time): "
          f"{at_peak * 1e3:7.1f} ms = {at_peak / t_total:.2f}x torch")
    print(f"  the rest of ember's step (everything but convolutions): {rest * 1e3:.1f} ms; torch's whole step: "
          f"{t_total * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
