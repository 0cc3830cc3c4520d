"""Building a manifest's tables from recording facts: windows, recordings, settings."""

# License: BSD (3-clause)

from __future__ import annotations

import numpy as np
import pandas as pd

from ._manifest_io import RECORDING_COLUMNS, typed_recordings
from .categories import (
    CATEGORIES,
    CATEGORY_COLUMN,
    RATIO_COLUMN,
    categorize,
    category_array,
)

__all__ = ["LAST_WINDOW", "build_tables", "window_starts"]

LAST_WINDOW = ("overlap", "drop")



def window_starts(n_times, size, stride, on_last_window="overlap"):
    """Window starts of braindecode's ``create_fixed_length_windows`` on one recording.

    Starts ``0, stride, 2 stride, ...`` while the window fits, plus (with
    ``on_last_window="overlap"``) one last window ending at the recording's
    end if the regular ones do not.

    Parameters
    ----------
    n_times : int
        Samples in the recording (at least ``size``).
    size, stride : int
        Window size and stride in samples (positive).
    on_last_window : "overlap" | "drop"
        braindecode's last-window policy.

    Returns
    -------
    ndarray of int64
        ``i_start_in_trial`` of each window.
    """
    last = n_times - size
    starts = np.arange(0, last + 1, stride, dtype=np.int64)
    if on_last_window == "overlap" and starts.size and starts[-1] < last:
        starts = np.append(starts, np.int64(last))
    return starts


def _last_window_policies(rows, starts):
    """The last-window policy of each recording and of the corpus (``""``/None: unknown).

    A recording keeps the policy braindecode recorded for it; otherwise it
    gets the policy its windows are consistent with (a recording that both
    policies window alike, or neither, follows the corpus). The corpus has a
    policy when every recording is consistent with it.
    """
    candidates = []
    for r, s in zip(rows, starts):
        if r["on_last_window"]:
            candidates.append({r["on_last_window"]})
            continue
        n, size, stride = r["n_times"], r["window_size_samples"], r["window_stride_samples"]
        candidates.append({p for p in LAST_WINDOW if n >= size > 0 and stride > 0
                           and np.array_equal(s, window_starts(n, size, stride, p))})
    common = set.intersection(*candidates) if candidates else set()
    policy = next((p for p in LAST_WINDOW if p in common), None)
    per_row = [policy if policy in c else (min(c) if len(c) == 1 else "") for c in candidates]
    return per_row, policy


def _uniform(values):
    values = np.unique(np.asarray(values))
    return values[0].item() if values.size == 1 else None


def build_tables(records, result, full_threshold, labels_spec, window_size=None,
                 window_stride=None):
    """The window table, the recording table and the settings of a manifest.

    Parameters
    ----------
    records : list of RecordingFacts
        The recordings.
    result : Computed
        ``facts.compute(records, fingerprints=True)``.
    full_threshold : float
        Ratio from which a window is ``"full_seizure"``.
    labels_spec : None | list of str | str
        The vocabulary's ``spec``.
    window_size, window_stride : float | None
        Windowing in seconds (derived from the recordings if None).

    Returns
    -------
    windows, recordings : pandas.DataFrame
    settings : dict
    """
    n_per = np.diff(result.offsets)
    codes = categorize(result.ratio, full_threshold)
    rec_index = np.repeat(np.arange(len(records), dtype=np.int64), n_per)
    windows = pd.DataFrame({
        "recording": rec_index,
        "i_window": np.arange(result.ratio.size, dtype=np.int64) - np.repeat(
            result.offsets[:-1], n_per),
        "i_start_in_trial": np.concatenate([r.starts for r in records]).astype(np.int64)
        if records else np.zeros(0, np.int64),
        "i_stop_in_trial": np.concatenate([r.stops for r in records]).astype(np.int64)
        if records else np.zeros(0, np.int64),
        RATIO_COLUMN: result.ratio.astype(np.float64),
    })
    windows[CATEGORY_COLUMN] = category_array(codes)
    rows = [dict(row) for row in result.rows]
    per_row, policy = _last_window_policies(rows, [r.starts for r in records])
    counts = np.zeros((len(records), 3), dtype=np.int64)
    np.add.at(counts, (rec_index, codes), 1)
    for i, row in enumerate(rows):
        row["on_last_window"] = per_row[i]
        row["n_windows"] = int(n_per[i])
        row.update(zip(CATEGORIES, counts[i].tolist()))
    recordings = typed_recordings(pd.DataFrame(rows, columns=list(RECORDING_COLUMNS)))
    sfreq = _uniform(recordings["sfreq"])
    size = _uniform(recordings["window_size_samples"])
    stride = _uniform(recordings["window_stride_samples"])
    size = None if size is None or size < 0 else int(size)
    stride = None if stride is None or stride < 0 else int(stride)
    if window_size is None and size is not None and sfreq:
        window_size = size / sfreq
    if window_stride is None and stride is not None and sfreq:
        window_stride = stride / sfreq
    settings = {
        "labels": labels_spec,
        "full_threshold": float(full_threshold),
        "window_size": None if window_size is None else float(window_size),
        "window_stride": None if window_stride is None else float(window_stride),
        "window_size_samples": size,
        "window_stride_samples": stride,
        "sfreq": None if sfreq is None else float(sfreq),
        "on_last_window": policy,
    }
    return windows, recordings, settings
