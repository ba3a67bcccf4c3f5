"""Truncated, corrupted and malicious files: clear errors, and nothing from the file ever runs."""

import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import ember
from ember.serialization import CheckpointError, UnsafeCheckpointError

SAMPLE = {"w": ember.arange(12.0).reshape(3, 4), "b": ember.ones(3), "meta": {"epoch": 2, "name": "run"}}


def _bytes(fmt):
    buf = io.BytesIO()
    ember.save(SAMPLE, buf, format=fmt)
    return buf.getvalue()


def _load_bytes(data):
    return ember.load(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["ember", "torch"])
def test_every_truncation_is_a_clear_error(fmt):
    data = _bytes(fmt)
    cuts = sorted(set(np.linspace(1, len(data) - 1, 60).astype(int)) | {1, 8, 30, len(data) - 22, len(data) - 1})
    for cut in cuts:
        with pytest.raises(CheckpointError, match="truncated or corrupted|not a checkpoint|not a readable"):
            _load_bytes(data[:cut])


def test_truncated_file_on_disk_names_the_file(tmp_path):
    path = tmp_path / "cut.pt"
    ember.save(SAMPLE, path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match=r"'.*cut\.pt' is not a readable checkpoint: the zip archive is "
                                              r"truncated or corrupted"):
        ember.load(path)


@pytest.mark.parametrize("fmt", ["ember", "torch"])
def test_flipped_bytes_give_a_clear_error_or_the_original_values(fmt):
    data = _bytes(fmt)
    rng = np.random.default_rng(0)
    for pos in rng.choice(len(data), size=150, replace=False):
        bad = bytearray(data)
        bad[pos] ^= 0xFF
        try:
            out = _load_bytes(bytes(bad))
        except (CheckpointError, UnsafeCheckpointError):
            continue
        # Bytes outside the checksummed data (timestamps, padding) may change harmlessly.
        np.testing.assert_array_equal(out["w"].numpy(), SAMPLE["w"].numpy())
        assert out["meta"] == SAMPLE["meta"]


def test_empty_and_garbage_files_are_refused_clearly(tmp_path):
    with pytest.raises(CheckpointError, match="is empty"):
        _load_bytes(b"")
    with pytest.raises(CheckpointError, match="not a checkpoint ember recognises"):
        _load_bytes(b"hello, I am a text file\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(CheckpointError, match="neither an ember nor a PyTorch checkpoint"):
        _load_bytes(buf.getvalue())


def test_a_tampered_header_pointing_outside_its_storage_is_refused():
    data = _bytes("ember")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in src.namelist():
            content = src.read(name)
            if name == "ember.json":
                content = content.replace(b'"offset":0', b'"offset":4000')
            zf.writestr(name, content)
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        _load_bytes(out.getvalue())


class _Evil:
    """Unpickling this would run a shell command that creates the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _torch_zip_with(payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_malicious_raw_pickle_is_refused_and_never_runs(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"weights": _Evil(marker)}, protocol=protocol))
    with pytest.raises(pickle.UnpicklingError, match=r"Unsupported global: GLOBAL (posix|os|nt)\.system was not an "
                       r"allowed global by default\. Please use `ember\.serialization\.add_safe_globals"):
        ember.load(path)
    with pytest.raises(UnsafeCheckpointError, match="weights_only=False"):
        ember.load(path, weights_only=True)
    assert not marker.exists()


def test_malicious_pickle_inside_a_pytorch_zip_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(_torch_zip_with(pickle.dumps(_Evil(marker), protocol=2)))
    with pytest.raises(UnsafeCheckpointError, match="only rebuilds tensors, containers and primitive types"):
        ember.load(path)
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    b"cbuiltins\neval\n(S'1+1'\ntR.",  # a builtin outside the allow-list
    b"cbuiltins\ngetattr\n(cbuiltins\nint\nS'__class__'\ntR.",
    b"\x80\x02c__main__\nMyClass\nq\x00)\x81q\x01.",  # NEWOBJ of an arbitrary class
    b"(i__main__\nThing\n.",  # INST
    b"\x80\x02ccollections\nOrderedDict\n)R}X\x09\x00\x00\x00__class__cbuiltins\nset\nsb.",  # BUILD of __class__
])
def test_other_code_paths_through_pickle_are_refused(payload):
    with pytest.raises(UnsafeCheckpointError, match="refused|Unsupported global"):
        _load_bytes(_torch_zip_with(payload))


def test_reduce_may_only_call_allow_listed_functions():
    # An OrderedDict instance called as a function: not in the allow-list of callables.
    payload = b"\x80\x02ccollections\nOrderedDict\n)R)R."
    with pytest.raises(UnsafeCheckpointError, match="refused to call"):
        _load_bytes(_torch_zip_with(payload))


def test_plain_pickles_of_containers_load():
    data = pickle.dumps({"a": [1, 2.5, "x", None, (True, b"b")], "s": {1, 2}}, protocol=4)
    assert _load_bytes(data) == {"a": [1, 2.5, "x", None, (True, b"b")], "s": {1, 2}}
