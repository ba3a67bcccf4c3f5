"""CI keeps the benchmarks from rotting: every workload runs at tiny sizes (no timing asserted)."""

import os
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks")


def _run(args, timeout=300):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=BENCH)


def test_compare_smoke_runs_every_workload_and_prints_the_table():
    workloads = ["mlp", "mlp_small_batch", "mlp_large_batch", "lenet", "course_cnn", "lstm", "inference"]
    args = ["compare.py", "--smoke", "--repeat", "1", "--ember-only"]
    for w in workloads:
        args += ["--workload", w]
    out = _run(args)
    assert out.returncode == 0, out.stderr[-3000:]
    for w in workloads:
        assert any(line.startswith(w) and " ember " in line for line in out.stdout.splitlines()), out.stdout


def test_compare_smoke_against_torch_prints_a_ratio():
    pytest.importorskip("torch")
    out = _run(["compare.py", "--smoke", "--repeat", "1", "--workload", "mlp"])
    assert out.returncode == 0, out.stderr[-3000:]
    ember_line = next(line for line in out.stdout.splitlines() if line.startswith("mlp") and " ember " in line)
    assert float(ember_line.split()[-1]) > 0  # the ratio column


def test_ops_benchmark_runs():
    pytest.importorskip("torch")
    out = _run(["ops.py", "--repeat", "1", "--quick"])
    assert out.returncode == 0, out.stderr[-3000:]
    assert "one-element mul" in out.stdout


def test_compare_smoke_runs_the_transformer_workload_without_mnist():
    out = _run(["compare.py", "--smoke", "--repeat", "1", "--ember-only", "--workload", "transformer", "--data", "/nonexistent"])
    assert out.returncode == 0, out.stderr[-3000:]
    assert any(line.startswith("transformer") and " ember " in line for line in out.stdout.splitlines()), out.stdout
