"""One record of a recording's facts, and the one computation that turns records into ratios.

Every categorisation path (the :class:`~braindecode_stbalance.SeizureRatio`
step, :func:`~braindecode_stbalance.annotate_seizure_ratio`,
:meth:`SeizureManifest.from_dataset <braindecode_stbalance.SeizureManifest.from_dataset>`,
:meth:`~braindecode_stbalance.SeizureManifest.check` and
:func:`~braindecode_stbalance.scan_corpus`) fills :class:`RecordingFacts`
through one of two adapters (:func:`facts_from_dataset` for a braindecode
windows dataset; the scanner's for an EDF header plus an annotation file) and
hands the records to :func:`compute`, which returns the seizure ratio of every
window and, on request, each recording's fingerprint row. The paths cannot
drift: there is no other computation.

This module imports neither torch nor braindecode at import time. It is a little
over 400 lines because the record, its adapter and the computation are one idea
documented in full (about 180 lines of docstrings); the fingerprint rows live in
``_fingerprint``.
"""

# License: BSD (3-clause)

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ._fingerprint import annotation_hash, fingerprint_rows
from .labels import NA_LABEL, LabelReport, SeizureLabels
from .ratio import (
    InvalidAnnotationError,
    annotation_sample_bounds,
    count_in_windows,
    merge_intervals,
)

__all__ = ["Computed", "RecordingFacts", "annotation_hash", "compute", "corpus_facts",
           "facts_from_dataset", "record_extent"]

_NO_FLOATS = np.zeros(0, dtype=np.float64)
_NO_INTS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class RecordingFacts:
    """What categorising one recording needs, and nothing else.

    Parameters
    ----------
    name : object
        Names the recording in messages (its ``str()`` is taken only when a
        message needs it).
    sfreq : float
        Sampling frequency in Hz.
    first_samp : int
        The recording's first sample on the annotations' axis (sample ``k``
        at ``k / sfreq``).
    n_times : int | None
        Samples in the recording; ``None`` when unknown (Epochs read back from
        disk), then the recording is taken to end with its last window
        (annotations are clipped there).
    starts, stops : ndarray of int64
        Windows ``[starts, stops)`` in samples from the first sample
        (braindecode's ``i_start_in_trial``/``i_stop_in_trial``).
    onset, duration : ndarray of float64
        The *seizure* annotations, in seconds on the annotations' axis.
    description : ndarray of object
        Their descriptions.
    index : ndarray of int64
        Their positions among all of the recording's annotations (reported
        when one is invalid).
    path : str
        The source file (``""`` if none or not looked up).
    file_size, file_mtime_ns : int
        ``os.stat`` of ``path`` (-1 if unknown).
    window_size, window_stride : int
        Windowing in samples (-1 if unknown or irregular).
    on_last_window : str | None
        braindecode's last-window policy (``"overlap"``/``"drop"``) if known.
    """

    name: object
    sfreq: float
    first_samp: int
    n_times: int | None
    starts: np.ndarray
    stops: np.ndarray
    onset: np.ndarray = field(default_factory=lambda: _NO_FLOATS)
    duration: np.ndarray = field(default_factory=lambda: _NO_FLOATS)
    description: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    index: np.ndarray = field(default_factory=lambda: _NO_INTS)
    path: str = ""
    file_size: int = -1
    file_mtime_ns: int = -1
    window_size: int = -1
    window_stride: int = -1
    on_last_window: str | None = None


