"""F.affine_grid and F.grid_sample: PyTorch parity of values, input and grid gradients for every
mode x padding_mode x align_corners in 2-D and 3-D, float64 gradchecks, dtypes, the default
align_corners warning and the error classes/messages."""

# ruff: noqa: B023  (the lambdas passed to check_against_torch run at once, inside the loop iteration)

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from helpers import check_against_torch, check_gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

MODES = ["bilinear", "nearest", "bicubic"]
PADS = ["zeros", "border", "reflection"]


def _rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADS)
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_2d_matches_torch_values_and_both_gradients(mode, padding_mode, align_corners):
    rng = _rng(1)
    x = rng.standard_normal((2, 3, 4, 5))
    grid = rng.uniform(-1.7, 1.7, (2, 3, 6, 2))  # reaches outside [-1, 1]: exercises every padding mode
    check_against_torch(
        lambda a, g: F.grid_sample(a, g, mode, padding_mode, align_corners),
        lambda a, g: TF.grid_sample(a, g, mode, padding_mode, align_corners),
        [x, grid], rtol=1e-9, atol=1e-10,
    )


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_3d_matches_torch_values_and_both_gradients(mode, padding_mode, align_corners):
    rng = _rng(2)
    x = rng.standard_normal((2, 2, 3, 4, 5))
    grid = rng.uniform(-1.7, 1.7, (2, 2, 3, 4, 3))
    check_against_torch(
        lambda a, g: F.grid_sample(a, g, mode, padding_mode, align_corners),
        lambda a, g: TF.grid_sample(a, g, mode, padding_mode, align_corners),
        [x, grid], rtol=1e-9, atol=1e-10,
    )


@pytest.mark.parametrize("shape,gshape", [((1, 1, 1, 1), (1, 2, 2, 2)), ((2, 0, 3, 3), (2, 2, 2, 2)), ((2, 3, 3, 3), (2, 0, 4, 2)),
                                          ((1, 2, 1, 5), (1, 1, 3, 2))])
def test_grid_sample_size_one_and_empty_dims_match_torch(shape, gshape):
    rng = _rng(3)
    for mode in MODES:
        check_against_torch(
            lambda a, g: F.grid_sample(a, g, mode, "reflection", False),
            lambda a, g: TF.grid_sample(a, g, mode, "reflection", False),
            [rng.standard_normal(shape), rng.uniform(-1.2, 1.2, gshape)], rtol=1e-9, atol=1e-10,
        )


def test_grid_sample_float32_keeps_dtype_and_matches_torch():
    rng = _rng(4)
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    g = rng.uniform(-1, 1, (2, 4, 4, 2)).astype(np.float32)
    e, _ = check_against_torch(
        lambda a, b: F.grid_sample(a, b, align_corners=False), lambda a, b: TF.grid_sample(a, b, align_corners=False),
        [x, g], rtol=1e-5, atol=1e-5,
    )
    assert e.dtype == ember.float32


def test_grid_sample_nearest_grid_gradient_is_zero_like_torch():
    rng = _rng(5)
    x = ember.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    g = ember.tensor(rng.uniform(-1, 1, (1, 3, 3, 2)), requires_grad=True)
    F.grid_sample(x, g, "nearest", align_corners=True).sum().backward()
    assert g.grad is not None and np.all(g.grad.numpy() == 0)
    assert np.abs(x.grad.numpy()).sum() > 0


@pytest.mark.parametrize("padding_mode", PADS)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_gradcheck_float64(mode, padding_mode):
    rng = _rng(6)
    # Points kept off the pixel lattice and the clip/fold boundaries, where the map has kinks.
    grid = rng.uniform(-0.9, 0.9, (1, 2, 3, 2))
    check_gradcheck(lambda a, g: F.grid_sample(a, g, mode, padding_mode, False), [rng.standard_normal((1, 2, 3, 4)), grid])


def test_grid_sample_3d_gradcheck_float64():
    rng = _rng(7)
    check_gradcheck(lambda a, g: F.grid_sample(a, g, "bilinear", "border", True),
                    [rng.standard_normal((1, 2, 2, 3, 3)), rng.uniform(-0.9, 0.9, (1, 2, 2, 1, 3))])


def test_default_align_corners_warns_like_torch():
    x, g = np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 1, 2))
    for fn in (lambda lib, F_: F_.grid_sample(lib.tensor(x), lib.tensor(g)),
               lambda lib, F_: F_.affine_grid(lib.tensor(np.eye(2, 3)[None]), (1, 1, 2, 2))):
        msgs = []
        for lib, F_ in ((ember, F), (torch, TF)):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                fn(lib, F_)
            msgs.append([(x.category, str(x.message)) for x in w])
        assert msgs[0] == msgs[1] and len(msgs[0]) == 1


