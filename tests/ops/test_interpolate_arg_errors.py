"""interpolate's ``size`` / ``scale_factor`` with the wrong number of spatial dims: torch's ValueError, word for
word (the value is shown as given, a list as a list)."""

from __future__ import annotations

import pytest

import ember

CASES = [{"size": (2, 3, 4)}, {"size": [5]}, {"scale_factor": [2.0, 2.0, 2.0]}, {"scale_factor": (1.5,)}]


@pytest.mark.parametrize("kwargs", CASES, ids=lambda k: f"{next(iter(k))}={next(iter(k.values()))}")
def test_interpolate_spatial_arg_length_error_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as expected:
        torch.nn.functional.interpolate(torch.zeros(1, 1, 4, 4), **kwargs)
    with pytest.raises(ValueError) as got:
        ember.nn.functional.interpolate(ember.zeros(1, 1, 4, 4), **kwargs)
    assert str(got.value) == str(expected.value)


def test_interpolate_single_number_repeats_over_spatial_dims():
    torch = pytest.importorskip("torch")
    for kwargs in ({"size": 3}, {"scale_factor": 1.5}, {"size": [3, 2]}):
        got = ember.nn.functional.interpolate(ember.zeros(1, 1, 4, 4), **kwargs)
        expected = torch.nn.functional.interpolate(torch.zeros(1, 1, 4, 4), **kwargs)
        assert tuple(got.shape) == tuple(expected.shape)