class Computed:
    """What :func:`compute` returns.

    Attributes
    ----------
    ratio : ndarray of float64
        ``seizure_ratio`` of every window, records in order.
    offsets : ndarray of int64
        ``ratio[offsets[i]:offsets[i + 1]]`` are record ``i``'s windows.
    rows : list of dict | None
        One fingerprint row per record (see :func:`compute`), if requested.
    origin : ndarray of int64
        Where each record starts on the global sample axis of :func:`compute`
        (records one sample apart, each :func:`record_extent` long).
    seizure_intervals : (ndarray of int64, ndarray of int64)
        The merged seizure ``[start, stop)`` intervals of all records on that
        axis (:meth:`intervals` gives one record's, from its first sample).
    """

    __slots__ = ("_bounds", "_origin", "_sz", "offsets", "ratio", "rows")

    def __init__(self, ratio, offsets, rows, sz=None, origin=None):
        self.ratio, self.offsets, self.rows = ratio, offsets, rows
        self._sz, self._origin = sz, origin
        self._bounds = None

    @property
    def origin(self):
        """ndarray of int64: each record's start on the global sample axis."""
        return self._origin

    @property
    def seizure_intervals(self):
        """(ndarray, ndarray): merged seizure ``[start, stop)`` on the global axis."""
        return self._sz

    def of(self, i):
        """Ratios of record ``i``'s windows."""
        return self.ratio[self.offsets[i]:self.offsets[i + 1]]

    def intervals(self, i):
        """Merged seizure sample intervals of record ``i``, from its first sample.

        Parameters
        ----------
        i : int
            Record index.

        Returns
        -------
        starts, stops : ndarray of int64
            Sorted, disjoint, non-touching ``[start, stop)`` intervals, in
            samples from the recording's first sample (the axis of
            ``i_start_in_trial``), clipped to the recording: sample ``k`` is a
            seizure sample iff it lies in one of them.
        """
        starts, stops = self._sz
        if self._bounds is None:
            self._bounds = np.searchsorted(starts, self._origin, side="left")
        lo = self._bounds[i]
        hi = self._bounds[i + 1] if i + 1 < self._bounds.size else starts.size
        return starts[lo:hi] - self._origin[i], stops[lo:hi] - self._origin[i]


def compute(records, fingerprints=False):
    """Seizure ratio of every window of ``records``, in one vectorised pass.

    Each recording is laid on one global sample axis after the previous one;
    the seizure annotations of all recordings become sample bounds
    (:func:`~braindecode_stbalance.ratio.annotation_sample_bounds`, clipped to
    their recording), are merged at once and every window is counted by
    :func:`~braindecode_stbalance.ratio.count_in_windows`.

    Parameters
    ----------
    records : sequence of RecordingFacts
        The recordings.
    fingerprints : bool
        Also return one fingerprint row per record: ``path``, ``file_size``,
        ``file_mtime_ns``, ``n_times`` (-1 if unknown), ``sfreq``,
        ``first_samp``, ``duration`` (s, NaN if unknown),
        ``window_size_samples``, ``window_stride_samples``,
        ``on_last_window``, ``n_seizure_events`` (merged seizure intervals),
        ``seizure_seconds`` (seizure time of the recording, each sample once)
        and ``annotation_hash`` (see :func:`annotation_hash`).

    Returns
    -------
    Computed
        ``ratio``, ``offsets`` and ``rows``.

    Raises
    ------
    InvalidAnnotationError
        For an annotation with a NaN, infinite or negative onset or duration;
        ``recording`` names the recording and ``index`` is its position among
        that recording's annotations.
    ValueError
        For an empty or reversed window (naming the recording and window), or
        a sampling frequency that is not a positive finite number.
    """
    n = len(records)
    sfreq = np.fromiter((r.sfreq for r in records), np.float64, n)
    if not (np.isfinite(sfreq) & (sfreq > 0)).all():
        i = int(np.flatnonzero(~(np.isfinite(sfreq) & (sfreq > 0)))[0])
        raise ValueError(f"{records[i].name}: sampling frequency {sfreq[i]!r} Hz is not a "
                         "positive finite number.")
    first = np.fromiter((r.first_samp for r in records), np.int64, n)
    n_win = np.fromiter((r.starts.size for r in records), np.int64, n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_win, out=offsets[1:])
    starts = np.concatenate([r.starts for r in records]).astype(np.int64) if n else _NO_INTS
    stops = np.concatenate([r.stops for r in records]).astype(np.int64) if n else _NO_INTS
    size = stops - starts
    if (size <= 0).any():
        j = int(np.flatnonzero(size <= 0)[0])
        i = int(np.searchsorted(offsets, j, side="right") - 1)
        raise ValueError(f"{records[i].name}: window {j - offsets[i]} is empty or reversed: "
                         f"[{starts[j]}, {stops[j]}).")
    # recording i occupies [origin[i], origin[i] + extent[i]) of the global axis (an
    # unknown length ends at the last window), one sample apart so that seizures at
    # the end of one recording and the start of the next never merge
    extent = np.fromiter((record_extent(r) for r in records), np.int64, n)
    origin = np.zeros(n, dtype=np.int64)
    np.cumsum(extent[:-1] + 1, out=origin[1:])
    n_ann = np.fromiter((r.onset.size for r in records), np.int64, n)
    owner = np.repeat(np.arange(n), n_ann)
    if owner.size:
        try:
            lo, hi = annotation_sample_bounds(
                np.concatenate([r.onset for r in records]),
                np.concatenate([r.duration for r in records]),
                sfreq[owner], first[owner], extent[owner])
        except InvalidAnnotationError as err:
            rec = records[int(owner[err.index])]
            k = int(rec.index[err.index - int(np.searchsorted(owner, owner[err.index]))])
            raise InvalidAnnotationError(k, err.onset, err.duration, str(rec.name)) from None
        lo -= first[owner]  # from here on: samples from each recording's first sample
        hi -= first[owner]
        sz_starts, sz_stops = merge_intervals(lo + origin[owner], hi + origin[owner])
        shift = np.repeat(origin, n_win)
        counts = count_in_windows(sz_starts, sz_stops, starts + shift, stops + shift)
    else:
        lo = hi = _NO_INTS
        sz_starts = sz_stops = _NO_INTS
        counts = np.zeros(starts.shape, dtype=np.int64)
    rows = None
    if fingerprints:
        rows = fingerprint_rows(records, lo, hi, owner, sz_starts, sz_stops, origin)
    return Computed(counts / size, offsets, rows, (sz_starts, sz_stops), origin)


