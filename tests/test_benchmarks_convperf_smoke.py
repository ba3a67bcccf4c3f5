"""The resnet18 workload of benchmarks/compare.py and benchmarks/gemm_peak.py run (tiny sizes, no timing)."""

import os
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks")


def _run(args, timeout=600):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=BENCH)


def test_compare_smoke_runs_resnet18_on_both_frameworks_and_reports_gflops():
    pytest.importorskip("torch")
    out = _run(["compare.py", "--smoke", "--repeat", "1", "--workload", "resnet18", "--no-precompile"])
    assert out.returncode == 0, out.stderr[-3000:]
    ember_line = next(line for line in out.stdout.splitlines() if line.startswith("resnet18") and " ember " in line)
    assert float(ember_line.split()[-1]) > 0  # the ratio column
    assert "GFLOP per step" in out.stdout


def test_resnet18_flop_count_matches_a_count_from_the_layer_shapes():
    sys.path.insert(0, BENCH)
    try:
        import compare
    finally:
        sys.path.remove(BENCH)
    # forward multiply-adds of the CIFAR ResNet-18 per image, by stage: stem, 4 stages of 4 3x3 convs
    # (+ a 1x1 projection in stages 2-4), fc -- 0.556 GMAC, the figure usually quoted for it
    assert compare.resnet18_step_gflop(1) == pytest.approx((3 * 2 * 0.556 - 2 * 64 * 27 * 1024 / 1e9), rel=2e-3)


def test_gemm_peak_runs():
    out = _run(["gemm_peak.py", "--size", "128", "--repeat", "1"])
    assert out.returncode == 0, out.stderr[-3000:]
    assert "1 thread(s)" in out.stdout and "2 thread(s)" in out.stdout and "BLAS:" in out.stdout
