"""The build's folder: refuse foreign folders, lock, write the tables, remove old builds.

See :mod:`braindecode_stbalance.cache._index` for the layout and the commit order.
"""

# License: BSD (3-clause)

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_write
from ..categories import CATEGORY_COLUMN, RATIO_COLUMN, category_array
from ._index import (
    DATA_PREFIX,
    INDEX,
    LOCK,
    MANIFEST,
    TMP_PREFIX,
    WINDOWS,
    CacheError,
    file_sha256,
)

__all__ = ["build_lock", "prepare_folder", "remove_old", "write_tables"]


def prepare_folder(folder):
    """The cache folder, created; refuse a file or a folder holding anything else."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CacheError(folder, "it is a file; give a folder (new, empty or a cache).")
    if folder.is_dir():
        foreign = sorted(p.name for p in folder.iterdir() if p.name not in (INDEX, LOCK)
                         and not p.name.startswith((DATA_PREFIX, TMP_PREFIX)))
        if foreign:
            raise CacheError(folder, f"the folder holds other files ({', '.join(foreign[:3])}"
                             f"{', ...' if len(foreign) > 3 else ''}): build into a new or "
                             "empty folder, or into an existing cache.")
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"Cannot build a cache in {os.fspath(folder)!r}: not writable.")
    return folder


@contextlib.contextmanager
def build_lock(folder):
    """Hold ``folder/.lock`` (flock) so that two builds never write one cache at once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CacheError(folder, "another build is writing into this folder (its .lock "
                             "is held); wait for it or build elsewhere.") from None
        yield
    finally:
        os.close(fd)


def write_tables(tmp, manifest, frames, entries):
    """Write the manifest and the window table into the build folder; return their hashes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .. import _manifest_io

    codes = manifest.category_codes()
    ratio = manifest.windows[RATIO_COLUMN].to_numpy()
    bounds = np.concatenate([[0], np.cumsum([len(f) for f in frames])])
    for k, md in enumerate(frames):
        part = slice(bounds[k], bounds[k + 1])
        if RATIO_COLUMN not in md.columns or CATEGORY_COLUMN not in md.columns:
            md[RATIO_COLUMN] = ratio[part]
            md[CATEGORY_COLUMN] = category_array(codes[part])
            entries[k]["columns"] += [c for c in (RATIO_COLUMN, CATEGORY_COLUMN)
                                      if c not in entries[k]["columns"]]
            entries[k]["dtypes"].update({str(c): str(md[c].dtype)
                                         for c in (RATIO_COLUMN, CATEGORY_COLUMN)})
    try:
        table = pa.Table.from_pandas(pd.concat(frames), preserve_index=True)
    except (pa.ArrowException, TypeError, ValueError) as err:
        raise ValueError(f"The window metadata cannot be stored as Parquet ({err}); drop or "
                         "convert the column named in the message.") from None
    atomic_write(Path(tmp) / WINDOWS, lambda f: pq.write_table(table, f, compression="zstd"))
    _manifest_io.save(manifest, Path(tmp) / MANIFEST)
    return {"windows": {"file": WINDOWS, "sha256": file_sha256(Path(tmp) / WINDOWS),
                        "n_rows": int(bounds[-1])},
            "manifest": {"file": MANIFEST, "sha256": file_sha256(Path(tmp) / MANIFEST)}}


def remove_old(folder, keep):
    """Remove every data or build folder of ``folder`` but ``keep``."""
    for p in folder.iterdir():
        if p.name != keep and p.name.startswith((DATA_PREFIX, TMP_PREFIX)) and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
