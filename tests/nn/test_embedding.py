"""Embedding: lookup and weight gradient (with repeats, padding_idx, scale_grad_by_freq)
against PyTorch, max_norm renormalisation, from_pretrained, errors, EmbeddingBag."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

torch = pytest.importorskip("torch")


def pair(num=10, dim=4, **kwargs):
    t = torch.nn.Embedding(num, dim, **kwargs)
    e = nn.Embedding(num, dim, **kwargs)
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    return e, t


def compare_step(e, t, idx, rtol=1e-6):
    ye, yt = e(ember.tensor(idx)), t(torch.tensor(idx))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=rtol)
    up = np.random.default_rng(0).standard_normal(tuple(yt.shape)).astype(np.float32)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("idx", [np.array([1, 2, 2, 9]), np.array([[0, 3, 3], [3, 1, 0]]), np.array(5), np.zeros((2, 0), dtype=np.int64)])
def test_embedding_lookup_and_gradient_with_repeats_match_torch(idx):
    e, t = pair()
    compare_step(e, t, idx)


def test_embedding_padding_idx_gets_no_gradient_and_zero_init():
    e, t = pair(padding_idx=3)
    assert np.all(e.weight.detach().numpy()[3] == 0) and np.all(nn.Embedding(5, 2, padding_idx=-1).weight.detach().numpy()[4] == 0)
    compare_step(e, t, np.array([[3, 1, 3], [2, 3, 1]]))
    assert np.all(e.weight.grad.numpy()[3] == 0)
    assert nn.Embedding(5, 2, padding_idx=-2).padding_idx == 3


def test_embedding_scale_grad_by_freq_matches_torch():
    e, t = pair(scale_grad_by_freq=True, padding_idx=0)
    compare_step(e, t, np.array([[1, 1, 1, 2], [0, 2, 5, 1]]))


def test_embedding_max_norm_renormalises_rows_in_place_like_torch():
    e, t = pair(max_norm=1.0)
    idx = np.array([0, 2, 2, 7])
    compare_step(e, t, idx, rtol=1e-5)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-5)
    norms = np.linalg.norm(e.weight.detach().numpy()[[0, 2, 7]], axis=1)
    assert np.all(norms <= 1.0 + 1e-5)
    e1, t1 = pair(max_norm=0.5, norm_type=1.0)
    compare_step(e1, t1, np.array([1, 4]), rtol=1e-5)


def test_embedding_functional_gradcheck_in_float64():
    w = ember.tensor(np.random.default_rng(0).standard_normal((6, 3)), requires_grad=True)
    idx = ember.tensor([[1, 5, 1], [0, 2, 5]])
    assert ember.autograd.gradcheck(lambda w_: F.embedding(idx, w_), (w,))
    # padding_idx and scale_grad_by_freq change the gradient on purpose (checked against torch above)
    assert ember.autograd.gradcheck(lambda w_: F.embedding(idx, w_, padding_idx=4), (w,))
    assert ember.autograd.gradgradcheck(lambda w_: F.embedding(idx, w_) ** 2, (w,))


def test_embedding_errors():
    e = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="index out of range in self"):
        e(ember.tensor([5]))
    with pytest.raises(IndexError, match="index out of range in self"):
        e(ember.tensor([-1]))
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor instead"):
        e(ember.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)


def test_embedding_from_pretrained_shares_and_freezes():
    w = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    e = nn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad and e.weight._data is w._data
    np.testing.assert_array_equal(e(ember.tensor([1, 0])).numpy(), [[3.0, 4.0], [1.0, 2.0]])
    trainable = nn.Embedding.from_pretrained(w, freeze=False, padding_idx=0)
    out = trainable(ember.tensor([0, 1]))
    out.sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy(), [[0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(ember.zeros(3))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 0}, {"max_norm": 1.0, "norm_type": 1.0, "scale_grad_by_freq": True, "sparse": True}],
)
def test_embedding_repr_matches_torch(kwargs):
    assert repr(nn.Embedding(10, 3, **kwargs)) == repr(torch.nn.Embedding(10, 3, **kwargs))


def test_embedding_weight_init_is_standard_normal():
    w = nn.Embedding(1000, 100).weight.detach().numpy()
    assert w.mean() == pytest.approx(0.0, abs=0.01) and w.std() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_torch_2d_and_offsets(mode):
    t = torch.nn.EmbeddingBag(10, 3, mode=mode)
    e = nn.EmbeddingBag(10, 3, mode=mode)
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    assert repr(e) == repr(t)
    for idx, offsets in [(np.array([[1, 2, 4], [4, 3, 9]]), None), (np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4, 4]))]:
        e.zero_grad()
        t.zero_grad()
        ye = e(ember.tensor(idx), None if offsets is None else ember.tensor(offsets))
        yt = t(torch.tensor(idx), None if offsets is None else torch.tensor(offsets))
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-7)
        up = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
        ye.backward(ember.tensor(up))
        yt.backward(torch.tensor(up))
        np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_embedding_bag_per_sample_weights_matches_torch():
    t = torch.nn.EmbeddingBag(6, 2, mode="sum")
    e = nn.EmbeddingBag(6, 2, mode="sum")
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    idx, off, psw = np.array([0, 2, 3, 5]), np.array([0, 1]), np.array([0.5, 1.0, 2.0, -1.0], dtype=np.float32)
    ye = e(ember.tensor(idx), ember.tensor(off), ember.tensor(psw))
    yt = t(torch.tensor(idx), torch.tensor(off), torch.tensor(psw))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
