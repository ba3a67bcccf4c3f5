"""A training run killed (SIGKILL) at any write, then `ember train --resume RUN`, ends exactly as an uninterrupted run.

The child process kills itself at its Nth durable write (``EMBER_FAULT_KILL_AT_WRITE``, see ``ember._faults``),
for every N the run has; each time the resumed run must give bit-identical weights, the same summary except timings,
a best checkpoint holding the best epoch, and no temporary files.
"""

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

SRC = str(Path(__file__).resolve().parents[2] / "src")
TIMINGS = {"train_time_s"}

SCENARIOS = {
    # default one-cycle schedule; the last epoch is the best one (best written right after last)
    "onecycle": ["--dataset", "moons", "--hidden", "8", "--epochs", "3", "--batch-size", "64", "--early-stopping", "2"],
    # best at epoch 3, then two worse epochs and an early stop at 5 of 8
    "stopped_early": ["--dataset", "moons", "--hidden", "8", "--epochs", "8", "--batch-size", "100",
                      "--early-stopping", "2", "--optimizer", "sgd", "--lr", "2.0", "--scheduler", "none"],
}


def _cli(*args, env_extra=None):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("EMBER_FAULT_KILL_AT_WRITE", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "ember", *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=300)


def _weights(path):
    state = ember.load(path)
    return state["epoch"], {k: v.numpy() for k, v in state["model"].items()}


def _metrics(run):
    with (run / "metrics.csv").open(newline="") as f:
        return [{k: v for k, v in row.items() if k != "time"} for row in csv.DictReader(f)]


def _summary(run):
    return {k: v for k, v in json.loads((run / "summary.json").read_text()).items() if k not in TIMINGS}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_run_killed_at_any_write_resumes_to_the_uninterrupted_result(tmp_path, scenario):
    args = SCENARIOS[scenario]
    ref = tmp_path / "ref"
    trace = tmp_path / "trace.txt"
    r = _cli("train", *args, "--run-dir", ref, "--quiet", env_extra={"EMBER_FAULT_TRACE": str(trace)})
    assert r.returncode == 0, r.stderr
    points = trace.read_text().splitlines()
    assert len(points) >= 12, points  # config, checkpoints, metrics rows, summary, plots, report
    ref_summary, ref_metrics = _summary(ref), _metrics(ref)
    ref_last, ref_best = _weights(ref / "checkpoint-last.pt"), _weights(ref / "checkpoint-best.pt")
    assert ref_best[0] == ref_summary["best_epoch"]

    for n in range(1, len(points) + 1):
        run = tmp_path / f"kill{n}"
        what = points[n - 1].split("\t", 1)[1]
        cut = _cli("train", *args, "--run-dir", run, "--quiet", env_extra={"EMBER_FAULT_KILL_AT_WRITE": str(n)})
        assert cut.returncode == -signal.SIGKILL, f"write {n} ({what}): {cut.returncode} {cut.stderr}"
        if (run / "config.toml").exists():
            again = _cli("train", "--resume", run, "--quiet")
        else:  # killed before the run existed: the original command starts it
            again = _cli("train", *args, "--run-dir", run, "--quiet")
        assert again.returncode == 0, f"kill at write {n} ({what}): {again.stderr}"
        where = f"killed at write {n} ({Path(what).name})"
        last = _weights(run / "checkpoint-last.pt")
        assert last[0] == ref_last[0], where
        for k in ref_last[1]:
            np.testing.assert_array_equal(last[1][k], ref_last[1][k], err_msg=f"{where}: {k}")
        best = _weights(run / "checkpoint-best.pt")
        assert best[0] == ref_best[0], where
        for k in ref_best[1]:
            np.testing.assert_array_equal(best[1][k], ref_best[1][k], err_msg=f"{where}: best {k}")
        assert _summary(run) == ref_summary, where
        assert _metrics(run) == ref_metrics, where
        assert sorted(p.name for p in run.iterdir()) == sorted(p.name for p in ref.iterdir()), where
    finished = _cli("train", "--resume", run)  # the last one (killed writing report.html) is now complete
    assert finished.returncode == 2 and "already completed" in finished.stderr


def test_resume_refuses_to_extend_a_one_cycle_run_and_says_what_works(tmp_path):
    run = tmp_path / "run"
    assert _cli("train", *SCENARIOS["onecycle"], "--run-dir", run, "--quiet").returncode == 0
    r = _cli("train", "--resume", run, "--epochs", "5")
    assert r.returncode == 2
    assert "scheduler 'onecycle'" in r.stderr
    assert f"ember train --config {run / 'config.toml'} --epochs 5 --run-dir NEW_DIR" in r.stderr
