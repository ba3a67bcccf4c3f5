"""torchvision.datasets.utils' helpers for dataset classes of your own: downloads, checksums, archives, folders.

Downloads go through ember's ``download_file`` (checksum verified, written atomically); archives
are unpacked member by member, refusing absolute paths, ``..`` and links, so an archive cannot
write outside the folder it is extracted into.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import urllib.error
import zipfile
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from ember.vision.datasets.download import check_integrity as _check
from ember.vision.datasets.download import DEFAULT_TIMEOUT, DownloadError, _fetch, download_file, file_digest

__all__ = [
    "calculate_md5",
    "check_integrity",
    "check_md5",
    "download_and_extract_archive",
    "download_url",
    "extract_archive",
    "list_dir",
    "list_files",
    "verify_str_arg",
]


def calculate_md5(fpath: str | os.PathLike, chunk_size: int = 1024 * 1024) -> str:
    """Hex MD5 of a file."""
    return file_digest(fpath, "md5")


def check_md5(fpath: str | os.PathLike, md5: str, **kwargs: Any) -> bool:
    return calculate_md5(fpath) == md5


def check_integrity(fpath: str | os.PathLike, md5: str | None = None) -> bool:
    """True if the file exists and, when ``md5`` is given, has that MD5."""
    return _check(fpath, md5=md5)


def download_url(
    url: str, root: str | os.PathLike, filename: str | None = None, md5: str | None = None, max_redirect_hops: int = 3
) -> None:
    """Download ``url`` into ``root/filename`` (default: the URL's last path part), unless a valid copy is there."""
    root = os.path.expanduser(os.fspath(root))
    filename = filename or os.path.basename(urlparse(url).path)
    final = os.path.join(root, filename)
    if check_integrity(final, md5):
        return
    if urlparse(url).path.endswith("/" + filename):
        download_file(filename, [url], root, md5=md5)
        return
    # saved under another name than the URL's: fetch that exact URL
    os.makedirs(root, exist_ok=True)
    try:
        _fetch(url, final, None if md5 is None else ("md5", md5.lower()), DEFAULT_TIMEOUT)
    except (urllib.error.URLError, OSError, ValueError) as exc:  # a ChecksumError (RuntimeError) passes through
        raise DownloadError(f"could not download {url} ({exc}); you can download it by hand into {final}") from exc


def _safe_member(name: str, archive: str) -> list[str]:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise ValueError(f"{archive}: refusing to extract {name!r} (outside the target folder)")
    return [p for p in parts if p not in ("", ".")]


def extract_tar_members(tar: tarfile.TarFile, members: Iterable[tarfile.TarInfo], to_path: str, archive: str) -> None:
    """Write ``members`` of ``tar`` under ``to_path``: folders and regular files only (a link or a device file
    is refused), and never outside ``to_path``."""
    for m in members:
        parts = _safe_member(m.name, archive)
        if not (m.isfile() or m.isdir()):
            raise ValueError(f"{archive}: refusing to extract {m.name!r} (not a regular file or folder)")
        target = os.path.join(to_path, *parts)
        if m.isdir():
            os.makedirs(target, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with tar.extractfile(m) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)


def extract_archive(from_path: str | os.PathLike, to_path: str | os.PathLike | None = None, remove_finished: bool = False) -> str:
    """Unpack a ``.tar[.gz|.bz2|.xz]``, ``.tgz``, ``.zip`` or single-file ``.gz`` into ``to_path`` (default: its folder).

    Returns:
        ``to_path``.
    """
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(from_path) if to_path is None else os.fspath(to_path)
    os.makedirs(to_path, exist_ok=True)
    if zipfile.is_zipfile(from_path):
        with zipfile.ZipFile(from_path) as zf:
            for info in zf.infolist():
                parts = _safe_member(info.filename, from_path)
                if not parts or info.is_dir():
                    os.makedirs(os.path.join(to_path, *parts), exist_ok=True)
                    continue
                target = os.path.join(to_path, *parts)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    elif tarfile.is_tarfile(from_path):
        with tarfile.open(from_path, "r:*") as tar:
            extract_tar_members(tar, tar.getmembers(), to_path, from_path)
    elif from_path.endswith(".gz"):
        target = os.path.join(to_path, os.path.basename(from_path)[: -len(".gz")])
        with gzip.open(from_path, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        raise RuntimeError(f"Archive type of {from_path} is not supported (expected .tar*, .tgz, .zip or .gz)")
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(
    url: str,
    download_root: str | os.PathLike,
    extract_root: str | os.PathLike | None = None,
    filename: str | None = None,
    md5: str | None = None,
    remove_finished: bool = False,
) -> None:
    """``download_url`` then ``extract_archive`` (into ``extract_root``, default ``download_root``)."""
    download_root = os.path.expanduser(os.fspath(download_root))
    filename = filename or os.path.basename(urlparse(url).path)
    download_url(url, download_root, filename, md5)
    extract_archive(os.path.join(download_root, filename), extract_root or download_root, remove_finished)


def list_dir(root: str | os.PathLike, prefix: bool = False) -> list[str]:
    """The sub-folders of ``root`` (full paths if ``prefix``)."""
    root = os.path.expanduser(os.fspath(root))
    names = [p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p))]
    return [os.path.join(root, d) for d in names] if prefix else names


def list_files(root: str | os.PathLike, suffix: str | tuple[str, ...], prefix: bool = False) -> list[str]:
    """The files of ``root`` ending with ``suffix`` (full paths if ``prefix``)."""
    root = os.path.expanduser(os.fspath(root))
    names = [p for p in os.listdir(root) if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)]
    return [os.path.join(root, d) for d in names] if prefix else names


def verify_str_arg(value: Any, arg: str | None = None, valid_values: Iterable[str] | None = None, custom_msg: str | None = None) -> str:
    """Check that ``value`` is a str (and one of ``valid_values``), with torchvision's messages."""
    if not isinstance(value, str):
        msg = "Expected type str" + ("" if arg is None else f" for argument {arg}") + f", but got type {type(value)}."
        raise ValueError(msg)
    if valid_values is None:
        return value
    valid_values = list(valid_values)
    if value not in valid_values:
        if custom_msg is not None:
            raise ValueError(custom_msg)
        valid = ", ".join(repr(v) for v in valid_values)
        raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are {{{valid}}}.")
    return value
