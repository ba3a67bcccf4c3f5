"""ember.autograd.functional against torch.autograd.functional: values, nesting, create_graph, strict errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.autograd.functional as EF

torch = pytest.importorskip("torch")
TF = torch.autograd.functional

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3,))
Y = RNG.normal(size=(2, 2))
S = RNG.normal(size=())


def f_vec(lib, x):  # R³ → R³, nonlinear
    return lib.sin(x) * x.sum()


def f_tuple_in(lib, x, y):  # (R³, R²ˣ²) → R²
    return (x[:2] ** 2) * y.sum(0) + lib.exp(y[0])


def f_tuple_out(lib, x, y):
    return (x * y.mean(), lib.tanh(y) @ y)


def f_scalar(lib, x, y):  # scalar of two inputs, with mixed second derivatives
    return (x**3).sum() * y.sum() + lib.log1p(y**2).sum()


def f_scalar1(lib, x):
    return (lib.sigmoid(x) * x**2).sum()


CASES = [
    (f_vec, (X,)),
    (f_tuple_in, (X, Y)),
    (f_tuple_out, (X, Y)),
    (f_scalar, (X, Y)),
    (f_scalar1, (X,)),
    (f_scalar1, (S,)),
]


def _args(lib, arrays, as_tuple, requires_grad=False):
    ts = tuple(lib.tensor(a, requires_grad=requires_grad) for a in arrays)
    return ts if as_tuple else ts[0]


def _same(e, t, rtol=1e-10, atol=1e-12):
    """Same nesting (tensor vs tuple), shapes, dtypes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"expected a tensor, got {type(e).__name__}"
        assert tuple(e.shape) == tuple(t.shape)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
        return
    assert isinstance(e, tuple) and len(e) == len(t), f"{type(e).__name__} vs torch tuple of {len(t)}"
    for a, b in zip(e, t):
        _same(a, b, rtol, atol)


def _fn(f, lib):
    return lambda *a: f(lib, *a)


@pytest.mark.parametrize("f,arrays", CASES, ids=lambda c: getattr(c, "__name__", ""))
@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_matches_torch(f, arrays, create_graph):
    for as_tuple in ([True, False] if len(arrays) == 1 else [True]):
        for vectorize in (False, True):
            e = EF.jacobian(_fn(f, ember), _args(ember, arrays, as_tuple), create_graph=create_graph,
                            vectorize=vectorize)
            t = TF.jacobian(_fn(f, torch), _args(torch, arrays, as_tuple), create_graph=create_graph,
                            vectorize=vectorize)
            _same(e, t)


@pytest.mark.parametrize("f,arrays", [c for c in CASES if c[0] in (f_scalar, f_scalar1)],
                         ids=lambda c: getattr(c, "__name__", ""))
def test_hessian_hvp_vhp_match_torch(f, arrays):
    for as_tuple in ([True, False] if len(arrays) == 1 else [True]):
        _same(EF.hessian(_fn(f, ember), _args(ember, arrays, as_tuple)),
              TF.hessian(_fn(f, torch), _args(torch, arrays, as_tuple)))
        v = tuple(RNG.normal(size=np.shape(a)) for a in arrays)
        for name in ("hvp", "vhp"):
            e = getattr(EF, name)(_fn(f, ember), _args(ember, arrays, as_tuple), _args(ember, v, as_tuple))
            t = getattr(TF, name)(_fn(f, torch), _args(torch, arrays, as_tuple), _args(torch, v, as_tuple))
            _same(e, t)


