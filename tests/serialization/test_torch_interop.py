"""PyTorch checkpoints both ways: torch.save -> ember.load, ember.save(format='torch') -> torch.load."""

import io
import pickletools
import zipfile
from collections import OrderedDict

import pickle

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

_DTYPES = ["float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "bool"]


def _assert_matches_torch(e, t):
    assert isinstance(e, ember.Tensor) and isinstance(t, torch.Tensor)
    assert e.dtype.name == str(t.dtype).replace("torch.", "")
    assert tuple(e.shape) == tuple(t.shape)
    assert e.requires_grad == t.requires_grad
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


# -- torch saves, ember loads ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", _DTYPES)
def test_torch_tensors_of_every_dtype_load(tmp_path, dtype):
    t = (torch.arange(-6, 6).reshape(3, 4) * 3).to(getattr(torch, dtype))
    torch.save(t, tmp_path / "t.pt")
    _assert_matches_torch(ember.load(tmp_path / "t.pt"), t)


def test_torch_views_offsets_strides_and_shared_storage_load_as_shared_views(tmp_path):
    base = torch.arange(30.0).reshape(5, 6)
    obj = {"base": base, "row": base[2], "col": base[:, 3], "t": base.t(), "slice": base[1:4, ::2],
           "flat": base.view(-1)[7:19], "same": base}
    torch.save(obj, tmp_path / "v.pt")
    out = ember.load(tmp_path / "v.pt")
    for k in obj:
        _assert_matches_torch(out[k], obj[k])
    assert out["same"] is out["base"]
    out["base"]._data[2, 3] = -5
    assert out["row"].numpy()[3] == -5 and out["col"].numpy()[2] == -5 and out["t"].numpy()[3, 2] == -5


def test_torch_model_state_dict_parameters_and_metadata_load(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2))
    sd = model.state_dict()
    torch.save({"sd": sd, "p": torch.nn.Parameter(torch.randn(2)), "g": torch.randn(3, requires_grad=True)},
               tmp_path / "m.pth")
    out = ember.load(tmp_path / "m.pth", map_location="cpu")
    assert isinstance(out["sd"], OrderedDict) and list(out["sd"]) == list(sd)
    for k, v in sd.items():
        _assert_matches_torch(out["sd"][k], v)
    assert out["sd"]._metadata == sd._metadata
    from ember.nn import Parameter

    assert isinstance(out["p"], Parameter) and out["p"].requires_grad
    assert out["g"].requires_grad


def test_torch_optimizer_state_dict_and_python_values_load(tmp_path):
    # Adam's state dict after one step, built by hand (a first torch optimizer step costs seconds of imports).
    state = {i: {"step": torch.tensor(1.0), "exp_avg": torch.randn(*s), "exp_avg_sq": torch.rand(*s)}
             for i, s in enumerate([(2, 3), (2,)])}
    groups = [{"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-08, "weight_decay": 0, "amsgrad": False, "maximize": False,
               "foreach": None, "capturable": False, "differentiable": False, "fused": None, "params": [0, 1]}]
    obj = {"opt": {"state": state, "param_groups": groups}, "size": torch.Size([2, 3]), "dtype": torch.float16, "big": 2**80, "neg": -3,
           "bytes": b"\x00ab", "set": {1, 2}, "tuple": (1, 2.5, None, True, "s"), "dev": torch.device("cpu")}
    torch.save(obj, tmp_path / "o.pt")
    out = ember.load(tmp_path / "o.pt")
    assert out["opt"]["param_groups"] == obj["opt"]["param_groups"]
    for pid, state in obj["opt"]["state"].items():
        for k, v in state.items():
            _assert_matches_torch(out["opt"]["state"][pid][k], v)
    assert out["size"] == ember.Size([2, 3]) and isinstance(out["size"], ember.Size)
    assert out["dtype"] is ember.float16
    assert out["dev"] == ember.device("cpu")
    for k in ("big", "neg", "bytes", "set", "tuple"):
        assert out[k] == obj[k]


def test_torch_bfloat16_is_converted_to_float32_with_a_warning(tmp_path):
    t = torch.tensor([1.5, -2.0, 3.140625], dtype=torch.bfloat16)
    torch.save(t, tmp_path / "bf.pt")
    with pytest.warns(UserWarning, match="bfloat16"):
        out = ember.load(tmp_path / "bf.pt")
    assert out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy(), t.float().numpy())


def test_torch_complex_tensors_are_refused_clearly(tmp_path):
    torch.save(torch.ones(2, dtype=torch.complex64), tmp_path / "c.pt")
    with pytest.raises(ember.serialization.CheckpointError, match="Complex"):
        ember.load(tmp_path / "c.pt")


def test_torch_file_from_a_file_object_and_a_legacy_file(tmp_path):
    buf = io.BytesIO()
    torch.save({"x": torch.ones(2)}, buf)
    buf.seek(0)
    np.testing.assert_array_equal(ember.load(buf)["x"].numpy(), [1, 1])
    torch.save(torch.ones(2), tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ember.serialization.CheckpointError, match="legacy"):
        ember.load(tmp_path / "legacy.pt")


# -- ember saves, torch loads ----------------------------------------------------------------------

def _torch_load(path, **kw):
    return torch.load(path, weights_only=True, **kw)


