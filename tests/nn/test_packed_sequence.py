"""nn.utils.rnn (PackedSequence and helpers), recurrent layers on packed input, LSTM(proj_size): against torch."""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.nn.utils import rnn as ER

torch = pytest.importorskip("torch")
from torch.nn.utils import rnn as TR  # noqa: E402


def _np(t):
    return t.detach().numpy()


def _pair(array):
    return torch.tensor(array, requires_grad=True), ember.tensor(array, requires_grad=True)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths, enforce", [([5, 3, 3, 1], True), ([2, 5, 1, 3], False), ([4], True), ([3, 3], True)])
def test_pack_and_pad_round_trip_match_torch(batch_first, lengths, enforce):
    rng = np.random.default_rng(0)
    shape = (len(lengths), max(lengths) + 1, 2) if batch_first else (max(lengths) + 1, len(lengths), 2)
    tx, ex = _pair(rng.standard_normal(shape))
    tp = TR.pack_padded_sequence(tx, lengths, batch_first=batch_first, enforce_sorted=enforce)
    ep = ER.pack_padded_sequence(ex, ember.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce)
    np.testing.assert_array_equal(_np(tp.data), _np(ep.data))
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        t, e = getattr(tp, name), getattr(ep, name)
        assert (t is None) == (e is None)
        if t is not None:
            np.testing.assert_array_equal(t.numpy(), e.numpy())
            assert e.dtype == ember.int64
    tpad, tlen = TR.pad_packed_sequence(tp, batch_first=batch_first, padding_value=-1.0, total_length=max(lengths) + 2)
    epad, elen = ER.pad_packed_sequence(ep, batch_first=batch_first, padding_value=-1.0, total_length=max(lengths) + 2)
    np.testing.assert_array_equal(_np(tpad), _np(epad))
    np.testing.assert_array_equal(tlen.numpy(), elen.numpy())
    weights = rng.standard_normal(tpad.shape)
    (tpad * torch.tensor(weights)).sum().backward()
    (epad * ember.tensor(weights)).sum().backward()
    np.testing.assert_allclose(tx.grad.numpy(), ex.grad.numpy(), atol=1e-15)


def test_pad_sequence_pack_sequence_unpack_and_unpad_match_torch():
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((n, 3)) for n in (4, 2, 5)]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    es = [ember.tensor(a, requires_grad=True) for a in arrays]
    for kw in (dict(), dict(batch_first=True, padding_value=7.0), dict(padding_side="left")):
        t, e = TR.pad_sequence(ts, **kw), ER.pad_sequence(es, **kw)
        np.testing.assert_array_equal(_np(t), _np(e))
    t, e = TR.pad_sequence(ts, batch_first=True), ER.pad_sequence(es, batch_first=True)
    t.pow(2).sum().backward()
    e.pow(2).sum().backward()
    for a, b in zip(ts, es):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())
    tp, ep = TR.pack_sequence(ts, enforce_sorted=False), ER.pack_sequence(es, enforce_sorted=False)
    np.testing.assert_array_equal(_np(tp.data), _np(ep.data))
    for a, b in zip(TR.unpack_sequence(tp), ER.unpack_sequence(ep)):
        np.testing.assert_array_equal(_np(a), _np(b))
    padded = rng.standard_normal((5, 3, 2))
    for a, b in zip(TR.unpad_sequence(torch.tensor(padded), torch.tensor([5, 2, 4])),
                    ER.unpad_sequence(ember.tensor(padded), ember.tensor([5, 2, 4]))):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_packed_sequence_methods_and_invert_permutation():
    ep = ER.pack_sequence([ember.ones(3, 2), ember.ones(1, 2)])
    assert ep.double().data.dtype == ember.float64 and ep.to(ember.float64).data.dtype == ember.float64
    assert ep.float() is ep or ep.float().data.dtype == ember.float32
    assert not ep.is_cuda and not ep.is_pinned()
    data, batch_sizes, sorted_indices, unsorted_indices = ep  # a namedtuple, as torch's
    assert batch_sizes.tolist() == [2, 1, 1] and sorted_indices is None and unsorted_indices is None
    np.testing.assert_array_equal(ER.invert_permutation(ember.tensor([2, 0, 1])).numpy(), [1, 2, 0])
    assert ER.invert_permutation(None) is None


@pytest.mark.parametrize("call, error", [
    (lambda: ER.pack_padded_sequence(ember.zeros(4, 3, 1), [1, 2, 3]), "sorted in decreasing order"),
    (lambda: ER.pack_padded_sequence(ember.zeros(4, 3, 1), [2, 0, 1], enforce_sorted=False), "greater than 0"),
    (lambda: ER.pad_packed_sequence(ER.pack_sequence([ember.ones(4), ember.ones(2)]), total_length=2), "total_length"),
    (lambda: ER.pad_sequence([ember.ones(2, 3), ember.ones(4, 2)]), "must match the size"),
    (lambda: ER.pad_sequence([]), "empty list"),
    (lambda: ER.pad_sequence([ember.ones(2)], padding_side="middle"), "padding_side"),
])
def test_errors_match_torch(call, error):
    with pytest.raises((RuntimeError, ValueError), match=error):
        call()


def test_errors_torch_leaves_undefined_are_refused():
    with pytest.raises(RuntimeError, match="exceeds"):
        ER.pack_padded_sequence(ember.zeros(4, 3, 1), [5, 1, 1])
    with pytest.raises(RuntimeError, match="expected 3 lengths"):
        ER.pack_padded_sequence(ember.zeros(4, 3, 1), [3, 2])