def record_extent(r):
    """Samples of a record: ``n_times``, or up to its last window's stop if unknown.

    Parameters
    ----------
    r : RecordingFacts
        The record.

    Returns
    -------
    int
        Its length on the axis of ``i_start_in_trial``.
    """
    if r.n_times is not None:
        return int(r.n_times)
    return int(r.stops.max()) if r.stops.size else 0


# ----------------------------------------------------------------- adapter: braindecode
def facts_from_dataset(ds, name, labels, report, with_source=False):
    """The facts of one braindecode windows dataset (no EEG sample is read).

    Parameters
    ----------
    ds : EEGWindowsDataset | WindowsDataset
        A windowed recording.
    name : object
        Names the recording in messages.
    labels : SeizureLabels
        The seizure vocabulary.
    report : LabelReport
        Receives the descriptions not counted as seizures.
    with_source : bool
        Also look up the source file, its size and mtime, and the windowing
        parameters (for fingerprints).

    Returns
    -------
    RecordingFacts
        The record.

    Raises
    ------
    TypeError
        If ``ds`` is not windowed or has lazy metadata.
    ValueError
        If ``ds`` keeps no MNE object (a dataset streamed from Zarr has no
        annotations).

    Notes
    -----
    Events that braindecode's BIDS loaders name ``'n/a'`` (every event of a
    SzCORE tree, whose ``events.tsv`` has no ``trial_type`` column) are read
    by their SzCORE ``eventType``, which MNE keeps in ``annotations.extras``.
    """
    from . import _adapters

    kind = _adapters.windows_kind(ds)
    if kind == "raw":
        raise TypeError(
            f"{name} is not windowed (a RawDataset): seizure ratios are per window. "
            "Window it first, e.g. with braindecode's create_fixed_length_windows, "
            "then apply SeizureRatio.")
    if kind is None:
        raise TypeError(f"{name}: expected a braindecode windows dataset, got {type(ds).__name__}.")
    mne_obj = _adapters.mne_object(ds)
    if mne_obj is None:
        raise ValueError(
            f"{name} keeps no MNE object (a dataset streamed from Zarr), hence no "
            "annotations: categorise the corpus before saving it, or from its source "
            "files with `stbalance scan`.")
    if kind == "eeg_windows":
        if not _is_frame(ds.metadata):
            raise _lazy_metadata_error(name)
        crop = ds.crop_inds
        starts, stops = crop[:, 1].astype(np.int64), crop[:, 2].astype(np.int64)
        first, n_times = int(mne_obj.first_samp), int(mne_obj.n_times)
    else:
        first, n_times = _adapters.epochs_extent(mne_obj)
        sfreq = mne_obj.info["sfreq"]
        offset = round(mne_obj.times[0] * sfreq)
        starts = mne_obj.events[:, 0].astype(np.int64) + offset - first
        stops = starts + len(mne_obj.times)
    onset, duration, description, index = _seizure_annotations(mne_obj.annotations, labels, report)
    source = {}
    if with_source:
        path = _adapters.source_path(ds)
        size, mtime = file_stat(path)
        wsize, wstride, policy = _windowing(ds, starts, stops)
        source = {"path": path, "file_size": size, "file_mtime_ns": mtime, "window_size": wsize,
                      "window_stride": wstride, "on_last_window": policy}
    return RecordingFacts(name, float(mne_obj.info["sfreq"]), first, n_times, starts, stops,
                          onset, duration, description, index, **source)


