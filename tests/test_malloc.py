"""Importing ember changes no process-wide setting; glibc's malloc thresholds are tuned when
training starts (Trainer.fit, hence ``ember train``), unless told not to (see ember/_malloc.py)."""

import os
import subprocess
import sys

import pytest

SRC = os.path.join(os.path.dirname(__file__), os.pardir, "src")

_TRAIN = (
    "import ember, ember._malloc as m\n"
    "print(m.tuned)\n"
    "from ember.training.trainer import Trainer\n"
    "model = ember.nn.Linear(2, 2)\n"
    "data = [(ember.randn(4, 2), ember.randint(0, 2, (4,)))]\n"
    "Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), ember.nn.CrossEntropyLoss(), progress=False).fit(data, epochs=1)\n"
    "print(m.tuned)\n"
)


def _tuned_in_child(**env_changes) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "EMBER_MALLOC_TUNING"}
    env.update(env_changes)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", _TRAIN], env=env, capture_output=True, text=True, check=True)
    return out.stdout.split()


def _glibc():
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc malloc tuning is Linux-only")
    import ctypes

    if not hasattr(ctypes.CDLL(None), "gnu_get_libc_version"):
        pytest.skip("not glibc")


def test_import_leaves_malloc_alone_and_training_tunes_it():
    _glibc()
    assert _tuned_in_child() == ["False", "True"]


def test_malloc_tuning_can_be_turned_off():
    assert _tuned_in_child(EMBER_MALLOC_TUNING="0") == ["False", "False"]


def test_malloc_tuning_leaves_a_users_malloc_settings_alone():
    assert _tuned_in_child(MALLOC_TRIM_THRESHOLD_="1048576") == ["False", "False"]
