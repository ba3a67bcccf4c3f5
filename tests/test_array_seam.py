"""The array-library seam (docs/internals.md, "The array module"): ops, optimizers and the autograd
engine compute with ``array_module(*inputs)``, never with NumPy's functions by name, so a second
array library is a registration in ``ember._backend``, not an edit of every op."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "ember"
SEAMED = sorted([*SRC.glob("_ops/*.py"), *SRC.glob("optim/*.py"), SRC / "autograd" / "function.py", SRC / "nn" / "_multihead.py",
                 SRC / "autograd" / "engine.py"])

# Host-side metadata: dtypes and shapes, which every NumPy-API library shares.
ALLOWED_FUNCTIONS = {"dtype", "finfo", "iinfo", "result_type", "promote_types", "can_cast", "issubdtype",
                     "broadcast_shapes", "isscalar"}
FORBIDDEN_TYPES = {"ndarray", "errstate", "generic"}

# Files still calling NumPy by name (all of them converted in issue 17; keep it empty).
NOT_YET_CONVERTED: set[str] = set()


def _numpy_names(tree: ast.AST) -> set[str]:
    """The local names NumPy is imported under (``import numpy as np``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.asname or a.name for a in node.names if a.name == "numpy")
    return names


def direct_numpy_uses(path: pathlib.Path) -> list[str]:
    """``line: np.name`` for each use of a NumPy function (or ndarray/errstate) by name in ``path``."""
    tree = ast.parse(path.read_text())
    aliases = _numpy_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "numpy":
            found.append(f"{node.lineno}: from {node.module} import ...")
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases):
            continue
        name = node.attr
        obj = getattr(np, name, None)
        if name in FORBIDDEN_TYPES or name in ("lib", "linalg", "fft", "random", "add", "maximum", "minimum"):
            found.append(f"{node.lineno}: np.{name}")
        elif callable(obj) and not isinstance(obj, type) and name not in ALLOWED_FUNCTIONS:
            found.append(f"{node.lineno}: np.{name}")
    return found


@pytest.mark.parametrize("path", SEAMED, ids=lambda p: str(p.relative_to(SRC)))
def test_ops_take_their_array_module_from_their_inputs(path):
    rel = str(path.relative_to(SRC))
    uses = direct_numpy_uses(path)
    if rel in NOT_YET_CONVERTED:
        assert uses, f"{rel} no longer calls NumPy by name: remove it from NOT_YET_CONVERTED"
        pytest.skip(f"{rel}: {len(uses)} direct NumPy uses not yet behind the seam")
    assert not uses, f"{rel} calls NumPy by name instead of array_module(...): {uses[:20]}"


def test_the_lint_sees_a_direct_call(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\n\ndef f(x):\n    if isinstance(x, np.ndarray):\n        return np.exp(x)\n"
                   "    return np.add.at(x, 0, 1), np.float32(1), np.dtype('f4')\n")
    assert [u.split(": ")[1] for u in direct_numpy_uses(bad)] == ["np.ndarray", "np.exp", "np.add"]


def test_array_module_is_numpy_for_numpy_and_scalars():
    from ember._backend import array_module, is_array

    assert array_module(np.zeros(2), 1.0, None) is np
    assert array_module() is np
    assert is_array(np.zeros(()))
    assert not is_array([1.0])


# -- the seam at run time: a second array library registered for one test ------------------------------


class ProxyArray(np.ndarray):
    """The array type of a stand-in second library (NumPy underneath, so results can be compared)."""


class RecordingNumpy:
    """A "library" with NumPy's API: delegates to NumPy, records which names ops asked it for, and
    returns its own array type, as CuPy would return CuPy arrays."""

    def __init__(self):
        self.calls = set()

    def __getattr__(self, name):
        self.calls.add(name)
        obj = getattr(np, name)
        if isinstance(obj, (type, np.ufunc)) or not callable(obj):
            return obj  # dtypes, errstate, ufuncs (whose .at and results follow their inputs), submodules

        def call(*args, **kwargs):
            return _proxied(obj(*args, **kwargs))

        return call


def _proxied(value):
    if type(value) is np.ndarray:
        return value.view(ProxyArray)
    if isinstance(value, (tuple, list)):
        return type(value)(_proxied(v) for v in value)
    return value


@pytest.fixture
def proxy():
    from ember._backend import array_module, register_array_module, unregister_array_module

    xp = RecordingNumpy()
    register_array_module(ProxyArray, xp)
    try:
        assert array_module(np.zeros(1).view(ProxyArray)) is xp
        yield xp
    finally:
        unregister_array_module(ProxyArray)
    assert array_module(np.zeros(1).view(ProxyArray)) is np  # nothing leaks into other tests


def _pair(array, requires_grad=False):
    """The same values as a plain ember tensor and as one holding a ProxyArray."""
    import ember

    plain = ember.tensor(array, requires_grad=requires_grad)
    other = ember.tensor(array, requires_grad=requires_grad)
    other._data = other._data.view(ProxyArray)
    return plain, other


