"""Shared test helpers: one function checks an op's forward and every input gradient against
PyTorch, another checks gradients against finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

import ember

_TORCH_DTYPES = {}


def torch_or_skip():
    return pytest.importorskip("torch")


def to_torch_dtype(d):
    torch = torch_or_skip()
    return getattr(torch, d.name)


def tensor_pair(a, requires_grad=False):
    """The same data as an ember tensor and a torch tensor."""
    torch = torch_or_skip()
    return ember.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def assert_same_as_torch(e, t):
    """ember's result ``e`` equals torch's ``t`` (a tensor or a tuple of them): dtype, shape, values, NaN places."""
    if isinstance(t, tuple):
        assert isinstance(e, tuple) and len(e) == len(t)
        for x, y in zip(e, t):
            assert_same_as_torch(x, y)
        return
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), equal_nan=True)


def raises_like_torch(ember_call, torch_call, *, same_message=False):
    """Both calls raise, ember's error of torch's class (or a subclass of it); returns (ember's message, torch's).
    With ``same_message`` the two messages must also be equal."""
    with pytest.raises(Exception) as theirs:
        torch_call()
    with pytest.raises(type(theirs.value)) as ours:
        ember_call()
    if same_message:
        assert str(ours.value) == str(theirs.value)
    return str(ours.value), str(theirs.value)


def make_inputs(shapes, dtype="float64", seed=0, low=None, high=None, positive=False):
    """NumPy arrays of the given shapes (``None`` in shapes passes through as no tensor)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for s in shapes:
        if s is None:
            arrays.append(None)
            continue
        if low is not None:
            a = rng.uniform(low, high, size=s)
        else:
            a = rng.standard_normal(s)
        if positive:
            a = np.abs(a) + 0.1
        arrays.append(a.astype(dtype))
    return arrays


def compare(ember_out, torch_out, rtol=1e-6, atol=1e-7, check_dtype=True):
    """Assert an ember result equals a torch one: shape, dtype and values."""
    if isinstance(torch_out, (tuple, list)):
        assert isinstance(ember_out, (tuple, list)) and len(ember_out) == len(torch_out)
        for e, t in zip(ember_out, torch_out):
            compare(e, t, rtol, atol, check_dtype)
        return
    torch = torch_or_skip()
    if not isinstance(torch_out, torch.Tensor):
        assert ember_out == pytest.approx(torch_out, rel=rtol, abs=atol)
        return
    assert isinstance(ember_out, ember.Tensor), f"expected a Tensor, got {type(ember_out)}"
    assert tuple(ember_out.shape) == tuple(torch_out.shape), f"shape {tuple(ember_out.shape)} != torch {tuple(torch_out.shape)}"
    if check_dtype:
        assert str(ember_out.dtype).split(".")[-1] == str(torch_out.dtype).split(".")[-1], f"dtype {ember_out.dtype} != torch {torch_out.dtype}"
    expected = torch_out.detach().numpy()
    got = ember_out.detach().numpy()
    np.testing.assert_allclose(got.astype(np.float64) if got.dtype.kind != "b" else got, expected.astype(np.float64) if expected.dtype.kind != "b" else expected, rtol=rtol, atol=atol, equal_nan=True)


def check_against_torch(fn, torch_fn, arrays, rtol=1e-6, atol=1e-7, grad=True, seed=1, requires_grad=None):
    """Run ``fn`` on ember tensors and ``torch_fn`` on torch tensors made from ``arrays``;
    compare outputs, then (if ``grad``) backpropagate the same random upstream gradient
    and compare the gradient of every floating input."""
    torch = torch_or_skip()
    if requires_grad is None:
        requires_grad = [a is not None and np.asarray(a).dtype.kind == "f" for a in arrays]
    e_in, t_in = [], []
    for a, rg in zip(arrays, requires_grad):
        if a is None:
            e_in.append(None)
            t_in.append(None)
            continue
        e_in.append(ember.tensor(a, requires_grad=bool(rg and grad)))
        t_in.append(torch.tensor(a, requires_grad=bool(rg and grad)))
    e_out = fn(*e_in)
    t_out = torch_fn(*t_in)
    compare(e_out, t_out, rtol, atol)
    if not grad:
        return e_out, t_out
    e_outs = e_out if isinstance(e_out, (tuple, list)) else [e_out]
    t_outs = t_out if isinstance(t_out, (tuple, list)) else [t_out]
    rng = np.random.default_rng(seed)
    e_pairs, t_pairs = [], []
    for e, t in zip(e_outs, t_outs):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            up = rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
            e_pairs.append((e, ember.tensor(up)))
            t_pairs.append((t, torch.tensor(up)))
    if not t_pairs:
        return e_out, t_out
    torch.autograd.backward([t for t, _ in t_pairs], [g for _, g in t_pairs])
    ember.autograd.backward([e for e, _ in e_pairs], [g for _, g in e_pairs])
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        if t is None or not t.requires_grad:
            continue
        if t.grad is None:
            assert e.grad is None or np.all(e.grad.numpy() == 0), f"input {i}: torch has no grad, ember has one"
            continue
        assert e.grad is not None, f"input {i}: ember produced no gradient"
        compare(e.grad, t.grad, rtol, atol)
    return e_out, t_out


def check_gradcheck(fn, arrays, requires_grad=None, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Finite-difference gradcheck in float64 of ``fn`` at ``arrays``."""
    if requires_grad is None:
        requires_grad = [a is not None and np.asarray(a).dtype.kind == "f" for a in arrays]
    inputs = [
        None if a is None else ember.tensor(np.asarray(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else a, requires_grad=bool(rg))
        for a, rg in zip(arrays, requires_grad)
    ]
    assert ember.autograd.gradcheck(fn, tuple(inputs), eps=eps, atol=atol, rtol=rtol)
