"""ember.load refuses files built to exhaust memory, before allocating what they ask for."""

import io
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest

import ember
from ember.serialization import CheckpointError, UnsafeCheckpointError, _limits

MiB = 1 << 20


def _entries(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _zip(entries: dict, compressed=()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, value in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED if name in compressed else zipfile.ZIP_STORED
            with zf.open(info, "w", force_zip64=True) as f:
                if callable(value):
                    value(f)
                else:
                    f.write(value)
    return out.getvalue()


def _saved(fmt, obj=None):
    buf = io.BytesIO()
    ember.save(obj if obj is not None else {"w": ember.arange(6, dtype=ember.float32)}, buf, format=fmt)
    return buf.getvalue()


def _peak_load(data: bytes):
    tracemalloc.start()
    try:
        with pytest.raises((CheckpointError, UnsafeCheckpointError)) as e:
            ember.load(io.BytesIO(data))
        return tracemalloc.get_traced_memory()[1], e.value
    finally:
        tracemalloc.stop()


def _spaces(n):
    def write(f):
        chunk = b" " * MiB
        for _ in range(n // MiB):
            f.write(chunk)
    return write


def test_an_ember_json_that_inflates_to_hundreds_of_mib_is_refused_without_inflating_it():
    header = b'{"format":"ember","version":1,"root":null,"tensors":[],"storages":[]}'
    bomb = _zip({"ember.json": lambda f: (f.write(header), _spaces(256 * MiB)(f))}, compressed={"ember.json"})
    assert len(bomb) < 2 * MiB
    peak, err = _peak_load(bomb)
    assert peak < 8 * MiB, f"peak {peak / MiB:.0f} MiB"
    assert "ember.json" in str(err) and "refused" in str(err)


def test_metadata_above_the_bound_is_refused_even_uncompressed(monkeypatch):
    monkeypatch.setattr(_limits, "MAX_METADATA_BYTES", 100)
    data = _saved("ember", {"k": "x" * 200})
    with pytest.raises(CheckpointError, match="refused metadata of .* bytes"):
        ember.load(io.BytesIO(data))
    with pytest.raises(CheckpointError, match="data.pkl: refused metadata"):
        ember.load(io.BytesIO(_saved("torch", {"k": "x" * 200})))


def test_a_pytorch_storage_whose_size_disagrees_with_its_declared_numel_is_refused():
    entries = _entries(_saved("torch"))
    [key] = [n for n in entries if "/data/" in n and not n.endswith("serialization_id")]
    entries[key] = entries[key] + b"\0" * 8  # 6 floats declared, 8 stored
    with pytest.raises(CheckpointError, match="refused an entry of 32 bytes where the checkpoint's records need "
                                              "exactly 24"):
        ember.load(io.BytesIO(_zip(entries)))


def test_a_compressed_pytorch_storage_bomb_is_refused_before_inflating():
    n = 16 * MiB  # float32 zeros: 64 MiB that deflate to ~64 KiB
    entries = _entries(_saved("torch", {"w": ember.zeros(4)}))
    pkl = [k for k in entries if k.endswith("data.pkl")][0]
    entries[pkl] = entries[pkl].replace(b"K\x04", b"J" + n.to_bytes(4, "little"), 1)  # numel 4 -> n
    [key] = [k for k in entries if "/data/" in k and not k.endswith("serialization_id")]
    entries[key] = lambda f: [f.write(bytes(4 * MiB)) for _ in range(16)]
    peak, err = _peak_load(_zip(entries, compressed={key}))
    assert peak < 8 * MiB, f"peak {peak / MiB:.0f} MiB"
    assert "zip bomb" in str(err)


def test_an_ember_storage_whose_npy_header_claims_a_huge_shape_is_refused_before_allocating():
    entries = _entries(_saved("ember"))
    header = entries["ember.json"].replace(b'"length":6', b'"length":1000000000000')
    npy = entries["storage/0.npy"].replace(b"(6,)", b"(1000000000000,)")
    entries.update({"ember.json": header, "storage/0.npy": npy})
    peak, err = _peak_load(_zip(entries))
    assert peak < 8 * MiB
    assert "storage/0.npy" in str(err) and "refused" in str(err)


def test_an_ember_storage_whose_npy_header_disagrees_with_the_record_is_refused():
    entries = _entries(_saved("ember"))
    entries["storage/0.npy"] = entries["storage/0.npy"].replace(b"'<f4'", b"'<i4'")
    with pytest.raises(CheckpointError, match="refused a .npy header"):
        ember.load(io.BytesIO(_zip(entries)))


@pytest.mark.parametrize("name", ["bytearray", "bytes"])
def test_a_pickle_that_asks_for_a_huge_zero_filled_buffer_is_refused_not_allocated(name):
    payload = b"\x80\x02c__builtin__\n" + name.encode() + b"\n\x8a\x06\x00\x10\xa5\xd4\xe8\x00\x85R."  # name(10**12)
    peak, err = _peak_load(payload)
    assert peak < MiB
    assert f"{name}(1000000000000)" in str(err)


def test_small_byte_buffers_from_pickles_still_load():
    assert ember.load(io.BytesIO(pickle.dumps({"b": bytearray(b"ab"), "c": bytes(3)}, protocol=2))) == {
        "b": bytearray(b"ab"), "c": b"\0\0\0"}


@pytest.mark.parametrize("fmt", ["ember", "torch"])
def test_ordinary_checkpoints_still_load_exactly(fmt):
    obj = {"a": ember.randn(3, 4), "b": ember.arange(5), "v": ember.ones(6)[::2], "e": ember.zeros(0)}
    out = ember.load(io.BytesIO(_saved(fmt, obj)))
    for k in obj:
        np.testing.assert_array_equal(out[k].numpy(), obj[k].numpy())
