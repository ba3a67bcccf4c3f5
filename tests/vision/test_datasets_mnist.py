"""The IDX reader and the MNIST family reading IDX, npz and CSV copies from disk."""

import gzip
import os
import zipfile

import numpy as np
import pytest

import ember
from ember.vision import datasets as D
from ember.vision import transforms as T
from ember.vision.datasets._idx import parse_idx, read_idx, write_idx


def _images(n=10, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def _labels(n=10):
    return (np.arange(n) % 10).astype(np.uint8)


def _write_mnist(folder, prefix="", gz=True, n_train=10, n_test=4):
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    out = {}
    for split, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        x, y = _images(n, seed), _labels(n)
        write_idx(folder / f"{prefix}{split}-images-idx3-ubyte{ext}", x)
        write_idx(folder / f"{prefix}{split}-labels-idx1-ubyte{ext}", y)
        out[split] = (x, y)
    return out


# ------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, arr)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype).newbyteorder("=") and back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back, arr)


def test_idx_header_is_big_endian_with_the_standard_magic(tmp_path):
    write_idx(tmp_path / "l", np.array([7, 2], np.uint8))
    assert (tmp_path / "l").read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 2])


def test_idx_bad_magic_is_reported():
    with pytest.raises(ValueError, match="not an IDX file: magic number 0x504b0304"):
        parse_idx(b"PK\x03\x04" + b"\0" * 20, "x.zip")


def test_idx_truncated_file_says_how_many_bytes_are_missing(tmp_path):
    raw = bytes([0, 0, 8, 3]) + (3).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"\0" * 100
    (tmp_path / "t").write_bytes(raw)
    with pytest.raises(ValueError, match=r"truncated IDX file.*\(3, 28, 28\).*2352 bytes.*100 bytes follow"):
        read_idx(tmp_path / "t")


def test_idx_truncated_gzip_is_reported(tmp_path):
    good = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 1, 0]) + bytes(range(256)) * 1)
    (tmp_path / "t.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(tmp_path / "t.gz")


# ------------------------------------------------------------------------- MNIST from disk


def test_mnist_reads_gzipped_idx_from_root_mnist_raw(tmp_path):
    written = _write_mnist(tmp_path / "MNIST" / "raw")
    train = D.MNIST(tmp_path)
    test = D.MNIST(tmp_path, train=False)
    assert len(train) == 10 and len(test) == 4
    assert train.data.dtype == ember.uint8 and tuple(train.data.shape) == (10, 28, 28)  # tensors, as torchvision
    assert train.targets.dtype == ember.int64
    np.testing.assert_array_equal(train.data, written["train"][0])
    np.testing.assert_array_equal(test.targets, written["t10k"][1])
    assert train.classes[3] == "3 - three" and train.class_to_idx["3 - three"] == 3


def test_mnist_items_are_pil_images_with_int_targets_and_transforms_apply(tmp_path):
    pytest.importorskip("PIL")
    written = _write_mnist(tmp_path, gz=False)  # plain IDX directly in root
    ds = D.MNIST(tmp_path)
    img, target = ds[2]
    assert img.mode == "L" and img.size == (28, 28)
    assert target == 2 and isinstance(target, int)
    np.testing.assert_array_equal(np.asarray(img), written["train"][0][2])
    tds = D.MNIST(tmp_path, transform=T.ToTensor(), target_transform=lambda y: y + 100)
    x, y = tds[2]
    assert tuple(x.shape) == (1, 28, 28) and y == 102
    np.testing.assert_allclose(x.numpy()[0], written["train"][0][2] / 255.0, rtol=1e-6)


def test_mnist_reads_keras_npz(tmp_path):
    x_train, x_test = _images(6), _images(3, 1)
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=_labels(6), x_test=x_test, y_test=_labels(3))
    np.testing.assert_array_equal(D.MNIST(tmp_path).data, x_train)
    np.testing.assert_array_equal(D.MNIST(tmp_path, train=False).data, x_test)


def test_mnist_npz_with_missing_arrays_names_the_keys(tmp_path):
    np.savez(tmp_path / "mnist.npz", images=_images(2))
    with pytest.raises(KeyError, match="x_train, y_train.*found images"):
        D.MNIST(tmp_path)


