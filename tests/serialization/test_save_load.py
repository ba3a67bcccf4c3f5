"""ember.save / ember.load in ember's own format: round trips of every supported type."""

import io
import math
import os
import pathlib
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ember


def _roundtrip(obj, tmp_path, **kw):
    path = tmp_path / "ckpt.pt"
    kw.setdefault("format", "ember")  # this file is about ember's own format (PyTorch's, the default: test_default_format)
    ember.save(obj, path, **kw)
    return ember.load(path)


def _assert_tensor_equal(a, b):
    assert type(a) is type(b)
    assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.float16, ember.int8, ember.int16, ember.int32,
                                   ember.int64, ember.uint8, ember.bool])
def test_tensor_roundtrip_every_dtype(tmp_path, dtype):
    t = ember.tensor(np.arange(-3, 9).reshape(3, 4)).to(dtype)
    _assert_tensor_equal(_roundtrip(t, tmp_path), t)


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1,), (2, 3, 4)])
def test_tensor_roundtrip_shapes_including_scalars_and_empty(tmp_path, shape):
    t = ember.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    _assert_tensor_equal(_roundtrip(t, tmp_path), t)


def test_requires_grad_and_parameters_are_preserved(tmp_path):
    from ember.nn import Parameter

    obj = {"p": Parameter(ember.randn(3)), "frozen": Parameter(ember.randn(2), requires_grad=False),
           "t": ember.randn(2, requires_grad=True), "plain": ember.randn(2)}
    out = _roundtrip(obj, tmp_path)
    for k in obj:
        _assert_tensor_equal(out[k], obj[k])
    assert isinstance(out["p"], Parameter) and out["p"].requires_grad
    assert isinstance(out["frozen"], Parameter) and not out["frozen"].requires_grad


def test_primitives_and_containers_roundtrip_with_their_types(tmp_path):
    obj = {
        "none": None, "true": True, "int": -7, "big": 2**100, "float": 0.1, "nan": float("nan"), "inf": -math.inf,
        "str": "héllo ✓", "bytes": b"\x00\xff", "tuple": (1, (2, 3)), "list": [1, [2.5, "x"]],
        "size": ember.Size([2, 3]), "dtype": ember.float64, "device": ember.device("cpu"),
        "np_scalar": np.float32(1.5), "np_int": np.int64(3), 3: "int key", (1, 2): "tuple key",
        "odict": OrderedDict([("b", 1), ("a", 2)]), "empty": {}, "empty_list": [],
    }
    out = _roundtrip(obj, tmp_path)
    assert list(out) == list(obj)
    for k, v in obj.items():
        if isinstance(v, float) and math.isnan(v):
            assert math.isnan(out[k])
        else:
            assert out[k] == v and type(out[k]) is type(v), k
    assert list(out["odict"]) == ["b", "a"]


def test_views_and_shared_storage_are_saved_once_and_stay_shared(tmp_path):
    base = ember.arange(24.0).reshape(4, 6)
    obj = {"base": base, "row": base[1], "col": base[:, 2], "t": base.t(), "again": base, "step": base[::2, ::3]}
    path = tmp_path / "views.pt"
    ember.save(obj, path, format="ember")
    with zipfile.ZipFile(path) as zf:
        assert len([n for n in zf.namelist() if n.endswith(".npy")]) == 1
    out = ember.load(path)
    assert out["again"] is out["base"]
    for k in obj:
        np.testing.assert_array_equal(out[k].numpy(), obj[k].numpy())
    out["base"]._data[1, 2] = -1.0  # a write through one shows through the others, as before saving
    assert out["row"].numpy()[2] == -1.0 and out["col"].numpy()[1] == -1.0 and out["t"].numpy()[2, 1] == -1.0


def test_a_small_view_of_a_big_tensor_saves_only_the_bytes_it_uses(tmp_path):
    big = ember.zeros(1000, 1000)
    path = tmp_path / "small.pt"
    ember.save({"corner": big[:2, :2]}, path)
    assert os.path.getsize(path) < 20_000
    np.testing.assert_array_equal(ember.load(path)["corner"].numpy(), np.zeros((2, 2)))


