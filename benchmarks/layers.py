"""Forward + backward time of single layers, ember vs PyTorch, both on one thread.

    python benchmarks/layers.py [--repeats 50] [--only conv]

Each case builds the same layer in both frameworks (ember's weights copied from torch's),
runs a few warm-up iterations, then times ``forward + backward`` ``--repeats`` times and
reports the median. The ratio is ember / torch (lower is better; targets: <= 2 for the
convolutions, <= 1.5 for the rest).

The convolutions and the LSTM are GEMM-bound: ember's share is NumPy's BLAS, PyTorch's is oneDNN's
AVX-512 kernels. The header prints which kernels OpenBLAS picked; where its CPU detection falls
back to Haswell (AVX2) kernels on an AVX-512 machine, ``OPENBLAS_CORETYPE=SKYLAKEX`` in the
environment roughly doubles NumPy's single-precision GEMM throughput. ``--no-mkldnn`` compares
against PyTorch's own im2col + BLAS paths instead.

Times are this process's CPU time (``time.process_time``), not wall time: both sides run on
one thread, and CPU time does not count the slices the OS gives to other processes, so the
ratios stay meaningful on a busy machine. ``--wall`` measures wall-clock time instead.

The input of a layer that sits inside a network (the second convolution, batch norm, max
pooling) requires grad, so the input gradient is part of the timing; the first convolution's
input is the data batch and needs none, as in a training loop.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy / torch load their BLAS

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "src"))

import ember  # noqa: E402
import ember.nn as enn  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:  # pragma: no cover
    sys.exit("benchmarks/layers.py compares against PyTorch: pip install torch")

torch.set_num_threads(1)


_clock = time.process_time


def _median_ms(fn, repeats: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = _clock()
        fn()
        times.append(_clock() - start)
    return statistics.median(times) * 1e3


def _copy_weights(em, tm) -> None:
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _case(name, make, x_shape, input_grad, repeats, rng, output=lambda out: out):
    tm, em = make()
    _copy_weights(em, tm)
    x = rng.standard_normal(x_shape).astype(np.float32)
    tx = torch.tensor(x, requires_grad=input_grad)
    ex = ember.tensor(x, requires_grad=input_grad)
    with torch.no_grad():
        t_out = output(tm(tx))
    g = rng.standard_normal(tuple(t_out.shape)).astype(np.float32)
    tg, eg = torch.tensor(g), ember.tensor(g)

    def run_torch():
        output(tm(tx)).backward(tg)

    def run_ember():
        output(em(ex)).backward(eg)

    # check once that both compute the same thing
    e_out = output(em(ex)).detach().numpy()
    err = float(np.max(np.abs(e_out - t_out.numpy()))) if e_out.size else 0.0
    # interleave the two to share whatever else the machine is doing
    t_ms, e_ms = [], []
    for _ in range(3):
        t_ms.append(_median_ms(run_torch, max(1, repeats // 3)))
        e_ms.append(_median_ms(run_ember, max(1, repeats // 3)))
    t, e = min(t_ms), min(e_ms)
    return name, t, e, err


def _attention_cases():
    """Causal attention at the shapes of benchmarks/compare.py's transformer workload (batch 32, 4 heads,
    64 tokens, d_model 128): the fused op alone (q, k, v from one (32, 4, 64, 96) input), the
    multi-head layer around it, and a whole encoder layer (without dropout)."""

    def sdpa_pair():
        class Attention(torch.nn.Module):
            def forward(self, x):
                q, k, v = x.chunk(3, dim=-1)
                return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)

        class EmberAttention(enn.Module):
            def forward(self, x):
                q, k, v = x.chunk(3, dim=-1)
                return enn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)

        return Attention(), EmberAttention()

    mask = torch.nn.Transformer.generate_square_subsequent_mask(64)
    e_mask = enn.Transformer.generate_square_subsequent_mask(64)

    def mha_pair():
        return (_SelfAttention(torch.nn.MultiheadAttention(128, 4, batch_first=True), mask),
                _EmberSelfAttention(enn.MultiheadAttention(128, 4, batch_first=True), e_mask))

    def encoder_layer_pair():
        def make(lib):
            return lib.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)

        tl, el = make(torch.nn), make(enn)
        return _Masked(tl, mask), _EmberMasked(el, e_mask)

    return [
        ("SDPA causal 32x4x64x32 (fused op)", sdpa_pair, (32, 4, 64, 96), True, 1.5, None),
        ("MultiheadAttention 32x64x128 causal", mha_pair, (32, 64, 128), True, 1.5, None),
        ("TransformerEncoderLayer 32x64x128", encoder_layer_pair, (32, 64, 128), True, 1.5, None),
    ]


class _SelfAttention(torch.nn.Module):
    def __init__(self, attn, mask):
        super().__init__()
        self.attn, self.mask = attn, mask

    def forward(self, x):
        return self.attn(x, x, x, attn_mask=self.mask, need_weights=False, is_causal=True)[0]


class _EmberSelfAttention(enn.Module):
    def __init__(self, attn, mask):
        super().__init__()
        self.attn, self.mask = attn, mask

    def forward(self, x):
        return self.attn(x, x, x, attn_mask=self.mask, need_weights=False, is_causal=True)[0]


class _Masked(torch.nn.Module):
    def __init__(self, layer, mask):
        super().__init__()
        self.layer, self.mask = layer, mask

    def forward(self, x):
        return self.layer(x, src_mask=self.mask, is_causal=True)


class _EmberMasked(enn.Module):
    def __init__(self, layer, mask):
        super().__init__()
        self.layer, self.mask = layer, mask

    def forward(self, x):
        return self.layer(x, src_mask=self.mask, is_causal=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this string")
    parser.add_argument("--wall", action="store_true", help="time wall-clock instead of process CPU time")
    parser.add_argument("--no-mkldnn", action="store_true",
                        help="run torch without oneDNN (its own im2col + BLAS convolution and RNN paths)")
    args = parser.parse_args(argv)
    if args.no_mkldnn:
        torch.backends.mkldnn.enabled = False
    global _clock
    if args.wall:
        _clock = time.perf_counter
    rng = np.random.default_rng(0)

    def conv(cin, cout, k, **kw):
        def make():
            return torch.nn.Conv2d(cin, cout, k, **kw), enn.Conv2d(cin, cout, k, **kw)
        return make

    cases = [
        *_attention_cases(),
        ("Conv2d 64x1x28x28 -> 6, 5x5", conv(1, 6, 5), (64, 1, 28, 28), False, 2.0, None),
        ("Conv2d 64x16x14x14 -> 32, 3x3", conv(16, 32, 3, padding=1), (64, 16, 14, 14), True, 2.0, None),
        ("MaxPool2d(2) 64x6x28x28", lambda: (torch.nn.MaxPool2d(2), enn.MaxPool2d(2)), (64, 6, 28, 28), True, 1.5, None),
        ("BatchNorm2d 64x16x14x14", lambda: (torch.nn.BatchNorm2d(16), enn.BatchNorm2d(16)), (64, 16, 14, 14), True, 1.5, None),
        ("LSTM(28, 128) 32 steps, batch 64", lambda: (torch.nn.LSTM(28, 128, batch_first=True), enn.LSTM(28, 128, batch_first=True)),
         (64, 32, 28), False, 1.5, lambda out: out[0]),
    ]
    print(f"ember {ember.__version__}, torch {torch.__version__}, numpy {np.__version__}; 1 thread; "
          f"median {'wall' if args.wall else 'CPU'} time of {args.repeats} forward+backward runs"
          + ("; torch without oneDNN" if args.no_mkldnn else ""))
    try:
        from threadpoolctl import threadpool_info

        blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if blas:
            print(f"NumPy BLAS: {blas[0].get('internal_api')} {blas[0].get('version')} ({blas[0].get('architecture')} kernels)")
    except ImportError:
        pass
    header = f"{'layer':36s} {'torch ms':>9s} {'ember ms':>9s} {'ratio':>6s} {'target':>7s}  max|diff|"
    print(header)
    print("-" * len(header))
    for name, make, shape, input_grad, target, output in cases:
        if args.only and args.only.lower() not in name.lower():
            continue
        out = (lambda o: o) if output is None else output
        name, t, e, err = _case(name, make, shape, input_grad, args.repeats, rng, out)
        flag = "" if e / t <= target else "  (over target)"
        print(f"{name:36s} {t:9.3f} {e:9.3f} {e / t:6.2f} {'<= ' + str(target):>7s}  {err:.1e}{flag}")


if __name__ == "__main__":
    main()
