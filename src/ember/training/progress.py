"""A per-epoch progress bar: tqdm on a terminal, one plain line per epoch in logs.

A live bar redraws with carriage returns, which a terminal shows as one updating line but a log
file or CI console keeps as thousands of fragments. So the bar is drawn only when tqdm is
installed and the stream is a TTY; otherwise the epoch is reported once, when it ends.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from typing import Self  # 3.11+, but only type checkers import it

__all__ = ["ProgressBar"]


def _format_postfix_value(value: Any) -> str:
    item = getattr(value, "item", None)
    if callable(item):
        try:
            value = item()  # NumPy scalars, one-element arrays and tensors
        except (TypeError, ValueError, RuntimeError):
            pass  # not a one-element value: fall through to str()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _format_duration(seconds: float) -> str:
    """``42.0s``, ``3m07s`` or ``1h02m03s``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # closed or detached streams
        return False


class ProgressBar:
    """Progress of one epoch, counted in samples, with throughput, ETA and postfix values.

    Use one bar per epoch::

        with ProgressBar(total=len(dataset), desc=f"epoch {e}/{epochs}") as bar:
            for x, y in loader:
                ...
                bar.update(len(x), loss=running_loss)

    On a terminal with tqdm installed this is a live tqdm bar (samples/s and ETA are tqdm's).
    Otherwise, at ``close()``, it prints one line such as
    ``epoch 1/10: 60000/60000 samples in 12.3s (4878 samples/s), loss=0.3124`` and, if
    ``log_every`` seconds is set, a progress line with ETA at most that often in between.

    Args:
        total: samples expected this epoch (``None`` if unknown: no ETA).
        desc: prefix, e.g. ``"epoch 3/10"``.
        stream: where to write (default ``sys.stderr``, read at construction).
        quiet: print nothing at all.
        use_tqdm: force the tqdm bar (``True``) or the plain lines (``False``); ``None`` decides
            from whether tqdm is importable and ``stream`` is a TTY.
        log_every: seconds between intermediate plain lines; ``None`` for only the final line.
        unit: what ``n`` counts, used in the messages.
    """

    def __init__(
        self,
        total: int | None = None,
        desc: str = "",
        stream: TextIO | None = None,
        quiet: bool = False,
        use_tqdm: bool | None = None,
        log_every: float | None = None,
        unit: str = "samples",
    ) -> None:
        if total is not None and total < 0:
            raise ValueError(f"ProgressBar: total must be >= 0 or None, got {total}")
        self.total = total
        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        self.log_every = log_every
        self.unit = unit
        self.n = 0
        self.postfix: dict[str, Any] = {}
        self.closed = False
        self._start = time.perf_counter()
        self._last_log = self._start
        self._tqdm = None
        if quiet:
            return
        if use_tqdm is None:
            use_tqdm = _is_tty(self.stream)
        if use_tqdm:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None  # plain lines instead: the bar is a nicety, not a requirement
            if tqdm is not None:
                unit_singular = unit.removesuffix("s")
                self._tqdm = tqdm(
                    total=total,
                    desc=desc or None,
                    file=self.stream,
                    unit=unit_singular,
                    unit_scale=True,
                    dynamic_ncols=True,
                    leave=True,
                )

    def update(self, n: int = 1, **postfix: Any) -> None:
        """Record ``n`` more samples done; keyword values (e.g. ``loss=0.31``) replace the shown postfix."""
        if self.closed:
            raise RuntimeError("ProgressBar.update() called after close()")
        self.n += n
        self.postfix.update(postfix)
        if self._tqdm is not None:
            if postfix:
                self._tqdm.set_postfix({k: _format_postfix_value(v) for k, v in self.postfix.items()}, refresh=False)
            self._tqdm.update(n)
        elif not self.quiet and self.log_every is not None:
            now = time.perf_counter()
            if now - self._last_log >= self.log_every:
                self._last_log = now
                self._print(self._line(final=False, now=now))

    @property
    def elapsed(self) -> float:
        """Seconds since the bar was created."""
        return time.perf_counter() - self._start

    @property
    def rate(self) -> float:
        """Throughput so far, in units per second."""
        elapsed = self.elapsed
        return self.n / elapsed if elapsed > 0 else 0.0

    def _line(self, final: bool, now: float | None = None) -> str:
        elapsed = (time.perf_counter() if now is None else now) - self._start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        count = f"{self.n}/{self.total}" if self.total is not None else f"{self.n}"
        parts = [f"{count} {self.unit} in {_format_duration(elapsed)} ({rate:.0f} {self.unit}/s"]
        if not final and self.total is not None and rate > 0:
            parts[0] += f", ETA {_format_duration(max(self.total - self.n, 0) / rate)}"
        parts[0] += ")"
        parts += [f"{k}={_format_postfix_value(v)}" for k, v in self.postfix.items()]
        prefix = f"{self.desc}: " if self.desc else ""
        return prefix + ", ".join(parts)

    def _print(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Finish the bar (prints the summary line on the plain path); later calls do nothing."""
        if self.closed:
            return
        self.closed = True
        if self._tqdm is not None:
            self._tqdm.close()
        elif not self.quiet:
            self._print(self._line(final=True))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ProgressBar(desc={self.desc!r}, n={self.n}, total={self.total})"
