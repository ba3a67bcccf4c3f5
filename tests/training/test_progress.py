"""ember.training.progress: plain lines for logs, tqdm for terminals, silence when quiet."""

import io
import re

import numpy as np
import pytest

from ember.training.progress import ProgressBar


class _TTY(io.StringIO):
    def isatty(self):
        return True


def test_plain_path_prints_one_summary_line_per_epoch():
    stream = io.StringIO()  # not a TTY: the log-file path
    with ProgressBar(total=100, desc="epoch 1/3", stream=stream) as bar:
        for _ in range(4):
            bar.update(25, loss=np.float32(0.31234), acc=0.9)
        assert stream.getvalue() == ""  # nothing until the epoch ends
    out = stream.getvalue()
    assert "\r" not in out
    assert out.count("\n") == 1
    assert re.fullmatch(r"epoch 1/3: 100/100 samples in \d+\.\ds \(\d+ samples/s\), loss=0\.3123, acc=0\.9\n", out), out


def test_plain_line_without_total_or_desc():
    stream = io.StringIO()
    bar = ProgressBar(stream=stream, use_tqdm=False)
    bar.update(7)
    bar.close()
    bar.close()  # idempotent: still one line
    assert re.fullmatch(r"7 samples in \d+\.\ds \(\d+ samples/s\)\n", stream.getvalue()), stream.getvalue()


def test_quiet_prints_nothing_even_on_a_tty():
    for stream in (io.StringIO(), _TTY()):
        with ProgressBar(total=10, desc="epoch", stream=stream, quiet=True, log_every=0.0) as bar:
            bar.update(10, loss=1.0)
        assert stream.getvalue() == ""


def test_log_every_prints_intermediate_lines_with_eta():
    stream = io.StringIO()
    with ProgressBar(total=30, desc="train", stream=stream, log_every=0.0) as bar:
        bar.update(10, loss=2.0)
        bar.update(10, loss=1.0)
        bar.update(10)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4  # three progress lines, one summary
    assert lines[0].startswith("train: 10/30 samples") and "ETA" in lines[0] and lines[0].endswith("loss=2")
    assert lines[1].endswith("loss=1")  # postfix shows the latest value
    assert "ETA" not in lines[-1] and lines[-1].startswith("train: 30/30 samples")


def test_tty_stream_uses_tqdm():
    pytest.importorskip("tqdm")
    stream = _TTY()
    with ProgressBar(total=50, desc="epoch 2/3", stream=stream) as bar:
        assert bar._tqdm is not None
        bar.update(50, loss=0.25)
    out = stream.getvalue()
    assert "epoch 2/3" in out and "100%" in out and "loss=0.25" in out


def test_update_after_close_and_bad_total_raise():
    bar = ProgressBar(total=1, stream=io.StringIO())
    bar.close()
    with pytest.raises(RuntimeError, match="after close"):
        bar.update(1)
    with pytest.raises(ValueError, match="total must be >= 0"):
        ProgressBar(total=-1)


def test_rate_and_elapsed_are_reported():
    bar = ProgressBar(total=10, quiet=True)
    bar.update(10)
    assert bar.elapsed > 0 and bar.rate > 0
    assert bar.n == 10