@pytest.mark.parametrize("header", [True, False])
def test_mnist_reads_csv_with_or_without_header(tmp_path, header):
    x, y = _images(5), _labels(5)
    rows = np.concatenate([y[:, None].astype(int), x.reshape(5, -1).astype(int)], axis=1)
    head = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)) + "\n" if header else ""
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "mnist_train.csv").write_text(head + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    ds = D.MNIST(tmp_path)
    np.testing.assert_array_equal(ds.data, x)
    np.testing.assert_array_equal(ds.targets, y)


def test_missing_mnist_error_lists_files_folders_and_download_hint(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        D.MNIST(tmp_path, train=False)
    msg = str(info.value)
    assert "t10k-images-idx3-ubyte[.gz]" in msg and "mnist.npz" in msg and "mnist_test.csv" in msg
    assert str(tmp_path / "MNIST" / "raw") in msg and "download=True" in msg


def test_class_specific_folders_win_over_bare_root(tmp_path):
    # the same IDX names are used by MNIST and Fashion-MNIST: a FashionMNIST folder must win
    _write_mnist(tmp_path, n_train=3)
    fashion = _write_mnist(tmp_path / "FashionMNIST" / "raw", n_train=7)
    ds = D.FashionMNIST(tmp_path)
    assert len(ds) == 7 and ds.classes[9] == "Ankle boot"
    np.testing.assert_array_equal(ds.data, fashion["train"][0])
    assert len(D.MNIST(tmp_path)) == 3


def test_mismatched_image_and_label_counts_are_reported(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", _images(5))
    write_idx(tmp_path / "train-labels-idx1-ubyte", _labels(4))
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        D.MNIST(tmp_path)


def test_kmnist_reads_its_own_npz_pair(tmp_path):
    x = _images(4)
    np.savez_compressed(tmp_path / "kmnist-train-imgs.npz", x)
    np.savez_compressed(tmp_path / "kmnist-train-labels.npz", _labels(4))
    ds = D.KMNIST(tmp_path)
    np.testing.assert_array_equal(ds.data, x)
    assert ds.classes[0] == "o"


def test_emnist_reads_split_files_and_sets_split_classes(tmp_path):
    raw = tmp_path / "EMNIST" / "raw"
    _write_mnist(raw, prefix="emnist-letters-", n_train=5)
    # EMNIST's test files are named "test", not "t10k"
    for kind in ("images-idx3", "labels-idx1"):
        (raw / f"emnist-letters-t10k-{kind}-ubyte.gz").rename(raw / f"emnist-letters-test-{kind}-ubyte.gz")
    ds = D.EMNIST(tmp_path, split="letters")
    assert len(ds) == 5 and ds.classes[:3] == ["N/A", "a", "b"] and len(ds.classes) == 27
    assert len(D.EMNIST(tmp_path, split="letters", train=False)) == 4
    assert len(D.EMNIST.classes_split_dict["balanced"]) == 47
    with pytest.raises(ValueError, match="byclass"):
        D.EMNIST(tmp_path, split="nope")


def test_emnist_download_unpacks_the_zip(tmp_path, monkeypatch):
    # no network: pretend the archive was fetched by patching the file fetcher
    from ember.vision.datasets import mnist as mnist_module

    members = {}
    for name, arr in (("emnist-digits-train-images-idx3-ubyte.gz", _images(3)), ("emnist-digits-train-labels-idx1-ubyte.gz", _labels(3))):
        path = tmp_path / name
        write_idx(path, arr)
        members[f"gzip/{name}"] = path.read_bytes()
        path.unlink()

    def fake_download(filename, mirrors, directory, md5=None, sha256=None, timeout=0):
        os.makedirs(directory, exist_ok=True)
        target = os.path.join(directory, filename)
        with zipfile.ZipFile(target, "w") as zf:
            for arcname, data in members.items():
                zf.writestr(arcname, data)
        return target

    monkeypatch.setattr(mnist_module, "download_file", fake_download)
    ds = D.EMNIST(tmp_path, split="digits", download=True)
    assert len(ds) == 3
    assert not (tmp_path / "EMNIST" / "raw" / "gzip.zip").exists()
