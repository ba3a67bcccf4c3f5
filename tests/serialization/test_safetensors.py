"""safetensors files through the optional ``safetensors`` package."""

import io

import numpy as np
import pytest

import ember

st = pytest.importorskip("safetensors.numpy")


def _state():
    return {"w": ember.randn(3, 4), "b": ember.zeros(4), "steps": ember.tensor([1, 2], dtype=ember.int64),
            "mask": ember.tensor([True, False]), "half": ember.ones(2, dtype=ember.float16)}


def test_extension_selects_safetensors_and_load_detects_it(tmp_path):
    sd = _state()
    path = tmp_path / "model.safetensors"
    ember.save(sd, path)
    assert st.load_file(str(path)).keys() == sd.keys()  # a real safetensors file
    out = ember.load(path)
    assert out.keys() == sd.keys()
    for k, v in sd.items():
        assert out[k].dtype == v.dtype
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())
    out["w"]._data += 1  # writable


def test_format_argument_and_file_objects(tmp_path):
    buf = io.BytesIO()
    ember.save({"x": ember.arange(3.0)[1:]}, buf, format="safetensors")
    buf.seek(0)
    np.testing.assert_array_equal(ember.load(buf)["x"].numpy(), [1.0, 2.0])
    path = tmp_path / "weights.bin"  # detection is by content, not by name
    ember.save({"x": ember.ones(1)}, path, format="safetensors")
    assert ember.load(path)["x"].item() == 1.0


def test_files_written_by_safetensors_torch_load(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    save_file({"a": torch.arange(6.0).reshape(2, 3), "i": torch.tensor([7], dtype=torch.int32)},
              str(tmp_path / "t.safetensors"))
    out = ember.load(tmp_path / "t.safetensors")
    np.testing.assert_array_equal(out["a"].numpy(), np.arange(6.0).reshape(2, 3))
    assert out["i"].dtype == ember.int32


def test_only_flat_dicts_of_tensors_are_accepted(tmp_path):
    with pytest.raises(TypeError, match="flat dict of str -> tensor"):
        ember.save([ember.ones(1)], tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="stores only tensors, got dict at key 'opt'"):
        ember.save({"opt": {}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="keys must be str"):
        ember.save({1: ember.ones(1)}, tmp_path / "x.safetensors")
    assert not list(tmp_path.iterdir())


def test_truncated_safetensors_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.safetensors"
    ember.save(_state(), path)
    data = path.read_bytes()
    for cut in (9, 40, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(ember.serialization.CheckpointError, match="safetensors file is truncated or corrupted"):
            ember.load(path)


def test_missing_package_names_the_extra(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"pip install 'ember\[safetensors\]'"):
        ember.save({"x": ember.ones(1)}, tmp_path / "x.safetensors")
