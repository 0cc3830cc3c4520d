"""The cache folder: layout, checksummed index, atomic commit, integrity checks.

Layout (version 1)
------------------
::

    CACHE/
      index.json          the commit point: names the data folder, checksummed
      .lock               held (flock) while a build writes into CACHE
      data-<build id>/
        manifest.parquet  a SeizureManifest of the cached windows (fingerprints)
        windows.parquet   every window's metadata, recordings one after the other
        r000000.npy ...   one signal per recording, (n_channels, n_times)
      .tmp-<build id>/    a build in progress

A build writes everything into ``.tmp-<id>/`` (each file synced), renames that
folder to ``data-<id>/`` (complete), and only then replaces ``index.json``
atomically (:func:`~braindecode_stbalance._atomic.atomic_write`: temporary
file, fsync, ``os.replace``). Readers go through ``index.json`` only, so a
build killed at any moment leaves the previous cache untouched (or no cache),
never a half cache; its leftover folder is removed by the next build.

``index.json`` holds the format, the data folder, dtype and scale, the
provenance, the skipped recordings, one entry per recording (signal file,
shape, size, SHA-256, channels, annotations, description, braindecode's
preprocessing and windowing records) and the SHA-256 of both Parquet files;
its ``checksum`` is the SHA-256 of the rest of the document. :func:`read_index`
verifies it, so an edited or damaged index raises :class:`CacheError`.
"""

# License: BSD (3-clause)

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_text
from .._errors import StoredFileError

__all__ = ["FORMAT", "VERSION", "CacheError", "jsonable", "read_index", "write_index"]

FORMAT = "stbalance-window-cache"
VERSION = 1
INDEX = "index.json"
LOCK = ".lock"
DATA_PREFIX = "data-"
TMP_PREFIX = ".tmp-"
WINDOWS = "windows.parquet"
MANIFEST = "manifest.parquet"


class CacheError(StoredFileError):
    """A window cache that is missing, damaged, edited or being written.

    Parameters
    ----------
    path : str | pathlib.Path | None
        The cache folder.
    reason : str
        What is wrong (and what to do).

    Attributes
    ----------
    path, reason
        As above.
    """

    what = "window cache"


def jsonable(value):
    """``value`` with numpy scalars/arrays, paths and dates made JSON types (NaN -> None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def _canonical(document):
    body = {k: v for k, v in document.items() if k != "checksum"}
    return json.dumps(body, sort_keys=True, allow_nan=False, separators=(",", ":")).encode()


def file_sha256(path):
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(8 * 2 ** 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_index(folder, document):
    """Write ``index.json`` atomically, with its checksum: the build's commit point.

    Parameters
    ----------
    folder : pathlib.Path
        The cache folder.
    document : dict
        The index (JSON types only; see :func:`jsonable`).

    Returns
    -------
    pathlib.Path
        The index file.
    """
    document = dict(document, format=FORMAT, version=VERSION)
    document["checksum"] = hashlib.sha256(_canonical(document)).hexdigest()
    text = json.dumps(document, sort_keys=True, allow_nan=False, indent=0)
    return atomic_write_text(Path(folder) / INDEX, text)


def read_index(folder):
    """Read and verify ``index.json``, the Parquet files' hashes and the signal files' sizes.

    Parameters
    ----------
    folder : str | pathlib.Path
        The cache folder.

    Returns
    -------
    dict
        The index document, with ``"folder"`` (absolute) and ``"data_dir"``
        added.

    Raises
    ------
    FileNotFoundError
        If ``folder`` holds no cache (no ``index.json``).
    CacheError
        If the index is not a cache index of this version, its checksum does
        not match, or a file it names is missing, of another size, or (the
        Parquet files) of another hash.
    """
    folder = Path(folder).absolute()
    path = folder / INDEX
    if not path.is_file():
        if folder.is_dir() and any(p.name.startswith(TMP_PREFIX) for p in folder.iterdir()):
            raise FileNotFoundError(
                f"No window cache at {os.fspath(folder)!r}: a build was started there but never "
                "finished (interrupted?). Build it again.")
        raise FileNotFoundError(f"No window cache at {os.fspath(folder)!r} (no {INDEX}).")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise CacheError(folder, f"unreadable {INDEX} ({type(err).__name__}: {err}).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CacheError(folder, f"{INDEX} is not a stbalance window cache index.")
    if document.get("version") != VERSION:
        raise CacheError(folder, f"cache format version {document.get('version')!r}; this "
                         f"version of braindecode-stbalance reads version {VERSION}. Rebuild it.")
    if hashlib.sha256(_canonical(document)).hexdigest() != document.get("checksum"):
        raise CacheError(folder, f"the checksum of {INDEX} does not match its content: it was "
                         "damaged or edited after the build. Rebuild the cache.")
    data_dir = folder / document["data"]
    if not data_dir.is_dir():
        raise CacheError(folder, f"its data folder {document['data']} is missing.")
    for key in ("windows", "manifest"):
        entry = document[key]
        file = data_dir / entry["file"]
        if not file.is_file():
            raise CacheError(folder, f"{document['data']}/{entry['file']} is missing.")
        if file_sha256(file) != entry["sha256"]:
            raise CacheError(folder, f"{document['data']}/{entry['file']} does not match its "
                             "checksum: it was damaged or replaced. Rebuild the cache.")
    for i, rec in enumerate(document["recordings"]):
        file = data_dir / rec["file"]
        try:
            size = file.stat().st_size
        except OSError:
            raise CacheError(folder, f"the signal of recording {i}, {document['data']}/"
                             f"{rec['file']}, is missing.") from None
        if size != rec["bytes"]:
            raise CacheError(folder, f"the signal of recording {i}, {document['data']}/"
                             f"{rec['file']}, has {size} bytes, the index says {rec['bytes']} "
                             "(truncated or replaced). Rebuild the cache.")
    document["folder"] = os.fspath(folder)
    document["data_dir"] = os.fspath(data_dir)
    return document
