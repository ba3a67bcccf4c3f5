"""Whole training loops, ember vs PyTorch, in alternating fresh processes.

    python benchmarks/compare.py [--threads 1|2] [--repeat N] [--workload NAME] [--data PATH]
                                 [--native-blas] [--cpu-time]

Every workload is plain PyTorch-style code run unchanged on both frameworks
(``lib`` is ``ember`` or ``torch``). The table shows, per framework, the median
wall time over ``--repeat`` processes, samples/s, final accuracy, peak RSS and
import time, and the ratio ember / PyTorch (below 1 means ember is faster).
``--smoke`` runs tiny synthetic sizes (for CI: it checks the code runs, not speed).

``--cpu-time`` adds the median process CPU time (user + system, all threads) of the
timed region and its ratio: on a loaded machine wall time includes the slices the OS
gave to other processes, CPU time does not. Wall time stays the headline figure.

ember's bytecode is compiled first (``compileall``, as ``pip install`` does for every installed
package, PyTorch included); without it, a ``PYTHONDONTWRITEBYTECODE=1`` environment makes every
child compile ember's sources, about 60 ms of "import time" that no installed copy pays.
``--no-precompile`` skips that step.

``--native-blas`` removes ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` (both, together)
from the children's environment only, so OpenBLAS runs the kernels for the CPU it
detects. The header names the BLAS library and kernels each framework's child loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import (  # noqa: E402
    blas_description,
    cpu_seconds,
    median,
    run_child,
    set_torch_threads,
    torch_available,
)

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "shared", "data", "mnist.npz")
WORKLOADS = ["mlp", "mlp_small_batch", "mlp_large_batch", "lenet", "course_cnn", "lstm", "inference"]
WORKLOADS += ["transformer"]  # synthetic tokens: no MNIST (see run_transformer)
WORKLOADS.append("resnet18")  # CIFAR ResNet-18 steps on synthetic data (see _resnet18)


# -- data ---------------------------------------------------------------------------------------------


def load_data(path: str, smoke: bool):
    """(train images, train labels, test images, test labels): images float32 (N, 1, 28, 28) in [0, 1].

    Scaled in float32 once and shared with the framework (no float64 copy of the data set). The
    uint8 images are streamed out of the .npz in chunks straight into the float32 arrays, so
    the process never holds the data set twice: the peak RSS in the table is the framework's
    footprint on top of one float32 copy of MNIST (~220 MB, the same for both frameworks).
    """
    import numpy as np

    def scaled(images):
        out = images.reshape(-1, 1, 28, 28).astype(np.float32)
        out /= 255  # in place: the same float32 values as ``astype(float32) / 255``, no second copy
        return out

    if smoke:
        rng = np.random.default_rng(0)
        x_train = rng.integers(0, 256, size=(512, 28, 28), dtype=np.uint8)
        y_train = rng.integers(0, 10, size=512).astype(np.int64)
        return scaled(x_train), y_train, scaled(x_train[:128]), y_train[:128]
    import zipfile

    with zipfile.ZipFile(path) as zf:

        def images(name):
            with zf.open(name + ".npy") as f:
                version = np.lib.format.read_magic(f)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, fortran, dtype = read_header(f)
                if dtype != np.uint8 or fortran:
                    return scaled(np.lib.format.read_array(f))
                out = np.empty((shape[0], 1) + tuple(shape[1:]), np.float32)
                flat = out.reshape(-1)
                step = 1 << 20
                for start in range(0, flat.size, step):
                    chunk = np.frombuffer(f.read(min(step, flat.size - start)), np.uint8)
                    flat[start : start + chunk.size] = chunk
                out /= 255
                return out

        def labels(name):
            with zf.open(name + ".npy") as f:
                return np.lib.format.read_array(f).astype(np.int64)

        return images("x_train"), labels("y_train"), images("x_test"), labels("y_test")


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


# -- transformer: a causal language model on synthetic tokens ------------------------------------------


def run_transformer(lib, smoke: bool):
    """A 2-layer causal TransformerEncoder LM (d_model 128, 4 heads, feed-forward 512, batch_first) with an
    Embedding and a Linear head, trained with Adam for 200 steps of 32 sequences of 64 tokens.

    The tokens follow a fixed random first-order chain (made with NumPy, the same for both
    frameworks), so the loss has something to learn. Returns what ``run_workload`` returns; the
    "accuracy" column holds the next-token accuracy on the last batch.
    """
    import numpy as np

    vocab, d_model, seq, batch = 64, 128, 64, 32
    steps = 10 if smoke else 200
    rng = np.random.default_rng(0)
    successor = rng.integers(0, vocab, size=(vocab, 4))  # each token has 4 likely successors
    tokens = np.empty((steps, batch, seq + 1), np.int64)
    tokens[:, :, 0] = rng.integers(0, vocab, size=(steps, batch))
    picks = rng.integers(0, 4, size=(steps, batch, seq))
    for t in range(seq):
        tokens[:, :, t + 1] = successor[tokens[:, :, t], picks[:, :, t]]
    nn = lib.nn

    class CausalLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, d_model)
            layer = nn.TransformerEncoderLayer(d_model, 4, dim_feedforward=512, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2)
            self.head = nn.Linear(d_model, vocab)

        def forward(self, x, mask):
            return self.head(self.encoder(self.embed(x), mask=mask, is_causal=True))

    model = CausalLM()
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    mask = nn.Transformer.generate_square_subsequent_mask(seq)
    loss_fn = nn.CrossEntropyLoss()
    t0, c0 = time.perf_counter(), cpu_seconds()
    for step in range(steps):
        batch_tokens = lib.from_numpy(tokens[step])
        inputs, targets = batch_tokens[:, :-1], batch_tokens[:, 1:]
        opt.zero_grad()
        logits = model(inputs, mask)
        loss = loss_fn(logits.reshape(-1, vocab), targets.reshape(-1))
        loss.backward()
        opt.step()
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    acc = 100.0 * (logits.argmax(-1) == targets).float().mean().item()
    return elapsed, steps * batch, acc, cpu


class _ResNet18Factory:
    """ResNet-18 in the CIFAR layout (He et al. 2015, sec. 4.2; the common "kuangliu" variant): a 3x3/1
    stem with no max-pool on 32x32x3 images, stages of 2 BasicBlocks at 64/128/256/512 channels
    (1x1 projection shortcuts), global average pool, 10 classes. Written with ``lib.nn`` only, so
    both frameworks build the same network (torchvision is not installed; ember's zoo has the
    ImageNet stem only)."""

    def __call__(self, lib):
        nn = lib.nn

        class Block(nn.Module):
            def __init__(self, cin, cout, stride):
                super().__init__()
                self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
                self.bn1 = nn.BatchNorm2d(cout)
                self.relu = nn.ReLU(inplace=True)
                self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
                self.bn2 = nn.BatchNorm2d(cout)
                self.downsample = None
                if stride != 1 or cin != cout:
                    self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

            def forward(self, x):
                identity = x if self.downsample is None else self.downsample(x)
                out = self.relu(self.bn1(self.conv1(x)))
                out = self.bn2(self.conv2(out))
                return self.relu(out + identity)

        layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True)]
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
            cin = cout
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10)]
        return nn.Sequential(*layers)


make_resnet18 = _ResNet18Factory()
RESNET18_STEPS = 10  # timed steps per process (after one warm-up step)


def resnet18_step_gflop(batch: int = 32) -> float:
    """GFLOP of one CIFAR ResNet-18 training step (2 flops per multiply-add): forward, dW of every layer,
    dx of every layer but the stem (the images need no gradient); BatchNorm/ReLU/pooling not counted."""
    macs = [64 * 27 * 32 * 32]  # stem, per image: out channels * (C K K) * output pixels
    cin, size = 64, 32
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        size //= stride
        macs += [cout * cin * 9 * size * size] + [cout * cout * 9 * size * size] * 3
        if cin != cout:
            macs.append(cout * cin * size * size)  # 1x1 projection
        cin = cout
    macs.append(512 * 10)
    forward = 2 * batch * sum(macs)
    return (3 * forward - 2 * batch * macs[0]) / 1e9


def resnet18_setup(lib, batch: int):
    """The CIFAR ResNet-18 workload's pieces: a fixed synthetic batch (32x32x3), the model, SGD with
    momentum and the loss (shared with benchmarks/conv_breakdown.py)."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.standard_normal((batch, 3, 32, 32), dtype=np.float32))
    y = lib.from_numpy(rng.integers(0, 10, size=batch).astype(np.int64))
    model = make_resnet18(lib)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return x, y, model, opt, lib.nn.CrossEntropyLoss()