def test_loaded_tensors_are_writable(tmp_path):
    out = _roundtrip({"w": ember.ones(3)}, tmp_path)
    out["w"]._data += 1
    np.testing.assert_array_equal(out["w"].numpy(), [2, 2, 2])


def test_numpy_arrays_roundtrip(tmp_path):
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    out = _roundtrip({"a": a, "view": a[:, ::-1]}, tmp_path)
    assert isinstance(out["a"], np.ndarray) and out["a"].dtype == np.int32
    np.testing.assert_array_equal(out["view"], a[:, ::-1])


def test_model_and_optimizer_state_dicts_roundtrip(tmp_path):
    nn = pytest.importorskip("ember.nn")
    optim = pytest.importorskip("ember.optim")
    ember.manual_seed(0)

    def make():  # BatchNorm brings buffers (running stats, an int64 counter) when nn has it
        norm = [nn.BatchNorm1d(3)] if hasattr(nn, "BatchNorm1d") else []
        return nn.Sequential(nn.Linear(4, 3), *norm, nn.Linear(3, 2))

    model = make()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    model(ember.randn(5, 4)).sum().backward()
    opt.step()
    ckpt = {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}
    out = _roundtrip(ckpt, tmp_path)
    assert out["epoch"] == 3
    assert list(out["model"]) == list(ckpt["model"])
    for k, v in ckpt["model"].items():
        _assert_tensor_equal(out["model"][k], v)
    assert out["optim"]["param_groups"] == ckpt["optim"]["param_groups"]
    for pid, state in ckpt["optim"]["state"].items():
        for k, v in state.items():
            if isinstance(v, ember.Tensor):
                _assert_tensor_equal(out["optim"]["state"][pid][k], v)
            else:
                assert out["optim"]["state"][pid][k] == v
    fresh = make()
    fresh.load_state_dict(out["model"])
    opt2 = optim.Adam(fresh.parameters(), lr=1e-3)
    opt2.load_state_dict(out["optim"])
    x = ember.randn(2, 4)
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())


def test_save_and_load_through_file_objects_and_pathlib(tmp_path):
    buf = io.BytesIO()
    ember.save({"x": ember.ones(2)}, buf)
    buf.seek(0)
    np.testing.assert_array_equal(ember.load(buf)["x"].numpy(), [1, 1])
    path = pathlib.Path(tmp_path) / "p.pt"
    with open(path, "wb") as fh:
        ember.save([1, 2], fh)
    with open(path, "rb") as fh:
        assert ember.load(fh) == [1, 2]
    assert ember.load(str(path)) == [1, 2]


def test_unsupported_objects_are_refused_with_the_path_to_them(tmp_path):
    with pytest.raises(TypeError, match=r"can't save an object of type 'builtins.object' at \['a'\]\[1\]"):
        ember.save({"a": [1, object()]}, tmp_path / "x.pt", format="ember")
    with pytest.raises(TypeError, match="namedtuple"):
        import collections

        ember.save(collections.namedtuple("P", "x")(1), tmp_path / "x.pt", format="ember")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="reference cycle"):
        ember.save(loop, tmp_path / "x.pt", format="ember")
    assert not os.path.exists(tmp_path / "x.pt")


def test_map_location_and_weights_only_are_accepted(tmp_path):
    path = tmp_path / "m.pt"
    ember.save(ember.ones(2), path)
    for loc in (None, "cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        assert ember.load(path, map_location=loc).shape == (2,)
    assert ember.load(path, weights_only=False).shape == (2,)
    with pytest.raises(RuntimeError, match="ember tensors live on the CPU only"):
        ember.load(path, map_location="cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        ember.load(path, map_location={"cpu": "cuda:1"})


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'pickle'"):
        ember.save(1, tmp_path / "x", format="pickle")
