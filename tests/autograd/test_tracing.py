"""The one door: every op call, fast path or not, is seen by the thread's tracer."""

import threading

import ember
from ember import nn
from ember.autograd.tracing import current_tracer, trace


def _names(calls):
    return [op if isinstance(op, str) else op.__name__ for op, _, _ in calls]


def test_tracer_sees_ops_with_and_without_a_graph():
    x = ember.randn(4, 3)
    calls = []
    with trace(lambda *c: calls.append(c)):
        y = (x * 2).sum(1)
    assert _names(calls) == ["Mul", "Sum"]
    op, args, result = calls[1]
    assert args[0] is calls[0][2] and result is y  # the wiring a tracer needs: outputs feed inputs

    calls.clear()
    w = ember.randn(3, requires_grad=True)
    with trace(lambda *c: calls.append(c)):
        (x * w).sum(1).sum().backward()
    assert _names(calls)[:3] == ["Mul", "Sum", "Sum"]


def test_tracer_sees_the_sum_fast_path_under_no_grad():
    x = ember.randn(5, 7)
    calls = []
    with ember.no_grad(), trace(lambda *c: calls.append(c)):
        out = x.sum(-1)
    assert _names(calls) == ["Sum"] and calls[0][2] is out
    assert out.shape == (5,)


def test_tracer_sees_a_modules_forward():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    calls = []
    with ember.no_grad(), trace(lambda *c: calls.append(c)):
        model(ember.randn(2, 3))
    assert len(calls) >= 2
    assert all(not isinstance(op, str) for op, _, _ in calls)


def test_trace_restores_the_outer_tracer_and_is_per_thread():
    outer, inner = [], []
    with trace(lambda *c: outer.append(c)):
        with trace(lambda *c: inner.append(c)):
            ember.ones(2) + 1
            seen_elsewhere = []
            t = threading.Thread(target=lambda: seen_elsewhere.append(current_tracer()))
            t.start()
            t.join()
        ember.ones(2) * 3
    assert current_tracer() is None
    assert seen_elsewhere == [None]
    assert len(inner) == 1 and len(outer) == 1


def test_trace_refuses_a_non_callable():
    import pytest

    with pytest.raises(TypeError, match="callable"):
        with trace(42):
            pass
