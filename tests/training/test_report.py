"""ember.training.report (self-contained HTML) and ember.training.csvlog (per-epoch CSV).

The CSV logger's tests live here too: both write the run directory's artifacts.
"""

import base64
import csv
import os
import stat
from html.parser import HTMLParser

import numpy as np
import pytest

from ember.training.csvlog import CSVLogger
from ember.training.report import write_report

# A real 1x1 PNG, so the test needs neither matplotlib nor PIL.
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


class _ReportParser(HTMLParser):
    """Collects section ids with their headings, image sources, table cells and any external references."""

    def __init__(self):
        super().__init__()
        self.sections: dict[str, str] = {}
        self.images: list[str] = []
        self.external: list[str] = []
        self.scripts = 0
        self.cells: list[str] = []
        self._section = None
        self._in_heading = False
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section = attrs.get("id")
            self.sections[self._section] = ""
        elif tag in ("h2",) and self._section is not None:
            self._in_heading = True
        elif tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag == "script":
            self.scripts += 1
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None and not value.startswith("data:"):
                self.external.append(value)

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_heading = False
        elif tag in ("td", "th"):
            self._in_cell = False
        elif tag == "section":
            self._section = None

    def handle_data(self, data):
        if self._in_heading:
            self.sections[self._section] += data
        if self._in_cell:
            self.cells[-1] += data


def _parse(path):
    parser = _ReportParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_report_has_every_section_and_embeds_every_image(tmp_path):
    (tmp_path / "loss.png").write_bytes(_PNG)
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "cm.png").write_bytes(_PNG + b"\x00")  # distinct bytes: each image embedded on its own
    config = {"model": "mlp", "optim": {"name": "sgd", "lr": 0.1}, "epochs": 3}
    summary = {"val_accuracy": np.float64(0.98125), "best_epoch": np.int64(2)}
    out = write_report(tmp_path, config, summary, ["loss.png", other / "cm.png"], title="MNIST run")

    assert out == tmp_path / "report.html"
    page = _parse(out)
    assert set(page.sections) == {"config", "metrics", "plots"}
    assert all(heading.strip() for heading in page.sections.values())
    assert page.images == [
        "data:image/png;base64," + base64.b64encode(_PNG).decode(),
        "data:image/png;base64," + base64.b64encode(_PNG + b"\x00").decode(),
    ]
    assert page.external == [] and page.scripts == 0  # self-contained
    # nested config flattened to dotted keys; NumPy scalars shown as plain numbers
    assert "optim.lr" in page.cells and "0.1" in page.cells
    assert "0.98125" in page.cells and "2" in page.cells


def test_report_escapes_values_keys_and_title(tmp_path):
    evil = "<script>alert('x')</script>"
    out = write_report(tmp_path, {"note": evil, evil: 1}, {"m": "a & b"}, [], title=evil)
    text = out.read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    page = _parse(out)
    assert page.scripts == 0
    assert evil in page.cells  # the parser unescapes: the value survives intact as text
    assert "a & b" in page.cells


def test_report_is_written_atomically_and_readable(tmp_path):
    (tmp_path / "report.html").write_text("old")
    write_report(tmp_path / ".", {}, {}, [])
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "report.html"]
    assert leftovers == []
    page = _parse(tmp_path / "report.html")
    assert set(page.sections) == {"config", "metrics", "plots"}
    mode = stat.S_IMODE(os.stat(tmp_path / "report.html").st_mode)
    assert mode & stat.S_IRGRP and mode & stat.S_IROTH  # not mkstemp's private 0600


def test_report_with_missing_image_raises_and_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        write_report(tmp_path, {}, {}, ["nope.png"])
    (tmp_path / "data.txt").write_text("x")
    with pytest.raises(ValueError, match="unsupported image type '.txt'"):
        write_report(tmp_path, {}, {}, ["data.txt"])
    assert not (tmp_path / "report.html").exists()


# -- CSVLogger -----------------------------------------------------------------------------------
def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_logger_round_trip_and_flushes_every_row(tmp_path):
    path = tmp_path / "logs" / "history.csv"
    log = CSVLogger(path)
    log.log({"epoch": 1, "loss": np.float32(0.5), "val_loss": 0.6})
    assert _read_csv(path) == [{"epoch": "1", "loss": "0.5", "val_loss": "0.6"}]  # readable before the next row
    log.log({"epoch": 2, "loss": 0.123456789012345, "val_loss": None})
    rows = _read_csv(path)
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert float(rows[1]["loss"]) == 0.123456789012345  # full precision survives
    assert rows[1]["val_loss"] == ""


def test_csv_logger_missing_keys_are_blank_new_keys_raise(tmp_path):
    path = tmp_path / "h.csv"
    log = CSVLogger(path)
    log.log({"epoch": 1, "loss": 1.0, "val_loss": 2.0})
    log.log({"epoch": 2, "loss": 0.9})
    with pytest.raises(ValueError, match=r"new column\(s\) \['lr'\]"):
        log.log({"epoch": 3, "loss": 0.8, "lr": 0.01})
    rows = _read_csv(path)
    assert len(rows) == 2 and rows[1]["val_loss"] == ""


def test_csv_logger_overwrites_by_default_and_appends_when_resuming(tmp_path):
    path = tmp_path / "h.csv"
    CSVLogger(path).log({"epoch": 1, "loss": 1.0})
    CSVLogger(path).log({"epoch": 1, "loss": 0.7})  # a new run replaces the old file
    assert _read_csv(path) == [{"epoch": "1", "loss": "0.7"}]
    resumed = CSVLogger(path, append=True)
    assert resumed.fieldnames == ["epoch", "loss"]
    resumed.log({"loss": 0.5, "epoch": 2})  # key order does not matter: the header does
    assert _read_csv(path) == [{"epoch": "1", "loss": "0.7"}, {"epoch": "2", "loss": "0.5"}]
    assert path.read_text().count("epoch") == 1  # one header
