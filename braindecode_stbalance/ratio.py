"""Interval arithmetic for seizure samples per window (pure NumPy).

Definitions
-----------
Sample ``k`` of a recording sits at time ``t_k = k / sfreq`` on the time axis
of the annotations. Sample ``k`` is a *seizure sample* iff
``onset <= t_k < onset + duration`` for at least one seizure annotation.
Overlapping or touching annotations count each sample once; annotations are
clipped to the recording's samples. The seizure ratio of a window
``[start, stop)`` (in samples) is ``(seizure samples in it) / (stop - start)``.

The functions below never build a per-sample mask: annotations become sorted,
merged sample intervals, and window counts come from a prefix sum of interval
lengths and two :func:`numpy.searchsorted` calls per window batch.

This module knows nothing of MNE, braindecode or torch.
"""

# License: BSD (3-clause)

from __future__ import annotations

import numpy as np

__all__ = [
    "InvalidAnnotationError",
    "count_in_windows",
    "seizure_sample_intervals",
    "window_seizure_ratio",
]


_CHUNK = 1 << 15
_FAR = 2.0**62


class InvalidAnnotationError(ValueError):
    """An annotation whose onset or duration is NaN, infinite or negative.

    Parameters
    ----------
    index : int
        Position of the annotation in the arrays given (for a recording, its
        index in ``raw.annotations``).
    onset, duration : float
        Its values.
    recording : str | None
        The recording, once known (set by the corpus-level computation).

    Attributes
    ----------
    index, onset, duration, recording
        As above; code reads these, never the message.
    """

    def __init__(self, index, onset, duration, recording=None):
        self.index = int(index)
        self.onset = float(onset)
        self.duration = float(duration)
        self.recording = recording
        where = "" if recording is None else f"{recording}: "
        super().__init__(
            f"{where}Invalid annotation at index {self.index}: onset={self.onset!r}, "
            f"duration={self.duration!r} (both must be finite and >= 0)."
        )

    def __reduce__(self):
        return type(self), (self.index, self.onset, self.duration, self.recording)


def _first_sample_at_or_after(times, sfreq):
    """Smallest integer ``k`` with ``k / sfreq >= times`` (float64 exact).

    ``ceil(times * sfreq)`` can be off by one when the product rounds across
    an integer; one correction step each way makes the result agree exactly
    with the comparison ``k / sfreq >= t`` evaluated in float64.
    """
    # capped far beyond any recording so that huge finite times (or an overflowing
    # onset + duration) cannot wrap around when cast to int64
    with np.errstate(over="ignore"):
        k = np.ceil(np.minimum(np.multiply(times, sfreq), _FAR))
    k -= (k - 1) / sfreq >= times
    k += k / sfreq < times
    return k


def seizure_sample_intervals(onset, duration, sfreq, first_samp=0, n_times=None):
    """Merge annotation times into disjoint seizure sample intervals.

    Parameters
    ----------
    onset : array-like of float, shape (n_annotations,)
        Annotation onsets in seconds, on the axis where sample ``k`` sits at
        ``k / sfreq`` (for an :class:`mne.io.Raw`, ``raw.annotations.onset``
        together with ``first_samp=raw.first_samp``).
    duration : array-like of float, shape (n_annotations,)
        Annotation durations in seconds.
    sfreq : float
        Sampling frequency in Hz.
    first_samp : int
        Index of the recording's first sample on that axis. Intervals are
        clipped to ``[first_samp, first_samp + n_times)``.
    n_times : int | None
        Number of samples of the recording. ``None`` disables clipping at the
        end.

    Returns
    -------
    starts, stops : ndarray of int64, shape (n_intervals,)
        Sorted, disjoint, non-touching half-open sample intervals
        ``[starts[j], stops[j])``; empty intervals are dropped.

    Raises
    ------
    InvalidAnnotationError
        If an onset or duration is NaN, infinite or negative (a ``ValueError``
        whose ``index`` attribute is the first offending annotation).
    """
    if not (np.isfinite(sfreq) and sfreq > 0):
        raise ValueError(f"sfreq must be a positive finite number, got {sfreq!r}.")
    lo, hi = annotation_sample_bounds(onset, duration, sfreq, first_samp, n_times)
    return merge_intervals(lo, hi)


