"""Every chapter of the course in ``examples/`` runs to completion and writes the plots it promises.

Each example asserts its own result (an accuracy, a gradient agreement, ...) and exits non-zero
when that fails, so a zero exit code here means the lesson still teaches what it says.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# script -> the PNG files it must write into --out
EXPECTED = {
    "01_perceptron_logic_gates.py": ["perceptron_gates.png"],
    "02_logistic_regression_by_hand.py": ["logreg_boundary.png", "logreg_loss.png"],
    "03_softmax_regression_digits.py": ["softmax_confusion.png", "softmax_weights.png", "softmax_history.png"],
    "04_two_layer_network_by_hand.py": ["two_layer_training.png"],
    "05_autograd_basics.py": ["autograd_derivative.png"],
    "06_nn_module_and_sequential.py": ["module_vs_sequential.png"],
    "07_minibatch_sgd_dataloader.py": ["gd_batch_minibatch_sgd.png"],
    "08_cnn_digits.py": ["cnn_history.png", "cnn_confusion.png", "cnn_filters.png", "cnn_misclassified.png"],
    "09_dropout_early_stopping_regularisation.py": ["regularisation_curves.png"],
    "10_transfer_learning_frozen_features.py": ["transfer_learning.png"],
    "11_save_and_load.py": ["save_and_load_resume.png"],
    "12_transformer_lm.py": ["transformer_lm_loss.png", "transformer_lm_attention.png"],
}

# Wall-clock budget per example (the course promises < 60 s on 2 cores; CI machines get slack).
TIME_LIMIT = 120.0

# The examples train small models: their matrix products are far too small to gain from a
# multi-threaded BLAS, and on a busy machine OpenBLAS's spinning threads can make them 10x slower.
# One BLAS thread per example, unless the caller chose otherwise.
BLAS_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def test_every_example_is_listed():
    scripts = sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py"))
    assert scripts == sorted(EXPECTED), "examples/ and EXPECTED in tests/test_examples.py disagree"


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs_and_writes_its_plots(script, tmp_path):
    env = {**BLAS_ENV, **os.environ, "PYTHONPATH": str(ROOT / "src"), "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, (
        f"{script} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    )
    for png in EXPECTED[script]:
        path = tmp_path / png
        assert path.is_file(), f"{script} did not write {png}; wrote {sorted(p.name for p in tmp_path.iterdir())}"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    assert elapsed < TIME_LIMIT, f"{script} took {elapsed:.1f} s"
