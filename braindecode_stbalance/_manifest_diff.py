"""Staleness: the differences between a manifest and a corpus (or a newer manifest).

:func:`diff` compares, recording by recording in corpus order: identity (the
source path relative to the corpus's common folder, so a moved corpus still
matches), the fingerprint (``n_times``, ``sfreq``, ``first_samp``, the seizure
annotation hash; with ``strict`` also file size and mtime), then the windows
(count and positions). :meth:`SeizureManifest.check
<braindecode_stbalance.SeizureManifest.check>` raises on the first
difference; ``stbalance check`` prints them all.
"""

# License: BSD (3-clause)

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

__all__ = ["Difference", "diff"]

_CHECKED = ("n_times", "sfreq", "first_samp", "annotation_hash")
_CHECKED_STRICT = ("file_size", "file_mtime_ns")
_UNKNOWN_OK = ("n_times", "file_size", "file_mtime_ns")  # -1: not known on one side
_FIX = " Re-create the manifest (`stbalance scan ...` or SeizureManifest.from_dataset)."


class Difference(NamedTuple):
    """One way in which a manifest does not describe a corpus.

    Attributes
    ----------
    recording : int
        Index of the recording (in the manifest for ``"removed"``, else in the
        corpus); ``-1`` for a setting of the whole manifest.
    path : str
        Its source file (``""`` for a setting).
    field : str
        ``"added"``, ``"removed"``, ``"reordered"``, a setting
        (``"full_threshold"``, ``"labels"``; only between two manifests), a fingerprint field
        (``"n_times"``, ``"sfreq"``, ``"first_samp"``, ``"annotation_hash"``,
        ``"file_size"``, ``"file_mtime_ns"``), ``"n_windows"`` or
        ``"windows"``.
    manifest, corpus : object
        The two values (``None`` where one side has none).
    message : str
        A sentence saying what differs and what to do.
    """

    recording: int
    path: str
    field: str
    manifest: object
    corpus: object
    message: str


def _py(value):
    return value.item() if isinstance(value, np.generic) else value


def _identities(paths):
    """Paths relative to their common folder (basenames for a single one)."""
    nonempty = [p for p in paths if p]
    if not nonempty:
        return list(paths)
    try:
        common = os.path.commonpath([os.path.dirname(p) for p in nonempty])
    except ValueError:  # mixed drives / relative and absolute
        return list(paths)
    return [os.path.relpath(p, common) if p else "" for p in paths]


def diff(old_recordings, old_windows, new_rows, new_windows, strict=False, first_only=False,
         name="manifest", fix=_FIX):
    """Differences between a manifest and a corpus described the same way.

    Parameters
    ----------
    old_recordings : pandas.DataFrame
        The manifest's recording table.
    old_windows : pandas.DataFrame
        The manifest's window table.
    new_rows : list of dict
        The corpus's fingerprint rows (as :func:`braindecode_stbalance.facts.compute`
        gives them), in corpus order.
    new_windows : list of (ndarray, ndarray)
        Per corpus recording, its window starts and stops (samples from the
        first sample).
    strict : bool
        Also compare file size and modification time.
    first_only : bool
        Stop at the first difference.
    name : str
        What the old side is, in messages (``"manifest"``, ``"cache"``).
    fix : str
        The sentence that ends each message (what to do).

    Returns
    -------
    list of Difference
        Empty when the manifest describes the corpus.
    """
    out = []
    old_paths = old_recordings["path"].tolist()
    new_paths = [r["path"] for r in new_rows]
    old_ids, new_ids = _identities(old_paths), _identities(new_paths)
    n_old, n_new = len(old_ids), len(new_ids)
    offsets = np.concatenate([[0], np.cumsum(old_recordings["n_windows"].to_numpy())])
    w_start = old_windows["i_start_in_trial"].to_numpy()
    w_stop = old_windows["i_stop_in_trial"].to_numpy()
    fields = _CHECKED + (_CHECKED_STRICT if strict else ())

    def add(i, path, field, old, new, what):
        out.append(Difference(i, path, field, old, new, f"Stale {name}: {what}.{fix}"))
        return first_only

    for i in range(max(n_old, n_new)):
        if i >= n_old:
            if add(i, new_paths[i], "added", None, new_paths[i],
                   f"recording {i} ({new_paths[i]}) was added: the {name} has {n_old} "
                   f"recordings, the corpus {n_new}"):
                return out
            continue
        if i >= n_new:
            if add(i, old_paths[i], "removed", old_paths[i], None,
                   f"recording {i} ({old_paths[i]}) was removed: the {name} has {n_old} "
                   f"recordings, the corpus {n_new}"):
                return out
            continue
        if new_ids[i] != old_ids[i] and new_paths[i] != old_paths[i]:
            if old_ids[i] not in new_ids and old_paths[i] not in new_paths:
                field, what = "removed", f"recording {i} of the {name} ({old_paths[i]}) was removed"
            elif new_ids[i] not in old_ids and new_paths[i] not in old_paths:
                field, what = "added", f"recording {i} of the corpus ({new_paths[i]}) was added"
            else:
                field, what = "reordered", (
                    f"the recordings were reordered: index {i} is {new_paths[i]} in the corpus "
                    f"but {old_paths[i]} in the {name}")
            add(i, old_paths[i] if field == "removed" else new_paths[i], field, old_paths[i],
                new_paths[i], what)
            return out  # everything after a shift differs: report its cause only
        where = f"Recording {i} ({new_paths[i] or old_paths[i] or 'no file'})"
        row = old_recordings.iloc[i]
        changed = False
        for field in fields:
            new, old = _py(new_rows[i][field]), _py(row[field])
            if field in _UNKNOWN_OK and (new == -1 or old == -1):
                continue
            if new != old:
                changed = True
                if add(i, new_paths[i], field, old, new,
                       f"{where} changed: {field} is {new!r} in the corpus but {old!r} in "
                       f"the {name}"):
                    return out
        starts, stops = new_windows[i]
        sl = slice(offsets[i], offsets[i + 1])
        if len(starts) != sl.stop - sl.start:
            if add(i, new_paths[i], "n_windows", sl.stop - sl.start, len(starts),
                   f"{where} was re-windowed: {len(starts)} windows in the corpus, "
                   f"{sl.stop - sl.start} in the {name} (window size/stride "
                   f"{int(row['window_size_samples'])}/{int(row['window_stride_samples'])} "
                   f"samples, last window {row['on_last_window'] or 'unknown'!s} in the "
                   f"{name})"):
                return out
            continue
        bad = (starts != w_start[sl]) | (stops != w_stop[sl])
        if bad.any() and not changed:
            j = int(np.flatnonzero(bad)[0])
            if add(i, new_paths[i], "windows", (int(w_start[sl][j]), int(w_stop[sl][j])),
                   (int(starts[j]), int(stops[j])),
                   f"{where} was re-windowed: window {j} is [{starts[j]}, {stops[j]}) in the "
                   f"corpus but [{w_start[sl][j]}, {w_stop[sl][j]}) in the {name}"):
                return out
    return out
