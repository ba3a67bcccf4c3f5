"""CrossMapLRN2d and the deprecated NLLLoss2d against torch."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("channels,size", [(7, 3), (7, 5), (3, 5), (6, 4), (1, 3), (9, 2)])
def test_cross_map_lrn2d_forward_matches_torch(channels, size):
    # values only: torch's hand-written backward is not the derivative of its forward (it fails gradcheck,
    # see the class docstring); ember's is (test below)
    x = np.random.default_rng(channels * 10 + size).normal(size=(2, channels, 3, 2))
    res = []
    for lib in (ember, torch):
        m = lib.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.6, k=1.5)
        y = m(lib.tensor(x))
        res.append((y.detach().numpy(), repr(m)))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12, atol=1e-14)
    assert res[0][0].dtype == res[1][0].dtype
    assert res[0][1] == res[1][1]


def test_cross_map_lrn2d_gradcheck_and_4d_only():
    x = ember.tensor(np.random.default_rng(0).normal(size=(1, 4, 2, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: ember.nn.CrossMapLRN2d(3, alpha=0.3)(t), (x,))
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="Expected input to be 4D, got 3D instead"):
            lib.nn.CrossMapLRN2d(3)(lib.zeros(2, 3, 4))


def test_nll_loss2d_warns_and_is_nll_loss():
    x = np.log(np.random.default_rng(0).dirichlet(np.ones(4), size=(2, 3, 3)).transpose(0, 3, 1, 2))
    y = np.random.default_rng(1).integers(0, 4, size=(2, 3, 3))
    res = []
    for lib in (ember, torch):
        with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
            m = lib.nn.NLLLoss2d(ignore_index=2, reduction="sum")
        assert isinstance(m, lib.nn.NLLLoss)
        res.append(float(m(lib.tensor(x), lib.tensor(y))))
    assert res[0] == pytest.approx(res[1], rel=1e-12)
