"""torchvision's dataset surface: CIFAR-10/100 pickles, SVHN .mat files, FakeData, MNIST's tensor attributes."""

import functools
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading

import numpy as np
import pytest

import ember
from ember.vision import datasets as D
from ember.vision import transforms as T
from ember.vision.datasets._idx import write_idx
from ember.vision.datasets._safe_pickle import load_array_pickle
from ember.vision.datasets.download import DownloadError

Image = pytest.importorskip("PIL.Image")


def _dump(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def _write_cifar10(folder, n_per_batch=3, seed=0):
    """CIFAR-10's python layout with tiny batches; returns the rows and labels per split."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = {"train": ([], []), "test": ([], [])}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        rows = rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n_per_batch)]
        _dump(folder / name, {"batch_label": "x", "labels": labels, "data": rows, "filenames": [f"{i}.png" for i in labels]})
        split = out["test" if name == "test_batch" else "train"]
        split[0].append(rows)
        split[1].extend(labels)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    _dump(folder / "batches.meta", {"label_names": names, "num_cases_per_batch": n_per_batch, "num_vis": 3072})
    return {k: (np.vstack(v[0]), v[1]) for k, v in out.items()}


def test_cifar10_reads_torchvisions_layout_with_torchvisions_types(tmp_path):
    written = _write_cifar10(tmp_path / "cifar-10-batches-py")
    train = D.CIFAR10(tmp_path, train=True)
    test = D.CIFAR10(str(tmp_path), train=False)
    assert len(train) == 15 and len(test) == 3
    rows, labels = written["train"]
    # rows are R, G, B planes of 32x32: data is N x H x W x C (HWC numpy, as torchvision)
    expected = np.stack([np.stack([r[c * 1024 : (c + 1) * 1024].reshape(32, 32) for c in range(3)], -1) for r in rows])
    assert isinstance(train.data, np.ndarray) and train.data.dtype == np.uint8
    np.testing.assert_array_equal(train.data, expected)
    assert train.targets == labels and isinstance(train.targets, list)
    assert train.classes[3] == "cat" and train.class_to_idx["truck"] == 9
    img, label = train[4]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(img), expected[4])
    assert label == labels[4] and type(label) is int
    t, _ = D.CIFAR10(tmp_path, transform=T.ToTensor())[1]
    np.testing.assert_allclose(t.numpy(), rows[1].reshape(3, 32, 32) / 255.0, rtol=0, atol=1e-7)
    assert "Split: Test" in repr(test)


def test_cifar100_uses_fine_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
    _dump(folder / "train", {"data": rows, "fine_labels": [5, 99, 0, 7], "coarse_labels": [1, 2, 3, 4]})
    _dump(folder / "test", {"data": rows[:2], "fine_labels": [1, 2], "coarse_labels": [0, 0]})
    _dump(folder / "meta", {"fine_label_names": [f"c{i}" for i in range(100)], "coarse_label_names": ["a"] * 20})
    ds = D.CIFAR100(tmp_path)
    assert ds.targets == [5, 99, 0, 7] and len(ds.classes) == 100 and ds.classes[99] == "c99"
    assert ds.data.shape == (4, 32, 32, 3)
    assert D.CIFAR100(tmp_path, train=False).targets == [1, 2]


def test_cifar_pickles_cannot_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.getcwd, ())  # harmless here, but any callable could be named

    folder = tmp_path / "cifar-10-batches-py"
    _write_cifar10(folder)
    _dump(folder / "data_batch_2", {"data": Evil(), "labels": []})
    with pytest.raises(pickle.UnpicklingError, match="refusing to load posix.getcwd"):
        D.CIFAR10(tmp_path)
    # the allowed path still rebuilds arrays, including protocol 5's buffers
    arr = np.arange(12, dtype=np.int16).reshape(3, 4)
    (tmp_path / "p5").write_bytes(pickle.dumps({"a": arr}, protocol=5))
    np.testing.assert_array_equal(load_array_pickle(str(tmp_path / "p5"))["a"], arr)


def test_cifar_missing_files_say_what_and_where(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"CIFAR10: data_batch_1, .*test_batch, batches.meta not found.*download=True"):
        D.CIFAR10(tmp_path)


@pytest.fixture
def http_root(tmp_path, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_cifar10_download_fetches_checks_and_unpacks(http_root, tmp_path, monkeypatch):
    www, base = http_root
    src = tmp_path / "src" / "cifar-10-batches-py"
    written = _write_cifar10(src)
    members = {f"cifar-10-batches-py/{p.name}": p.read_bytes() for p in sorted(src.iterdir())}
    md5 = _tar(www / "cifar-10-python.tar.gz", members)
    monkeypatch.setattr(D.CIFAR10, "mirrors", [base])
    monkeypatch.setattr(D.CIFAR10, "tgz_md5", md5)
    root = tmp_path / "data"
    ds = D.CIFAR10(root, train=False, download=True)
    assert ds.targets == written["test"][1]
    assert sorted(os.listdir(root)) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]  # no temporary left
    monkeypatch.setattr(D.CIFAR10, "tgz_md5", "0" * 32)
    D.CIFAR10(root, download=True)  # complete copy present: nothing fetched, nothing checked


def test_cifar_download_refuses_archive_members_outside_its_folder(http_root, tmp_path, monkeypatch):
    www, base = http_root
    md5 = _tar(www / "cifar-10-python.tar.gz", {"cifar-10-batches-py/../../escape.txt": b"x"})
    monkeypatch.setattr(D.CIFAR10, "mirrors", [base])
    monkeypatch.setattr(D.CIFAR10, "tgz_md5", md5)
    root = tmp_path / "data"
    with pytest.raises(ValueError, match="refusing to extract"):
        D.CIFAR10(root, download=True)
    assert not (tmp_path / "escape.txt").exists()
    assert sorted(os.listdir(root)) == ["cifar-10-python.tar.gz"]


def test_download_without_network_fails_with_one_line(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(D.CIFAR10, "mirrors", [f"http://127.0.0.1:{port}/"])
    monkeypatch.delenv("EMBER_CIFAR_MIRRORS", raising=False)
    with pytest.raises(DownloadError) as info:
        D.CIFAR10(tmp_path, download=True)
    msg = str(info.value)
    assert "\n" not in msg and "cifar-10-python.tar.gz" in msg and str(tmp_path) in msg


def test_svhn_reads_mat_files_like_torchvision(tmp_path):
    sio = pytest.importorskip("scipy.io")
    rng = np.random.default_rng(2)
    X = rng.integers(0, 256, (32, 32, 3, 5), dtype=np.uint8)  # H x W x C x N, as the files store it
    y = np.array([[10], [1], [2], [10], [9]], dtype=np.uint8)
    sio.savemat(tmp_path / "test_32x32.mat", {"X": X, "y": y})
    ds = D.SVHN(tmp_path, split="test")
    assert ds.data.shape == (5, 3, 32, 32) and ds.data.dtype == np.uint8
    np.testing.assert_array_equal(ds.data[2], X[..., 2].transpose(2, 0, 1))
    np.testing.assert_array_equal(ds.labels, [0, 1, 2, 0, 9])
    img, label = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and label == 0
    np.testing.assert_array_equal(np.asarray(img), X[..., 3])
    with pytest.raises(ValueError, match="Unknown value 'val' for argument split"):
        D.SVHN(tmp_path, split="val")
    with pytest.raises(FileNotFoundError, match="train_32x32.mat not found"):
        D.SVHN(tmp_path)


def test_svhn_without_scipy_names_the_extra(tmp_path, monkeypatch):
    import builtins

    (tmp_path / "train_32x32.mat").write_bytes(b"")
    real_import = builtins.__import__

    def no_scipy(name, *args, **kwargs):
        if name.startswith("scipy"):
            raise ImportError("No module named 'scipy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_scipy)
    with pytest.raises(ImportError, match="pip install scipy"):
        D.SVHN(tmp_path)


def test_fakedata_is_deterministic_per_index_and_leaves_the_global_rng_alone():
    ds = D.FakeData(size=6, image_size=(3, 8, 10), num_classes=4)
    assert len(ds) == 6
    ember.manual_seed(123)
    expected_next = ember.rand(3).numpy()
    ember.manual_seed(123)
    a_img, a_label = ds[2]
    np.testing.assert_array_equal(ember.rand(3).numpy(), expected_next)  # the global stream is untouched
    b_img, b_label = ds[2]
    assert isinstance(a_img, Image.Image) and a_img.size == (10, 8) and a_img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(a_img), np.asarray(b_img))
    assert a_label == b_label and 0 <= a_label < 4 and type(a_label) is int
    assert not np.array_equal(np.asarray(ds[3][0]), np.asarray(a_img))
    # item i is the draw of seed i + random_offset
    shifted = D.FakeData(size=6, image_size=(3, 8, 10), num_classes=4, random_offset=1)
    np.testing.assert_array_equal(np.asarray(shifted[1][0]), np.asarray(a_img))
    ember.manual_seed(2)
    raw = ember.randn(3, 8, 10).numpy()
    np.testing.assert_array_equal(np.asarray(a_img), np.clip(raw * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0))
    gray, _ = D.FakeData(2, (1, 5, 5), transform=T.ToTensor())[0]
    assert tuple(gray.shape) == (1, 5, 5)
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[6]


def test_mnist_data_and_targets_are_tensors_and_can_be_subset(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    labels = np.array([5, 0, 4, 1, 9, 2], np.uint8)
    write_idx(raw / "train-images-idx3-ubyte", images)
    write_idx(raw / "train-labels-idx1-ubyte", labels)
    ds = D.MNIST(tmp_path, train=True, download=False)
    assert isinstance(ds.data, ember.Tensor) and ds.data.dtype == ember.uint8
    assert isinstance(ds.targets, ember.Tensor) and ds.targets.dtype == ember.int64
    np.testing.assert_array_equal(ds.data.numpy(), images)
    # the common torchvision idiom: keep a subset by filtering .data / .targets
    keep = ds.targets < 5
    ds.data, ds.targets = ds.data[keep], ds.targets[keep]
    assert len(ds) == 4
    img, label = ds[3]
    np.testing.assert_array_equal(np.asarray(img), images[5])
    assert label == 2
    x = ds.data.float().div(255)  # what scripts do for whole-dataset tensors
    np.testing.assert_allclose(x.numpy(), images[[1, 2, 3, 5]] / np.float32(255), rtol=1e-6)


def test_mnist_keeps_torchvisions_deprecated_names(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "t10k-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    write_idx(raw / "t10k-labels-idx1-ubyte", np.array([7, 1], np.uint8))
    ds = D.MNIST(tmp_path, train=False)
    with pytest.warns(UserWarning, match="test_labels has been renamed targets"):
        assert ds.test_labels.tolist() == [7, 1]
    with pytest.warns(UserWarning, match="train_data has been renamed data"):
        assert tuple(ds.train_data.shape) == (2, 28, 28)


def test_datasets_utils_download_check_and_extract(http_root, tmp_path):
    from ember.vision.datasets import utils as U
    from ember.vision.datasets.download import ChecksumError

    www, base = http_root
    (www / "blob.bin").write_bytes(b"hello ember")
    md5 = hashlib.md5(b"hello ember").hexdigest()
    U.download_url(base + "blob.bin", tmp_path / "d", md5=md5)
    assert (tmp_path / "d" / "blob.bin").read_bytes() == b"hello ember"
    assert U.check_integrity(tmp_path / "d" / "blob.bin", md5) and not U.check_integrity(tmp_path / "d" / "blob.bin", "0" * 32)
    U.download_url(base + "blob.bin", tmp_path / "d", filename="renamed.dat")
    assert (tmp_path / "d" / "renamed.dat").read_bytes() == b"hello ember"
    with pytest.raises(ChecksumError):
        U.download_url(base + "blob.bin", tmp_path / "e", md5="0" * 32)
    assert not (tmp_path / "e" / "blob.bin").exists()
    with pytest.raises(DownloadError, match="missing.bin"):
        U.download_url(base + "missing.bin", tmp_path / "e", filename="other.bin")

    _tar(www / "pack.tar.gz", {"pack/a.txt": b"A", "pack/sub/b.txt": b"B"})
    U.download_and_extract_archive(base + "pack.tar.gz", tmp_path / "dl", extract_root=tmp_path / "out")
    assert (tmp_path / "out" / "pack" / "sub" / "b.txt").read_bytes() == b"B"
    assert sorted(U.list_dir(tmp_path / "out" / "pack")) == ["sub"]
    assert U.list_files(tmp_path / "out" / "pack", ".txt") == ["a.txt"]

    import gzip
    import zipfile

    with zipfile.ZipFile(tmp_path / "z.zip", "w") as zf:
        zf.writestr("z/c.txt", "C")
    assert U.extract_archive(tmp_path / "z.zip", tmp_path / "zout") == str(tmp_path / "zout")
    assert (tmp_path / "zout" / "z" / "c.txt").read_text() == "C"
    with gzip.open(tmp_path / "g.txt.gz", "wb") as f:
        f.write(b"G")
    U.extract_archive(tmp_path / "g.txt.gz", remove_finished=True)
    assert (tmp_path / "g.txt").read_bytes() == b"G" and not (tmp_path / "g.txt.gz").exists()
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("../evil.txt", "x")
    with pytest.raises(ValueError, match="refusing to extract '../evil.txt'"):
        U.extract_archive(tmp_path / "evil.zip", tmp_path / "eout")
    assert not (tmp_path / "evil.txt").exists()


def test_verify_str_arg_messages():
    from ember.vision.datasets.utils import verify_str_arg

    assert verify_str_arg("train", "split", ("train", "test")) == "train"
    with pytest.raises(ValueError, match=r"Unknown value 'val' for argument split. Valid values are \{'train', 'test'\}."):
        verify_str_arg("val", "split", ("train", "test"))
    with pytest.raises(ValueError, match="Expected type str for argument split"):
        verify_str_arg(3, "split")


def test_vision_dataset_base_takes_torchvisions_arguments():
    class Pairs(D.VisionDataset):
        def __init__(self, root, transforms=None, transform=None, target_transform=None):
            super().__init__(root, transforms, transform, target_transform)  # torchvision's positional order

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return self.transforms(i, i * 10) if self.transforms is not None else (i, i * 10)

    assert Pairs("r", transform=lambda x: x + 1, target_transform=str)[1] == (2, "10")
    assert Pairs("r", transforms=lambda x, y: (y, x))[1] == (10, 1)
    assert Pairs("r")[1] == (1, 10)
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        Pairs("r", transforms=lambda x, y: (x, y), transform=str)


def test_svhn_download_from_a_local_server(http_root, tmp_path, monkeypatch):
    sio = pytest.importorskip("scipy.io")
    www, base = http_root
    X = np.random.default_rng(5).integers(0, 256, (32, 32, 3, 2), dtype=np.uint8)
    sio.savemat(www / "test_32x32.mat", {"X": X, "y": np.array([[3], [10]], np.uint8)})
    md5 = hashlib.md5((www / "test_32x32.mat").read_bytes()).hexdigest()
    monkeypatch.setattr(D.SVHN, "mirrors", [base])
    monkeypatch.setattr(D.SVHN, "split_list", {**D.SVHN.split_list, "test": ["test_32x32.mat", md5]})
    ds = D.SVHN(tmp_path / "svhn", split="test", download=True)
    np.testing.assert_array_equal(ds.labels, [3, 0])
    np.testing.assert_array_equal(ds.data[1], X[..., 1].transpose(2, 0, 1))
