"""nn.AdaptiveLogSoftmaxWithLoss: torch's structure and state_dict keys, forward (output, loss) values and every
parameter/input gradient against torch with copied weights, log_prob, predict, unbatched input, errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn

torch = pytest.importorskip("torch")


def _pair(in_features=8, n_classes=20, cutoffs=(4, 10, 15), div_value=2.0, head_bias=False):
    torch.manual_seed(0)
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, list(cutoffs), div_value=div_value, head_bias=head_bias).double()
    e = nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, list(cutoffs), div_value=div_value, head_bias=head_bias).double()
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


def test_structure_and_state_dict_keys_match_torch():
    e, t = _pair(head_bias=True)
    assert list(e.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        assert tuple(e.state_dict()[k].shape) == tuple(v.shape)
    assert (e.shortlist_size, e.n_clusters, e.head_size, e.cutoffs) == (t.shortlist_size, t.n_clusters, t.head_size, t.cutoffs)
    assert repr(e) == repr(t)


@pytest.mark.parametrize("targets", [[0, 3, 4, 9, 10, 19, 15, 2], [1, 2, 3, 0, 1, 2, 3, 0], [16, 17, 18, 19, 5, 6, 7, 8], [12]])
def test_forward_values_and_gradients_match_torch(targets):
    e, t = _pair()
    x = np.random.default_rng(0).standard_normal((len(targets), 8))
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    eo, to = e(ex, ember.tensor(targets)), t(tx, torch.tensor(targets))
    assert type(eo).__name__ == "_ASMoutput" and eo._fields == ("output", "loss")
    np.testing.assert_allclose(eo.output.detach().numpy(), to.output.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(eo.loss.item(), to.loss.item(), rtol=1e-10)
    up = np.random.default_rng(1).standard_normal(len(targets))
    (eo.loss + (eo.output * ember.tensor(up)).sum()).backward()
    (to.loss + (to.output * torch.tensor(up)).sum()).backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
        if q.grad is None:
            assert p.grad is None or not np.any(p.grad.numpy()), name
        else:
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_log_prob_predict_and_unbatched_match_torch():
    e, t = _pair(cutoffs=(3, 8))
    x = np.random.default_rng(2).standard_normal((30, 8)) * 3
    lp_e, lp_t = e.log_prob(ember.tensor(x)), t.log_prob(torch.tensor(x))
    np.testing.assert_allclose(lp_e.detach().numpy(), lp_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.exp(lp_e.detach().numpy()).sum(1), 1.0, rtol=1e-10)
    pe, pt = e.predict(ember.tensor(x)), t.predict(torch.tensor(x))
    np.testing.assert_array_equal(pe.numpy(), pt.numpy())
    assert (pt >= 3).any() and (pt < 3).any()  # both branches of predict ran
    eo, to = e(ember.tensor(x[0]), ember.tensor(11)), t(torch.tensor(x[0]), torch.tensor(11))
    assert eo.output.shape == () and to.output.shape == ()
    np.testing.assert_allclose(eo.output.item(), to.output.item(), rtol=1e-10)
    for fn in ("log_prob", "predict"):  # only forward accepts unbatched input in torch
        with pytest.raises(IndexError):
            getattr(t, fn)(torch.tensor(x[0]))
        with pytest.raises(IndexError):
            getattr(e, fn)(ember.tensor(x[0]))


def test_float32_default_dtype():
    m = nn.AdaptiveLogSoftmaxWithLoss(16, 10, [2, 5])
    out = m(ember.randn(4, 16), ember.tensor([0, 3, 7, 9]))
    assert out.output.dtype == ember.float32 and out.loss.dtype == ember.float32


@pytest.mark.parametrize("cutoffs", [[], [5, 3], [0, 4], [4, 20], [4, 4], [2.5]])
def test_bad_cutoffs_raise_like_torch(cutoffs):
    with pytest.raises(ValueError) as t_err:
        torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs)
    with pytest.raises(ValueError) as e_err:
        nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs)
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("xs,ts", [((4, 8), [0, 1, 2, 20]), ((3, 8), [0, 1, 2, 3]), ((4, 8), [[0], [1], [2], [3]]), ((4, 8), 3)])
def test_bad_targets_raise_runtime_error_like_torch(xs, ts):
    e, t = _pair()
    x = np.zeros(xs)
    with pytest.raises(RuntimeError):
        t(torch.tensor(x), torch.tensor(ts))
    with pytest.raises(RuntimeError):
        e(ember.tensor(x), ember.tensor(ts))
