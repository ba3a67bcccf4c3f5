"""PyTorch programs, written as PyTorch users write them, run unchanged under ``ember run``."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
PROGRAMS = os.path.join(os.path.dirname(__file__), "programs")


def ember_run(tmp_path, program, *args, module=False):
    """``python -m ember run programs/<program> args...`` in ``tmp_path``; returns the CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"), PYTHONWARNINGS="default")
    cmd = [sys.executable, "-m", "ember.run" if module else "ember", *([] if module else ["run"]),
           os.path.join(PROGRAMS, program), *map(str, args)]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def _ok(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


def test_mnist_style_argparse_script_learns_and_its_saved_model_loads_in_torch(tmp_path):
    out = _ok(ember_run(tmp_path, "mnist_argparse.py", "--epochs", "2", "--save-model"))
    assert "Test set: Average loss" in out
    assert float(re.search(r"final accuracy ([\d.]+)", out).group(1)) > 0.9
    torch = pytest.importorskip("torch")
    state = torch.load(tmp_path / "mnist_cnn.pt")  # real PyTorch, weights_only=True
    assert state["conv1.weight"].shape == (8, 1, 3, 3) and state["fc2.bias"].dtype == torch.float32
    assert list(state) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                           "fc2.weight", "fc2.bias"]


def test_quickstart_with_torch_accelerator_picks_the_cpu_and_reloads_its_state_dict(tmp_path):
    out = _ok(ember_run(tmp_path, "quickstart_accelerator.py"))
    assert "Using cpu device" in out
    acc = re.search(r"reloaded accuracy ([\d.]+) \(trained ([\d.]+)\)", out)
    assert acc.group(1) == acc.group(2) and float(acc.group(1)) > 0.5  # chance is 1/3
    losses = [float(v) for v in re.findall(r"loss: +([\d.]+)", out)]
    assert losses[-1] < losses[0]
    torch = pytest.importorskip("torch")
    state = torch.load(tmp_path / "model.pth")
    assert state["linear_relu_stack.0.weight"].shape == (64, 20)


def test_general_checkpoint_resume_and_whole_model_save(tmp_path):
    out = _ok(ember_run(tmp_path, "checkpoint_resume.py", tmp_path))
    assert "resumed at epoch 20" in out
    assert "weights_only refused: UnsafeCheckpointError" in out
    assert "whole model type Net same outputs True" in out
    torch = pytest.importorskip("torch")
    ckpt = torch.load(tmp_path / "checkpoint.pt")
    assert ckpt["epoch"] == 20 and isinstance(ckpt["loss"], float)
    assert ckpt["model_state_dict"]["bn.num_batches_tracked"].dtype == torch.int64
    assert ckpt["optimizer_state_dict"]["param_groups"][0]["momentum"] == 0.9
    assert set(ckpt["optimizer_state_dict"]["state"]) == set(range(6))


def test_backend_flags_compile_and_jit_run_eagerly(tmp_path):
    out = _ok(ember_run(tmp_path, "flags_compile_jit.py"))
    assert "versions: None None False" in out
    assert "deterministic: True high" in out
    assert "gpus: 0 threads: True" in out
    first, last = map(float, re.search(r"first loss ([\d.]+) last loss ([\d.]+)", out).groups())
    assert last < first / 5
    assert "traced output shape (128, 1) residual 1.5" in out


def test_amp_recipe_scales_on_the_cpu_and_legacy_cuda_amp_disables_itself(tmp_path):
    proc = ember_run(tmp_path, "amp_gradscaler.py")
    out = _ok(proc)
    start, end = map(float, re.search(r"amp loss ([\d.]+) -> ([\d.]+)", out).groups())
    assert end < start / 2
    assert "scale 65536.0" in out
    # deprecated + "CUDA is not available ... Disabling" for each of the two legacy calls, as PyTorch warns
    assert "legacy scaler enabled: False warnings: 4 dtype: ember.float32" in out
    torch = pytest.importorskip("torch")
    ckpt = torch.load(tmp_path / "amp_checkpoint.pt")
    assert ckpt["scaler"]["scale"] == 65536.0 and ckpt["scaler"]["growth_interval"] == 2000


@pytest.mark.parametrize("spawn", [False, True])
def test_dataloader_workers_and_get_worker_info_sharding(tmp_path, spawn):
    # with --spawn, workers re-run the script in fresh interpreters, which must alias torch too
    out = _ok(ember_run(tmp_path, "dataloader_workers.py", "--workers", "2", *(["--spawn"] if spawn else [])))
    assert "map-style items per epoch: 40 distinct: 40" in out
    assert "iterable single: True" in out and "iterable multi: True" in out
    assert "main process worker info: None" in out


