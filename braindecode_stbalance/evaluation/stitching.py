"""Per-window model outputs to one per-sample trace of a recording.

This module knows nothing of torch or braindecode.
"""

# License: BSD (3-clause)

from __future__ import annotations

import numpy as np

from ._validation import check_int

__all__ = ["stitch_windows"]


def _as_windows(starts, stops, n_times):
    starts = np.asarray(starts)
    stops = np.asarray(stops)
    for name, arr in (("starts", starts), ("stops", stops)):
        if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
            raise ValueError(f"{name} must be a 1-D array of integer sample indices, got "
                             f"shape {arr.shape} and dtype {arr.dtype}.")
    if starts.size != stops.size:
        raise ValueError(f"starts and stops must have the same length, got {starts.size} "
                         f"and {stops.size}.")
    starts = starts.astype(np.int64)
    stops = stops.astype(np.int64)
    bad = (starts < 0) | (stops <= starts) | (stops > n_times)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"window {i} is [{starts[i]}, {stops[i]}): windows must satisfy "
                         f"0 <= start < stop <= n_times ({n_times}).")
    return starts, stops


def _outputs(outputs, lengths):
    """Per-window scalars (1-D float array) or one array of per-sample values."""
    n_windows = lengths.size
    if isinstance(outputs, np.ndarray) or np.isscalar(outputs) or hasattr(outputs, "__array__"):
        arr = np.asarray(outputs, dtype=np.float64)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim == 1:
            if arr.size != n_windows:
                raise ValueError(f"outputs holds {arr.size} values for {n_windows} windows.")
            return arr, None
        if arr.ndim != 2 or arr.shape[0] != n_windows:
            raise ValueError(f"outputs must be (n_windows,), (n_windows, 1) or "
                             f"(n_windows, window length) with n_windows={n_windows}, got "
                             f"shape {arr.shape}.")
        items = list(arr)
    else:
        items = list(outputs)
        if len(items) != n_windows:
            raise ValueError(f"outputs holds {len(items)} windows, starts/stops {n_windows}.")
    items = [np.asarray(x, dtype=np.float64) for x in items]
    if all(x.size == 1 for x in items):  # one value per window
        return np.array([x.reshape(()) for x in items], dtype=np.float64), None
    for i, (x, n) in enumerate(zip(items, lengths)):
        if x.ndim != 1 or x.size != n:
            hint = (" (one value per window is allowed only when every window has one)"
                    if x.size == 1 else "")
            raise ValueError(f"output of window {i} has shape {x.shape}; expected ({n},) "
                             f"per-sample values (stop - start){hint}.")
    return None, items


def stitch_windows(outputs, starts, stops, n_times):
    """Average per-window outputs into one per-sample trace of a recording.

    Windows are half-open sample intervals ``[start, stop)`` of the recording
    (for braindecode windows: the ``i_start_in_trial`` and ``i_stop_in_trial``
    columns of the windows' metadata). Each window's output is either

    - one value per sample of the window (a dense detector such as
      SeizureTransformer: an array of length ``stop - start``), or
    - one value for the whole window (a window classifier), held over every
      sample of the window.

    The value of a sample is the mean of the outputs of all windows covering
    it; a sample that no window covers is NaN (such samples compare as below
    any threshold in :func:`postprocess`). The result does not depend on the
    order of the windows: they are summed in a canonical order (by start and
    stop, then value for one-value outputs; windows with identical bounds and
    per-sample outputs keep their given order), with no cancelling
    difference sums, so a sample covered by one window gets exactly that
    window's value. Cost: O(n_times + number of per-sample values); with one
    value per window, O(n_times + number of (window, segment) pairs), where
    segments are the stretches between consecutive window bounds (4 per
    window for 60 s windows at a 15 s stride).

    Parameters
    ----------
    outputs : array-like or sequence of array-like
        Per-window outputs: an array of shape ``(n_windows,)`` or
        ``(n_windows, 1)`` (one value per window), an array of shape
        ``(n_windows, window length)`` (per-sample values, all windows of that
        length), or a sequence of ``n_windows`` arrays, each of one value or of
        ``stop - start`` values. Values must be finite (e.g. probabilities).
    starts, stops : array-like of int, shape (n_windows,)
        Window bounds in samples, ``0 <= start < stop <= n_times``.
    n_times : int
        Number of samples of the recording.

    Returns
    -------
    trace : ndarray of float64, shape (n_times,)
        Mean output per sample; NaN where no window covers the sample.

    Raises
    ------
    ValueError
        If shapes disagree (the message names the window), a window lies
        outside ``[0, n_times)`` or is empty, or an output is not finite.
    TypeError
        If ``n_times`` is not an integer.

    Examples
    --------
    >>> stitch_windows([0.2, 0.6], starts=[0, 2], stops=[4, 6], n_times=7)
    array([0.2, 0.2, 0.4, 0.4, 0.6, 0.6, nan])
    """
    n_times = check_int(n_times, "n_times", minimum=0)
    starts, stops = _as_windows(starts, stops, n_times)
    scalars, dense = _outputs(outputs, stops - starts)
    values = scalars if dense is None else (np.concatenate(dense) if dense else np.zeros(0))
    if not np.isfinite(values).all():
        if dense is None:
            i = int(np.flatnonzero(~np.isfinite(scalars))[0])
        else:
            i = next(j for j, x in enumerate(dense) if not np.isfinite(x).all())
        raise ValueError(f"output of window {i} is not finite (NaN or inf).")
    trace = np.full(n_times, np.nan)
    if starts.size == 0:
        return trace
    if dense is None:
        order = np.lexsort((scalars, stops, starts))
        starts, stops, scalars = starts[order], stops[order], scalars[order]
        # elementary segments between consecutive window bounds: constant cover
        bounds = np.unique(np.concatenate(([0, n_times], starts, stops)))
        first = np.searchsorted(bounds, starts)
        n_seg = np.searchsorted(bounds, stops) - first
        seg = _ranges(first, n_seg)
        weights = np.repeat(scalars, n_seg)
        total = np.bincount(seg, weights=weights, minlength=bounds.size - 1)
        count = np.bincount(seg, minlength=bounds.size - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            seg_mean = np.where(count > 0, total / count, np.nan)
        return np.repeat(seg_mean, np.diff(bounds))
    order = np.lexsort((stops, starts))
    lengths = (stops - starts)[order]
    index = _ranges(starts[order], lengths)
    offsets = np.concatenate(([0], np.cumsum(stops - starts)))
    values = values[_ranges(offsets[:-1][order], lengths)]
    total = np.bincount(index, weights=values, minlength=n_times)
    count = np.bincount(index, minlength=n_times)
    covered = count > 0
    trace[covered] = total[covered] / count[covered]
    return trace


def _ranges(first, lengths):
    """Concatenation of ``arange(f, f + n)`` for each pair, without a Python loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    shift = np.repeat(np.asarray(first, dtype=np.int64) - (ends - lengths), lengths)
    return np.arange(total, dtype=np.int64) + shift
