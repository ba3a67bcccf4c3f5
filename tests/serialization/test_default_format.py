"""``ember.save`` writes PyTorch's format by default: real torch reads it; whole objects round-trip on ember;
``weights_only`` and the safe-globals allow-list behave as in PyTorch."""

from __future__ import annotations

import argparse
import dataclasses
import io
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember.serialization import UnsafeCheckpointError

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "bool"]


def _t(x):  # ember tensor -> torch tensor (through NumPy)
    return torch.from_numpy(np.array(x.detach().numpy(), copy=True))


@pytest.fixture(autouse=True)
def _no_leftover_safe_globals():
    yield
    ember.serialization.clear_safe_globals()


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_loads_every_dtype_ember_saves_by_default(tmp_path, dtype):
    t = ember.tensor(np.arange(-3, 9).reshape(3, 4)).to(getattr(ember, dtype))
    ember.save({"t": t}, tmp_path / "a.pt")
    got = torch.load(tmp_path / "a.pt")["t"]
    assert got.dtype == getattr(torch, dtype) and got.shape == (3, 4)
    assert torch.equal(got, _t(t))


def test_torch_loads_views_with_their_strides_and_shared_storage(tmp_path):
    base = ember.arange(24.0).reshape(4, 6)
    obj = {"base": base, "t": base.t(), "col": base[:, 2], "step": base[::2, ::3], "row": base[1], "again": base}
    ember.save(obj, tmp_path / "v.pt")
    got = torch.load(tmp_path / "v.pt")
    for k, v in obj.items():
        assert torch.equal(got[k], _t(v)), k
    assert got["again"] is got["base"]
    assert got["t"].stride() == (1, 6)  # a transposed view stays a view of the same storage
    assert got["t"].untyped_storage().data_ptr() == got["base"].untyped_storage().data_ptr()
    got["base"][1, 2] = -1.0
    assert got["row"][2] == -1.0 and got["col"][1] == -1.0


def test_torch_loads_nested_containers_and_optimizer_state(tmp_path):
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.BatchNorm1d(3), ember.nn.Linear(3, 2))
    opt = ember.optim.Adam(model.parameters(), lr=1e-3, weight_decay=0.1)
    model(ember.randn(5, 4)).sum().backward()
    opt.step()
    ckpt = {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3, "history": [0.5, (1, "a")],
            "meta": {"none": None, "flag": True, "size": ember.Size([2, 3]), "dtype": ember.float16}}
    ember.save(ckpt, tmp_path / "c.pt")
    got = torch.load(tmp_path / "c.pt")
    assert got["epoch"] == 3 and got["history"] == [0.5, (1, "a")]
    assert got["meta"] == {"none": None, "flag": True, "size": torch.Size([2, 3]), "dtype": torch.float16}
    assert list(got["model"]) == list(model.state_dict())
    for k, v in model.state_dict().items():
        assert torch.equal(got["model"][k], _t(v)) and got["model"][k].dtype == getattr(torch, v.dtype.name)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2))
    tm.load_state_dict(got["model"])
    topt = torch.optim.Adam(tm.parameters(), lr=1e-3, weight_decay=0.1)
    topt.load_state_dict(got["optim"])  # torch accepts ember's optimizer state as its own
    assert topt.state_dict()["param_groups"][0]["weight_decay"] == 0.1
    assert torch.equal(topt.state_dict()["state"][0]["exp_avg"], _t(opt.state_dict()["state"][0]["exp_avg"]))


def test_ember_loads_what_torch_saves_and_the_round_trip_is_exact(tmp_path):
    g = torch.Generator().manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    topt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    tm(torch.randn(2, 1, 5, 5, generator=g)).sum().backward()
    topt.step()
    torch.save({"model": tm.state_dict(), "optim": topt.state_dict(), "half": torch.ones(3).half(),
                "mask": torch.tensor([True, False])}, tmp_path / "t.pt")
    back = ember.load(tmp_path / "t.pt")
    em = ember.nn.Sequential(ember.nn.Conv2d(1, 2, 3), ember.nn.BatchNorm2d(2))
    em.load_state_dict(back["model"])
    eopt = ember.optim.SGD(em.parameters(), lr=0.1, momentum=0.9)
    eopt.load_state_dict(back["optim"])
    assert back["half"].dtype is ember.float16 and back["mask"].dtype is ember.bool
    ember.save(back, tmp_path / "again.pt")  # and torch reads ember's re-save identically
    again = torch.load(tmp_path / "again.pt")
    for k, v in tm.state_dict().items():
        assert torch.equal(again["model"][k], v)
    assert torch.equal(again["optim"]["state"][0]["momentum_buffer"], topt.state_dict()["state"][0]["momentum_buffer"])


