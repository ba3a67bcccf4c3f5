"""Per-epoch metrics as a CSV file that is complete after every row (readable while training runs)."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ember import _faults

__all__ = ["CSVLogger"]


def _cell(value: Any) -> Any:
    """A value the csv module writes faithfully: scalars unwrapped, ``None`` as an empty cell."""
    if value is None:
        return ""
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            return item()  # NumPy scalars, 0-d arrays, one-element tensors
        except (TypeError, ValueError, RuntimeError):
            pass  # not a one-element value: fall back to str() via the csv module
    return value


class CSVLogger:
    """Append one row per epoch to a CSV file, flushed to disk as soon as it is logged.

    The columns are the keys of the first row, in order. Later rows may leave columns out
    (written as empty cells, e.g. validation metrics on epochs without validation), but a key
    the header does not have raises ``ValueError``: a CSV cannot grow a column without
    rewriting the file, and silently dropping a metric would be worse. Log every key you will
    need from the first epoch (with ``None`` if there is no value yet).

    Each row is written by opening the file in append mode and closing it again, so the file is
    always complete and nothing is lost if the process is killed; at one row per epoch the cost
    is negligible.

    Args:
        path: the CSV file; parent directories are created.
        append: keep an existing file and continue it (resuming a run; its header is reused).
            With ``False`` (default) an existing file is replaced by the first row logged.
    """

    def __init__(self, path: str | os.PathLike, append: bool = False) -> None:
        self.path = Path(path)
        self.fieldnames: list[str] | None = None
        self._fresh = not append
        if append and self.path.exists() and self.path.stat().st_size > 0:
            with self.path.open(newline="", encoding="utf-8") as f:
                header = next(csv.reader(f), None)
            if header:
                self.fieldnames = header

    def log(self, row: Mapping[str, Any]) -> None:
        """Append ``row`` (column name -> value); the first row fixes the header."""
        if not isinstance(row, Mapping) or not row:
            raise ValueError(f"CSVLogger.log: expected a non-empty mapping of column -> value, got {row!r}")
        row = {str(k): _cell(v) for k, v in row.items()}
        write_header = False
        if self.fieldnames is None or self._fresh:
            if self.fieldnames is None:
                self.fieldnames = list(row)
            write_header = True
        extra = [k for k in row if k not in self.fieldnames]
        if extra:
            raise ValueError(
                f"CSVLogger.log: {self.path} has columns {self.fieldnames}; got new column(s) {extra}. "
                "Columns are fixed by the first row: include every key from the first epoch (None if no value yet)."
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        mode = "w" if self._fresh else "a"
        _faults.write_point(str(self.path))
        with self.path.open(mode, newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=self.fieldnames, restval="")
            if write_header:
                writer.writeheader()
            writer.writerow(row)
            f.flush()
        self._fresh = False

    def __repr__(self) -> str:
        return f"CSVLogger({str(self.path)!r})"
