"""ember.autograd.graph against torch.autograd.graph: saved-tensor hooks, save_on_cpu, multi-grad hooks, Node."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import ember
from ember.autograd import graph

torch = pytest.importorskip("torch")

A = np.array([0.5, -1.0, 2.0])
B = np.array([1.5, 0.25, -0.75])


def _grads(lib, G, fn, hooks):
    x = lib.tensor(A, requires_grad=True)
    w = lib.tensor(B, requires_grad=True)
    with hooks(G):
        y = fn(lib, x, w)
    y.backward()
    return x.grad.numpy(), w.grad.numpy()


FUNCS = {
    "mul": lambda lib, x, w: (x * w).sum(),
    "exp": lambda lib, x, w: (lib.exp(x) + w).sum(),
    "matmul": lambda lib, x, w: x.unsqueeze(1).matmul(w.unsqueeze(0)).sum(),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_unpack_result_is_what_backward_uses_like_torch(name):
    # unpacking doubled values doubles every saved factor: the gradients show it as torch's do
    def doubled(G):
        return G.saved_tensors_hooks(lambda t: t.detach().clone(), lambda p: p * 2)

    for e, t in zip(_grads(ember, graph, FUNCS[name], doubled), _grads(torch, torch.autograd.graph, FUNCS[name], doubled)):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_pack_gets_the_saved_tensors_without_grad_mode_and_unpack_runs_in_backward():
    log = []

    def pack(t):
        log.append(("pack", ember.is_grad_enabled(), tuple(t.shape)))
        return t

    def unpack(p):
        log.append(("unpack",))
        return p

    x = ember.tensor(A, requires_grad=True)
    with graph.saved_tensors_hooks(pack, unpack):
        y = (x.exp() * x).sum()
    assert log and all(kind == "pack" and not mode for kind, mode, _ in log)
    n = len(log)
    y.backward()
    assert len(log) == 2 * n and all(entry == ("unpack",) for entry in log[n:])
    np.testing.assert_allclose(x.grad.numpy(), np.exp(A) * (1 + A))


def test_innermost_hooks_apply_and_hooks_end_with_the_block():
    calls = []
    outer = graph.saved_tensors_hooks(lambda t: calls.append("outer") or t, lambda p: p)
    inner = graph.saved_tensors_hooks(lambda t: calls.append("inner") or t, lambda p: p)
    x = ember.tensor(A, requires_grad=True)
    with outer:
        with inner:
            (x * x).sum()
        assert set(calls) == {"inner"}
        calls.clear()
        (x * x).sum()
        assert set(calls) == {"outer"}
    calls.clear()
    (x * x).sum()
    assert calls == []


def test_hooks_are_per_thread():
    calls = []
    x = ember.tensor(A, requires_grad=True)

    def other_thread():
        (x * x).sum()

    with graph.saved_tensors_hooks(lambda t: calls.append(1) or t, lambda p: p):
        th = threading.Thread(target=other_thread)
        th.start()
        th.join()
    assert calls == []


def test_save_on_cpu_gives_the_same_gradients_as_torch():
    res = []
    for lib, G in ((ember, graph), (torch, torch.autograd.graph)):
        x = lib.tensor(A, requires_grad=True)
        with G.save_on_cpu(pin_memory=False):
            y = (lib.tanh(x) * x).sum()
        y.backward()
        res.append(x.grad.numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-12)


def test_unpack_must_return_a_tensor():
    x = ember.tensor(A, requires_grad=True)
    with graph.saved_tensors_hooks(lambda t: t, lambda p: 3):
        y = (x * x).sum()
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor"):
        y.backward()


def test_disable_saved_tensors_hooks_raises_torchs_error_and_restores():
    for G in (graph, torch.autograd.graph):
        with G.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError, match="no hooks here"):
                with G.saved_tensors_hooks(lambda t: t, lambda p: p):
                    pass
        with G.saved_tensors_hooks(lambda t: t, lambda p: p):
            pass


@pytest.mark.parametrize("mode", ["all", "any"])
def test_register_multi_grad_hook_matches_torch(mode):
    results = []
    for lib, G in ((ember, graph), (torch, torch.autograd.graph)):
        a = lib.tensor(A, requires_grad=True)
        b = lib.tensor(B, requires_grad=True)
        c = lib.tensor(B, requires_grad=True)  # not used by the loss: None in "all" mode
        seen = []

        def fn(grads, seen=seen):
            if isinstance(grads, (list, tuple)):
                seen.append([None if g is None else g.numpy().copy() for g in grads])
            else:
                seen.append(grads.numpy().copy())

        handle = G.register_multi_grad_hook((a, b, c), fn, mode=mode)
        (a * b * 3).sum().backward()
        (a * 2).sum().backward()
        handle.remove()
        (a * 2).sum().backward()
        results.append(seen)
    e, t = results
    assert len(e) == len(t) == 2
    for ge, gt in zip(e, t):
        if mode == "all":
            assert [g is None for g in ge] == [g is None for g in gt]
            for x, y in zip(ge, gt):
                if y is not None:
                    np.testing.assert_allclose(x, y)
        else:
            assert any(np.allclose(ge, g) for g in (B * 3, A * 3, np.full(3, 2.0)))


def test_register_multi_grad_hook_bad_mode_like_torch():
    with pytest.raises(ValueError) as te:
        torch.autograd.graph.register_multi_grad_hook([torch.zeros(1, requires_grad=True)], print, mode="x")
    with pytest.raises(ValueError) as ee:
        graph.register_multi_grad_hook([ember.zeros(1, requires_grad=True)], print, mode="x")
    assert "Expects mode to be one of" in str(ee.value) and "but got x" in str(te.value)


def test_node_metadata_like_torch():
    for lib, G in ((ember, graph), (torch, torch.autograd.graph)):
        x = lib.tensor(A, requires_grad=True)
        y = (x * 2).exp()
        assert isinstance(y.grad_fn, G.Node)
        assert y.grad_fn.name() == "ExpBackward0"
        nxt = y.grad_fn.next_functions
        assert len(nxt) >= 1 and nxt[0][0].name() == "MulBackward0"
        seen = []
        h = y.grad_fn.register_prehook(lambda go, seen=seen: seen.append("pre"))
        h2 = y.grad_fn.register_hook(lambda gi, go, seen=seen: seen.append("post"))
        y.sum().backward()
        assert seen == ["pre", "post"]
        h.remove()
        h2.remove()
        y.grad_fn.metadata["k"] = 1
        assert y.grad_fn.metadata == {"k": 1}


def test_packed_values_are_not_version_checked_like_torch():
    res = []
    for lib, G in ((ember, graph), (torch, torch.autograd.graph)):
        x = lib.tensor(A, requires_grad=True)
        a = x * 1
        with G.saved_tensors_hooks(lambda t: t.clone(), lambda p: p):
            y = (a * a).sum()
        a.mul_(10)  # the clones saved before still give the gradient at the old values
        y.backward()
        res.append(x.grad.numpy())
    np.testing.assert_allclose(res[0], res[1])
    np.testing.assert_allclose(res[0], 2 * A)
    x = ember.tensor(A, requires_grad=True)
    a = x * 1
    y = (a * a).sum()
    a.mul_(10)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_allow_mutation_on_saved_tensors_like_torch():
    res = []
    for lib, G in ((ember, graph), (torch, torch.autograd.graph)):
        with G.allow_mutation_on_saved_tensors():
            a = lib.tensor(A, requires_grad=True)
            b = a.clone()
            out = (b**2).sum()
            b.sin_()
            out.backward()
            res.append((a.grad.numpy().copy(), b.detach().numpy().copy()))
        with pytest.raises(RuntimeError, match="cannot be nested"):
            with G.allow_mutation_on_saved_tensors():
                with G.allow_mutation_on_saved_tensors():
                    pass
        with G.allow_mutation_on_saved_tensors():
            a = lib.tensor(A, requires_grad=True)
            out = (a.clone() ** 2).sum()
        with pytest.raises(AssertionError, match="Trying to backward outside"):
            out.backward()
    for e, t in zip(*res):
        np.testing.assert_allclose(e, t)
    np.testing.assert_allclose(res[0][0], 2 * A)
