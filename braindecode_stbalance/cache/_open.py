"""Open a cache folder as a braindecode windows corpus (:func:`load_cache`)."""

# License: BSD (3-clause)

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .dataset import CachedRecording, CachedWindowsDataset

__all__ = ["load_cache"]


def _metadata(windows, bounds, i, rec):
    """Recording ``i``'s window table as the source had it (columns, dtypes, label storage)."""
    md = windows.iloc[bounds[i]:bounds[i + 1]]
    if list(md.columns) != rec["columns"]:
        md = md[rec["columns"]]
    changed = {c: t for c, t in rec["dtypes"].items() if str(md[c].dtype) != t}
    if changed:
        md = md.astype(changed)
    storage = rec.get("columns_storage")
    if storage and isinstance(md.columns.dtype, pd.StringDtype) and (
            md.columns.dtype.storage != storage):
        md = md.copy(deep=False)
        md.columns = md.columns.astype(pd.StringDtype(storage, na_value=np.nan))
    return md


def load_cache(path, check_sources=True):
    """Open a window cache as a braindecode windows corpus.

    Reads the index (checksum verified), the window table and the manifest;
    the signals are memory-mapped on first read, in each process.

    Parameters
    ----------
    path : str | pathlib.Path
        The cache folder (what :func:`~braindecode_stbalance.cache.build_cache`
        or ``stbalance cache build`` wrote).
    check_sources : bool
        Compare each recording's source file (size and modification time)
        with the build's and raise if one changed or is missing. Pass
        ``False`` where the sources are not reachable (e.g. a compute node
        that sees only the cache); see :meth:`CachedWindowsDataset.check`
        for the full comparison with a corpus.

    Returns
    -------
    CachedWindowsDataset
        The corpus.

    Raises
    ------
    FileNotFoundError
        If ``path`` holds no cache (or only an interrupted build).
    CacheError
        If the cache is damaged or edited (names the file).
    StaleCacheError
        With ``check_sources``, naming the first recording whose source file
        changed or is missing.
    """
    from ..manifest import SeizureManifest
    from ._index import MANIFEST, WINDOWS, CacheError, read_index
    from ._record import description_series, make_raw
    from ._signals import SignalFile

    doc = read_index(path)
    data_dir = doc["data_dir"]
    manifest = SeizureManifest.load(os.path.join(data_dir, MANIFEST))
    windows = pd.read_parquet(os.path.join(data_dir, WINDOWS))
    recordings = doc["recordings"]
    n_per = np.array([r["n_windows"] for r in recordings], dtype=np.int64)
    if (len(recordings) != len(manifest.recordings) or n_per.sum() != len(windows)
            or not np.array_equal(n_per, manifest.recordings["n_windows"].to_numpy())):
        raise CacheError(doc["folder"], "the index, window table and manifest disagree on the "
                         "recordings and their windows. Rebuild the cache.")
    cache = {"folder": doc["folder"], "dtype": doc["dtype"], "scale": float(doc["scale"]),
             "labels": manifest.settings.get("labels"),
             "full_threshold": manifest.settings.get("full_threshold"),
             "skipped": tuple(s["path"] for s in doc.get("skipped", []))}
    rows = manifest.recordings.to_dict("records")
    bounds = np.concatenate([[0], np.cumsum(n_per)])
    datasets, templates = [], {}
    for i, rec in enumerate(recordings):
        signal = SignalFile(os.path.join(data_dir, rec["file"]), doc["scale"], rec["shape"],
                            doc["dtype"])
        fingerprint = dict(rows[i], sha256=rec["sha256"], preprocessing=rec["preprocessing"],
                           preprocessing_hash=rec["preprocessing_hash"])
        ds = CachedRecording(make_raw(rec, signal, templates), _metadata(windows, bounds, i, rec),
                             signal, description_series(rec), fingerprint, cache)
        ds.window_kwargs = [tuple(step) for step in rec["window_kwargs"]]
        ds.raw_preproc_kwargs = list(rec["raw_preproc_kwargs"])
        datasets.append(ds)
    cached = CachedWindowsDataset(datasets)
    cached.provenance = doc.get("provenance", {})
    cached.skipped = pd.DataFrame(doc.get("skipped", []), columns=["path", "reason"])
    if check_sources:
        cached.check()
    return cached
