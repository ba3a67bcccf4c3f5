"""Pooling-window checks (shared by 2-d and 3-d pooling): same error class and message as torch."""

import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

CASES = [
    ("max_pool2d", 2, dict(kernel_size=0, stride=1)),
    ("max_pool2d", 2, dict(kernel_size=0, stride=0)),
    ("max_pool2d", 2, dict(kernel_size=2, stride=-1)),
    ("max_pool2d", 2, dict(kernel_size=2, stride=1, dilation=0)),
    ("max_pool2d", 2, dict(kernel_size=2, stride=1, padding=-1)),
    ("avg_pool2d", 2, dict(kernel_size=(2, 0), stride=1)),
    ("max_pool3d", 3, dict(kernel_size=0, stride=1)),
    ("max_pool3d", 3, dict(kernel_size=(2, 0, 2), stride=1)),
    ("max_pool3d", 3, dict(kernel_size=2, stride=(1, 0, 1))),
    ("max_pool3d", 3, dict(kernel_size=2, stride=-1)),
    ("max_pool3d", 3, dict(kernel_size=2, stride=1, dilation=0)),
    ("max_pool3d", 3, dict(kernel_size=2, stride=1, padding=-1)),
    ("max_pool3d", 3, dict(kernel_size=2, stride=1, padding=2)),
    ("avg_pool3d", 3, dict(kernel_size=0, stride=1)),
    ("avg_pool3d", 3, dict(kernel_size=2, stride=1, padding=-1)),
]


@pytest.mark.parametrize("name, nd, kwargs", CASES)
def test_window_errors_match_torch(name, nd, kwargs):
    shape = (1, 1) + (6,) * nd
    with pytest.raises(Exception) as want:
        getattr(TF, name)(torch.zeros(shape), **kwargs)
    with pytest.raises(want.type) as got:
        getattr(F, name)(ember.zeros(shape), **kwargs)
    assert str(got.value) == str(want.value)