class Small(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = ember.nn.Linear(3, 2)
        self.register_buffer("steps", ember.zeros((), dtype=ember.int64))

    def forward(self, x):
        return self.fc(x)


def test_whole_model_and_optimizer_round_trip_with_weights_only_false(tmp_path):
    ember.manual_seed(0)
    model = Small()
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    model(ember.randn(4, 3)).sum().backward()
    opt.step()
    ember.save({"model": model, "opt": opt, "args": argparse.Namespace(lr=0.01)}, tmp_path / "w.pt")
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL .*Small was not an allowed global by default"):
        ember.load(tmp_path / "w.pt")
    back = ember.load(tmp_path / "w.pt", weights_only=False)
    assert isinstance(back["model"], Small) and back["args"].lr == 0.01
    x = ember.randn(2, 3)
    assert ember.equal(back["model"](x), model(x))
    assert back["opt"].param_groups[0]["params"][0] is back["model"].fc.weight  # identities survive
    assert ember.equal(back["opt"].state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert isinstance(back["model"].fc.weight, ember.nn.Parameter) and back["model"].fc.weight.requires_grad


def test_whole_object_files_carry_pytorch_tensor_names_so_torch_reads_plain_objects(tmp_path):
    obj = {"args": argparse.Namespace(epochs=3), "w": ember.arange(6.0).reshape(2, 3).t(), "np": np.ones(2)}
    ember.save(obj, tmp_path / "o.pt")
    got = torch.load(tmp_path / "o.pt", weights_only=False)
    assert got["args"].epochs == 3 and torch.equal(got["w"], _t(obj["w"])) and got["w"].stride() == (1, 3)


def test_whole_model_saved_by_torch_is_refused_clearly(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "tm.pt")
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.linear.Linear was not an allowed global"):
        ember.load(tmp_path / "tm.pt")
    with pytest.raises(RuntimeError, match="ember can rebuild PyTorch's tensors but not its classes"):
        ember.load(tmp_path / "tm.pt", weights_only=False)


@dataclasses.dataclass
class Config:
    lr: float = 0.1


def test_safe_globals_extend_the_allow_list_only_while_asked(tmp_path):
    ember.save({"cfg": Config(0.5), "t": ember.ones(2)}, tmp_path / "s.pt")
    e_msg = pytest.raises(pickle.UnpicklingError, ember.load, tmp_path / "s.pt").value.args[0]
    t_msg = pytest.raises(pickle.UnpicklingError, torch.load, tmp_path / "s.pt").value.args[0]
    name = f"{__name__}.Config"
    for msg in (e_msg, t_msg):  # both name the global and the way to allow it
        assert f"Unsupported global: GLOBAL {name} was not an allowed global by default" in msg
        assert f"add_safe_globals([{name}])" in msg
    with ember.serialization.safe_globals([Config]):
        assert ember.serialization.get_safe_globals() == [Config]
        assert ember.load(tmp_path / "s.pt")["cfg"] == Config(0.5)
    assert ember.serialization.get_safe_globals() == []
    with pytest.raises(UnsafeCheckpointError):
        ember.load(tmp_path / "s.pt")
    assert ember.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "s.pt") == [name]
    assert torch.serialization.get_unsafe_globals_in_checkpoint(str(tmp_path / "s.pt")) == [name]
    ember.serialization.add_safe_globals([(Config, name)])
    assert ember.load(tmp_path / "s.pt", weights_only=True)["cfg"].lr == 0.5
    assert ember.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "s.pt") == []


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > pwned.txt",))


def test_weights_only_never_runs_code_even_when_other_globals_are_allowed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ember.save({"x": _Boom()}, tmp_path / "evil.pt")
    ember.serialization.add_safe_globals([Config])
    with pytest.raises(UnsafeCheckpointError, match=r"GLOBAL (posix|os|nt)\.system was not an allowed global"):
        ember.load(tmp_path / "evil.pt")
    assert not (tmp_path / "pwned.txt").exists()