@pytest.mark.parametrize("dtype", _DTYPES)
def test_ember_tensors_of_every_dtype_load_in_torch(tmp_path, dtype):
    e = ember.tensor(np.arange(-6, 6).reshape(3, 4) * 3).to(getattr(ember, dtype))
    ember.save(e, tmp_path / "e.pt", format="torch")
    _assert_matches_torch(e, _torch_load(tmp_path / "e.pt"))


def test_ember_views_and_shared_storage_load_in_torch_as_views(tmp_path):
    base = ember.arange(30.0).reshape(5, 6)
    obj = {"base": base, "row": base[2], "col": base[:, 3], "t": base.t(), "slice": base[1:4, ::2],
           "flat": base.reshape(-1)[7:19], "same": base, "empty": ember.zeros(0, 3), "scalar": ember.tensor(2.5),
           "rev": base[::-1]}
    ember.save(obj, tmp_path / "v.pt", format="torch")
    out = _torch_load(tmp_path / "v.pt")
    for k in obj:
        _assert_matches_torch(obj[k], out[k])
    assert out["same"] is out["base"]
    ptr = out["base"].untyped_storage().data_ptr()
    assert all(out[k].untyped_storage().data_ptr() == ptr for k in ("row", "col", "t", "slice", "flat"))
    out["base"][2, 3] = -5
    assert out["row"][3] == -5 and out["col"][2] == -5


def test_ember_pickle_uses_the_globals_torch_writes(tmp_path):
    from ember.nn import Parameter

    ember.save(OrderedDict(w=Parameter(ember.ones(2)), n=ember.tensor(3)), tmp_path / "g.pt", format="torch")
    with zipfile.ZipFile(tmp_path / "g.pt") as zf:
        names = zf.namelist()
        globals_ = {arg for op, arg, _ in pickletools.genops(zf.read("archive/data.pkl")) if op.name == "GLOBAL"}
        info = {i.filename: i for i in zf.infolist()}
    assert globals_ == {"collections OrderedDict", "torch._utils _rebuild_parameter", "torch._utils _rebuild_tensor_v2",
                        "torch FloatStorage", "torch LongStorage"}
    assert {"archive/data.pkl", "archive/byteorder", "archive/version", "archive/data/0", "archive/data/1"} <= set(names)
    raw = (tmp_path / "g.pt").read_bytes()
    for name in ("archive/data/0", "archive/data/1"):  # storages aligned like torch's, so mmap works
        off = info[name].header_offset
        data_start = off + 30 + int.from_bytes(raw[off + 26:off + 28], "little") + int.from_bytes(raw[off + 28:off + 30],
                                                                                                    "little")
        assert data_start % 64 == 0
    out = torch.load(tmp_path / "g.pt", weights_only=True, mmap=True)
    assert isinstance(out["w"], torch.nn.Parameter) and out["w"].requires_grad


def test_ember_checkpoint_with_python_values_loads_in_torch(tmp_path):
    obj = {"epoch": 7, "lr": 1e-3, "big": 2**70, "neg": -(2**40), "name": "run ✓", "flags": (True, False, None),
           "nested": [{"a": ember.ones(2, requires_grad=True)}], "size": ember.Size([1, 2]), "dt": ember.int32,
           "bytes": b"\x00\xffz", 5: "int key", "many": list(range(2500))}
    ember.save(obj, tmp_path / "p.pt", format="torch")
    out = _torch_load(tmp_path / "p.pt")
    for k in ("epoch", "lr", "big", "neg", "name", "flags", "bytes", 5, "many"):
        assert out[k] == obj[k]
    assert out["size"] == torch.Size([1, 2]) and out["dt"] is torch.int32
    assert out["nested"][0]["a"].requires_grad


def test_model_state_dict_moves_both_ways_with_identical_values(tmp_path):
    nn = pytest.importorskip("ember.nn")
    torch_model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    torch.save(torch_model.state_dict(), tmp_path / "from_torch.pt")

    ember_model = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))
    ember_model.load_state_dict(ember.load(tmp_path / "from_torch.pt"))
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ember_model(ember.tensor(x)).detach().numpy(), expected, rtol=1e-6, atol=1e-6)

    ember.save(ember_model.state_dict(), tmp_path / "from_ember.pt", format="torch")
    back = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    back.load_state_dict(torch.load(tmp_path / "from_ember.pt", weights_only=True))
    for k, v in torch_model.state_dict().items():
        assert torch.equal(back.state_dict()[k], v)


def test_objects_beyond_tensor_containers_are_pickled_whole_and_refused_by_both_weights_only_loaders(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "n.pt"
    ember.save({"a": np.ones(2), "t": ember.ones(3)}, path)
    for loader in (ember.load, torch.load):  # weights_only=True is the default of both
        with pytest.raises(pickle.UnpicklingError, match="numpy"):
            loader(path)
    for loader in (ember.load, torch.load):
        out = loader(path, weights_only=False)
        np.testing.assert_array_equal(out["a"], np.ones(2))
        np.testing.assert_array_equal(np.asarray(out["t"].numpy()), np.ones(3, np.float32))


def test_torch_checkpoint_with_multisteplr_counter_loads(tmp_path):
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[5, 5, 8])
    path = tmp_path / "sched.pt"
    torch.save(sched.state_dict(), path)
    state = ember.load(path)
    assert dict(state["milestones"]) == {5: 2, 8: 1}