def _same(a, b):
    np.testing.assert_array_equal(np.asarray(a._data), np.asarray(b._data))
    assert a.dtype == b.dtype and a.shape == b.shape


# Backward is seeded with an explicit gradient of the proxy's type, so that every node on the way
# is an op of the files under test (a sum or a product would be computed by files not yet converted).


def test_indexing_and_its_backward_compute_with_the_inputs_library(proxy):
    import ember

    rng = np.random.default_rng(0)
    (x, px) = _pair(rng.standard_normal((4, 5)), requires_grad=True)
    (g, pg) = _pair(rng.standard_normal((3, 3)))
    results = []
    for t, seed in ((x, g), (px, pg)):
        y = t[1:, [0, 2, 2]]  # a repeated index: backward accumulates (add.at)
        ember.autograd.backward([y], [seed])
        results.append(y)
    _same(*results)
    _same(x.grad, px.grad)
    assert type(results[1]._data) is ProxyArray and type(px.grad._data) is ProxyArray
    assert {"zeros", "add"} <= proxy.calls


def test_gather_scatter_index_select_compute_with_the_inputs_library(proxy):
    import ember

    rng = np.random.default_rng(1)
    (x, px) = _pair(rng.standard_normal((3, 4)), requires_grad=True)
    (s, ps) = _pair(rng.standard_normal((3, 2)), requires_grad=True)
    (i, pi) = _pair(np.array([[0, 3], [1, 1], [2, 0]]))
    (g1, pg1) = _pair(rng.standard_normal((3, 2)))
    (g2, pg2) = _pair(rng.standard_normal((3, 4)))
    outs = []
    for t, src, idx, seeds in ((x, s, i, (g1, g2)), (px, ps, pi, (pg1, pg2))):
        g = ember.gather(t, 1, idx)
        sc = ember.scatter_add(t, 1, idx, src)
        sel = ember.index_select(t.detach(), 0, ember.tensor([2, 0]))
        ember.autograd.backward([g, sc], list(seeds))
        outs.append((g, sc, sel))
    for a, b in zip(*outs):
        _same(a, b)
    _same(x.grad, px.grad)
    _same(s.grad, ps.grad)
    assert all(type(t._data) is ProxyArray for t in (*outs[1], px.grad, ps.grad))
    assert {"indices", "take", "zeros", "add"} <= proxy.calls


def test_cat_stack_reshape_permute_compute_with_the_inputs_library(proxy):
    import ember

    rng = np.random.default_rng(2)
    (a, pa) = _pair(rng.standard_normal((2, 3)), requires_grad=True)
    (b, pb) = _pair(rng.standard_normal((2, 3)), requires_grad=True)
    (g1, pg1) = _pair(rng.standard_normal((4, 3)))
    (g2, pg2) = _pair(rng.standard_normal((2, 3, 2)))
    outs = []
    for u, v, seeds in ((a, b, (g1, g2)), (pa, pb, (pg1, pg2))):
        c = ember.cat([u, v], dim=1)
        st = ember.stack([u, v], dim=-1)
        y = c.reshape(3, 4).permute(1, 0)
        ember.autograd.backward([y, st], list(seeds))
        outs.append((c, st, y))
    for p, q in zip(*outs):
        _same(p, q)
    _same(a.grad, pa.grad)
    _same(b.grad, pb.grad)
    assert all(type(t._data) is ProxyArray for t in (*outs[1], pa.grad, pb.grad))  # never NumPy by name
    assert {"concatenate", "transpose"} <= proxy.calls


def test_inplace_writes_use_the_inputs_library(proxy):
    (x, px) = _pair(np.arange(6.0).reshape(2, 3))
    (v, pv) = _pair(np.full((2, 3), 0.5))
    for t, src in ((x, v), (px, pv)):
        t.add_(1.0)
        t[0].copy_(src[1])
        t[:, 1] = 7.0
    _same(x, px)
    assert type(px._data) is ProxyArray
    assert "copyto" in proxy.calls


def test_a_write_through_a_view_in_a_graph_uses_the_inputs_library(proxy):
    import ember

    (x, px) = _pair(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (g, pg) = _pair(np.arange(6.0).reshape(2, 3) + 10)
    (v, pv) = _pair(np.array([-1.0, -2.0]), requires_grad=True)
    outs = []
    for t, val, seed in ((x, v, g), (px, pv, pg)):
        base = t.clone()
        base[:, 2].copy_(val)  # CopySlices: the base's positions under the view are replaced
        ember.autograd.backward([base], [seed])
        outs.append(base)
    _same(*outs)
    _same(x.grad, px.grad)
    _same(v.grad, pv.grad)
    assert all(type(t._data) is ProxyArray for t in (outs[1], px.grad, pv.grad))
    assert {"arange", "unique"} <= proxy.calls
