"""ember tunes glibc's malloc thresholds at import (see ember/_malloc.py), unless told not to."""

import os
import subprocess
import sys

import pytest

SRC = os.path.join(os.path.dirname(__file__), os.pardir, "src")


def _tuned_in_child(**env_changes) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "EMBER_MALLOC_TUNING"}
    env.update(env_changes)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    code = "import ember, ember._malloc as m; print(m.tuned)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning is Linux-only")
def test_malloc_thresholds_are_set_at_import_on_glibc():
    import ctypes

    if not hasattr(ctypes.CDLL(None), "gnu_get_libc_version"):
        pytest.skip("not glibc")
    assert _tuned_in_child() == "True"


def test_malloc_tuning_can_be_turned_off():
    assert _tuned_in_child(EMBER_MALLOC_TUNING="0") == "False"


def test_malloc_tuning_leaves_a_users_malloc_settings_alone():
    assert _tuned_in_child(MALLOC_TRIM_THRESHOLD_="1048576") == "False"