@pytest.mark.parametrize("args", [
    dict(x=(1, 2, 3, 4), g=(1, 2, 2, 2), mode="foo"),
    dict(x=(1, 2, 3, 4), g=(1, 2, 2, 2), padding_mode="foo"),
    dict(x=(1, 2, 3, 4), g=(1, 2, 2, 3)),
    dict(x=(1, 2, 3, 4), g=(2, 2, 2, 2)),
    dict(x=(1, 2, 3, 4), g=(1, 2, 2, 2, 2)),
    dict(x=(2, 3, 4), g=(2, 2, 2)),
    dict(x=(2, 3, 4), g=(2, 2, 1)),
    dict(x=(2, 3, 4, 4), g=(3, 2, 1, 2), gdtype=np.float32),
    dict(x=(1, 1, 2, 2, 2), g=(1, 2, 2, 2, 3), mode="bicubic"),
    dict(x=(1, 1, 0, 2), g=(1, 2, 2, 2)),
    dict(x=(1, 1, 2, 2), g=(1, 2, 2, 2), gdtype=np.float32),
])
def test_grid_sample_errors_match_torch(args):
    x = np.zeros(args["x"])
    g = np.zeros(args["g"], dtype=args.get("gdtype", np.float64))
    kw = dict(mode=args.get("mode", "bilinear"), padding_mode=args.get("padding_mode", "zeros"), align_corners=False)
    with pytest.raises(Exception) as t_err:
        TF.grid_sample(torch.tensor(x), torch.tensor(g), **kw)
    with pytest.raises(type(t_err.value)) as e_err:
        F.grid_sample(ember.tensor(x), ember.tensor(g), **kw)
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("xs,gs", [((1, 1, 2, 2), (1, 1, 1, 2)), ((1, 1, 2, 2, 2), (1, 1, 1, 1, 3))])
def test_grid_sample_integer_input_raises_not_implemented_like_torch(xs, gs):
    x, g = np.zeros(xs, dtype=np.int64), np.zeros(gs, dtype=np.int64)
    with pytest.raises(NotImplementedError) as t_err:
        TF.grid_sample(torch.tensor(x), torch.tensor(g), align_corners=False)
    with pytest.raises(NotImplementedError) as e_err:
        F.grid_sample(ember.tensor(x), ember.tensor(g), align_corners=False)
    assert str(e_err.value) == str(t_err.value)


def test_grid_sample_double_backward_raises_instead_of_returning_wrong_numbers():
    x = ember.tensor(_rng(8).standard_normal((1, 1, 3, 3)), requires_grad=True)
    g = ember.tensor(_rng(9).uniform(-1, 1, (1, 2, 2, 2)), requires_grad=True)
    y = F.grid_sample(x, g, align_corners=False)
    with pytest.raises(RuntimeError, match="double backward"):
        ember.autograd.grad(y.sum(), g, create_graph=True)


# -- affine_grid ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 3), (3, 2, 6, 1), (2, 1, 3, 4, 5), (1, 1, 1, 2, 1)])
def test_affine_grid_matches_torch_values_theta_gradient_and_warnings(size, align_corners):
    theta = _rng(10).standard_normal((size[0], len(size) - 2, len(size) - 1))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        check_against_torch(lambda t: F.affine_grid(t, size, align_corners), lambda t: TF.affine_grid(t, size, align_corners),
                            [theta], rtol=1e-10, atol=1e-12)
    msgs = [str(x.message) for x in w]
    assert len(msgs) % 2 == 0 and msgs[: len(msgs) // 2] == msgs[len(msgs) // 2 :]  # ember's call, then torch's


def test_affine_grid_float32_dtype_and_gradcheck():
    theta = _rng(11).standard_normal((2, 2, 3)).astype(np.float32)
    e, _ = check_against_torch(lambda t: F.affine_grid(t, (2, 1, 3, 4), False), lambda t: TF.affine_grid(t, (2, 1, 3, 4), False),
                               [theta], rtol=1e-6, atol=1e-6)
    assert e.dtype == ember.float32
    check_gradcheck(lambda t: F.affine_grid(t, (2, 1, 2, 3, 2), True), [_rng(12).standard_normal((2, 3, 4))])


@pytest.mark.parametrize("theta_shape,size,dtype", [
    ((1, 2, 3), (1, 1, 2, 2), np.int64), ((1, 3, 3), (1, 1, 2, 2), np.float64), ((1, 2, 3), (1, 1, 2), np.float64),
    ((1, 2, 3), (1, 1, 0, 2), np.float64), ((1, 2, 3), (1, 1, 2, 2, 2), np.float64), ((2, 2, 3), (1, 1, 2, 2), np.float64),
])
def test_affine_grid_errors_match_torch(theta_shape, size, dtype):
    theta = np.ones(theta_shape, dtype=dtype)
    with pytest.raises(Exception) as t_err:
        TF.affine_grid(torch.tensor(theta), size, align_corners=False)
    with pytest.raises(type(t_err.value)) as e_err:
        F.affine_grid(ember.tensor(theta), size, align_corners=False)
    assert str(e_err.value).replace("ember.", "torch.") == str(t_err.value)


def test_spatial_transformer_chain_matches_torch():
    """The Spatial Transformer tutorial's core: theta -> affine_grid -> grid_sample, gradient to theta and image."""
    rng = _rng(13)
    x = rng.standard_normal((2, 1, 7, 7))
    theta = np.array([[1.0, 0.1, 0.05], [-0.1, 0.9, 0.0]])[None].repeat(2, 0) + 0.01 * rng.standard_normal((2, 2, 3))

    def run(lib_F):
        return lambda a, t: lib_F.grid_sample(a, lib_F.affine_grid(t, a.size(), align_corners=False), align_corners=False)

    check_against_torch(run(F), run(TF), [x, theta], rtol=1e-9, atol=1e-10)
