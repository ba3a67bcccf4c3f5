"""A newcomer's first five minutes with the ``ember`` command: each rough edge found by trying it, pinned down."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

SRC = str(Path(__file__).resolve().parents[2] / "src")
ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd=None, timeout=300, env_extra=None):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "ember", *map(str, args)], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout)


@pytest.fixture(scope="module")
def one_epoch_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("first") / "run"
    r = cli("train", "--epochs", "1", "--hidden", "32", "--run-dir", run, "--tensorboard")
    assert r.returncode == 0, r.stderr
    return run, r


def test_bare_ember_lists_the_commands():
    r = cli()
    assert r.returncode == 0
    for command in ("train", "evaluate", "predict", "datasets", "models", "report", "export"):
        assert command in r.stdout


def test_one_epoch_is_singular_and_the_summary_and_progress_are_printed(one_epoch_run):
    run, r = one_epoch_run
    assert "(1 epoch in" in r.stdout and "1 epochs" not in r.stdout
    assert "Total params:" in r.stderr and "Linear" in r.stderr  # the model summary at the start
    assert "writing plots and report.html" in r.stderr  # no silent pause after training
    assert (run / "model_summary.txt").read_text().startswith("=")


def test_epoch_lr_is_the_rate_the_epoch_used():
    from ember.training.callbacks import LRSchedulerCallback
    from ember.training.trainer import Trainer

    ember.manual_seed(0)
    model = ember.nn.Linear(4, 3)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    data = [(ember.randn(8, 4), ember.randint(0, 3, (8,))) for _ in range(10)]
    trainer = Trainer(model, opt, ember.nn.CrossEntropyLoss(), callbacks=[LRSchedulerCallback(sched)], progress=False)
    history = trainer.fit(data, epochs=1)
    steps = history.lr_steps
    assert len(steps) == 10 and steps[0] != steps[-1]
    assert history["lr"][0] == pytest.approx(float(np.mean(steps)))
    assert history["lr"][0] != pytest.approx(steps[0])  # not the start value
    assert len(history.loss_steps) == 10


def test_one_epoch_run_draws_a_per_step_loss_curve_and_a_report_headline(one_epoch_run):
    run, _ = one_epoch_run
    html = (run / "report.html").read_text(encoding="utf-8")
    assert html.index('id="headline"') < html.index('id="plots"') < html.index('id="config"')
    assert "test accuracy" in html and "training time" in html and 'id="model"' in html
    # the digits MLP's config shows its MLP keys; a logistic run would not (see the next test)
    assert ">hidden<" in html
    assert (run / "curves.png").is_file()


def test_report_config_shows_only_keys_that_apply(tmp_path):
    run = tmp_path / "run"
    r = cli("train", "--epochs", "1", "--model", "logistic", "--run-dir", run, "--quiet")
    assert r.returncode == 0, r.stderr
    html = (run / "report.html").read_text(encoding="utf-8")
    for key in ("hidden", "activation", "dropout", "momentum"):
        assert f">{key}<" not in html, key
    assert ">optimizer<" in html and ">lr<" in html


def test_tensorboard_log_reads_back(one_epoch_run):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run, _ = one_epoch_run
    acc = EventAccumulator(str(run / "tensorboard"), size_guidance={"scalars": 0})
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert {"loss/train", "loss/validation", "accuracy/validation", "lr", "loss/step"} <= set(tags)
    steps = acc.Scalars("loss/step")
    assert len(steps) > 10 and steps[0].step == 1
    metrics = json.loads((run / "summary.json").read_text())
    (last,) = acc.Scalars("loss/validation")
    assert last.value == pytest.approx(metrics["history"]["val_loss"][-1] if "history" in metrics else last.value, rel=1e-5)


def test_run_dir_pointing_at_a_file_is_one_line_and_no_traceback(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    r = cli("train", "--epochs", "1", "--run-dir", f)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "is a file" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_unexpected_errors_are_one_line_unless_debug(monkeypatch, capsys):
    from ember import cli as ember_cli
    from ember.vision.datasets import download

    def offline(*args, **kwargs):
        raise download.DownloadError("could not download x.gz from any of 1 mirror(s):\n  http://h/x.gz: <urlopen error no network>\nYou can download it by hand into D.")

    monkeypatch.setitem(ember_cli._COMMANDS, "datasets", offline)
    assert ember_cli.main(["datasets"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "could not download x.gz" in err and "--debug" in err
    with pytest.raises(download.DownloadError):
        ember_cli.main(["--debug", "datasets"])


def test_an_example_without_matplotlib_says_so_in_one_line(tmp_path):
    runner = tmp_path / "nompl.py"
    runner.write_text(
        "import importlib.util, runpy, sys\n"
        "sys.modules['matplotlib'] = None\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a, **k: None if n.split('.')[0] == 'matplotlib' else real(n, *a, **k)\n"
        "script = sys.argv[1]\nsys.argv = [script, '--out', sys.argv[2]]\n"
        "runpy.run_path(script, run_name='__main__')\n")
    env = dict(os.environ, PYTHONPATH=SRC)
    r = subprocess.run([sys.executable, str(runner), str(ROOT / "examples" / "08_cnn_digits.py"), str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "pip install 'ember[plot]'" in r.stderr


def test_predict_warns_about_a_big_image_with_the_opposite_background(one_epoch_run, tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    run, _ = one_epoch_run
    img = np.full((28, 28), 255, np.uint8)  # white paper
    img[6:22, 12:16] = 0  # a dark stroke: a "1" drawn as people draw
    path = tmp_path / "one.png"
    Image.fromarray(img).save(path)
    r = cli("predict", run, path)
    assert r.returncode == 0, r.stderr
    assert "28x28" in r.stderr and "8x8" in r.stderr and "shrunk" in r.stderr
    assert "light background" in r.stderr and "--invert" in r.stderr
    quiet = cli("predict", run, path, "--invert")
    assert "background" not in quiet.stderr  # inverted, the polarity matches


def test_dataset_path_trains_from_a_folder_of_images(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, level in enumerate((40, 200)):
        (tmp_path / "imgs" / f"class{c}").mkdir(parents=True)
        for k in range(30):
            Image.fromarray(rng.integers(level - 30, level + 30, (6, 6)).astype(np.uint8)).save(
                tmp_path / "imgs" / f"class{c}" / f"{k}.png")
    run = tmp_path / "run"
    r = cli("train", "--dataset", tmp_path / "imgs", "--epochs", "20", "--run-dir", run, "--quiet")
    assert r.returncode == 0, r.stderr
    summary = json.loads((run / "summary.json").read_text())
    assert summary["test_accuracy"] == 1.0  # dark vs light squares
    from ember.vision.datasets.image_tree import ImageTree

    train, test = ImageTree(tmp_path / "imgs", train=True), ImageTree(tmp_path / "imgs", train=False)
    assert train.classes == ["class0", "class1"] and len(train) + len(test) == 60 and len(test) == 12
    assert train.data.shape[1:] == (6, 6) and train.data.dtype == np.uint8


def test_progress_prints_plain_lines_inside_a_long_epoch(monkeypatch):
    import io

    from ember.training import progress
    from ember.training.callbacks import ProgressBar

    assert ProgressBar().log_every == 5.0
    clock = iter(np.arange(0.0, 100.0, 3.0))
    monkeypatch.setattr(progress.time, "perf_counter", lambda: float(next(clock)))
    out = io.StringIO()
    bar = progress.ProgressBar(total=100, desc="epoch 1/1", stream=out, use_tqdm=False, log_every=5.0)
    for _ in range(10):
        bar.update(10, loss=0.5)
    bar.close()
    lines = out.getvalue().strip().splitlines()
    assert len(lines) >= 4 and all("epoch 1/1" in line for line in lines)


def test_report_renders_in_a_real_browser(one_epoch_run, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium (apt-get install chromium)")
    run, _ = one_epoch_run
    profile = tmp_path / "profile"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]
    url = (run / "report.html").resolve().as_uri()
    dom = subprocess.run([browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    summary = json.loads((run / "summary.json").read_text())
    assert f"{100 * summary['test_accuracy']:.2f}%" in page
    assert page.count("<img") >= 4 and "data:image/png;base64," in page
    shot = tmp_path / "report.png"
    r = subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=1200,1600", url], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and shot.stat().st_size > 10_000
