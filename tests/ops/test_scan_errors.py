"""Errors of the scan/reduction family, each compared with the exception torch raises."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

X = np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 5.0]], dtype=np.float32)

CASES = [
    lambda L, x: L.quantile(x.long(), 0.5),
    lambda L, x: L.quantile(x, 1.5),
    lambda L, x: L.quantile(x, L.tensor([0.5], dtype=L.float64)),
    lambda L, x: L.quantile(x, L.tensor([[0.5]])),
    lambda L, x: L.quantile(x, 0.5, interpolation="cubic"),
    lambda L, x: L.nanquantile(L.tensor([]), 0.5),
    lambda L, x: L.histc(x.long(), bins=3),
    lambda L, x: L.histc(x, bins=3, min=2, max=1),
    lambda L, x: L.bincount(L.tensor([-1, 2])),
    lambda L, x: L.bincount(L.tensor([[1, 2]])),
    lambda L, x: L.bincount(x),
    lambda L, x: L.diff(L.tensor(1.0)),
    lambda L, x: L.diff(x, n=-1),
    lambda L, x: L.diff(x, dim=0, prepend=L.zeros(3)),
    lambda L, x: L.trace(x[0]),
    lambda L, x: L.cummax(L.tensor(1.0), 1),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_error_class_and_message_match_torch(case):
    fn = CASES[case]
    with pytest.raises(Exception) as t_exc:
        fn(torch, torch.tensor(X))
    with pytest.raises(type(t_exc.value)) as e_exc:
        fn(ember, ember.tensor(X))
    assert str(e_exc.value) == str(t_exc.value)


def test_named_tuples_carry_torch_field_names():
    x = ember.tensor(X)
    assert type(ember.cummax(x, 0)).__name__ == "cummax" and ember.cummax(x, 0)._fields == ("values", "indices")
    assert ember.cummin(x, 1)._fields == ("values", "indices")
    assert ember.aminmax(x)._fields == ("min", "max")
