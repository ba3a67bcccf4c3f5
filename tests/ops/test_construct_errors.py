"""Shape/construction ops: errors and warnings compared with torch, and view semantics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

X = np.arange(6.0).reshape(2, 3)

CASES = [
    lambda L, x: L.rot90(x, 1, [0]),
    lambda L, x: L.rot90(x, 1, [1, 1]),
    lambda L, x: L.rot90(x[0]),
    lambda L, x: x.unfold(1, 4, 1),
    lambda L, x: x.unfold(1, 2, 0),
    lambda L, x: L.meshgrid(x, indexing="ij"),
    lambda L, x: L.meshgrid(x[0], x[0].long(), indexing="ij"),
    lambda L, x: L.meshgrid(x[0], indexing="yx"),
    lambda L, x: L.combinations(x),
    lambda L, x: L.cartesian_prod(x, x),
    lambda L, x: L.diag_embed(x, dim1=1, dim2=-2),
    lambda L, x: L.block_diag(x[None]),
    lambda L, x: L.cross(x, x, dim=0),
    lambda L, x: L.linalg.cross(x[:, :2], x[:, :2]),
    lambda L, x: L.cdist(x, x[:, :2]),
    lambda L, x: L.cdist(x, x, p=-1),
    lambda L, x: L.searchsorted(x, x[:1]),
    lambda L, x: L.searchsorted(x[0], x[0], side="middle"),
    lambda L, x: L.searchsorted(x[0], x[0], side="left", right=True),
    lambda L, x: L.bucketize(x, x),
    lambda L, x: x.clone().put_(L.tensor([6]), L.tensor([1.0], dtype=x.dtype)),
    lambda L, x: x.clone().put_(L.tensor([0, 1]), L.tensor([1.0], dtype=x.dtype)),
    lambda L, x: x.index_reduce(0, L.tensor([0]), x[:1].float(), "prod"),
    lambda L, x: x.index_reduce(0, L.tensor([0]), x[:1], "sum"),
    lambda L, x: x.view(L.int32)[:, :1].view(L.int64),
    lambda L, x: x.float()[:, :1].view(L.float64),
    lambda L, x: L.tril_indices(3, 3, dtype=L.float32),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_error_class_and_message_match_torch(case):
    fn = CASES[case]
    with pytest.raises(Exception) as t_exc:
        fn(torch, torch.tensor(X))
    with pytest.raises(type(t_exc.value)) as e_exc:
        fn(ember, ember.tensor(X))
    if "but got:" not in str(t_exc.value):  # messages that print a tensor differ in its repr only
        assert str(e_exc.value).split("\n")[0] == str(t_exc.value).split("\n")[0]


def test_meshgrid_without_indexing_warns_like_torch():
    a = ember.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        ember.meshgrid(a, a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.meshgrid(a, a, indexing="xy")


def test_unfold_is_a_view_sharing_memory_and_version():
    x = ember.tensor(X.copy())
    u = x.unfold(1, 2, 1)
    x[0, 1] = 100.0
    assert u[0, 0, 1].item() == 100.0 and u[0, 1, 0].item() == 100.0


def test_view_dtype_reinterprets_bytes_like_torch():
    a = np.array([1.0, -2.5, 3.25], dtype=np.float32)
    np.testing.assert_array_equal(ember.tensor(a).view(ember.int32).numpy(), torch.tensor(a).view(torch.int32).numpy())
    np.testing.assert_array_equal(ember.tensor(a).view(dtype=ember.uint8).numpy(), torch.tensor(a).view(dtype=torch.uint8).numpy())