def annotation_sample_bounds(onset, duration, sfreq, first_samp=0, n_times=None):
    """Sample bounds ``[lo, hi)`` of each annotation, clipped to the recording.

    ``lo`` is the first sample ``k`` with ``k / sfreq >= onset`` and ``hi`` the
    first with ``k / sfreq >= onset + duration``. ``sfreq``, ``first_samp`` and
    ``n_times`` may be scalars or arrays of one value per annotation.

    Parameters
    ----------
    onset, duration : array-like of float, shape (n_annotations,)
        Annotation onsets and durations in seconds (see
        :func:`seizure_sample_intervals`).
    sfreq : float | ndarray
        Sampling frequency in Hz.
    first_samp : int | ndarray
        First sample of the recording.
    n_times : int | ndarray | None
        Number of samples of the recording (``None``: no clipping at the end).

    Returns
    -------
    lo, hi : ndarray of int64, shape (n_annotations,)
        Clipped bounds; ``hi <= lo`` for an annotation that marks no sample.

    Raises
    ------
    InvalidAnnotationError
        If an onset or duration is NaN, infinite or negative; its ``index``
        attribute is the position of the first such annotation.
    """
    onset = np.asarray(onset, dtype=np.float64).ravel()
    duration = np.asarray(duration, dtype=np.float64).ravel()
    if onset.shape != duration.shape:
        raise ValueError(
            f"onset and duration must have the same length, got {onset.size} "
            f"and {duration.size}."
        )
    bad = ~(np.isfinite(onset) & np.isfinite(duration) & (onset >= 0) & (duration >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidAnnotationError(i, onset[i], duration[i])
    lo = np.maximum(_first_sample_at_or_after(onset, sfreq), first_samp)
    with np.errstate(over="ignore"):
        end = onset + duration
    hi = _first_sample_at_or_after(end, sfreq)
    if n_times is not None:
        hi = np.minimum(hi, np.add(first_samp, n_times))
    return lo.astype(np.int64), hi.astype(np.int64)


def merge_intervals(lo, hi):
    """Sort and merge half-open intervals; touching intervals merge, empty ones drop.

    Parameters
    ----------
    lo, hi : ndarray of int or float, shape (n,)
        Interval bounds ``[lo[j], hi[j])``, in any order (samples, or
        seconds).

    Returns
    -------
    starts, stops : ndarray
        Sorted, disjoint, non-touching intervals covering the same points, in
        the common dtype of ``lo`` and ``hi``.
    """
    lo, hi = np.asarray(lo), np.asarray(hi)
    dtype = np.result_type(lo, hi)
    keep = hi > lo
    lo, hi = lo[keep].astype(dtype), hi[keep].astype(dtype)
    if lo.size == 0:
        return lo, hi
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    # running maximum of stops: an interval starts a new run iff it begins
    # after every earlier interval has ended (touching intervals merge)
    reach = np.maximum.accumulate(hi)
    new_run = np.empty(lo.size, dtype=bool)
    new_run[0] = True
    new_run[1:] = lo[1:] > reach[:-1]
    run_starts = np.flatnonzero(new_run)
    run_ends = np.append(run_starts[1:], lo.size) - 1
    return lo[run_starts], reach[run_ends]


def count_in_windows(starts, stops, win_start, win_stop):
    """Count the samples of disjoint sorted intervals inside each window.

    Parameters
    ----------
    starts, stops : ndarray of int, shape (n_intervals,)
        Sorted disjoint intervals, as returned by
        :func:`seizure_sample_intervals`.
    win_start, win_stop : array-like of int, shape (n_windows,)
        Half-open windows ``[win_start, win_stop)`` on the same sample axis.

    Returns
    -------
    counts : ndarray of int64, shape (n_windows,)
        Number of interval samples in each window.
    """
    win_start = np.asarray(win_start, dtype=np.int64)
    win_stop = np.asarray(win_stop, dtype=np.int64)
    if starts.size == 0:
        return np.zeros(win_start.shape, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    # cum[j]: interval samples before interval j; a sentinel interval starting at
    # +inf makes "the next interval" always exist (its partial part is 0)
    cum = np.zeros(starts.size + 1, dtype=np.int64)
    np.cumsum(stops - starts, out=cum[1:])
    starts_ext = np.append(np.asarray(starts, dtype=np.int64), np.iinfo(np.int64).max)
    out = np.empty(win_start.shape, dtype=np.int64)
    # chunks keep the temporaries in cache (about 1.6x faster on 200k windows)
    for i in range(0, win_start.size, _CHUNK):
        part = slice(i, i + _CHUNK)
        np.subtract(
            _covered_before(starts_ext, stops, cum, win_stop[part]),
            _covered_before(starts_ext, stops, cum, win_start[part]),
            out=out[part],
        )
    return out


def _covered_before(starts_ext, stops, cum, x):
    """Number of interval samples strictly before position(s) ``x``."""
    # intervals with stop <= x lie wholly before x; interval k (the first with
    # stop > x) contributes x - start if it has started (x - start < its length)
    k = _rank(stops, x)
    partial = x - starts_ext[k]
    np.maximum(partial, 0, out=partial)
    partial += cum[k]
    return partial


def _rank(a, x):
    """``np.searchsorted(a, x, side="right")`` for sorted ``a``; O(len(x)) when ``x`` is sorted.

    Windows usually come sorted; then the few interval bounds are located among
    the windows instead (``len(a)`` binary searches) and the ranks are spread
    with :func:`numpy.repeat`, about 10x faster than one binary search per window.
    """
    if x.size > 1 and (x[1:] >= x[:-1]).all():
        p = np.searchsorted(x, a, side="left")
        return np.repeat(np.arange(a.size + 1), np.diff(p, prepend=0, append=x.size))
    return np.searchsorted(a, x, side="right")


def window_seizure_ratio(
    onset, duration, sfreq, win_start, win_stop, first_samp=0, n_times=None
):
    """Seizure ratio of each window of one recording.

    Parameters
    ----------
    onset, duration : array-like of float
        Seizure annotations (seconds), see :func:`seizure_sample_intervals`.
    sfreq : float
        Sampling frequency in Hz.
    win_start, win_stop : array-like of int
        Windows ``[win_start, win_stop)`` as sample indices on the same axis
        as ``first_samp`` (``first_samp + i_start_in_trial`` for a braindecode
        window).
    first_samp : int
        Index of the recording's first sample on that axis.
    n_times : int | None
        Number of samples of the recording (``None``: no clipping at the end).

    Returns
    -------
    ratio : ndarray of float64, shape (n_windows,)
        Fraction of each window's samples that are seizure samples, in [0, 1].
    """
    win_start = np.asarray(win_start, dtype=np.int64)
    win_stop = np.asarray(win_stop, dtype=np.int64)
    size = win_stop - win_start
    if (size <= 0).any():
        i = int(np.flatnonzero(size <= 0)[0])
        raise ValueError(
            f"Window {i} is empty or reversed: [{win_start[i]}, {win_stop[i]})."
        )
    starts, stops = seizure_sample_intervals(onset, duration, sfreq, first_samp, n_times)
    return count_in_windows(starts, stops, win_start, win_stop) / size
