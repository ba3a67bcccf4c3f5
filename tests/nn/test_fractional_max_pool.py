"""F.fractional_max_pool2d/3d, nn.FractionalMaxPool2d/3d: values, indices and gradients equal torch's given the same
_random_samples (float64 and float32, batched and unbatched, output_size and output_ratio), gradcheck, NaN windows,
buffer/state_dict, errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import check_against_torch, check_gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,kernel,kw", [((2, 3, 9, 10), 3, dict(output_size=(4, 5))), ((2, 3, 9, 10), (2, 3), dict(output_size=(7, 8))),
                                             ((1, 2, 7, 7), 2, dict(output_size=1)), ((3, 9, 10), 2, dict(output_size=(5, 4))),
                                             ((2, 3, 25, 31), 3, dict(output_ratio=(0.5, 0.4))), ((2, 2, 6, 6), 1, dict(output_size=6))])
def test_fractional_max_pool2d_matches_torch_values_indices_gradients(shape, kernel, kw, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    samples = rng.random((shape[0] if len(shape) == 4 else 1, shape[-3], 2)).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    check_against_torch(
        lambda a, s: F.fractional_max_pool2d(a, kernel, return_indices=True, _random_samples=s, **kw),
        lambda a, s: TF.fractional_max_pool2d(a, kernel, return_indices=True, _random_samples=s, **kw),
        [x, samples], requires_grad=[True, False], rtol=tol, atol=tol,
    )


def test_fractional_max_pool2d_gradcheck_float64():
    rng = np.random.default_rng(1)
    s = ember.tensor(rng.random((2, 2, 2)))
    check_gradcheck(lambda a: F.fractional_max_pool2d(a, 2, output_size=(3, 4), _random_samples=s), [rng.standard_normal((2, 2, 6, 7))])


def test_fractional_max_pool2d_nan_window_picks_like_torch():
    x = np.arange(2 * 8 * 8, dtype=np.float64).reshape(1, 2, 8, 8)
    x[0, 0, 1, 1] = x[0, 0, 2, 3] = np.nan
    s = np.full((1, 2, 2), 0.3)
    check_against_torch(lambda a: F.fractional_max_pool2d(a, 3, output_size=(3, 3), return_indices=True, _random_samples=ember.tensor(s)),
                        lambda a: TF.fractional_max_pool2d(a, 3, output_size=(3, 3), return_indices=True, _random_samples=torch.tensor(s)),
                        [x])


def test_module_buffer_state_dict_and_default_random_samples():
    s = np.random.default_rng(2).random((1, 3, 2))
    e = nn.FractionalMaxPool2d(3, output_size=2, _random_samples=ember.tensor(s))
    t = torch.nn.FractionalMaxPool2d(3, output_size=2, _random_samples=torch.tensor(s))
    assert list(e.state_dict()) == list(t.state_dict()) == ["_random_samples"]
    assert repr(e) == repr(t)
    x = np.random.default_rng(3).standard_normal((1, 3, 8, 8))
    np.testing.assert_array_equal(e(ember.tensor(x)).numpy(), t(torch.tensor(x)).numpy())
    m = nn.FractionalMaxPool2d((2, 2), output_ratio=0.5, return_indices=True)
    y, idx = m(ember.randn(4, 3, 10, 12))
    assert tuple(y.shape) == (4, 3, 5, 6) and idx.dtype == ember.int64 and y.dtype == ember.float32


@pytest.mark.parametrize("call", [
    lambda F_, lib, x: F_.fractional_max_pool2d(x, 3),
    lambda F_, lib, x: F_.fractional_max_pool2d(x, 3, output_size=8),
    lambda F_, lib, x: F_.fractional_max_pool2d(x, 3, output_size=(4, 9)),
    lambda F_, lib, x: F_.fractional_max_pool2d(x, 3, output_size=(4, 4), _random_samples=lib.rand(2, 3, 3, dtype=lib.float64)),
    lambda F_, lib, x: F_.fractional_max_pool2d(x, 3, output_size=(4, 4), _random_samples=lib.rand(1, 3, 2, dtype=lib.float64)),
    lambda F_, lib, x: F_.fractional_max_pool2d(x, 3, output_size=(4, 4), _random_samples=lib.rand(2, 3, 2)),
    lambda F_, lib, x: F_.fractional_max_pool2d(x, 3, output_ratio=0.5),
])
def test_fractional_max_pool2d_errors_match_torch(call):
    x = np.zeros((2, 3, 9, 10))
    with pytest.raises(Exception) as t_err:
        call(TF, torch, torch.tensor(x))
    with pytest.raises(type(t_err.value)) as e_err:
        call(F, ember, ember.tensor(x))
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("kw", [dict(), dict(output_size=2, output_ratio=0.5), dict(output_ratio=1.5)])
def test_module_argument_errors_match_torch(kw):
    with pytest.raises(ValueError) as t_err:
        torch.nn.FractionalMaxPool2d(3, **kw)
    with pytest.raises(ValueError) as e_err:
        nn.FractionalMaxPool2d(3, **kw)
    assert str(e_err.value) == str(t_err.value)


# -- 3-D ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,kernel,kw", [((2, 3, 7, 9, 10), 2, dict(output_size=(4, 5, 6))), ((3, 7, 8, 9), (2, 3, 2), dict(output_size=(3, 4, 5))),
                                             ((1, 2, 8, 9, 10), 2, dict(output_ratio=(0.5, 0.6, 0.4)))])
def test_fractional_max_pool3d_matches_torch_values_indices_gradients(shape, kernel, kw, dtype):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape).astype(dtype)
    samples = rng.random((shape[0] if len(shape) == 5 else 1, shape[-4], 3)).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    check_against_torch(
        lambda a, s: F.fractional_max_pool3d(a, kernel, return_indices=True, _random_samples=s, **kw),
        lambda a, s: TF.fractional_max_pool3d(a, kernel, return_indices=True, _random_samples=s, **kw),
        [x, samples], requires_grad=[True, False], rtol=tol, atol=tol,
    )


def test_fractional_max_pool3d_gradcheck_and_module():
    rng = np.random.default_rng(7)
    s = rng.random((1, 2, 3))
    check_gradcheck(lambda a: F.fractional_max_pool3d(a, 2, output_size=(2, 3, 2), _random_samples=ember.tensor(s)),
                    [rng.standard_normal((1, 2, 4, 5, 4))])
    e = nn.FractionalMaxPool3d(2, output_size=(2, 3, 2), _random_samples=ember.tensor(s))
    t = torch.nn.FractionalMaxPool3d(2, output_size=(2, 3, 2), _random_samples=torch.tensor(s))
    x = rng.standard_normal((1, 2, 4, 5, 4))
    np.testing.assert_array_equal(e(ember.tensor(x)).numpy(), t(torch.tensor(x)).numpy())
    assert list(e.state_dict()) == list(t.state_dict()) and repr(e) == repr(t)


@pytest.mark.parametrize("kw", [dict(output_size=(6, 4, 4)), dict(output_size=(4, 8, 4)), dict(output_size=(4, 4, 9)), dict(), dict(output_size=4, samples=(2, 3, 2)),
                                dict(output_size=4, samples=(1, 3, 3)), dict(output_size=4, samples=(2, 3, 3), float32=True)])
def test_fractional_max_pool3d_errors_match_torch(kw):
    kw = dict(kw)
    shape, f32 = kw.pop("samples", None), kw.pop("float32", False)

    def call(F_, lib):
        x = lib.zeros(2, 3, 7, 9, 10, dtype=lib.float64)
        if shape is not None:
            kw["_random_samples"] = lib.zeros(*shape, dtype=lib.float32 if f32 else lib.float64)
        return F_.fractional_max_pool3d(x, 2, **kw)

    with pytest.raises(Exception) as t_err:
        call(TF, torch)
    with pytest.raises(type(t_err.value)) as e_err:
        call(F, ember)
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("kw", [dict(), dict(output_size=2, output_ratio=0.5), dict(output_ratio=1.5)])
def test_module3d_argument_errors_match_torch(kw):
    with pytest.raises(ValueError) as t_err:
        torch.nn.FractionalMaxPool3d(2, **kw)
    with pytest.raises(ValueError) as e_err:
        nn.FractionalMaxPool3d(2, **kw)
    assert str(e_err.value) == str(t_err.value)
