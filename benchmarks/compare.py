"""Whole training loops, ember vs PyTorch, in alternating fresh processes.

    python benchmarks/compare.py [--threads 1|2] [--repeat N] [--workload NAME] [--data PATH]

Every workload is plain PyTorch-style code run unchanged on both frameworks
(``lib`` is ``ember`` or ``torch``). The table shows, per framework, the median
wall time over ``--repeat`` processes, samples/s, final accuracy, peak RSS and
import time, and the ratio ember / PyTorch (below 1 means ember is faster).
``--smoke`` runs tiny synthetic sizes (for CI: it checks the code runs, not speed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import median, run_child, set_torch_threads, torch_available  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "shared", "data", "mnist.npz")
WORKLOADS = ["mlp", "mlp_small_batch", "mlp_large_batch", "lenet", "course_cnn", "lstm", "inference"]


# -- data ---------------------------------------------------------------------------------------------


def load_data(path: str, smoke: bool):
    import numpy as np

    if smoke:
        rng = np.random.default_rng(0)
        x_train = rng.integers(0, 256, size=(512, 28, 28), dtype=np.uint8)
        y_train = rng.integers(0, 10, size=512).astype(np.int64)
        return x_train, y_train, x_train[:128], y_train[:128]
    with np.load(path) as d:
        return d["x_train"], d["y_train"].astype(np.int64), d["x_test"], d["y_test"].astype(np.int64)


# -- models (PyTorch-style code, identical for both frameworks) -----------------------------------------


def make_mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def make_lenet(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def make_course_cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 10, 3, stride=2, padding=1), nn.ReLU(),
        nn.AvgPool2d(4), nn.Flatten(),
    )


class _LSTMClassifierFactory:
    """An LSTM reading image rows as a 28-step sequence, then a Linear head on the last state."""

    def __call__(self, lib):
        nn = lib.nn

        class LSTMClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(28, 128, batch_first=True)
                self.fc = nn.Linear(128, 10)

            def forward(self, x):
                out, _ = self.lstm(x.reshape(x.shape[0], 28, 28))
                return self.fc(out[:, -1])

        return LSTMClassifier()


make_lstm = _LSTMClassifierFactory()


# -- the loops ----------------------------------------------------------------------------------------


def accuracy(lib, model, x, y, batch=1000):
    model.eval()
    correct = 0
    with lib.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i : i + batch]).argmax(1) == y[i : i + batch]).sum().item()
    model.train()
    return 100.0 * correct / len(x)


def train_epoch(lib, model, opt, x, y, batch_size, max_steps=None):
    loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    loss_fn = lib.nn.CrossEntropyLoss()
    steps = seen = 0
    while True:
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            steps += 1
            seen += len(xb)
            if max_steps is not None and steps >= max_steps:
                return seen
        if max_steps is None:
            return seen


def run_workload(lib, name, data, smoke):
    x_train, y_train, x_test, y_test = data
    # Scaled in float32 and shared with the framework (no float64 copy of the data set).
    images = lib.from_numpy(x_train.reshape(-1, 1, 28, 28).astype("float32") / 255)
    labels = lib.from_numpy(y_train)
    test_images = lib.from_numpy(x_test.reshape(-1, 1, 28, 28).astype("float32") / 255)
    test_labels = lib.from_numpy(y_test)
    lib.manual_seed(0)
    scale = 20 if smoke else 1
    if name.startswith("mlp") or name == "inference":
        model = make_mlp(lib)
    elif name == "lenet":
        model = make_lenet(lib)
    elif name == "course_cnn":
        model = make_course_cnn(lib)
    elif name == "lstm":
        model = make_lstm(lib)
    else:
        raise SystemExit(f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)}")

    t0 = time.perf_counter()
    acc = None
    if name == "inference":
        model.eval()
        seen = 0
        with lib.no_grad():
            for i in range(0, len(images), 1024):
                model(images[i : i + 1024])
                seen += len(images[i : i + 1024])
    elif name in ("mlp", "mlp_large_batch", "lenet"):
        opt = lib.optim.Adam(model.parameters(), lr=1e-3) if name == "lenet" else lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        seen = train_epoch(lib, model, opt, images, labels, 1024 if name == "mlp_large_batch" else 64)
        elapsed = time.perf_counter() - t0
        acc = accuracy(lib, model, test_images, test_labels)
        return elapsed, seen, acc
    elif name == "mlp_small_batch":
        opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        seen = train_epoch(lib, model, opt, images, labels, 8, max_steps=2000 // scale)
    elif name == "course_cnn":
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        seen = train_epoch(lib, model, opt, images, labels, 64, max_steps=300 // scale)
    elif name == "lstm":
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        seen = train_epoch(lib, model, opt, images, labels, 64, max_steps=200 // scale)
    return time.perf_counter() - t0, seen, acc


def child(framework: str, name: str, threads: int, data_path: str, smoke: bool) -> None:
    import resource

    t0 = time.perf_counter()
    if framework == "torch":
        import torch as lib

        set_torch_threads(threads)
    else:
        import ember as lib
    import_time = time.perf_counter() - t0
    data = load_data(data_path, smoke)
    elapsed, seen, acc = run_workload(lib, name, data, smoke)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"seconds": elapsed, "samples": seen, "accuracy": acc, "rss_mb": rss_mb, "import_s": import_time}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, choices=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workload", action="append", choices=WORKLOADS, help="repeatable; default: all")
    parser.add_argument("--data", default=DEFAULT_DATA, help="Keras-layout mnist.npz")
    parser.add_argument("--smoke", action="store_true", help="tiny synthetic sizes; checks the code runs")
    parser.add_argument("--ember-only", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("FRAMEWORK", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.threads, args.data, args.smoke)
        return
    if not args.smoke and not os.path.exists(args.data):
        raise SystemExit(f"MNIST not found at {args.data}; pass --data PATH (Keras mnist.npz) or --smoke")
    workloads = args.workload or WORKLOADS
    frameworks = ["ember"] + (["torch"] if torch_available() and not args.ember_only else [])
    results = {(w, f): [] for w in workloads for f in frameworks}
    extra = ["--threads", str(args.threads), "--data", args.data] + (["--smoke"] if args.smoke else [])
    for w in workloads:
        for _ in range(args.repeat):
            for f in frameworks:  # alternate so drift on a noisy machine hits both alike
                results[(w, f)].append(run_child(__file__, ["--child", f, w, *extra], args.threads))
    print(f"\nTraining-loop benchmark: {args.threads} thread(s), median of {args.repeat} runs{' (smoke sizes)' if args.smoke else ''}")
    header = f"{'workload':16s} {'framework':9s} {'seconds':>8s} {'spread':>7s} {'samples/s':>10s} {'acc %':>6s} {'RSS MB':>7s} {'import s':>8s} {'ratio':>6s}"
    print(header)
    print("-" * len(header))
    for w in workloads:
        base = median([r["seconds"] for r in results[(w, "torch")]]) if "torch" in frameworks else None
        for f in frameworks:
            rs = results[(w, f)]
            secs = [r["seconds"] for r in rs]
            med = median(secs)
            spread = (max(secs) - min(secs)) / med if med else 0.0
            accs = [r["accuracy"] for r in rs if r["accuracy"] is not None]
            acc_text = f"{median(accs):6.2f}" if accs else ""
            ratio = f"{med / base:6.2f}" if base and f == "ember" else ""
            print(
                f"{w:16s} {f:9s} {med:8.2f} {spread:6.0%} {median([r['samples'] for r in rs]) / med:10.0f} "
                f"{acc_text:>6s} {median([r['rss_mb'] for r in rs]):7.0f} "
                f"{median([r['import_s'] for r in rs]):8.3f} {ratio}"
            )


if __name__ == "__main__":
    main()