def _resnet18(lib, steps: int, batch: int = 32):
    """``steps`` SGD-momentum training steps (forward + backward + step) of the CIFAR ResNet-18 on fixed
    synthetic 32x32x3 batches, after one untimed warm-up step; returns (wall s, samples, CPU s)."""
    x, y, model, opt, loss_fn = resnet18_setup(lib, batch)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    step()
    t0, c0 = time.perf_counter(), cpu_seconds()
    for _ in range(steps):
        step()
    return time.perf_counter() - t0, steps * batch, cpu_seconds() - c0


def run_resnet18(lib, smoke: bool):
    elapsed, seen, cpu = _resnet18(lib, 1 if smoke else RESNET18_STEPS, 4 if smoke else 32)
    return elapsed, seen, None, cpu


SELF_CONTAINED = {"transformer": run_transformer, "resnet18": run_resnet18}  # workloads that make their own data


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
    """Train (or run inference) once; return ``(wall seconds, samples seen, test accuracy or None, CPU seconds)``."""
    if name in SELF_CONTAINED:
        lib.manual_seed(0)
        return SELF_CONTAINED[name](lib, smoke)
    x_train, y_train, x_test, y_test = data
    images = lib.from_numpy(x_train)  # shared, not copied (see load_data)
    labels = lib.from_numpy(y_train)
    test_images = lib.from_numpy(x_test)
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

    t0, c0 = time.perf_counter(), cpu_seconds()
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
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        acc = accuracy(lib, model, test_images, test_labels)
        return elapsed, seen, acc, cpu
    elif name == "mlp_small_batch":
        opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        seen = train_epoch(lib, model, opt, images, labels, 8, max_steps=2000 // scale)
    elif name == "course_cnn":
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        seen = train_epoch(lib, model, opt, images, labels, 64, max_steps=300 // scale)
    elif name == "lstm":
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        seen = train_epoch(lib, model, opt, images, labels, 64, max_steps=200 // scale)
    return time.perf_counter() - t0, seen, acc, cpu_seconds() - c0


def child(framework: str, name: str, threads: int, data_path: str, smoke: bool) -> None:
    import resource

    t0 = time.perf_counter()
    if framework == "torch":
        import torch as lib

        set_torch_threads(threads)
    else:
        import ember as lib
    import_time = time.perf_counter() - t0
    if framework == "ember":
        from ember import _malloc

        _malloc.tune()  # as ember's Trainer does when training starts (see ember/_malloc.py)
    data = None if name in SELF_CONTAINED else load_data(data_path, smoke)
    elapsed, seen, acc, cpu = run_workload(lib, name, data, smoke)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "samples": seen, "accuracy": acc, "rss_mb": rss_mb,
                      "import_s": import_time, "blas": blas_description(lib if framework == "torch" else None)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, choices=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workload", action="append", choices=WORKLOADS, help="repeatable; default: all")
    parser.add_argument("--data", default=DEFAULT_DATA, help="Keras-layout mnist.npz")
    parser.add_argument("--smoke", action="store_true", help="tiny synthetic sizes; checks the code runs")
    parser.add_argument("--ember-only", action="store_true")
    parser.add_argument("--native-blas", action="store_true",
                        help="drop OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from the children's environment")
    parser.add_argument("--cpu-time", action="store_true", help="also report process CPU time and its ratio")
    parser.add_argument("--no-precompile", action="store_true", help="do not compile ember's bytecode first")
    parser.add_argument("--child", nargs=2, metavar=("FRAMEWORK", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.threads, args.data, args.smoke)
        return
    workloads = args.workload or WORKLOADS
    needs_mnist = any(w not in SELF_CONTAINED for w in workloads)
    if needs_mnist and not args.smoke and not os.path.exists(args.data):
        raise SystemExit(f"MNIST not found at {args.data}; pass --data PATH (Keras mnist.npz) or --smoke")
    if not args.no_precompile:
        import compileall

        src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "ember")
        compileall.compile_dir(src, quiet=1)
    frameworks = ["ember"] + (["torch"] if torch_available() and not args.ember_only else [])
    results = {(w, f): [] for w in workloads for f in frameworks}
    extra = ["--threads", str(args.threads), "--data", args.data] + (["--smoke"] if args.smoke else [])
    for w in workloads:
        for _ in range(args.repeat):
            for f in frameworks:  # alternate so drift on a noisy machine hits both alike
                results[(w, f)].append(
                    run_child(__file__, ["--child", f, w, *extra], args.threads, native_blas=args.native_blas)
                )
    print(f"\nTraining-loop benchmark: {args.threads} thread(s), median of {args.repeat} runs{' (smoke sizes)' if args.smoke else ''}")
    env_note = "native (OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset)" if args.native_blas else "environment as given"
    print(f"BLAS ({env_note}):")
    for f in frameworks:
        print(f"  {f:6s} NumPy BLAS: {results[(workloads[0], f)][0].get('blas', '?')}")
    header = (f"{'workload':16s} {'framework':9s} {'seconds':>8s} {'spread':>7s} {'samples/s':>10s} {'acc %':>6s} "
              f"{'RSS MB':>7s} {'import s':>8s} {'ratio':>6s}")
    if args.cpu_time:
        header += f" {'cpu s':>7s} {'cpu ratio':>9s}"
    print(header)
    print("-" * len(header))
    for w in workloads:
        base = median([r["seconds"] for r in results[(w, "torch")]]) if "torch" in frameworks else None
        cpu_base = median([r["cpu_seconds"] for r in results[(w, "torch")]]) if "torch" in frameworks else None
        for f in frameworks:
            rs = results[(w, f)]
            secs = [r["seconds"] for r in rs]
            med = median(secs)
            spread = (max(secs) - min(secs)) / med if med else 0.0
            accs = [r["accuracy"] for r in rs if r["accuracy"] is not None]
            acc_text = f"{median(accs):6.2f}" if accs else ""
            ratio = f"{med / base:6.2f}" if base and f == "ember" else ""
            line = (
                f"{w:16s} {f:9s} {med:8.2f} {spread:6.0%} {median([r['samples'] for r in rs]) / med:10.0f} "
                f"{acc_text:>6s} {median([r['rss_mb'] for r in rs]):7.0f} "
                f"{median([r['import_s'] for r in rs]):8.3f} {ratio:>6s}"
            )
            if args.cpu_time:
                cpu = median([r["cpu_seconds"] for r in rs])
                cpu_ratio = f"{cpu / cpu_base:9.2f}" if cpu_base and f == "ember" else ""
                line += f" {cpu:7.2f} {cpu_ratio:>9s}"
            print(line)
    if "resnet18" in workloads:
        gflop = resnet18_step_gflop(4 if args.smoke else 32)
        steps = 1 if args.smoke else RESNET18_STEPS
        rates = ", ".join(f"{f} {gflop * steps / median([r['seconds'] for r in results[('resnet18', f)]]):.1f}" for f in frameworks)
        print(f"resnet18: {gflop:.1f} GFLOP per step; achieved GFLOP/s (wall): {rates} "
              "(compare with benchmarks/gemm_peak.py)")


if __name__ == "__main__":
    main()
