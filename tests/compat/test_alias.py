"""``ember.compat.alias_torch``: ``import torch`` resolves to ember inside a running interpreter, and undoes cleanly."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import pytest

import ember
from ember.compat import _run


def _in_fresh_python(code: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": ember.__path__[0].rsplit("/", 1)[0]}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)


def test_alias_torch_in_a_notebook_session_and_undo():
    proc = _in_fresh_python("""
        import sys
        import ember.compat
        ember.compat.alias_torch()
        import torch, torch.nn as nn, torch.nn.functional as F
        from torch import optim
        from torch.utils.data import DataLoader
        import torchvision
        from torchvision import transforms, datasets, models
        import ember
        assert torch is ember and nn is ember.nn and F is ember.nn.functional and optim is ember.optim
        assert torchvision is ember.vision and transforms is ember.vision.transforms
        assert DataLoader is ember.utils.data.DataLoader
        assert torch.nn.Linear is ember.nn.Linear
        import torch.backends.cudnn as cudnn
        assert cudnn is ember.backends.cudnn
        assert "torch.nn.modules.conv" not in sys.modules  # only what was imported is aliased
        ember.compat.alias_torch()  # twice is harmless
        ember.compat.unalias_torch()
        assert not any(n == "torch" or n.startswith("torch.") for n in sys.modules)
        import torch  # the real one again
        assert torch is not ember and hasattr(torch, "_C")
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_alias_sets_real_torch_aside_and_restores_it():
    proc = _in_fresh_python("""
        import torch as real
        import ember, ember.compat
        ember.compat.alias_torch()
        import torch
        assert torch is ember
        ember.compat.unalias_torch()
        import torch
        assert torch is real
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr


def test_missing_names_are_reported_in_torch_spelling():
    try:
        ember.nn.NoSuchLayer  # noqa: B018
    except AttributeError as exc:
        assert _run.missing_api(exc) == "torch.nn.NoSuchLayer"
    try:
        importlib.import_module("ember.no_such_module")
    except ModuleNotFoundError as exc:
        assert _run.missing_api(exc) == "torch.no_such_module"
    try:
        from ember.vision import no_such_thing  # noqa: F401
    except ImportError as exc:
        assert _run.missing_api(exc) == "torchvision.no_such_thing"
    try:
        ember.ones(2).no_such_method()
    except AttributeError as exc:
        assert _run.missing_api(exc) == "torch.Tensor.no_such_method"
    assert _run.missing_api(ValueError("x")) is None
    assert _run.missing_api(AttributeError("'int' object has no attribute 'foo'")) is None


@pytest.mark.parametrize("fullname, expected", [("torch", "ember"), ("torch.nn.functional", "ember.nn.functional"),
                                                ("torchvision.transforms", "ember.vision.transforms"),
                                                ("torchaudio", None), ("torchx", None)])
def test_alias_names(fullname, expected):
    from ember.compat._alias import ember_name

    assert ember_name(fullname) == expected