def _copy(tm, em):
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("enforce", [True, False])
def test_recurrent_layers_on_packed_input_match_torch(mode, bidirectional, enforce):
    rng = np.random.default_rng(2)
    lengths = [5, 3, 3, 1] if enforce else [2, 5, 1, 3]
    tm = getattr(torch.nn, mode)(3, 4, num_layers=2, bidirectional=bidirectional, batch_first=True).double()
    em = getattr(ember.nn, mode)(3, 4, num_layers=2, bidirectional=bidirectional, batch_first=True).double()
    _copy(tm, em)
    tx, ex = _pair(rng.standard_normal((4, 5, 3)))
    d = 2 if bidirectional else 1
    th, eh = _pair(rng.standard_normal((2 * d, 4, 4)))
    state_t, state_e = th, eh
    if mode == "LSTM":
        tc, ec = _pair(rng.standard_normal((2 * d, 4, 4)))
        state_t, state_e = (th, tc), (eh, ec)
    tout, th_n = tm(TR.pack_padded_sequence(tx, lengths, batch_first=True, enforce_sorted=enforce), state_t)
    eout, eh_n = em(ER.pack_padded_sequence(ex, lengths, batch_first=True, enforce_sorted=enforce), state_e)
    assert isinstance(eout, ER.PackedSequence)
    np.testing.assert_allclose(_np(eout.data), _np(tout.data), atol=1e-13)
    np.testing.assert_array_equal(eout.batch_sizes.numpy(), tout.batch_sizes.numpy())
    t_states = th_n if mode == "LSTM" else (th_n,)
    e_states = eh_n if mode == "LSTM" else (eh_n,)
    for a, b in zip(t_states, e_states):
        np.testing.assert_allclose(_np(b), _np(a), atol=1e-13)
    w = rng.standard_normal(tout.data.shape)
    (tout.data * torch.tensor(w)).sum().add(sum(s.pow(2).sum() for s in t_states)).backward()
    (eout.data * ember.tensor(w)).sum().add(sum(s.pow(2).sum() for s in e_states)).backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(eh.grad.numpy(), th.grad.numpy(), atol=1e-12)
    for (name, p), q in zip(tm.named_parameters(), em.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), atol=1e-12, err_msg=name)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("packed", [False, True])
def test_lstm_proj_size_matches_torch(bidirectional, bias, packed):
    rng = np.random.default_rng(3)
    tm = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=bidirectional, proj_size=2, bias=bias).double()
    em = ember.nn.LSTM(3, 5, num_layers=2, bidirectional=bidirectional, proj_size=2, bias=bias).double()
    assert list(em.state_dict()) == list(tm.state_dict())
    assert [tuple(p.shape) for p in em.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    assert repr(em) == repr(tm)
    _copy(tm, em)
    d = 2 if bidirectional else 1
    tx, ex = _pair(rng.standard_normal((6, 3, 3)))
    th, eh = _pair(rng.standard_normal((2 * d, 3, 2)))
    tc, ec = _pair(rng.standard_normal((2 * d, 3, 5)))
    ti, ei = tx, ex
    if packed:
        ti = TR.pack_padded_sequence(tx, [4, 6, 2], enforce_sorted=False)
        ei = ER.pack_padded_sequence(ex, [4, 6, 2], enforce_sorted=False)
    to, (th_n, tc_n) = tm(ti, (th, tc))
    eo, (eh_n, ec_n) = em(ei, (eh, ec))
    if packed:
        to, eo = TR.pad_packed_sequence(to)[0], ER.pad_packed_sequence(eo)[0]
    assert tuple(eo.shape) == tuple(to.shape) and tuple(eh_n.shape) == tuple(th_n.shape)
    for a, b in ((to, eo), (th_n, eh_n), (tc_n, ec_n)):
        np.testing.assert_allclose(_np(b), _np(a), atol=1e-13)
    (to.sum() + (th_n * 3).sum() + (tc_n**2).sum()).backward()
    (eo.sum() + (eh_n * 3).sum() + (ec_n**2).sum()).backward()
    for a, b in ((tx, ex), (th, eh), (tc, ec)):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), atol=1e-12)
    for p, q in zip(tm.parameters(), em.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), atol=1e-12)


def test_lstm_proj_layer_gradcheck():
    ember.manual_seed(0)
    lstm = ember.nn.LSTM(2, 4, proj_size=3).double()
    x = ember.randn(3, 2, 2, dtype=ember.float64, requires_grad=True)
    h = ember.randn(1, 2, 3, dtype=ember.float64, requires_grad=True)
    c = ember.randn(1, 2, 4, dtype=ember.float64, requires_grad=True)
    params = list(lstm.parameters())

    def fn(x, h, c, *ps):
        out, (hn, cn) = lstm(x, (h, c))
        return out.sum() + (hn * 2).sum() + cn.sum()

    assert gradcheck(fn, (x, h, c, *params))


def test_proj_size_errors_match_torch():
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        ember.nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        ember.nn.GRU(3, 4, proj_size=2)
    lstm = ember.nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match="Expected hidden"):
        lstm(ember.randn(5, 2, 3), (ember.zeros(1, 2, 4), ember.zeros(1, 2, 4)))
