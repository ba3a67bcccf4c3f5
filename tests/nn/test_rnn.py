"""RNN, LSTM, GRU and their cells: PyTorch parity of outputs, final states and every gradient
(input, initial states, all weights) across num_layers / batch_first / bidirectional / bias,
gradcheck, state_dict names, default initialisation, reprs and error messages."""

# ruff: noqa: B023  (the lambdas passed to check_against_torch run at once, inside the loop iteration)

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from helpers import check_gradcheck

torch = pytest.importorskip("torch")


def _rng(seed=0):
    return np.random.default_rng(seed)


def copy_weights(e, t):
    sd = t.state_dict()
    assert list(sd) == list(e.state_dict())
    e.load_state_dict({k: v.detach().numpy() for k, v in sd.items()})


def close(a, b, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


def run_sequence_model(e, t, x, h0=None, c0=None, rtol=1e-6, atol=1e-8):
    """Forward + backward of every output (sequence, h_n, c_n) on both; compare all gradients."""
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    states = []
    for s in (h0, c0):
        states.append(None if s is None else (ember.tensor(s, requires_grad=True), torch.tensor(s, requires_grad=True)))
    lstm = isinstance(t, torch.nn.LSTM)
    if lstm:
        he = None if h0 is None else (states[0][0], states[1][0])
        ht = None if h0 is None else (states[0][1], states[1][1])
        oe, (hne, cne) = e(xe, he)
        ot, (hnt, cnt) = t(xt, ht)
        close(cne, cnt, rtol, atol)
    else:
        oe, hne = e(xe, None if h0 is None else states[0][0])
        ot, hnt = t(xt, None if h0 is None else states[0][1])
    close(oe, ot, rtol, atol)
    close(hne, hnt, rtol, atol)
    rng = _rng(1)
    g, gh = rng.standard_normal(tuple(ot.shape)), rng.standard_normal(tuple(hnt.shape))
    le = (oe * ember.tensor(g)).sum() + (hne * ember.tensor(gh)).sum()
    lt = (ot * torch.tensor(g)).sum() + (hnt * torch.tensor(gh)).sum()
    if lstm:
        le, lt = le + cne.sum() * 0.5, lt + cnt.sum() * 0.5
    le.backward()
    lt.backward()
    close(xe.grad, xt.grad, rtol, atol)
    for s in states:
        if s is not None:
            close(s[0].grad, s[1].grad, rtol, atol)
    for (n1, pe), (n2, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert n1 == n2
        close(pe.grad, pt.grad, rtol, atol)


CASES = list(itertools.product(["RNN", "LSTM", "GRU"], [1, 2], [False, True], [False, True], [True, False]))


@pytest.mark.parametrize("cls,num_layers,batch_first,bidirectional,bias", CASES)
def test_recurrent_layer_matches_torch(cls, num_layers, batch_first, bidirectional, bias):
    torch.manual_seed(0)
    kwargs = dict(num_layers=num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    t = getattr(torch.nn, cls)(3, 4, **kwargs).double()
    e = getattr(nn, cls)(3, 4, **kwargs).double()
    copy_weights(e, t)
    assert repr(e) == repr(t)
    rng = _rng(2)
    d = 2 if bidirectional else 1
    x = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((d * num_layers, 5 if batch_first else 2, 4))
    run_sequence_model(e, t, x, h0, rng.standard_normal(h0.shape) if cls == "LSTM" else None)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_recurrent_layer_defaults_unbatched_and_relu(cls):
    torch.manual_seed(1)
    rng = _rng(3)
    for kwargs in ([{}, {"nonlinearity": "relu", "num_layers": 2}] if cls == "RNN" else [{}]):
        t = getattr(torch.nn, cls)(3, 4, **kwargs).double()
        e = getattr(nn, cls)(3, 4, **kwargs).double()
        copy_weights(e, t)
        run_sequence_model(e, t, rng.standard_normal((6, 2, 3)))  # zero initial state
        run_sequence_model(e, t, rng.standard_normal((6, 3)))  # unbatched (L, H_in)
        h0 = rng.standard_normal((e.num_layers, 4))
        run_sequence_model(e, t, rng.standard_normal((6, 3)), h0, h0 * 0.5 if cls == "LSTM" else None)


def test_lstm_float32_and_dropout_between_layers():
    ember.manual_seed(0)
    m = nn.LSTM(5, 8, num_layers=2, dropout=0.5, batch_first=True)
    x = ember.randn(4, 7, 5, requires_grad=True)
    out, (h, c) = m(x)
    assert out.shape == (4, 7, 8) and h.shape == (2, 4, 8) and c.shape == (2, 4, 8)
    assert out.dtype == ember.float32 and h.dtype == ember.float32
    out.sum().backward()
    assert x.grad.dtype == ember.float32 and m.weight_hh_l1.grad.dtype == ember.float32
    m.eval()
    a, b = m(x)[0], m(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())  # no dropout in eval
    m.train()
    assert not np.array_equal(m(x)[0].detach().numpy(), m(x)[0].detach().numpy())


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("kwargs", [{}, {"bias": False}])
def test_cells_match_torch(cls, kwargs):
    torch.manual_seed(2)
    t, e = getattr(torch.nn, cls)(3, 4, **kwargs).double(), getattr(nn, cls)(3, 4, **kwargs).double()
    copy_weights(e, t)
    assert repr(e) == repr(t)
    rng = _rng(4)
    for shape in [(2, 3), (3,)]:
        x, h = rng.standard_normal(shape), rng.standard_normal(shape[:-1] + (4,))
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        he, ht = ember.tensor(h, requires_grad=True), torch.tensor(h, requires_grad=True)
        if cls == "LSTMCell":
            ce, ct = ember.tensor(h * 0.3, requires_grad=True), torch.tensor(h * 0.3, requires_grad=True)
            (h1e, c1e), (h1t, c1t) = e(xe, (he, ce)), t(xt, (ht, ct))
            oe, ot = h1e * 2 + c1e, h1t * 2 + c1t
        else:
            oe, ot = e(xe, he), t(xt, ht)
        close(oe, ot)
        oe.sum().backward()
        ot.sum().backward()
        close(xe.grad, xt.grad)
        close(he.grad, ht.grad)
        for (_, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
            close(pe.grad, pt.grad)
        e.zero_grad()
        t.zero_grad()
    close(e(ember.tensor(x)) if cls != "LSTMCell" else e(ember.tensor(x))[0], t(torch.tensor(x)) if cls != "LSTMCell" else t(torch.tensor(x))[0])
    if cls == "RNNCell":
        e2, t2 = nn.RNNCell(3, 4, nonlinearity="relu"), torch.nn.RNNCell(3, 4, nonlinearity="relu")
        assert repr(e2) == repr(t2)


def test_recurrent_gradcheck():
    rng = _rng(5)
    x, h = rng.standard_normal((3, 2, 2)), rng.standard_normal((1, 2, 3))
    for cls in ("RNN", "LSTM", "GRU"):
        m = getattr(nn, cls)(2, 3).double()
        params = [p.detach().numpy() for p in m.parameters()]

        def fn(x, h, *ps, m=m, cls=cls):
            for p, v in zip(m.parameters(), ps):
                p.data = v
            if cls == "LSTM":
                out, (hn, cn) = m(x, (h, h * 0.5))
                return out.sum() + hn.sum() * 2 + cn.sum()
            out, hn = m(x, h)
            return out.sum() + hn.sum() * 2

        check_gradcheck(lambda x, h: fn(x, h, *[ember.tensor(p) for p in params]), [x, h])


def test_state_dict_keys_and_default_init_match_torch():
    for cls in ("RNN", "LSTM", "GRU"):
        e = getattr(nn, cls)(3, 16, num_layers=2, bidirectional=True)
        t = getattr(torch.nn, cls)(3, 16, num_layers=2, bidirectional=True)
        assert list(e.state_dict()) == list(t.state_dict())
        for (ne, pe), (nt, pt) in zip(e.named_parameters(), t.named_parameters()):
            assert ne == nt and tuple(pe.shape) == tuple(pt.shape) and pe.dtype == ember.float32
        w = np.concatenate([p.detach().numpy().ravel() for p in e.parameters()])
        assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.24  # U(-1/sqrt(16), 1/sqrt(16))
    assert list(nn.LSTMCell(3, 4).state_dict()) == list(torch.nn.LSTMCell(3, 4).state_dict())
    assert repr(nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True, dropout=0.1)) == repr(torch.nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True, dropout=0.1))
    assert [len(w) for w in nn.GRU(3, 4, 2).all_weights] == [4, 4]


def test_load_torch_lstm_state_dict_and_run():
    torch.manual_seed(3)
    t = torch.nn.LSTM(4, 6, num_layers=2, batch_first=True)
    e = nn.LSTM(4, 6, num_layers=2, batch_first=True)
    copy_weights(e, t)
    x = _rng(6).standard_normal((2, 5, 4)).astype(np.float32)
    close(e(ember.tensor(x))[0], t(torch.tensor(x))[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: nn.LSTM(3, 4)(ember.randn(2, 3, 4, 3)), ValueError, r"LSTM: Expected input to be 2D or 3D, got 4D instead"),
    (lambda: nn.GRU(3, 4)(ember.randn(5, 2, 4)), RuntimeError, r"input.size\(-1\) must be equal to input_size. Expected 3, got 4"),
    (lambda: nn.RNN(3, 4)(ember.randn(5, 2, 3), ember.randn(1, 3, 4)), RuntimeError, r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"),
    (lambda: nn.LSTM(3, 4)(ember.randn(5, 2, 3), (ember.randn(1, 2, 4), ember.randn(2, 2, 4))), RuntimeError, r"Expected hidden\[1\] size \(1, 2, 4\), got \[2, 2, 4\]"),
    (lambda: nn.RNN(3, 4)(ember.randn(5, 3), ember.randn(1, 2, 4)), RuntimeError, "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'."),
    (lambda: nn.LSTM(3, 4, dropout=1.5), ValueError, "dropout should be a number in range \\[0, 1\\]"),
    (lambda: nn.GRU(3, 4, proj_size=2), ValueError, "proj_size argument is only supported for LSTM, not RNN or GRU"),
    (lambda: nn.LSTMCell(3, 4)(ember.randn(2, 5)), RuntimeError, "input has inconsistent input_size: got 5 expected 3"),
    (lambda: nn.GRUCell(3, 4)(ember.randn(2, 2, 3)), ValueError, r"GRUCell: Expected input to be 1D or 2D, got 3D instead"),
])
def test_recurrent_errors_match_torch(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_dropout_on_single_layer_warns_like_torch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.LSTM(3, 4, dropout=0.2)
    assert any("non-zero dropout expects num_layers greater than 1" in str(w.message) for w in caught)