@pytest.mark.parametrize("f,arrays", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_vjp_jvp_match_torch(f, arrays):
    t_out = f(torch, *[torch.tensor(a) for a in arrays])
    outs = t_out if isinstance(t_out, tuple) else (t_out,)
    u = tuple(RNG.normal(size=tuple(o.shape)) for o in outs)
    v = tuple(RNG.normal(size=np.shape(a)) for a in arrays)
    tup_in = len(arrays) > 1
    tup_out = isinstance(t_out, tuple)
    _same(EF.vjp(_fn(f, ember), _args(ember, arrays, tup_in), _args(ember, u, tup_out)),
          TF.vjp(_fn(f, torch), _args(torch, arrays, tup_in), _args(torch, u, tup_out)))
    _same(EF.jvp(_fn(f, ember), _args(ember, arrays, tup_in), _args(ember, v, tup_in)),
          TF.jvp(_fn(f, torch), _args(torch, arrays, tup_in), _args(torch, v, tup_in)))


def test_create_graph_results_are_differentiable_like_torch():
    # d/dx of (Jv)·1 through create_graph=True, with inputs that require grad in the caller's graph
    results = []
    for lib, F in ((ember, EF), (torch, TF)):
        x = lib.tensor(X, requires_grad=True)
        v = lib.tensor(X[::-1].copy())
        _, jv = F.jvp(lambda a, lib=lib: lib.sin(a) * a.sum(), x, v, create_graph=True)
        _, hv = F.hvp(lambda a: (a**4).sum(), x, v, create_graph=True)
        jac = F.jacobian(lambda a: a**3, x, create_graph=True)
        assert jv.requires_grad and hv.requires_grad and jac.requires_grad
        (jv.sum() + hv.sum() + jac.sum()).backward()
        results.append(x.grad)
        # without create_graph, results are detached
        _, jv2 = F.jvp(lambda a, lib=lib: lib.sin(a) * a.sum(), x, v)
        assert not jv2.requires_grad
    _same(*results)


def test_v_may_be_none_only_for_single_elements():
    _same(EF.vjp(lambda a: (a**2).sum(), ember.tensor(X)), TF.vjp(lambda a: (a**2).sum(), torch.tensor(X)))
    _same(EF.jvp(lambda a: a**2, ember.tensor(S)), TF.jvp(lambda a: a**2, torch.tensor(S)))
    _same(EF.hvp(lambda a: a**3, ember.tensor(S)), TF.hvp(lambda a: a**3, torch.tensor(S)))


def _raises_same(ecall, tcall):
    with pytest.raises(Exception) as te:
        tcall()
    with pytest.raises(type(te.value)) as ee:
        ecall()
    want = str(te.value).replace("torch.Size", "ember.Size").replace("torch.Tensor", "ember._tensor.Tensor")
    assert str(ee.value) == want


ERROR_CASES = [
    # (name, func(lib), inputs(lib), kwargs(lib))
    ("vjp", lambda lib: (lambda a: a * 2), lambda lib: lib.tensor(X), lambda lib: {}),
    ("jvp", lambda lib: (lambda a: a * 2), lambda lib: lib.tensor(X), lambda lib: {}),
    ("vjp", lambda lib: (lambda a: a * 2), lambda lib: lib.tensor(X), lambda lib: {"v": lib.ones(2)}),
    ("jvp", lambda lib: (lambda a, b: a * 2), lambda lib: (lib.tensor(X), lib.tensor(Y)),
     lambda lib: {"v": (lib.ones(3),)}),
    ("jvp", lambda lib: (lambda a, b: a * 2), lambda lib: (lib.tensor(X), lib.tensor(Y)),
     lambda lib: {"v": (lib.ones(3), lib.ones(3))}),
    ("vjp", lambda lib: (lambda a: a * 2), lambda lib: [lib.tensor(X)], lambda lib: {"v": lib.ones(3)}),
    ("vjp", lambda lib: (lambda a: a * 2), lambda lib: (lib.tensor(X), 3), lambda lib: {"v": lib.ones(3)}),
    ("vjp", lambda lib: (lambda a: a.detach()), lambda lib: lib.tensor(X), lambda lib: {"v": lib.ones(3),
                                                                                       "strict": True}),
    ("vjp", lambda lib: (lambda a, b: a * 2), lambda lib: (lib.tensor(X), lib.tensor(Y)),
     lambda lib: {"v": lib.ones(3), "strict": True}),
    ("jvp", lambda lib: (lambda a, b: a * 2), lambda lib: (lib.tensor(X), lib.tensor(Y)),
     lambda lib: {"v": (lib.ones(3), lib.ones(2, 2)), "strict": True}),
    ("jacobian", lambda lib: (lambda a, b: a * 2), lambda lib: (lib.tensor(X), lib.tensor(Y)),
     lambda lib: {"strict": True}),
    ("jacobian", lambda lib: (lambda a: a * 2), lambda lib: lib.tensor(X), lambda lib: {"strict": True,
                                                                                      "vectorize": True}),
    ("jacobian", lambda lib: (lambda a: a * 2), lambda lib: lib.tensor(X), lambda lib: {"strategy": "sideways"}),
    ("jacobian", lambda lib: (lambda a: a * 2), lambda lib: lib.tensor(X),
     lambda lib: {"strategy": "forward-mode", "create_graph": True}),
    ("jacobian", lambda lib: (lambda a: a * 2), lambda lib: lib.tensor(X),
     lambda lib: {"strategy": "forward-mode", "strict": True}),
    ("hessian", lambda lib: (lambda a: a * 2), lambda lib: lib.tensor(X), lambda lib: {}),
    ("hessian", lambda lib: (lambda a: (a * 2, a)), lambda lib: lib.tensor(X), lambda lib: {}),
    ("hessian", lambda lib: (lambda a: (a * 2).sum()), lambda lib: lib.tensor(X), lambda lib: {"strict": True}),
    ("hessian", lambda lib: (lambda a: a.sum()), lambda lib: lib.tensor(X),
     lambda lib: {"outer_jacobian_strategy": "x"}),
    ("hvp", lambda lib: (lambda a: a * 2), lambda lib: lib.tensor(X), lambda lib: {"v": lib.ones(3)}),
    ("vhp", lambda lib: (lambda a: (a * 2).sum()), lambda lib: lib.tensor(X), lambda lib: {"v": lib.ones(3),
                                                                                         "strict": True}),
    ("hvp", lambda lib: (lambda a: (a * 2).sum()), lambda lib: lib.tensor(X), lambda lib: {"v": lib.ones(3),
                                                                                         "strict": True}),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_match_torch(case):
    name, func, inputs, kwargs = ERROR_CASES[case]
    _raises_same(lambda: getattr(EF, name)(func(ember), inputs(ember), **kwargs(ember)),
                 lambda: getattr(TF, name)(func(torch), inputs(torch), **kwargs(torch)))


def test_forward_mode_is_refused_not_ignored():
    with pytest.raises(NotImplementedError, match="forward-mode"):
        EF.jacobian(lambda a: a * 2, ember.tensor(X), strategy="forward-mode", vectorize=True)
    with pytest.raises(NotImplementedError, match="forward-mode"):
        EF.hessian(lambda a: (a**3).sum(), ember.tensor(X), outer_jacobian_strategy="forward-mode", vectorize=True)


def test_public_names_match_torch():
    assert set(EF.__all__) == set(TF.__all__)
