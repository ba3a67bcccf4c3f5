"""Normalization layers on inputs with no elements behave like PyTorch's: empty output, running stats untouched."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

CASES = [
    ("BatchNorm1d", (3,), {}, [(0, 3), (0, 3, 5), (2, 3, 0)]),
    ("BatchNorm2d", (3,), {}, [(0, 3, 4, 4), (2, 3, 0, 4)]),
    ("BatchNorm3d", (3,), {}, [(0, 3, 2, 2, 2)]),
    ("BatchNorm1d", (3,), {"momentum": None}, [(0, 3)]),
    ("LayerNorm", (4,), {}, [(0, 4), (2, 0, 4)]),
    ("LayerNorm", ((0,),), {}, [(2, 0)]),
    ("GroupNorm", (1, 3), {}, [(0, 3), (0, 3, 4), (2, 3, 0)]),
    ("InstanceNorm1d", (3,), {}, [(0, 3, 5), (2, 3, 0), (3, 0)]),
    ("InstanceNorm1d", (3,), {"affine": True, "track_running_stats": True}, [(0, 3, 5), (2, 3, 0)]),
    ("InstanceNorm2d", (3,), {}, [(0, 3, 4, 4), (2, 3, 0, 4)]),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}, [(0, 3, 4, 4), (2, 3, 0, 4)]),
    ("InstanceNorm3d", (3,), {}, [(0, 3, 2, 2, 2)]),
    ("LocalResponseNorm", (2,), {}, [(0, 3, 4), (2, 0, 4), (0, 3, 4, 4)]),
    ("RMSNorm", (4,), {}, [(0, 4)]),
]
PARAMS = [(n, a, k, s, t) for n, a, k, shapes in CASES for s in shapes for t in (True, False)]


def _run(lib, name, args, kwargs, shape, train):
    m = getattr(lib.nn, name)(*args, **kwargs)
    m.train(train)
    x = lib.randn(*shape, requires_grad=True)
    try:
        y = m(x)
        y.sum().backward()
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return type(e), None
    state = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
    grads = [None if p.grad is None else p.grad.numpy().copy() for p in m.parameters()]
    return tuple(y.shape), (state, tuple(x.grad.shape), grads)


@pytest.mark.parametrize("name, args, kwargs, shape, train", PARAMS)
def test_norm_layer_on_an_empty_input_matches_torch(name, args, kwargs, shape, train):
    t_out, t = _run(torch, name, args, kwargs, shape, train)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 RuntimeWarnings from computing statistics of nothing
        e_out, e = _run(ember, name, args, kwargs, shape, train)
    assert e_out == t_out
    if t is None:
        return
    (ts, tg_shape, tg), (es, eg_shape, eg) = t, e
    assert eg_shape == tg_shape
    assert sorted(es) == sorted(ts)
    for k in ts:
        np.testing.assert_array_equal(es[k], ts[k], err_msg=k)  # running stats unchanged, count as torch
    for a, b in zip(eg, tg):
        # torch's GroupNorm gives NaN weight gradients over zero spatial elements (0/0); ember gives 0
        np.testing.assert_array_equal(a, np.nan_to_num(b, nan=0.0))


def test_one_empty_batch_does_not_poison_batchnorm_running_statistics():
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal((8, 3, 4, 4)).astype(np.float32), np.zeros((0, 3, 4, 4), np.float32),
               rng.standard_normal((8, 3, 4, 4)).astype(np.float32)]
    tm, em = torch.nn.BatchNorm2d(3), ember.nn.BatchNorm2d(3)
    for b in batches:
        tm(torch.from_numpy(b))
        em(ember.from_numpy(b))
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(em.state_dict()[k].numpy(), v.numpy(), rtol=1e-6, atol=1e-7, err_msg=k)
    assert np.isfinite(em.running_var.numpy()).all() and int(em.num_batches_tracked) == 3
