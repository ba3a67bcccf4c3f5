"""download=True against a local HTTP server: success, checksum failure, mirror fall-through."""

import functools
import hashlib
import http.server
import threading

import numpy as np
import pytest

from ember.vision import datasets as D
from ember.vision.datasets._idx import write_idx
from ember.vision.datasets.download import ChecksumError, DownloadError, download_file

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serve tmp_path/www on 127.0.0.1: good/ holds valid files, bad/ corrupted ones."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    www = tmp_path / "www"
    good, bad = www / "good", www / "bad"
    good.mkdir(parents=True)
    bad.mkdir()
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": (np.arange(10) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": np.array([3, 1, 4, 1], np.uint8),
    }
    resources = []
    for name, arr in arrays.items():
        write_idx(good / name, arr)
        data = (good / name).read_bytes()
        resources.append((name, hashlib.md5(data).hexdigest()))
        (bad / name).write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    handler = functools.partial(_Handler, directory=str(www))
    _Handler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    monkeypatch.setattr(D.MNIST, "resources", resources)
    monkeypatch.delenv("EMBER_MNIST_MIRRORS", raising=False)
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        yield base, arrays
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_fetches_verifies_and_loads(server, tmp_path, monkeypatch):
    base, arrays = server
    monkeypatch.setattr(D.MNIST, "mirrors", [base + "good/"])
    root = tmp_path / "data"
    ds = D.MNIST(root, download=True)
    np.testing.assert_array_equal(ds.data, arrays["train-images-idx3-ubyte.gz"])
    test = D.MNIST(root, train=False)  # already downloaded: no download flag needed
    np.testing.assert_array_equal(test.targets, [3, 1, 4, 1])
    assert _leftovers(root / "MNIST" / "raw") == sorted(FILES)


def test_valid_files_are_not_fetched_again(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.setattr(D.MNIST, "mirrors", [base + "good/"])
    D.MNIST(tmp_path, download=True)
    count = len(_Handler.requests)
    assert count == 4
    D.MNIST(tmp_path, download=True).download()
    assert len(_Handler.requests) == count


def test_corrupted_download_raises_checksum_error_and_leaves_nothing_behind(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.setattr(D.MNIST, "mirrors", [base + "bad/"])
    with pytest.raises(ChecksumError, match="MD5 mismatch") as info:
        D.MNIST(tmp_path, download=True)
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert _leftovers(tmp_path / "MNIST" / "raw") == []  # no partial, no temporary file


def test_a_404_mirror_falls_through_to_the_next(server, tmp_path, monkeypatch):
    base, arrays = server
    monkeypatch.setattr(D.MNIST, "mirrors", [base + "missing/", base + "good/"])
    ds = D.MNIST(tmp_path, download=True)
    np.testing.assert_array_equal(ds.data, arrays["train-images-idx3-ubyte.gz"])
    assert "/missing/train-images-idx3-ubyte.gz" in _Handler.requests


def test_a_corrupt_mirror_falls_through_to_a_good_one(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.setattr(D.MNIST, "mirrors", [base + "bad/", base + "good/"])
    assert len(D.MNIST(tmp_path, download=True)) == 10


def test_environment_variable_overrides_the_mirror_list(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.setattr(D.MNIST, "mirrors", [base + "bad/"])
    monkeypatch.setenv("EMBER_MNIST_MIRRORS", f"{base}missing/, {base}good/")
    assert len(D.MNIST(tmp_path, download=True)) == 10


def test_all_mirrors_failing_names_every_url(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError) as info:
        download_file("x.gz", [base + "nope1/", base + "nope2/"], tmp_path / "d", md5="0" * 32)
    msg = str(info.value)
    assert "nope1/x.gz" in msg and "nope2/x.gz" in msg and "404" in msg
    assert _leftovers(tmp_path / "d") == []


def test_sha256_is_checked_when_given(server, tmp_path):
    base, _ = server
    good = (tmp_path / "www" / "good" / "t10k-labels-idx1-ubyte.gz").read_bytes()
    path = download_file("t10k-labels-idx1-ubyte.gz", [base + "good/"], tmp_path / "d", sha256=hashlib.sha256(good).hexdigest())
    assert open(path, "rb").read() == good
    with pytest.raises(ChecksumError, match="SHA256"):
        download_file("t10k-images-idx3-ubyte.gz", [base + "good/"], tmp_path / "d", sha256="0" * 64)


def test_default_root_comes_from_ember_data(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_DATA", str(tmp_path))
    assert D.default_root() == str(tmp_path)
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        D.MNIST()
