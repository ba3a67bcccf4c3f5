"""Saving to a path is atomic: a failed save leaves the previous file intact and no temp file."""

import os
import stat

import numpy as np
import pickle

import pytest

import ember
from ember.serialization import _native, _torch


def _previous(tmp_path):
    path = tmp_path / "model.pt"
    ember.save({"w": ember.ones(3)}, path)
    return path, path.read_bytes()


def _assert_intact(tmp_path, path, before):
    assert path.read_bytes() == before
    np.testing.assert_array_equal(ember.load(path)["w"].numpy(), [1, 1, 1])
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name], "no temporary file left behind"


def test_unsupported_object_after_some_tensors_leaves_the_previous_file(tmp_path):
    path, before = _previous(tmp_path)
    with pytest.raises((pickle.PicklingError, AttributeError)):  # a lambda can't be pickled
        ember.save({"a": ember.zeros(100), "b": ember.zeros(5), "bad": lambda: 0}, path)
    _assert_intact(tmp_path, path, before)


@pytest.mark.parametrize("fmt, module", [("ember", _native), ("torch", _torch)])
def test_failure_midway_through_writing_arrays_leaves_the_previous_file(tmp_path, monkeypatch, fmt, module):
    path, before = _previous(tmp_path)
    written = []

    if fmt == "ember":
        real = _native.write_npy

        def failing(zf, name, array):
            if written:
                raise OSError("disk full")
            written.append(name)
            real(zf, name, array)

        monkeypatch.setattr(_native, "write_npy", failing)
    else:
        real = _torch._write_aligned

        def failing(zf, name, data):
            if "/data/" in name and written:
                raise OSError("disk full")
            written.append(name)
            real(zf, name, data)

        monkeypatch.setattr(_torch, "_write_aligned", failing)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"a": ember.zeros(100), "b": ember.ones(7), "c": ember.ones(2, dtype=ember.int64)}, path, format=fmt)
    assert written, "the failure happened after the first array was written"
    _assert_intact(tmp_path, path, before)


def test_interrupt_during_replace_keeps_the_old_file(tmp_path, monkeypatch):
    path, before = _previous(tmp_path)

    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        ember.save({"w": ember.zeros(3)}, path)
    monkeypatch.undo()
    _assert_intact(tmp_path, path, before)


def test_successful_save_replaces_the_file_and_fsyncs(tmp_path, monkeypatch):
    path, _ = _previous(tmp_path)
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    ember.save({"w": ember.zeros(3)}, path)
    assert len(synced) >= 2, "the file and its directory are fsynced"
    np.testing.assert_array_equal(ember.load(path)["w"].numpy(), [0, 0, 0])
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_new_files_get_normal_permissions_and_overwrites_keep_them(tmp_path):
    path = tmp_path / "new.pt"
    ember.save(1, path)
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o044, "readable by others, as open() would make it (umask 022)"
    os.chmod(path, 0o640)
    ember.save(2, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