def test_load_arguments_behave_as_torch(tmp_path):
    ember.save({"t": ember.ones(3)}, tmp_path / "a.pt")
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module is specified"):
            lib.load(tmp_path / "a.pt", pickle_module=pickle, weights_only=True)
        assert lib.load(tmp_path / "a.pt", pickle_module=pickle, weights_only=False)["t"].shape == (3,)
        with open(tmp_path / "a.pt", "rb") as fh, pytest.raises(ValueError, match="f must be a file path in order to "
                                                                              "use the mmap argument"):
            lib.load(fh, mmap=True)
    mapped = ember.load(tmp_path / "a.pt", mmap=True)["t"]
    assert isinstance(mapped.numpy().base, np.memmap) or isinstance(mapped.numpy(), np.memmap)
    mapped.add_(1)  # copy-on-write: the file is untouched
    assert ember.equal(ember.load(tmp_path / "a.pt")["t"], ember.ones(3))
    ember.save(ember.ones(2), tmp_path / "n.pt", format="ember")
    with pytest.raises(RuntimeError, match="mmap can only be used with files saved with"):
        ember.load(tmp_path / "n.pt", mmap=True)


def _on_cuda(path_in, path_out):
    """A copy of a checkpoint whose storages claim to live on cuda:0 (as a GPU-saved file does)."""
    with zipfile.ZipFile(path_in) as zin, zipfile.ZipFile(path_out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            zout.writestr(info, data)


def test_a_checkpoint_saved_on_a_gpu_needs_map_location_as_in_torch(tmp_path):
    torch.save({"t": torch.arange(3.0)}, tmp_path / "cpu.pt")
    _on_cuda(tmp_path / "cpu.pt", tmp_path / "gpu.pt")
    t_err = pytest.raises(RuntimeError, torch.load, tmp_path / "gpu.pt").value
    e_err = pytest.raises(RuntimeError, ember.load, tmp_path / "gpu.pt").value
    assert str(e_err) == str(t_err)
    for loc in ("cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        assert ember.load(tmp_path / "gpu.pt", map_location=loc)["t"].tolist() == [0.0, 1.0, 2.0]


def test_save_arguments_behave_as_torch(tmp_path):
    for protocol in (2, 4):
        buf = io.BytesIO()
        ember.save({"t": ember.ones(2)}, buf, pickle, protocol)  # torch.save's positional pickle_module, protocol
        buf.seek(0)
        # torch's weights_only reader only knows protocol 2 (it refuses its own protocol-4 files too)
        assert torch.equal(torch.load(buf, weights_only=protocol == 2)["t"], torch.ones(2))
        buf.seek(0)
        assert ember.equal(ember.load(buf)["t"], ember.ones(2))
    with pytest.raises(ValueError, match="pickle_module"):
        ember.save({}, io.BytesIO(), pickle_module=object())
    ember.save({"t": ember.ones(2)}, tmp_path / "e.pt", format="ember")
    with zipfile.ZipFile(tmp_path / "e.pt") as zf:
        assert any(n.endswith(".npy") for n in zf.namelist())  # ember's own format, on request
    assert ember.equal(ember.load(tmp_path / "e.pt")["t"], ember.ones(2))
    assert isinstance(ember.load(tmp_path / "e.pt"), dict) and not isinstance(ember.load(tmp_path / "e.pt"),
                                                                            OrderedDict)


def test_the_whole_object_writer_spells_tensors_exactly_as_torch_weights_only_expects():
    from ember.serialization._objects import ObjectWriter

    m = ember.nn.Linear(2, 3)
    obj = {"sd": m.state_dict(), "p": m.weight, "v": ember.arange(6.0).reshape(2, 3).t(), "b": ember.tensor([True]),
           "dt": ember.float16, "sz": ember.Size([1, 2]), "dev": ember.device("cpu")}
    buf = io.BytesIO()
    ObjectWriter(obj, 2).write(buf)
    buf.seek(0)
    out = torch.load(buf)  # weights_only=True: only PyTorch's own names are in the pickle
    assert isinstance(out["p"], torch.nn.Parameter) and out["p"].requires_grad
    assert out["v"].stride() == (1, 3) and torch.equal(out["v"], _t(obj["v"]))
    assert (out["dt"], out["sz"], out["dev"]) == (torch.float16, torch.Size([1, 2]), torch.device("cpu"))
    assert out["sd"]["weight"].data_ptr() == out["p"].data_ptr()  # the parameter and its state_dict entry share
