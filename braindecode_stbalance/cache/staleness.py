"""Staleness: the ways a window cache no longer describes its source.

A cache records, per recording, the fingerprint row that
:func:`braindecode_stbalance.facts.compute` gives every categorisation path
(source path, file size and time, length, sampling rate, first sample, hash
of the seizure annotations, windowing), its windows, and a preprocessing
record (braindecode's step records, channels, filter band). The comparison
with a corpus or a manifest is the manifest's own
(:func:`braindecode_stbalance._manifest_diff.diff`), plus the preprocessing
record; without a corpus, only the source files' size and modification time
can be compared, which :func:`~braindecode_stbalance.cache.load_cache` does
by default.
"""

# License: BSD (3-clause)

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .._manifest_diff import Difference
from .._manifest_diff import diff as _diff
from ..facts import compute, corpus_facts, file_stat

__all__ = ["StaleCacheError", "differences"]

_FIX = " Rebuild the cache (build_cache or `stbalance cache build`)."
_STRUCTURAL = ("added", "removed", "reordered")


class StaleCacheError(ValueError):
    """A window cache that no longer describes its source.

    Parameters
    ----------
    differences : list of Difference
        What differs (at least one); the message is the first one's.

    Attributes
    ----------
    differences : list of Difference
        As given.
    """

    def __init__(self, differences):
        self.differences = list(differences)
        super().__init__(self.differences[0].message)

    def __reduce__(self):
        return type(self), (self.differences,)


def _source_differences(cached, first_only):
    out = []
    for i, ds in enumerate(cached.datasets):
        row = ds.fingerprint
        path = row.get("path") or ""
        if not path:
            continue
        size, mtime = file_stat(path)
        where = f"Recording {i} ({path})"
        if size == -1:
            out.append(Difference(i, path, "missing", path, None, (
                f"Stale cache: {where}: the source file is missing, so the cache cannot be "
                "checked against it. Open it with load_cache(path, check_sources=False) where "
                "the sources are not reachable (e.g. a compute node), or rebuild it.")))
        else:
            for field, new in (("file_size", size), ("file_mtime_ns", mtime)):
                old = int(row.get(field, -1))
                if old != -1 and old != new:
                    out.append(Difference(i, path, field, old, new, (
                        f"Stale cache: {where} changed since the build: {field} is {new} "
                        f"now, {old} in the cache.{_FIX} (If the file was only copied or "
                        "touched, compare with the corpus: cached.diff(windows).)")))
                    break
        if out and first_only:
            break
    return out


def _old_tables(cached):
    rows = [dict(ds.fingerprint, n_windows=len(ds)) for ds in cached.datasets]
    crops = [ds.crop_inds for ds in cached.datasets]
    windows = pd.DataFrame({
        "i_start_in_trial": np.concatenate([c[:, 1] for c in crops]).astype(np.int64),
        "i_stop_in_trial": np.concatenate([c[:, 2] for c in crops]).astype(np.int64)})
    return pd.DataFrame(rows), windows


def _describe_steps(record):
    steps = []
    for step in record.get("steps", []):
        if isinstance(step, dict):
            kwargs = step.get("kwargs") or {}
            args = ", ".join(f"{k}={v!r}" for k, v in sorted(kwargs.items()))
            steps.append(f"{step.get('fn', step.get('__class_path__', '?'))}({args})")
        else:
            steps.append(str(step))
    return "[" + ", ".join(steps) + "]"


def _preprocessing_differences(cached, records, rows, first_only):
    out = []
    for i, (ds, new) in enumerate(zip(cached.datasets, records)):
        old = ds.fingerprint.get("preprocessing")
        if old is None or old == new:
            continue
        key = next(k for k in ("steps", "sfreq", "ch_names", "highpass", "lowpass")
                   if old.get(k) != new.get(k))
        if key == "steps":
            what = f"steps {_describe_steps(new)} in the corpus but {_describe_steps(old)}"
        else:
            what = f"{key} {new.get(key)!r} in the corpus but {old.get(key)!r}"
        path = rows[i]["path"]
        out.append(Difference(i, path, "preprocessing", old, new, (
            f"Stale cache: Recording {i} ({path or 'no file'}) was preprocessed differently: "
            f"{what} in the cache.{_FIX}")))
        if first_only:
            break
    return out


def differences(cached, other=None, strict=False, first_only=False):
    """Differences between a cached corpus and its source (see ``CachedWindowsDataset.diff``).

    Parameters
    ----------
    cached : CachedWindowsDataset
        The cache (or a part of it).
    other : None | braindecode.datasets.BaseConcatDataset | SeizureManifest
        What to compare with.
    strict : bool
        Also compare source file sizes and modification times.
    first_only : bool
        Stop at the first difference.

    Returns
    -------
    list of Difference
        Empty when the cache is up to date.
    """
    from ..manifest import SeizureManifest
    from ._record import preprocessing_record

    if other is None:
        return _source_differences(cached, first_only)
    old_recordings, old_windows = _old_tables(cached)
    # recordings the build left out (on_error="skip") are not compared
    skipped = set().union(*(ds.cache.get("skipped", ()) for ds in cached.datasets))
    prep = None
    if isinstance(other, SeizureManifest):
        rows = other.recordings.to_dict("records")
        bounds = np.concatenate([[0], np.cumsum(other.recordings["n_windows"].to_numpy())])
        w = other.windows
        starts, stops = w["i_start_in_trial"].to_numpy(), w["i_stop_in_trial"].to_numpy()
        windows = [(starts[a:b], stops[a:b]) for a, b in itertools.pairwise(bounds)]
        keep = [i for i, r in enumerate(rows) if r["path"] not in skipped]
        rows, windows = [rows[i] for i in keep], [windows[i] for i in keep]
    else:
        from .._adapters import source_path

        datasets = getattr(other, "datasets", None)
        if datasets is None:
            raise TypeError(f"Compare a cache with a braindecode BaseConcatDataset or a "
                            f"SeizureManifest, got {type(other).__name__}.")
        datasets = [ds for ds in datasets if source_path(ds) not in skipped]
        labels = cached.datasets[0].cache.get("labels")
        records, _ = corpus_facts(datasets, labels, with_source=True)
        rows = compute(records, fingerprints=True).rows
        windows = [(r.starts, r.stops) for r in records]
        prep = [preprocessing_record(ds) for ds in datasets]
    found = _diff(old_recordings, old_windows, rows, windows, strict, first_only,
                  name="cache", fix=_FIX)
    if prep is not None and len(prep) == len(cached.datasets) and not (
            first_only and found) and not any(d.field in _STRUCTURAL for d in found):
        found += _preprocessing_differences(cached, prep, rows, first_only)
    return found
