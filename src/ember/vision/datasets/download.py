"""Fetching data files: mirrors tried in turn, checksums verified, atomic writes (urllib only).

The default data folder is ``$EMBER_DATA`` if set, else ``~/.cache/ember``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence

_CHUNK = 1 << 16
DEFAULT_TIMEOUT = 30.0


class ChecksumError(RuntimeError):
    """A downloaded (or existing) file does not have the expected checksum."""


class DownloadError(RuntimeError):
    """No mirror could deliver a file."""


def default_root() -> str:
    """Where datasets live when no ``root`` is given: ``$EMBER_DATA`` or ``~/.cache/ember``."""
    return os.environ.get("EMBER_DATA") or os.path.join(os.path.expanduser("~"), ".cache", "ember")


def mirrors_from_env(variable: str, default: Sequence[str]) -> list[str]:
    """Base URLs from ``$variable`` (separated by commas or whitespace) if set, else ``default``."""
    value = os.environ.get(variable, "").strip()
    if value:
        return [m for m in re.split(r"[,\s]+", value) if m]
    return list(default)


def file_digest(path: str | os.PathLike, algorithm: str = "md5") -> str:
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _expected(md5: str | None, sha256: str | None) -> tuple[str, str] | None:
    if sha256 is not None:
        return "sha256", sha256.lower()
    if md5 is not None:
        return "md5", md5.lower()
    return None


def check_integrity(path: str | os.PathLike, md5: str | None = None, sha256: str | None = None) -> bool:
    """True if ``path`` exists and matches the given checksum (any existing file when none is given)."""
    if not os.path.isfile(path):
        return False
    expected = _expected(md5, sha256)
    return expected is None or file_digest(path, expected[0]) == expected[1]


class _NoProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int | None, desc: str):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoProgress()
    # disable=None: draw only on a terminal, stay quiet in logs and test runs.
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, disable=None, leave=False)


def _url(base: str, filename: str) -> str:
    return base if base.endswith(filename) else base.rstrip("/") + "/" + filename


def _fetch(url: str, final: str, expected: tuple[str, str] | None, timeout: float) -> None:
    """Stream ``url`` into a temporary file beside ``final``, verify it, then rename it into place."""
    directory, filename = os.path.split(final)
    fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=directory)
    try:
        h = hashlib.new(expected[0]) if expected else None
        request = urllib.request.Request(url, headers={"User-Agent": "ember (python urllib)"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            bar = _progress(int(length) if length and length.isdigit() else None, filename)
            try:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    if h is not None:
                        h.update(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
        if expected and h.hexdigest() != expected[1]:
            raise ChecksumError(
                f"{url}: {expected[0].upper()} mismatch: expected {expected[1]}, got {h.hexdigest()} "
                "(the download was discarded)"
            )
        os.replace(tmp, final)  # atomic on one filesystem: readers never see a half-written file
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def download_file(
    filename: str,
    mirrors: Sequence[str],
    directory: str | os.PathLike,
    md5: str | None = None,
    sha256: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """Download ``filename`` into ``directory`` from the first mirror that delivers a valid copy.

    Each mirror is a base URL (``https://host/path/``) or a full URL ending in
    ``filename``. A file already present with the right checksum is not fetched again.

    Returns:
        The path of the verified file.

    Raises:
        ChecksumError: some mirror answered but no copy had the expected checksum.
        DownloadError: no mirror answered.
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    final = os.path.join(directory, filename)
    expected = _expected(md5, sha256)
    if check_integrity(final, md5, sha256):
        return final
    if not mirrors:
        raise DownloadError(f"no mirrors configured for {filename}")
    failures: list[str] = []
    checksum_failed = False
    for base in mirrors:
        url = _url(base, filename)
        try:
            _fetch(url, final, expected, timeout)
            return final
        except ChecksumError as exc:
            checksum_failed = True
            failures.append(str(exc))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            # HTTPError, timeouts, refused connections and malformed URLs: try the next mirror.
            failures.append(f"{url}: {exc}")
    # One line: it is what a user sees when there is no network, and logs keep it whole.
    detail = "; ".join(failures)
    if checksum_failed:
        raise ChecksumError(f"could not get a valid copy of {filename} ({detail})")
    raise DownloadError(
        f"could not download {filename} from any of {len(mirrors)} mirror(s) ({detail}); "
        f"you can download it by hand into {directory}"
    )
