"""RNN/LSTM/GRU on an empty batch or an empty sequence: torch's result or torch's error, never a NumPy one."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _run(lib, name, shape, batch_first, bidirectional, with_h0):
    m = getattr(lib.nn, name)(3, 4, num_layers=2, batch_first=batch_first, bidirectional=bidirectional)
    x = lib.randn(*shape, requires_grad=True)
    args = [x]
    if with_h0:
        d = 4 if bidirectional else 2
        hs = (d, shape[0 if batch_first else 1], 4) if len(shape) == 3 else (d, 4)
        args.append((lib.zeros(*hs), lib.zeros(*hs)) if name == "LSTM" else lib.zeros(*hs))
    try:
        out, h = m(*args)
        out.sum().backward()
    except Exception as e:  # noqa: BLE001 - compared by class and message
        return type(e).__name__, str(e)
    h = h[0] if name == "LSTM" else h
    grads = {n: p.grad.numpy() for n, p in m.named_parameters()}
    return tuple(out.shape), tuple(h.shape), tuple(x.grad.shape), grads


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("shape, batch_first", [((0, 2, 3), False), ((2, 0, 3), True), ((5, 0, 3), False),
                                                ((0, 5, 3), True), ((0, 3), False)])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("with_h0", [False, True])
def test_recurrent_layers_on_empty_inputs_match_torch(name, shape, batch_first, bidirectional, with_h0):
    expected = _run(torch, name, shape, batch_first, bidirectional, with_h0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _run(ember, name, shape, batch_first, bidirectional, with_h0)
    if isinstance(expected[0], str):  # torch's error: same class and message
        assert got == expected
        return
    assert got[:3] == expected[:3]
    assert sorted(got[3]) == sorted(expected[3])
    for k, g in expected[3].items():
        np.testing.assert_array_equal(got[3][k], g, err_msg=k)  # zeros: nothing was seen


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_on_an_empty_batch_match_torch(name):
    out = []
    for lib in (torch, ember):
        h = getattr(lib.nn, name)(3, 4)(lib.randn(0, 3))
        out.append(tuple((h[0] if isinstance(h, tuple) else h).shape))
    assert out[0] == out[1] == (0, 4)
