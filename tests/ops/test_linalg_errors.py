"""ember.linalg: errors compared with torch (class and message), named tuples, and the
LinAlgError raised for singular / non-positive-definite input."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

CASES = [
    lambda L: L.linalg.inv(L.zeros(2, 2)),
    lambda L: L.linalg.inv(L.ones(2, 3)),
    lambda L: L.linalg.det(L.ones(3)),
    lambda L: L.linalg.det(L.ones(2, 2, dtype=L.int64)),
    lambda L: L.linalg.cholesky(-L.eye(2)),
    lambda L: L.linalg.solve(L.zeros(2, 2), L.ones(2)),
    lambda L: L.linalg.solve(L.eye(2), L.ones(2, dtype=L.float64)),
    lambda L: L.linalg.qr(L.eye(2), mode="full"),
    lambda L: L.linalg.eigh(L.eye(2), UPLO="X"),
    lambda L: L.linalg.vector_norm(L.tensor([1, 2])),
    lambda L: L.linalg.matrix_norm(L.ones(3)),
    lambda L: L.linalg.matrix_norm(L.ones(2, 2), ord=3),
    lambda L: L.linalg.norm(L.ones(2, 2, 2), ord=2),
    lambda L: L.linalg.matrix_power(L.ones(2, 3), 2),
    lambda L: L.linalg.lstsq(L.ones(3, 2), L.ones(3, 1), driver="foo"),
    lambda L: L.linalg.cross(L.ones(2), L.ones(2)),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_error_class_and_message_match_torch(case):
    with pytest.raises(Exception) as t_exc:
        CASES[case](torch)
    with pytest.raises(RuntimeError) as e_exc:
        CASES[case](ember)
    assert isinstance(t_exc.value, RuntimeError)
    assert str(e_exc.value).split(" (Triggered")[0] == str(t_exc.value).split(" (Triggered")[0]


def test_singular_and_non_pd_inputs_raise_linalg_error():
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv(ember.zeros(3, 3))
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.cholesky(-ember.eye(3))
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


def test_named_tuples_and_info_forms():
    a = ember.tensor(np.array([[4.0, 1.0], [1.0, 3.0]]))
    assert ember.linalg.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert ember.linalg.svd(a)._fields == ("U", "S", "Vh")
    assert ember.svd(a)._fields == ("U", "S", "V")
    assert ember.linalg.qr(a)._fields == ("Q", "R")
    assert ember.linalg.slogdet(a)._fields == ("sign", "logabsdet")
    assert ember.linalg.lstsq(a, a)._fields == ("solution", "residuals", "rank", "singular_values")
    assert ember.linalg.inv_ex(ember.zeros(2, 2)).info.item() == 1
    assert ember.linalg.cholesky_ex(a).info.item() == 0


def test_torch_svd_returns_v_not_vh_and_det_of_singular_matrix_has_a_gradient():
    a = np.array([[1.0, 2.0], [2.0, 4.0], [0.5, -1.0]])
    e, t = ember.svd(ember.tensor(a)), torch.svd(torch.tensor(a))
    np.testing.assert_allclose(np.abs(e.V.numpy()), np.abs(t.V.numpy()), atol=1e-12)
    # rank n-1: d det / dA = adj(A)^T, non-zero (torch 2.13 returns zeros here; ember follows the math)
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    x = ember.tensor(s, requires_grad=True)
    ember.linalg.det(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    assert ember.autograd.gradcheck(ember.linalg.det, (ember.tensor(s, requires_grad=True),))