def test_script_imports_a_helper_module_beside_it_and_nn_module_paths(tmp_path):
    first = _ok(ember_run(tmp_path, "train_with_helper.py"))
    second = _ok(ember_run(tmp_path, "train_with_helper.py"))
    assert float(re.search(r"helper accuracy ([\d.]+)", first).group(1)) > 0.9
    assert "lstm features (5, 4)" in first
    seed = re.compile(r"initial seed is fresh each run: (\d+)")
    assert seed.search(first).group(1) != seed.search(second).group(1)  # OS entropy, as torch


def test_imagenet_style_script_with_cudnn_benchmark_and_dataparallel(tmp_path):
    out = _ok(ember_run(tmp_path, "imagenet_style_dataparallel.py", "--out", tmp_path))
    assert "using CPU, this will be slow" in out
    assert float(re.findall(r"best ([\d.]+)", out)[-1]) > 90
    assert "keys: ['module.classifier.bias', 'module.classifier.weight']" in out
    torch = pytest.importorskip("torch")
    best = torch.load(tmp_path / "model_best.pth.tar")
    assert best["arch"] == "smallnet" and "module.features.0.weight" in best["state_dict"]


def test_safe_globals_program(tmp_path):
    out = _ok(ember_run(tmp_path, "safe_globals_config.py"))
    assert "refused: True True" in out
    assert "inside safe_globals: TrainConfig(lr=0.5, layers=2)" in out
    assert "after the block: True" in out and "added: 0.5" in out
    assert "unsafe globals: ['__main__.TrainConfig']" in out


def test_missing_api_is_named_with_the_programs_line_before_the_traceback(tmp_path):
    proc = ember_run(tmp_path, "uses_missing_api.py")
    assert proc.returncode == 1
    first, rest = proc.stderr.split("\n", 1)
    assert first.startswith("ember run: torch.distributions is not available in ember (used at ")
    assert first.endswith("uses_missing_api.py:5: dist = torch.distributions.Normal(x, x))")
    assert rest.startswith("Traceback (most recent call last):\n  File ") and "uses_missing_api.py\", line 5" in rest
    assert "runpy" not in rest


def test_missing_torch_submodule_import_is_named(tmp_path):
    proc = ember_run(tmp_path, "exit_codes.py", "missing-module")
    assert proc.returncode == 1
    assert proc.stderr.startswith("ember run: torch.fancy_missing_module is not available in ember (used at ")
    assert "ModuleNotFoundError: No module named 'torch.fancy_missing_module'" in proc.stderr


@pytest.mark.parametrize("module", [False, True])
def test_exit_codes_argv_and_tracebacks_behave_as_python_script(tmp_path, module):
    proc = ember_run(tmp_path, "exit_codes.py", "exit", 3, module=module)
    assert proc.returncode == 3
    assert "argv: ['exit', '3'] file ok: True" in proc.stdout
    proc = ember_run(tmp_path, "exit_codes.py", "raise", module=module)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Traceback (most recent call last):")  # no missing-API note for an ordinary error
    assert proc.stderr.rstrip().endswith("ValueError: bad value from the program")
    assert "ok 3" in _ok(ember_run(tmp_path, "exit_codes.py", "fine", module=module))


def test_run_without_a_script_is_a_usage_error(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    proc = subprocess.run([sys.executable, "-m", "ember", "run"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "usage: ember run script.py" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "ember", "run", "nope.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "can't open file" in proc.stderr


@pytest.mark.parametrize("program, args, expected", [
    ("mnist_argparse.py", ["--epochs", "2"], r"final accuracy (0\.9\d*|1\.0+)"),
    ("safe_globals_config.py", [], r"inside safe_globals: TrainConfig\(lr=0.5, layers=2\)\nafter the block: True\n"
                                   r"added: 0.5\nunsafe globals: \['__main__.TrainConfig'\]"),
    ("train_with_helper.py", [], r"helper accuracy (0\.9\d*|1\.0+) lstm features \(5, 4\)"),
])
def test_the_programs_are_real_pytorch_programs(tmp_path, program, args, expected):
    """The same files, run by ``python`` with the real PyTorch, print the same conclusions."""
    pytest.importorskip("torch")
    proc = subprocess.run([sys.executable, os.path.join(PROGRAMS, program), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=""))
    out = _ok(proc)
    assert re.search(expected, out), out
    assert "ember" not in out


def test_a_directory_with_main_runs_like_python_dir(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "util.py").write_text("import torch\nSCALE = torch.tensor(2.0)\n")
    (app / "__main__.py").write_text("import sys, torch\nfrom util import SCALE\n"
                                     "print('path0 is app:', sys.path[0].endswith('app'), (SCALE * 3).item())\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    proc = subprocess.run([sys.executable, "-m", "ember", "run", "app"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert "path0 is app: True 6.0" in _ok(proc)
