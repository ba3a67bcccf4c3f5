"""A save killed mid-write leaves a temporary file; the next save to that directory removes it, and only it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ember
from ember.serialization import _io

pytest.importorskip("fcntl")
SRC = str(Path(__file__).resolve().parents[2] / "src")

# A child that starts saving to `path`, says so, then waits inside atomic_write (holding its temporary).
_HOLDER = """
import sys, time
from ember.serialization._io import atomic_write
with atomic_write(sys.argv[1]) as f:
    f.write(b"x" * 1000)
    f.flush()
    print("writing", flush=True)
    time.sleep(float(sys.argv[2]))
print("done", flush=True)
"""


def _holder(path, seconds):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True,
                         env=env)
    assert p.stdout.readline().strip() == "writing"
    return p


def _temporaries(directory):
    return sorted(p.name for p in Path(directory).iterdir() if p.name.endswith(".tmp"))


def test_the_temporary_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    p = _holder(tmp_path / "a.pt", 60)
    [tmp] = _temporaries(tmp_path)
    assert tmp.startswith(".a.pt.") and tmp.endswith(".ember.tmp")
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert _temporaries(tmp_path) == [tmp]  # SIGKILL runs no cleanup
    ember.save({"w": ember.ones(2)}, tmp_path / "b.pt")
    assert _temporaries(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.pt"]


def test_a_live_writer_in_another_process_keeps_its_temporary(tmp_path):
    p = _holder(tmp_path / "a.pt", 3)
    try:
        [tmp] = _temporaries(tmp_path)
        ember.save({"w": ember.ones(2)}, tmp_path / "b.pt")
        ember.save({"w": ember.ones(2)}, tmp_path / "a.pt")
        assert tmp in _temporaries(tmp_path)
    finally:
        out, _ = p.communicate(timeout=60)
    assert p.returncode == 0 and "done" in out
    assert (tmp_path / "a.pt").read_bytes() == b"x" * 1000  # the other process's save completed untouched
    assert _temporaries(tmp_path) == []


def test_only_embers_own_names_are_cleaned(tmp_path):
    keep = [".notes.txt.abcdefgh.tmp", "x.tmp", ".a.pt.tmp", "a.pt.12345678.ember.tmp"]
    for name in keep:
        (tmp_path / name).write_bytes(b"keep")
    # a pre-lock ember temporary: removed only when old and its target exists
    old = tmp_path / ".model.pt.abcd1234.tmp"
    old.write_bytes(b"old")
    young = tmp_path / ".model.pt.wxyz5678.tmp"
    young.write_bytes(b"young")
    (tmp_path / "model.pt").write_bytes(b"")
    hour_ago = time.time() - _io.LEGACY_TMP_AGE - 60
    os.utime(old, (hour_ago, hour_ago))
    os.utime(tmp_path / keep[0], (hour_ago, hour_ago))  # old, but its target notes.txt does not exist
    ember.save({"w": ember.ones(2)}, tmp_path / "b.pt")
    assert not old.exists() and young.exists()
    assert all((tmp_path / name).exists() for name in keep)