def _is_frame(md):
    import pandas as pd

    return isinstance(md, pd.DataFrame)


def _lazy_metadata_error(name):
    return TypeError(
        f"{name} was windowed with lazy_metadata=True: its metadata is a braindecode "
        "_LazyDataFrame, which cannot hold seizure columns. Re-window with "
        "lazy_metadata=False (the default), or categorise it with SeizureManifest, "
        "which keeps the categories outside the dataset.")


def _seizure_annotations(ann, labels, report):
    if ann is None or len(ann) == 0:
        return _NO_FLOATS, _NO_FLOATS, np.zeros(0, dtype=object), _NO_INTS
    desc = np.asarray(ann.description, dtype=object)
    is_na = np.array([str(d).strip().lower() == NA_LABEL for d in desc]) if _has_na(desc) else None
    if is_na is not None and is_na.any():
        extras = getattr(ann, "extras", None) or [{}] * len(desc)
        desc = desc.copy()
        for i in np.flatnonzero(is_na):
            event_type = (extras[i] or {}).get("eventType")
            if event_type not in (None, "", NA_LABEL):
                desc[i] = str(event_type)
    seizure = report.add(labels, desc)
    index = np.flatnonzero(seizure)
    return (np.asarray(ann.onset, np.float64)[index], np.asarray(ann.duration, np.float64)[index],
            desc[index], index.astype(np.int64))


def _has_na(desc):
    # cheap pre-check: only scan descriptions when 'n/a' may be among them
    return any("/" in str(d) for d in set(desc.tolist()))


def _windowing(ds, starts, stops):
    """Window size, stride and last-window policy of one recording; -1/None where unknown."""
    for fn, kwargs in getattr(ds, "window_kwargs", None) or []:
        if fn == "create_fixed_length_windows" and kwargs.get("window_size_samples"):
            size = int(kwargs["window_size_samples"])
            stride = int(kwargs.get("window_stride_samples") or size)
            drop = kwargs.get("drop_last_window")
            policy = None if drop is None else ("drop" if drop else "overlap")
            return size, stride, policy
    sizes = np.unique(stops - starts)
    size = int(sizes[0]) if sizes.size == 1 else -1
    steps = np.diff(starts)
    # the last step may be shorter: a last window moved back to end with the recording
    regular = np.unique(steps[:-1] if steps.size > 1 else steps)
    stride = int(regular[0]) if regular.size == 1 and 0 < steps[-1] <= regular[0] else -1
    return size, stride, None


def file_stat(path):
    """``(size, mtime_ns)`` of ``path``, or ``(-1, -1)`` if it cannot be read.

    Parameters
    ----------
    path : str
        A file.

    Returns
    -------
    tuple of int
        Size in bytes and modification time in nanoseconds.
    """
    if not path:
        return -1, -1
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return -1, -1
    return int(st.st_size), int(st.st_mtime_ns)


def corpus_facts(datasets, labels=None, with_source=False, names=None):
    """Facts of every recording of a windowed corpus, and the label report.

    Parameters
    ----------
    datasets : sequence of braindecode windows datasets
        ``concat_ds.datasets``.
    labels : None | collection of str | callable | SeizureLabels
        The seizure vocabulary.
    with_source : bool
        See :func:`facts_from_dataset`.
    names : sequence | None
        How to name each recording in messages (default: ``"Recording i
        (path=...)"``).

    Returns
    -------
    records : list of RecordingFacts
    report : LabelReport
    """
    from .categories import RecordingName

    labels = SeizureLabels(labels)
    report = LabelReport()
    if names is None:
        names = [RecordingName(i, ds) for i, ds in enumerate(datasets)]
    records = [facts_from_dataset(ds, name, labels, report, with_source)
               for ds, name in zip(datasets, names)]
    return records, report
