"""ember.training.run, .rundir, .run_report, .evaluate, .predict and .config: run directories, their files and report,
configs in TOML."""

import csv
import json
from html.parser import HTMLParser

import numpy as np
import pytest

import ember
from ember.training import config as C
from ember.training import run as R
from ember.training import run_report, rundir
from ember.training.errors import UsageError
from ember.training.evaluate import evaluate_run
from ember.training.predict import predict_files

FAST = {"epochs": 2, "hidden": [32], "batch_size": 64}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("run") / "digits"
    result = R.train_run(FAST, d, quiet=True, log=lambda m: None)
    assert result.status == "finished"
    return d


class _Sections(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.images, self.cells, self._in_cell = [], [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "img":
            self.images.append(a.get("src", ""))
        self._in_cell = tag in ("th", "td")

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data)


def test_run_directory_contents(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert names == {
        "config.toml", "metrics.csv", "summary.json", "checkpoint-best.pt", "checkpoint-last.pt", "report.html",
        "curves.png", "lr.png", "confusion_matrix.png", "misclassified.png", "first_layer_weights.png",
        "model_summary.txt",
    }  # fmt: skip
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert set(rows[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"}
    s = json.loads((run_dir / "summary.json").read_text())
    assert s["status"] == "finished" and s["epochs_completed"] == 2
    assert s["input_shape"] == [1, 8, 8] and s["num_classes"] == 10 and s["classes"][0] == "0"
    assert s["n_train"] + s["n_val"] == 1347 and s["n_test"] == 450
    assert 0 <= s["test_accuracy"] <= 1 and s["final_loss"] == pytest.approx(float(rows[-1]["loss"]))
    for f in ("curves.png", "confusion_matrix.png"):
        assert (run_dir / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_checkpoint_contents(run_dir):
    ck = ember.load(run_dir / "checkpoint-last.pt")
    assert ck["epoch"] == 2
    assert set(ck) >= {"model", "optimizer", "scheduler", "rng", "data_rng", "history", "callbacks", "config", "meta"}
    assert ck["config"]["hidden"] == [32] and ck["meta"]["input_shape"] == [1, 8, 8]
    assert ck["scheduler"]["total_steps"] == len(ck["history"]["lr_steps"])  # OneCycleLR over exactly 2 epochs


def test_report_has_every_section_and_all_plots(run_dir):
    p = _Sections()
    p.feed((run_dir / "report.html").read_text())
    assert p.sections == ["headline", "model", "plots", "metrics", "config"]  # what a reader wants first, first
    assert len(p.images) == 5 and all(src.startswith("data:image/png;base64,") for src in p.images)
    for needle in ("dataset", "digits", "hidden", "test_accuracy", "best_epoch"):
        assert needle in p.cells
    run_report.write_run_report(run_dir)  # re-rendering is idempotent
    p2 = _Sections()
    p2.feed((run_dir / "report.html").read_text())
    assert p2.sections == p.sections and len(p2.images) == 5


def test_config_toml_reproduces_the_run_settings(run_dir):
    cfg = C.load_config(run_dir / "config.toml")
    assert cfg["hidden"] == [32] and cfg["epochs"] == 2 and cfg["lr"] == 0.003 and cfg["optimizer"] == "adam"
    assert set(cfg) == set(C.FIELDS)


def test_evaluate_and_predict_agree_with_the_summary(run_dir, tmp_path):
    s = json.loads((run_dir / "summary.json").read_text())
    logs = evaluate_run(run_dir)
    assert logs["accuracy"] == pytest.approx(s["test_accuracy"]) and logs["samples"] == 450
    from ember.vision.datasets import Digits

    d = Digits(train=False)
    np.save(tmp_path / "x.npy", d.data[:5])
    res = predict_files(run_dir, [tmp_path / "x.npy"], top_k=10)
    assert len(res) == 5 and all(len(r["top"]) == 10 for r in res)
    assert sum(p for _, p in res[0]["top"]) == pytest.approx(1.0, abs=1e-5)
    _, _, model = rundir.load_run(run_dir)
    with ember.no_grad():
        expected = model(ember.from_numpy((d.data[:5] / np.float32(255))[:, None].astype(np.float32))).argmax(1)
    assert [r["top"][0][0] for r in res] == [str(int(i)) for i in expected.tolist()]


def test_without_matplotlib_plots_are_skipped_with_one_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(run_report, "_has_matplotlib", lambda: False)
    messages = []
    R.train_run({"epochs": 1, "hidden": [8]}, tmp_path / "r", quiet=True, log=messages.append)
    assert messages == ["warning: matplotlib is not installed, so no plots were drawn (pip install 'ember[plot]')"]
    assert not list((tmp_path / "r").glob("*.png"))
    assert "No plots." in (tmp_path / "r" / "report.html").read_text()


def test_train_run_refuses_an_existing_run_and_early_stopping_is_recorded(run_dir, tmp_path):
    with pytest.raises(UsageError, match="already holds a run; continue it with `ember train --resume"):
        R.train_run(FAST, run_dir, quiet=True)
    res = R.train_run({"epochs": 30, "hidden": [8], "early_stopping": 1, "scheduler": "none", "lr": 0.05},
                      tmp_path / "es", quiet=True, log=lambda m: None)
    assert res.status == "stopped_early" and res.summary["stopped_early_at_epoch"] < 30
    assert res.summary["checkpoint_for_test"] == "best"
    assert evaluate_run(tmp_path / "es")["accuracy"] == pytest.approx(res.summary["test_accuracy"])


@pytest.mark.parametrize(
    "opt, sched", [("sgd", "step"), ("adamw", "cosine"), ("rmsprop", "plateau"), ("adagrad", "onecycle")]
)
def test_every_optimizer_and_scheduler_builds_and_steps(opt, sched, tmp_path, monkeypatch):
    monkeypatch.setattr(run_report, "_has_matplotlib", lambda: False)  # plots are tested elsewhere; keep this fast
    res = R.train_run({"epochs": 1, "hidden": [8], "optimizer": opt, "scheduler": sched, "val_split": 0.0},
                      tmp_path / "r", quiet=True, log=lambda m: None)
    assert res.summary["epochs_completed"] == 1 and "final_val_loss" not in res.summary


def test_default_run_dir_names(tmp_path):
    cfg = C.default_config()
    p = rundir.default_run_dir(cfg, tmp_path)
    assert p.parent == tmp_path and p.name.startswith("digits-mlp-")
    p.mkdir()
    q = rundir.default_run_dir(cfg, tmp_path)
    assert q != p and not q.exists()  # an existing directory is never reused
    assert rundir.default_run_dir(dict(cfg, model="dir/net.py:Net"), tmp_path).name.startswith("digits-Net-")


# ------------------------------------------------------------------------------------ config
def test_validate_config_checks_keys_types_and_ranges():
    cfg = C.validate_config({"hidden": "128, 64", "lr": "0.01", "epochs": 3.0, "download": "yes"})
    assert cfg["hidden"] == [128, 64] and cfg["lr"] == 0.01 and cfg["epochs"] == 3 and cfg["download"] is True
    for bad, msg in [
        ({"epoch": 3}, "unknown config key 'epoch'. Did you mean 'epochs'?"),
        ({"patience": 3}, "unknown config key 'patience'. Did you mean 'early_stopping'?"),
        ({"epochs": 2.5}, "config key 'epochs': expected an integer, got 2.5"),
        ({"lr": "fast"}, "config key 'lr': expected a number, got 'fast'"),
        ({"dropout": 1.0}, "config key 'dropout': must be in [0, 1), got 1.0"),
        ({"hidden": [0]}, "config key 'hidden': sizes must be positive integers"),
        ({"optimizer": "Adamm"}, "unknown optimizer 'Adamm'. Did you mean 'adam'?"),
        ({"train": {"lr": 1}}, "sections ([train]) are not supported"),
    ]:
        with pytest.raises(C.ConfigError) as e:
            C.validate_config(bad)
        assert msg in str(e.value)


def test_dump_and_parse_round_trip_with_tomllib_and_the_fallback(monkeypatch):
    cfg = dict(C.default_config(), data_dir='C:\\data "x"', lr=1e-05, hidden=[3, 2])
    text = C.dump_config(cfg, comments=("a comment",))
    assert text.startswith("# a comment\n")
    assert C.validate_config(C.parse_toml(text)) == cfg
    assert C._MiniTOML(text, "t").parse() == C.parse_toml(text)
    extra = 'a = 1_000 # note\nb = [ 1, 2 , 3 ]\nc = \'lit\\eral\'\nd = -2.5e3\ne = true\nf = "with # hash"\n'
    assert C._MiniTOML(extra, "t").parse() == {"a": 1000, "b": [1, 2, 3], "c": "lit\\eral", "d": -2500.0, "e": True,
                                               "f": "with # hash"}
    for bad, msg in [("[train]\n", "line 1: sections"), ("x = abc\n", "line 1: cannot read the value 'abc'"),
                     ("x = 1\nx = 2\n", "line 2: key 'x' is defined twice"), ('x = "open\n', "unterminated string")]:
        with pytest.raises(C.ConfigError, match=msg.replace("[", r"\[").replace("(", r"\(")):
            C._MiniTOML(bad, "t").parse()


def test_load_config_reports_the_file(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("epochs = 2\nbatchsize = 3\n")
    with pytest.raises(C.ConfigError, match=r"c\.toml: unknown config key 'batchsize'\. Did you mean 'batch_size'\?"):
        C.load_config(f)
    with pytest.raises(C.ConfigError, match="not found"):
        C.load_config(tmp_path / "missing.toml")


def test_a_2d_toy_problem_gets_a_decision_boundary_plot_and_no_image_plots(tmp_path):
    res = R.train_run({"dataset": "moons", "epochs": 2, "hidden": [16]}, tmp_path / "m", quiet=True)
    pngs = sorted(p.name for p in (tmp_path / "m").glob("*.png"))
    assert pngs == ["confusion_matrix.png", "curves.png", "decision_boundary.png", "lr.png"]
    assert res.summary["input_shape"] == [2]


def test_tensorboard_without_the_package_stops_before_any_work(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboard", None)  # importing it now raises ImportError

    def must_not_load(cfg):
        raise AssertionError("the data was loaded before the missing package was noticed")

    monkeypatch.setattr(R, "load_data", must_not_load)
    with pytest.raises(UsageError, match=r"needs the 'tensorboard' package: pip install 'ember\[tensorboard\]'"):
        R.train_run({"epochs": 1, "hidden": [8], "tensorboard": True}, tmp_path / "tb", quiet=True)
    assert not (tmp_path / "tb").exists()
