"""``out=`` against torch: the result lands in ``out`` (same object returned), dtype rules
(cast up allowed, float into int refused, exact-dtype ops), resize rules (warning unless empty),
the autograd refusal, and factories taking their dtype from ``out``."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _a(L):
    return L.tensor([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]])


def _b(L):
    return L.tensor([[0.5, 2.0, -4.0], [1.0, 1.0, 2.0]])


OPS = {
    "add": lambda L, o: L.add(_a(L), _b(L), alpha=2, out=o),
    "sub": lambda L, o: L.sub(_a(L), _b(L), out=o),
    "mul": lambda L, o: L.mul(_a(L), _b(L), out=o),
    "div": lambda L, o: L.div(_a(L), _b(L), out=o),
    "div_floor": lambda L, o: L.div(_a(L), _b(L), rounding_mode="floor", out=o),
    "clamp": lambda L, o: L.clamp(_a(L), -1, 1, out=o),
    "maximum": lambda L, o: L.maximum(_a(L), _b(L), out=o),
    "minimum": lambda L, o: L.minimum(_a(L), _b(L), out=o),
    "where": lambda L, o: L.where(_a(L) > 0, _a(L), _b(L), out=o),
    "exp": lambda L, o: L.exp(_a(L), out=o),
    "log": lambda L, o: L.log(_a(L).abs(), out=o),
    "sqrt": lambda L, o: L.sqrt(_a(L).abs(), out=o),
    "sigmoid": lambda L, o: L.sigmoid(_a(L), out=o),
    "tanh": lambda L, o: L.tanh(_a(L), out=o),
    "abs": lambda L, o: L.abs(_a(L), out=o),
    "floor": lambda L, o: L.floor(_a(L), out=o),
    "ceil": lambda L, o: L.ceil(_a(L), out=o),
    "sign": lambda L, o: L.sign(_a(L), out=o),
    "eq": lambda L, o: L.eq(_a(L), _b(L), out=o),
    "lt": lambda L, o: L.lt(_a(L), _b(L), out=o),
    "logical_and": lambda L, o: L.logical_and(_a(L), _b(L), out=o),
    "logical_not": lambda L, o: L.logical_not(_a(L), out=o),
    "cat": lambda L, o: L.cat([_a(L), _b(L)], out=o),
    "stack": lambda L, o: L.stack([_a(L), _b(L)], 1, out=o),
    "matmul": lambda L, o: L.matmul(_a(L), _b(L).T, out=o),
    "max_all": lambda L, o: L.max(_a(L), out=o),
    "max_binary": lambda L, o: L.max(_a(L), _b(L), out=o),
    "normalize": lambda L, o: L.nn.functional.normalize(_a(L), out=o),
    "pow": lambda L, o: L.pow(_a(L), 2, out=o),
    "neg": lambda L, o: L.neg(_a(L), out=o),
    "square": lambda L, o: L.square(_a(L), out=o),
    "round": lambda L, o: L.round(_a(L), out=o),
    "remainder": lambda L, o: L.remainder(_a(L), 0.75, out=o),
    "fmod": lambda L, o: L.fmod(_a(L), 0.75, out=o),
    "floor_divide": lambda L, o: L.floor_divide(_a(L), 0.75, out=o),
    "sum_dim": lambda L, o: L.sum(_a(L), 1, out=o),
    "mean_dim": lambda L, o: L.mean(_a(L), 0, out=o),
    "cumsum": lambda L, o: L.cumsum(_a(L), 1, out=o),
    "std": lambda L, o: L.std(_a(L), 1, out=o),
    "var": lambda L, o: L.var(_a(L), 0, out=o),
    "amax": lambda L, o: L.amax(_a(L), 1, out=o),
    "amin": lambda L, o: L.amin(_a(L), 0, out=o),
    "argmax": lambda L, o: L.argmax(_a(L), 1, out=o),
    "argmin": lambda L, o: L.argmin(_a(L), 0, out=o),
    "logsumexp": lambda L, o: L.logsumexp(_a(L), 1, out=o),
    "mm": lambda L, o: L.mm(_a(L), _b(L).T, out=o),
    "bmm": lambda L, o: L.bmm(_a(L)[None], _b(L).T[None], out=o),
    "gather": lambda L, o: L.gather(_a(L), 1, L.tensor([[0, 2], [1, 1]]), out=o),
    "index_select": lambda L, o: L.index_select(_a(L), 1, L.tensor([2, 0]), out=o),
    "prod_dim": lambda L, o: L.prod(_a(L), 1, out=o),
    "any_dim": lambda L, o: L.any(_a(L) > 1, 1, out=o),
    "all_dim": lambda L, o: L.all(_a(L) > 0, 0, out=o),
    "nonzero": lambda L, o: L.nonzero(_a(L) > 0, out=o),
    "take": lambda L, o: L.take(_a(L), L.tensor([4, 0]), out=o),
    "masked_select": lambda L, o: L.masked_select(_a(L), _a(L) > 0, out=o),
    "tril": lambda L, o: L.tril(_a(L), out=o),
    "triu": lambda L, o: L.triu(_a(L), 1, out=o),
    "clamp_min": lambda L, o: L.clamp_min(_a(L), 0, out=o),
    "clamp_max": lambda L, o: L.clamp_max(_a(L), 0, out=o),
    "frac": lambda L, o: L.frac(_a(L), out=o),
    "erfc": lambda L, o: L.erfc(_a(L), out=o),
    "addcmul": lambda L, o: L.addcmul(_a(L), _a(L), _b(L), value=0.5, out=o),
    "addcdiv": lambda L, o: L.addcdiv(_a(L), _a(L), _b(L), out=o),
    "lerp": lambda L, o: L.lerp(_a(L), _b(L), 0.25, out=o),
    "dot": lambda L, o: L.dot(_a(L)[0], _b(L)[0], out=o),
    "outer": lambda L, o: L.outer(_a(L)[0], _b(L)[1], out=o),
}

OUT_KINDS = {
    "same": lambda L: L.zeros(2, 3),
    "empty": lambda L: L.zeros(0),
    "float64": lambda L: L.zeros(0, dtype=L.float64),
    "int64": lambda L: L.zeros(0, dtype=L.int64),
    "int32": lambda L: L.zeros(0, dtype=L.int32),
    "bool": lambda L: L.zeros(0, dtype=L.bool),
    "wrong_shape": lambda L: L.zeros(5),
}


def _run(L, fn, kind):
    out = OUT_KINDS[kind](L)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ret = fn(L, out)
        except Exception as exc:  # noqa: BLE001 - the class is what is compared
            return ("raise", type(exc), str(exc).splitlines()[0]), None
    warned = [w for w in caught if "resized" in str(w.message)]
    return ("ok", ret is out, len(warned), str(out.dtype).split(".")[-1], tuple(out.shape)), out


@pytest.mark.parametrize("kind", sorted(OUT_KINDS))
@pytest.mark.parametrize("op", sorted(OPS))
def test_out_matches_torch(op, kind):
    t_meta, t_out = _run(torch, OPS[op], kind)
    e_meta, e_out = _run(ember, OPS[op], kind)
    assert e_meta == t_meta
    if t_out is not None:
        np.testing.assert_allclose(e_out.numpy().astype(np.float64), t_out.numpy().astype(np.float64), rtol=1e-6)


def test_add_out_writes_into_out_and_keeps_its_identity():
    c = ember.zeros(3)
    ret = ember.add(ember.ones(3), ember.ones(3), out=c)
    assert ret is c
    np.testing.assert_array_equal(c.numpy(), [2, 2, 2])


def test_out_may_alias_an_input():
    for L in (torch, ember):
        c = L.tensor([1.0, 2.0, 3.0])
        L.mul(c, c, out=c)
        np.testing.assert_array_equal(c.numpy(), [1, 4, 9])


def test_out_view_writes_into_its_base():
    base = ember.zeros(2, 3)
    ember.add(ember.ones(3), 1, out=base[1])
    np.testing.assert_array_equal(base.numpy(), [[0, 0, 0], [2, 2, 2]])


@pytest.mark.parametrize("case", ["input", "out"])
def test_out_refuses_autograd_like_torch(case):
    msgs = []
    for L in (torch, ember):
        a = L.ones(3, requires_grad=case == "input")
        o = L.zeros(3, requires_grad=case == "out")
        with pytest.raises(RuntimeError) as err:
            L.add(a, L.ones(3), out=o)
        msgs.append(str(err.value))
    assert msgs[1] == msgs[0]
    assert "don't support automatic differentiation" in msgs[1]


def test_out_allowed_under_no_grad_and_for_non_differentiable_results():
    a = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        assert ember.add(a, 1, out=ember.zeros(3)).tolist() == [2, 2, 2]
    assert ember.eq(a, 1, out=ember.zeros(3, dtype=ember.bool)).tolist() == [True] * 3


@pytest.mark.parametrize("bad", [lambda L: np.zeros(3, np.float32), lambda L: (L.zeros(3),)], ids=["ndarray", "tuple"])
def test_out_must_be_a_tensor(bad):
    errs = []
    for L in (torch, ember):
        with pytest.raises(TypeError) as err:
            L.add(L.ones(3), L.ones(3), out=bad(L))
        errs.append(str(err.value))
    assert errs[1] == errs[0]


def test_max_with_dim_writes_the_out_pair():
    for L in (torch, ember):
        v, i = L.zeros(0), L.zeros(0, dtype=L.int64)
        ret = L.max(_a(L), 1, out=(v, i))
        assert ret[0] is v and ret[1] is i
        assert v.tolist() == [1.5, 3.0] and i.tolist() == [0, 0]
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype long int"):
        ember.max(_a(ember), 1, out=(ember.zeros(0), ember.zeros(0)))


FACTORIES = {
    "zeros": lambda L, o: L.zeros(3, out=o),
    "ones": lambda L, o: L.ones(2, 2, out=o),
    "full": lambda L, o: L.full((3,), 2, out=o),
    "arange": lambda L, o: L.arange(4, out=o),
    "linspace": lambda L, o: L.linspace(0, 10, 5, out=o),
    "eye": lambda L, o: L.eye(3, out=o),
    "zeros_dtype_clash": lambda L, o: L.zeros(3, dtype=L.float64, out=o),
    "rand_shape": lambda L, o: L.rand(4, out=o).shape,
    "randn_shape": lambda L, o: L.randn(4, out=o).shape,
    "randint_shape": lambda L, o: L.randint(0, 5, (4,), out=o).shape,
    "randperm_sorted": lambda L, o: L.randperm(5, out=o).sort().values,
    "multinomial_shape": lambda L, o: L.multinomial(L.ones(3), 3, out=o).shape,
}


@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_take_dtype_and_shape_from_out(name, dtype):
    res = []
    for L in (torch, ember):
        o = L.zeros(2, dtype=getattr(L, dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                r = FACTORIES[name](L, o)
            except Exception as exc:  # noqa: BLE001
                res.append(("raise", type(exc).__name__, str(exc).splitlines()[0]))
                continue
        r = r.tolist() if hasattr(r, "tolist") else list(r)
        res.append(("ok", str(o.dtype).split(".")[-1], tuple(o.shape), r if "shape" in name or "sorted" in name or
                    name in ("zeros", "ones", "full", "arange", "linspace", "eye") else None))
    assert res[1] == res[0]
