"""Tensor's public surface is declared once (``ember._tensor_surface``)."""

import collections
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import _tensor_methods, _tensor_surface
from ember._ops import bitwise as B
from ember._ops import misc as M
from ember._ops import pointwise as P
from ember._ops import scan as SC
from ember._tensor import Tensor

SRC = Path(ember.__file__).parent


def test_define_refuses_a_second_definition():
    with pytest.raises(_tensor_surface.SurfaceError, match="Tensor.sum is defined twice"):
        _tensor_surface.define("sum", lambda self: None)
    with pytest.raises(_tensor_surface.SurfaceError, match="class body"):
        _tensor_surface.define("size", lambda self: None)
    assert Tensor.sum is _tensor_surface.SURFACE["sum"]


def test_each_name_is_defined_once_in_the_source():
    # Every attachment goes through define(); no module assigns Tensor attributes directly.
    direct = re.compile(r"^\s*Tensor\.\w+\s*=|setattr\(\s*Tensor\b", re.M)
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if direct.search(p.read_text())]
    offenders.remove("_tensor_surface.py")  # the one place that attaches
    assert offenders == []
    literal = re.compile(r'^define\("(\w+)"', re.M)
    names = collections.Counter(n for p in SRC.rglob("*.py") for n in literal.findall(p.read_text()))
    assert [n for n, c in names.items() if c > 1] == []


def test_surface_lists_what_dir_shows():
    public = {n for n in dir(Tensor) if not n.startswith("_")}
    declared = {n for n in _tensor_surface.declared() if not n.startswith("_")}
    assert public == declared
    for name in declared:
        raw = Tensor.__dict__[name]
        assert raw is _tensor_surface.declared()[name]
    assert not set(_tensor_surface.SURFACE) & _tensor_surface._CLASS_BODY


def test_names_resolve_to_the_intended_implementations():
    S = _tensor_surface.SURFACE
    assert S["sum"] is _tensor_methods._sum_method  # takes dim/keepdim and axis/keepdims itself
    assert "sum" not in _tensor_surface.NUMPY_NAMES
    assert S["bitwise_and"] is B.bitwise_and and S["__invert__"] is P.invert_operator  # ~float: TypeError
    # cummax and nansum take NumPy's axis=/keepdims= too: the surface wraps them, the implementation stays scan's
    import inspect

    assert inspect.unwrap(S["cummax"]) is inspect.unwrap(SC.cummax) and inspect.unwrap(S["nansum"]) is inspect.unwrap(SC.nansum)
    x0 = ember.tensor([[3.0, 1.0], [2.0, 4.0]])
    assert x0.cummax(axis=0).values.tolist() == x0.cummax(dim=0).values.tolist() == [[3.0, 1.0], [3.0, 4.0]]
    assert S["is_complex"] is M.is_complex
    assert S["view"].__module__ == "ember._tensor_methods_more"  # view(*shape) and view(dtype)
    assert S["relu_"].__module__ == "ember._tensor_methods"
    x = ember.tensor([-1.0, 2.0])
    assert x.relu_() is x and x.tolist() == [0.0, 2.0]


def test_relu_inplace_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.array([-1.5, 0.0, 2.0])
    e = ember.tensor(a, requires_grad=True) * 2
    t = torch.tensor(a, requires_grad=True) * 2
    e.relu_().sum().backward()
    t.relu_().sum().backward()
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


@pytest.mark.parametrize("name", sorted(_tensor_surface.NUMPY_NAMES))
def test_numpy_names_are_explicit(name):
    fn = Tensor.__dict__[name]
    assert getattr(fn, "__wrapped__", None) is not None, name


def test_numpy_argument_names():
    x = ember.tensor([[1.0, 5.0], [3.0, 2.0]])
    np.testing.assert_array_equal(x.max(axis=1, keepdims=True).values.numpy(), [[5.0], [3.0]])
    np.testing.assert_array_equal(x.sum(axis=0, keepdims=True).numpy(), [[4.0, 7.0]])
    assert x.size(axis=1) == 2


def test_a_duplicate_module_fails_at_import(tmp_path):
    # A family module that re-declares an existing name fails when it is imported.
    path = tmp_path / "dup_methods.py"
    path.write_text("from ember._tensor_surface import define\ndefine('mean', lambda self: None)\n")
    spec = importlib.util.spec_from_file_location("dup_methods", path)
    with pytest.raises(_tensor_surface.SurfaceError):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
