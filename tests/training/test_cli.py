"""The ``ember`` command line, end to end through ``python -m ember`` in a subprocess."""

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
FAST = ["--epochs", "1", "--hidden", "32"]


def ember_cli(*args, cwd=None, timeout=120):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "ember", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("cli") / "run"
    r = ember_cli("train", "--epochs", "2", "--hidden", "64", "--run-dir", run)
    assert r.returncode == 0, r.stderr
    return run, r


def test_train_on_flags_writes_the_run_directory_and_reports(small_run):
    run, r = small_run
    assert "epoch 1/2: " in r.stderr and "epoch 2/2: " in r.stderr
    assert "test accuracy" in r.stdout and str(run) in r.stdout
    for name in ("config.toml", "metrics.csv", "summary.json", "checkpoint-best.pt", "checkpoint-last.pt",
                 "report.html", "curves.png", "confusion_matrix.png"):
        assert (run / name).is_file(), name
    summary = json.loads((run / "summary.json").read_text())
    assert summary["epochs_completed"] == 2 and summary["status"] == "finished"
    assert 'hidden = [64]' in (run / "config.toml").read_text()


def test_default_train_reaches_95_percent_on_digits(tmp_path):
    """The README's first command: `ember train` with no options (the real default, ~30 epochs)."""
    r = ember_cli("train", cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("digits-mlp-")
    summary = json.loads((runs[0] / "summary.json").read_text())
    assert summary["epochs_completed"] == 30
    assert summary["test_accuracy"] >= 0.95, summary


def test_quiet_prints_nothing(tmp_path):
    r = ember_cli("train", *FAST, "--quiet", "--run-dir", tmp_path / "q")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "resnt18"], "unknown model 'resnt18'. Did you mean 'resnet18'? Available: mlp, logistic"),
        (["--dataset", "mnits"], "unknown dataset 'mnits'. Did you mean 'mnist'? Available: digits, mnist"),
        (["--optimizer", "adm"], "unknown optimizer 'adm'. Did you mean 'adam'? Choose from: sgd, adam"),
        (["--scheduler", "cosin"], "unknown scheduler 'cosin'. Did you mean 'cosine'?"),
        (["--model", "lenet5"], "model 'lenet5' cannot take inputs of shape (1, 8, 8) from dataset 'digits'"),
        (["--epochs", "0"], "config key 'epochs': must be > 0, got 0"),
        (["--hidden", "a,b"], "expected comma-separated layer sizes"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors_exit_2_with_an_actionable_message(tmp_path, args, message):
    r = ember_cli("train", *args, "--run-dir", tmp_path / "x")
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_config_key_names_the_key_and_suggests(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('epochs = 1\nlearning_rate = 0.1\n')
    r = ember_cli("train", "--config", cfg, "--run-dir", tmp_path / "x")
    assert r.returncode == 2
    assert "unknown config key 'learning_rate'. Did you mean 'lr'?" in r.stderr
    cfg.write_text('epochs = "many"\n')
    r = ember_cli("train", "--config", cfg, "--run-dir", tmp_path / "x")
    assert r.returncode == 2 and "config key 'epochs': expected an integer, got 'many'" in r.stderr


def test_config_file_with_flag_overrides(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('epochs = 5\nhidden = [16]\noptimizer = "sgd"\n')
    r = ember_cli("train", "--config", cfg, "--epochs", "1", "--run-dir", tmp_path / "run", "--quiet")
    assert r.returncode == 0, r.stderr
    written = (tmp_path / "run" / "config.toml").read_text()
    assert "epochs = 1\n" in written and "hidden = [16]\n" in written and 'optimizer = "sgd"\n' in written
    assert "lr = 0.05\n" in written and "momentum = 0.9\n" in written  # the optimizer's defaults, resolved


def test_missing_dataset_says_where_to_put_the_files(tmp_path):
    r = ember_cli("train", "--dataset", "mnist", "--data-dir", tmp_path, "--run-dir", tmp_path / "x")
    assert r.returncode == 1
    assert "MNIST (train split) not found" in r.stderr and str(tmp_path) in r.stderr
    assert "mnist.npz" in r.stderr and "--download" in r.stderr


def test_ctrl_c_saves_a_checkpoint_and_resume_ends_with_the_uninterrupted_weights(tmp_path):
    args = ["--epochs", "12", "--hidden", "32", "--batch-size", "16", "--seed", "3", "--dropout", "0.1"]
    full = ember_cli("train", *args, "--run-dir", tmp_path / "full", "--quiet")
    assert full.returncode == 0, full.stderr

    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.Popen([sys.executable, "-m", "ember", "train", *args, "--run-dir", str(tmp_path / "cut")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for line in p.stderr:
        if line.startswith("epoch 1/12"):
            p.send_signal(signal.SIGINT)
            break
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert f"Resume with: ember train --resume {tmp_path / 'cut'}" in err
    cut = ember.load(tmp_path / "cut" / "checkpoint-last.pt")
    assert 1 <= cut["epoch"] < 12
    assert json.loads((tmp_path / "cut" / "summary.json").read_text())["status"] == "interrupted"

    again = ember_cli("train", "--resume", tmp_path / "cut", "--quiet")
    assert again.returncode == 0, again.stderr
    a = ember.load(tmp_path / "full" / "checkpoint-last.pt")
    b = ember.load(tmp_path / "cut" / "checkpoint-last.pt")
    assert a["epoch"] == b["epoch"] == 12
    for k in a["model"]:
        np.testing.assert_array_equal(a["model"][k].numpy(), b["model"][k].numpy(), err_msg=k)
    rows = (tmp_path / "cut" / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == [str(e) for e in range(1, 13)]
    sa = json.loads((tmp_path / "full" / "summary.json").read_text())
    sb = json.loads((tmp_path / "cut" / "summary.json").read_text())
    assert sa["test_accuracy"] == sb["test_accuracy"]


def test_resume_refuses_changed_settings_and_finished_runs(small_run):
    run, _ = small_run
    r = ember_cli("train", "--resume", run, "--lr", "0.1")
    assert r.returncode == 2 and "cannot change lr when resuming" in r.stderr
    r = ember_cli("train", "--resume", run)
    assert r.returncode == 2 and "already completed 2 of 2 epochs" in r.stderr
    r = ember_cli("train", "--resume", run.parent / "nope")
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_evaluate_predict_report(small_run, tmp_path):
    run, _ = small_run
    summary = json.loads((run / "summary.json").read_text())
    r = ember_cli("evaluate", run)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("digits test (450 samples): loss ")
    assert f"accuracy {summary['test_accuracy']:.4f}" in r.stdout

    from ember.vision.datasets import Digits

    digits = Digits(train=False)
    np.save(tmp_path / "two.npy", digits.data[:2])
    from PIL import Image

    Image.fromarray(digits.data[0]).resize((32, 32)).save(tmp_path / "one.png")
    r = ember_cli("predict", run, tmp_path / "one.png", tmp_path / "two.npy", "--top-k", "3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{tmp_path / 'one.png'}: ") and lines[1].startswith(f"{tmp_path / 'two.npy'}[0]: ")
    probs = [float(p.split("(")[1].rstrip(")")) for p in lines[0].split(": ")[1].split(", ")]
    assert len(probs) == 3 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001

    (run / "report.html").unlink()
    r = ember_cli("report", run)
    assert r.returncode == 0 and (run / "report.html").is_file()

    r = ember_cli("evaluate", run, "--dataset", "moons")
    assert r.returncode == 2 and "has inputs of shape (2,), but the model of this run takes (1, 8, 8)" in r.stderr
    r = ember_cli("predict", run, tmp_path / "missing.png")
    assert r.returncode == 2 and "no such file" in r.stderr


def test_listing_commands_and_no_command():
    r = ember_cli("datasets")
    assert r.returncode == 0 and r.stdout.split()[0] == "digits" and "mnist" in r.stdout
    r = ember_cli("models")
    assert r.returncode == 0 and "resnet18" in r.stdout and "densenet121" in r.stdout and "lenet5" in r.stdout
    r = ember_cli()  # a bare `ember` lists the commands (a newcomer's first try), it is not an error
    assert r.returncode == 0 and "usage: ember" in r.stdout and "train" in r.stdout


def test_user_model_file(tmp_path):
    f = tmp_path / "net.py"
    f.write_text(
        "from ember import nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self, in_features, num_classes):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(in_features, num_classes)\n"
        "    def forward(self, x):\n"
        "        return self.fc(x.flatten(1))\n"
    )
    r = ember_cli("train", "--model", f"{f}:Net", "--epochs", "1", "--run-dir", tmp_path / "run", "--quiet")
    assert r.returncode == 0, r.stderr
    r = ember_cli("evaluate", tmp_path / "run")
    assert r.returncode == 0, r.stderr
