"""Multi-process tests: a few ``mpiexec -n 2`` launches on this machine, each running many checks.

Skipped when mpi4py or an MPI launcher is missing (``pip install 'ember[distributed]'``).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py")
from ember.distributed.launch import LaunchError, find_mpiexec  # noqa: E402

try:
    MPIEXEC = find_mpiexec()
except LaunchError:
    pytest.skip("no mpiexec: pip install 'ember[distributed]'", allow_module_level=True)

HERE = Path(__file__).parent
SRC = Path(__import__("ember").__file__).parents[1]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env.pop("EMBER_LAUNCH_RANKS", None)
    return env


def _mpirun(script: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    cmd = [MPIEXEC, "-n", "2", sys.executable, str(HERE / script), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env())


def _ember(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ember", *args], capture_output=True, text=True, timeout=timeout,
                          env=_env())


def _results(proc: subprocess.CompletedProcess) -> dict:
    # the ranks write to one pipe, so their lines can run together: find the records, not the lines
    import re

    return {int(r): (int(p), int(f)) for r, p, f in re.findall(r"RESULT (\d+) (\d+) (\d+)", proc.stdout)}


def test_every_collective_every_dtype_matches_numpy_on_two_processes():
    proc = _mpirun("_collectives_worker.py")
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert not fails, "\n".join(fails) + proc.stderr[-3000:]
    results = _results(proc)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(results) == {0, 1}
    assert all(passed >= 160 and failed == 0 for passed, failed in results.values()), results


def test_ddp_and_sync_batchnorm_equal_one_process_on_the_global_batch():
    proc = _mpirun("_ddp_worker.py")
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert not fails, "\n".join(fails) + proc.stderr[-3000:]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _results(proc) == {0: (9, 0), 1: (9, 0)}


@pytest.mark.parametrize("mode", ["kill", "raise", "exit"])
def test_a_failed_rank_stops_the_job_quickly_naming_it(mode):
    start = time.monotonic()
    proc = _ember("launch", "-n", "2", str(HERE / "_failure_worker.py"), mode, timeout=120)
    elapsed = time.monotonic() - start
    assert proc.returncode != 0
    assert elapsed < 30, elapsed
    assert "was not stopped" not in proc.stdout
    assert "rank 1" in proc.stderr, proc.stderr[-2000:]


def test_ember_train_nproc_2_equals_one_process_and_resumes(tmp_path):
    common = ["--dataset", "digits", "--model", "mlp", "--val-split", "0.2", "--dropout", "0", "--batch-size", "64",
              "--seed", "5", "--scheduler", "none", "--quiet"]
    one, two = tmp_path / "one", tmp_path / "two"
    p1 = _ember("train", *common, "--nproc", "1", "--epochs", "2", "--run-dir", str(one))
    assert p1.returncode == 0, p1.stderr[-3000:]
    # Two processes: one epoch, then --resume for the second (rank 0 wrote the run directory).
    p2 = _ember("train", *common, "--nproc", "2", "--epochs", "1", "--run-dir", str(two))
    assert p2.returncode == 0, p2.stderr[-3000:]
    p3 = _ember("train", "--nproc", "2", "--quiet", "--resume", str(two), "--epochs", "2")
    assert p3.returncode == 0, p3.stderr[-3000:]

    import ember

    a = ember.load(one / "checkpoint-last.pt")
    b = ember.load(two / "checkpoint-last.pt")
    assert a["epoch"] == b["epoch"] == 2
    assert list(a["model"]) == list(b["model"])  # plain keys, no "module." prefix
    for k in a["model"]:
        np.testing.assert_allclose(a["model"][k].numpy(), b["model"][k].numpy(), atol=1e-5, rtol=0)
    s1 = json.loads((one / "summary.json").read_text())
    s2 = json.loads((two / "summary.json").read_text())
    assert s2["processes"] == 2
    assert abs(s1["test_loss"] - s2["test_loss"]) < 1e-5
    rows = (two / "metrics.csv").read_text().splitlines()
    assert len(rows) == 3  # header and one row per epoch, written once (rank 0)
    loss_1 = float(rows[1].split(",")[1])
    ref = (one / "metrics.csv").read_text().splitlines()
    assert abs(loss_1 - float(ref[1].split(",")[1])) < 1e-5  # train loss averaged over both ranks' samples


def test_distributed_benchmark_runs_at_tiny_sizes():
    bench = HERE.parents[1] / "benchmarks" / "distributed.py"
    proc = subprocess.run([sys.executable, str(bench), "--smoke"], capture_output=True, text=True, timeout=300,
                          env=_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    for name in ("mlp", "resnet18"):
        row = next(line for line in lines if line.startswith(name))
        assert float(row.split()[-1].rstrip("x")) > 0
    assert any(line.strip().startswith("0.01 MB") for line in lines), proc.stdout
