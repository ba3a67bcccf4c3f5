"""Triangular, LU and Cholesky solvers: errors compared with torch (class and message), singular
inputs (info, inf/nan like LAPACK), named-tuple fields, and the Tensor spellings. Values, dtypes and
every gradient are compared in tests/ops/_registry_linalg2.py."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated:UserWarning",
                                        "ignore:torch.lu is deprecated:UserWarning")

CASES = [
    lambda L: L.linalg.solve_triangular(L.eye(3), L.ones(3), upper=True),
    lambda L: L.linalg.solve_triangular(L.ones(2, 3), L.ones(3, 2), upper=True),
    lambda L: L.linalg.solve_triangular(L.eye(3), L.ones(2, 2), upper=True),
    lambda L: L.linalg.solve_triangular(L.eye(3), L.ones(2, 2), upper=True, left=False),
    lambda L: L.linalg.solve_triangular(L.eye(3, dtype=L.int64), L.ones(3, 2, dtype=L.int64), upper=True),
    lambda L: L.triangular_solve(L.ones(3), L.eye(3)),
    lambda L: L.triangular_solve(L.ones(3, 1), L.ones(3)),
    lambda L: L.linalg.lu_factor(L.ones(3)),
    lambda L: L.linalg.lu_factor(L.ones(3, 3, dtype=L.int64)),
    lambda L: L.linalg.lu_factor(L.eye(3), pivot=False),
    lambda L: L.linalg.lu(L.eye(3), pivot=False),
    lambda L: L.linalg.lu_factor(L.tensor([[1.0, 2.0], [2.0, 4.0]])),
    lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(L.eye(3)), L.ones(2, 2)),
    lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(L.eye(3)), L.ones(3)),
    lambda L: L.linalg.solve_ex(L.ones(2, 3), L.ones(2, 1)),
    lambda L: L.cholesky_solve(L.ones(3), L.eye(3)),
    lambda L: L.cholesky_solve(L.ones(3, 1), L.eye(3, dtype=L.float64)),
    lambda L: L.linalg.matrix_exp(L.ones(3)),
    lambda L: L.linalg.matrix_exp(L.ones(2, 3)),
    lambda L: L.linalg.matrix_exp(L.ones(3, 3, dtype=L.int64)),
    lambda L: L.linalg.vander(L.tensor(2.0)),
    lambda L: L.linalg.vander(L.ones(3), N=1),
    lambda L: L.linalg.vander(L.tensor([True, False])),
    lambda L: L.linalg.tensorinv(L.ones(4, 6, 8, 3), ind=0),
    lambda L: L.linalg.tensorinv(L.ones(4, 6, 8, 2), ind=2),
    lambda L: L.linalg.tensorinv(L.zeros(2, 2), ind=1),
    lambda L: L.linalg.tensorsolve(L.ones(2, 3, 5), L.ones(2, 3)),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_error_class_and_message_match_torch(case):
    with pytest.raises(Exception) as t_exc:
        CASES[case](torch)
    with pytest.raises(type(t_exc.value) if type(t_exc.value).__module__ == "builtins" else RuntimeError) as e_exc:
        CASES[case](ember)
    assert str(e_exc.value).split(" (Triggered")[0] == str(t_exc.value).split(" (Triggered")[0]


def test_singular_solve_ex_reports_info_and_raises_with_check_errors():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    b = np.ones((2, 1))
    res = ember.linalg.solve_ex(ember.tensor(a), ember.tensor(b))
    ref = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b))
    assert res.info.item() == ref.info.item() == 2
    assert res.info.dtype == ember.int32
    assert not np.isfinite(res.result.numpy()).all()
    with pytest.raises(ember.linalg.LinAlgError, match="singular"):
        ember.linalg.solve_ex(ember.tensor(a), ember.tensor(b), check_errors=True)


def test_lu_factor_ex_of_a_singular_batch_matches_torch():
    a = np.stack([np.array([[1.0, 2.0], [2.0, 4.0]]), np.array([[0.0, 1.0], [2.0, 3.0]]), np.zeros((2, 2))])
    ours = ember.linalg.lu_factor_ex(ember.tensor(a))
    ref = torch.linalg.lu_factor_ex(torch.tensor(a))
    np.testing.assert_allclose(ours.LU.numpy(), ref.LU.numpy())
    np.testing.assert_array_equal(ours.pivots.numpy(), ref.pivots.numpy())
    np.testing.assert_array_equal(ours.info.numpy(), ref.info.numpy())
    assert ours.pivots.dtype == ember.int32 and ours.info.dtype == ember.int32


def test_solve_triangular_with_a_zero_pivot_gives_inf_and_nan_like_lapack():
    a, b = np.array([[0.0, 0.0], [0.0, 0.0]]), np.ones((2, 1))
    ours = ember.linalg.solve_triangular(ember.tensor(a), ember.tensor(b), upper=True).numpy()
    ref = torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b), upper=True).numpy()
    np.testing.assert_array_equal(ours, ref)


def test_solve_triangular_promotes_like_torch():
    a, b = np.eye(3) * 2, np.ones((3, 2), np.float32)
    ours = ember.linalg.solve_triangular(ember.tensor(a), ember.tensor(b), upper=False)
    ref = torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b), upper=False)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1] == "float64"
    np.testing.assert_allclose(ours.numpy(), ref.numpy())


def test_named_tuple_fields_match_torch():
    a = np.random.default_rng(0).standard_normal((3, 3)) + 3 * np.eye(3)
    for name, call in [("lu_factor", lambda L, A: L.linalg.lu_factor(A)), ("lu_factor_ex", lambda L, A: L.linalg.lu_factor_ex(A)),
                       ("lu", lambda L, A: L.linalg.lu(A)), ("lu_unpack", lambda L, A: L.lu_unpack(*L.linalg.lu_factor(A))),
                       ("solve_ex", lambda L, A: L.linalg.solve_ex(A, A)),
                       ("triangular_solve", lambda L, A: L.triangular_solve(A, A))]:
        ours, ref = call(ember, ember.tensor(a)), call(torch, torch.tensor(a))
        assert type(ours).__name__ == type(ref).__name__, name
        assert len(ours) == len(ref)
        for field in ("LU", "pivots", "info", "P", "L", "U", "result", "solution", "cloned_coefficient"):
            assert hasattr(ours, field) == hasattr(ref, field), (name, field)


def test_torch_lu_returns_a_plain_tuple_with_infos_on_request():
    a = np.random.default_rng(1).standard_normal((2, 3, 3))
    ours, ref = ember.lu(ember.tensor(a), get_infos=True), torch.lu(torch.tensor(a), get_infos=True)
    assert type(ours) is tuple and len(ours) == len(ref) == 3
    for o, r in zip(ours, ref):
        np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-12, atol=1e-12)


HOUSEHOLDER_CASES = [
    lambda L: L.geqrf(L.ones(3)),
    lambda L: L.geqrf(L.ones(3, 3, dtype=L.int64)),
    lambda L: L.linalg.householder_product(L.ones(2), L.ones(1)),
    lambda L: L.linalg.householder_product(L.ones(3, 2), L.ones(3)),
    lambda L: L.linalg.householder_product(L.ones(2, 3), L.ones(2)),
    lambda L: L.linalg.householder_product(L.ones(3, 2, dtype=L.float64), L.ones(2)),
    lambda L: L.linalg.householder_product(L.ones(2, 3, 2), L.ones(2)),
]


@pytest.mark.parametrize("case", range(len(HOUSEHOLDER_CASES)))
def test_householder_errors_match_torch(case):
    with pytest.raises(Exception) as t_exc:
        HOUSEHOLDER_CASES[case](torch)
    with pytest.raises(type(t_exc.value)) as e_exc:
        HOUSEHOLDER_CASES[case](ember)
    assert str(e_exc.value) == str(t_exc.value)


def test_geqrf_has_no_derivative_like_torch():
    a = np.random.default_rng(2).standard_normal((3, 2))
    for lib in (ember, torch):
        out = lib.geqrf(lib.tensor(a, requires_grad=True))
        with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not implemented"):
            out.a.sum().backward()


def test_geqrf_of_a_zero_matrix_is_the_identity_reflection():
    ours, ref = ember.geqrf(ember.zeros(3, 2, dtype=ember.float64)), torch.geqrf(torch.zeros(3, 2, dtype=torch.float64))
    np.testing.assert_array_equal(ours.a.numpy(), ref.a.numpy())
    np.testing.assert_array_equal(ours.tau.numpy(), ref.tau.numpy())
