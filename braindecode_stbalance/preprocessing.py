"""The braindecode preprocessing step that writes seizure ratio and category.

``SeizureRatio`` is a :class:`braindecode.preprocessing.Preprocessor`; the
same operation on a whole corpus is :func:`annotate_seizure_ratio`. Both read
only the recordings' annotations and window positions, never EEG samples, so
lazily loaded recordings stay unloaded.
"""

# License: BSD (3-clause)

from __future__ import annotations

import inspect
from importlib import import_module

import mne
import numpy as np
import pandas as pd
from braindecode.datasets import BaseConcatDataset
from braindecode.datasets.base import EEGWindowsDataset, RawDataset, WindowsDataset
from braindecode.preprocessing import Preprocessor
from tqdm.auto import tqdm

from .categories import (
    CATEGORY_COLUMN,
    RATIO_COLUMN,
    _RecordingName,
    categorize,
    category_array,
    check_full_threshold,
)
from .labels import SeizureLabels
from .ratio import (
    annotation_sample_bounds,
    count_in_windows,
    merge_intervals,
)

__all__ = ["SeizureRatio", "annotate_seizure_ratio", "compute_seizure_ratio"]

_TARGETS = (None, "binary", "category")


def _check_target(target):
    if target not in _TARGETS:
        raise ValueError(
            f"target must be None, 'binary' or 'category', got {target!r}."
        )
    return target


def _lazy_metadata_error(where):
    return TypeError(
        f"{where()} was windowed with lazy_metadata=True: its metadata is a "
        "braindecode _LazyDataFrame, which cannot hold seizure columns. "
        "Re-window with lazy_metadata=False (the default), or categorise it "
        "with SeizureManifest, which keeps the categories outside the dataset."
    )


def _not_windowed_error(where):
    return TypeError(
        f"{where()} is not windowed (a RawDataset): seizure ratios are per "
        "window. Window it first, e.g. with braindecode's "
        "create_fixed_length_windows, then apply SeizureRatio."
    )


def _window_positions(ds, where):
    """``where`` is a zero-argument callable naming the recording (for errors only).

    Return (mne object, metadata frames to write, abs starts, abs stops, first_samp, n_times)."""
    if isinstance(ds, EEGWindowsDataset):
        raw = ds.raw
        md = ds.metadata
        if not isinstance(md, pd.DataFrame):
            raise _lazy_metadata_error(where)
        first = int(raw.first_samp)
        starts = ds.crop_inds[:, 1].astype(np.int64) + first
        stops = ds.crop_inds[:, 2].astype(np.int64) + first
        return raw, [md], starts, stops, first, int(raw.n_times)
    if isinstance(ds, WindowsDataset):
        frames = [ds.metadata]
        epochs = ds.windows
        if epochs.metadata is not ds.metadata:
            frames.append(epochs.metadata)
        starts, stops = _epochs_positions(epochs)
        first, n_times = _epochs_extent(epochs)
        return epochs, frames, starts, stops, first, n_times
    if isinstance(ds, RawDataset):
        raise _not_windowed_error(where)
    raise TypeError(f"{where()}: expected a braindecode windows dataset, got {type(ds).__name__}.")


def _epochs_positions(epochs):
    sfreq = epochs.info["sfreq"]
    offset = round(epochs.times[0] * sfreq)
    starts = epochs.events[:, 0].astype(np.int64) + offset
    return starts, starts + len(epochs.times)


def _epochs_extent(epochs):
    """(first_samp, n_times) of the recording behind Epochs, or (0, None) if unknown.

    Epochs cut from a Raw keep it in ``_raw``; Epochs read from a -epo.fif file
    do not (MNE keeps a list there). The extent only clips annotations to the
    recording, which cannot change the count inside a window.
    """
    raw = getattr(epochs, "_raw", None)
    if isinstance(raw, mne.io.BaseRaw):
        return int(raw.first_samp), int(raw.n_times)
    return 0, None


_PY_STR = pd.StringDtype("python", na_value=np.nan)


def _set_column(md, name, values):
    columns = md.columns
    if name in columns:
        md[name] = values
        return
    # pandas >= 3 stores string column labels in pyarrow arrays, whose Index.insert
    # costs ~150 us a call; the same "str" labels in Python storage insert ~4x
    # faster. Labels and dtype name ("str") are unchanged.
    if isinstance(columns.dtype, pd.StringDtype) and columns.dtype.storage == "pyarrow":
        md.columns = columns.astype(_PY_STR)
    # known absent: skip pandas' duplicate-label check
    md.insert(md.shape[1], name, values, allow_duplicates=True)


def _write_columns(ds, frames, ratio, full_threshold, target, codes=None):
    """Write ratio, category (and target) columns into ``frames``; ``codes`` if already known."""
    if codes is None:
        codes = categorize(ratio, full_threshold)
    cats = category_array(codes)
    for md in frames:
        _set_column(md, RATIO_COLUMN, ratio)
        _set_column(md, CATEGORY_COLUMN, cats)
        if target is not None:
            md["target"] = (codes > 0).astype(np.int64) if target == "binary" else codes.astype(np.int64)
    if target is not None and ds is not None and getattr(ds, "targets_from", "metadata") == "metadata":
        ds.y = frames[0]["target"].to_list()


def _check_corpus(concat_ds):
    if not isinstance(concat_ds, BaseConcatDataset):
        raise TypeError(
            f"concat_ds must be a braindecode BaseConcatDataset, got {type(concat_ds).__name__}."
        )


def _corpus_ratios(datasets, labels, names=None):
    """Seizure ratio of every window of ``datasets`` (see :func:`_ratios`).

    Returns
    -------
    ratio : ndarray of float64
        All windows, corpus order.
    frames : list of list of DataFrame
        The metadata frames to write, per recording.
    bounds : ndarray of int64
        ``ratio[bounds[i]:bounds[i + 1]]`` are recording ``i``'s windows.
    """
    if names is None:
        names = [_RecordingName(i, ds) for i, ds in enumerate(datasets)]
    positions = [_window_positions(ds, name.__str__) for ds, name in zip(datasets, names)]
    ratio, bounds = _ratios([(p[0], *p[2:]) for p in positions], labels, names)
    return ratio, [p[1] for p in positions], bounds


def _ratios(recordings, labels, names):
    """Seizure ratios of the windows of several recordings with one vectorised kernel call.

    ``recordings`` holds ``(mne object, window starts, window stops, first_samp,
    n_times)`` per recording (absolute samples, see :func:`_window_positions`);
    ``names[i]`` formats recording ``i`` in error messages. Each recording is
    laid on a global sample axis after the previous one; window positions and
    annotation bounds are shifted onto it, the seizure intervals of all
    recordings are merged at once and every window is counted by
    :func:`~braindecode_stbalance.ratio.count_in_windows`. Per recording only
    attribute reads remain in Python. Returns the ratios and the window bounds
    per recording.
    """
    n = len(recordings)
    sfreq = np.empty(n)
    first = np.empty(n, dtype=np.int64)
    extent = np.empty(n, dtype=np.int64)
    n_win = np.empty(n, dtype=np.int64)
    win_starts, win_stops = [], []
    onsets, durations, descriptions, owners, local = [], [], [], [], []
    for i, (mne_obj, starts, stops, f, n_times) in enumerate(recordings):
        win_starts.append(starts)
        win_stops.append(stops)
        n_win[i] = starts.size
        sfreq[i] = mne_obj.info["sfreq"]
        first[i] = f
        if n_times is None:  # Epochs read from disk: the windows bound the recording
            n_times = int(stops.max() - f) if stops.size else 0
        extent[i] = n_times
        ann = mne_obj.annotations
        if ann is not None and len(ann):
            onsets.append(ann.onset)
            durations.append(ann.duration)
            descriptions.append(ann.description)
            owners.append(np.full(len(ann), i))
            local.append(np.arange(len(ann)))
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_win, out=bounds[1:])
    # recording i occupies [offset[i], offset[i] + extent[i]) of the global axis
    offset = np.zeros(n, dtype=np.int64)
    np.cumsum(extent[:-1], out=offset[1:])
    shift = offset - first
    starts = np.concatenate(win_starts) if n else np.zeros(0, dtype=np.int64)
    stops = np.concatenate(win_stops) if n else np.zeros(0, dtype=np.int64)
    size = stops - starts
    if (size <= 0).any():
        j = int(np.flatnonzero(size <= 0)[0])
        i = int(np.searchsorted(bounds, j, side="right") - 1)
        raise ValueError(
            f"{names[i]}: window {j - bounds[i]} is empty or reversed: [{starts[j]}, {stops[j]})."
        )
    window_shift = np.repeat(shift, n_win)
    if onsets:
        owner = np.concatenate(owners)
        is_seiz = labels(np.concatenate(descriptions))
        owner = owner[is_seiz]
        try:
            lo, hi = annotation_sample_bounds(
                np.concatenate(onsets)[is_seiz], np.concatenate(durations)[is_seiz],
                sfreq[owner], first[owner], extent[owner],
            )
        except ValueError as err:
            j = int(str(err).split("index ")[1].split(":")[0])
            i = int(owner[j])
            k = int(np.concatenate(local)[is_seiz][j])
            msg = str(err).replace(f"index {j}", f"index {k}", 1)
            raise ValueError(f"{names[i]}: {msg}") from None
        sz_starts, sz_stops = merge_intervals(lo + shift[owner], hi + shift[owner])
        counts = count_in_windows(sz_starts, sz_stops, starts + window_shift, stops + window_shift)
    else:
        counts = np.zeros(starts.shape, dtype=np.int64)
    return counts / size, bounds


def compute_seizure_ratio(concat_ds, labels=None):
    """Seizure ratio of every window of a corpus, without writing anything.

    The computation behind :func:`annotate_seizure_ratio`, for users who keep
    the categorisation outside the datasets (e.g. to feed a sampler or a
    manifest): one vectorised pass over the whole corpus.

    Parameters
    ----------
    concat_ds : braindecode.datasets.BaseConcatDataset
        A windowed corpus.
    labels : None | collection of str | callable
        Which annotation descriptions are seizures (see
        :class:`~braindecode_stbalance.SeizureLabels`).

    Returns
    -------
    ndarray of float64, shape (n_windows,)
        ``seizure_ratio`` of each window, in corpus order.

    Raises
    ------
    TypeError
        If the corpus is not windowed or has lazy metadata.
    ValueError
        If an annotation is invalid; the message names the recording and the
        annotation index.
    """
    _check_corpus(concat_ds)
    seizure_labels = SeizureLabels(labels)
    ratio, _, _ = _corpus_ratios(concat_ds.datasets, seizure_labels)
    seizure_labels.warn_unknown(f"this corpus of {len(concat_ds.datasets)} recording(s)")
    return ratio


def annotate_seizure_ratio(
    concat_ds, labels=None, full_threshold=1.0, target=None, progress=None
):
    """Write ``seizure_ratio`` and ``seizure_category`` into every window's metadata.

    The function form of :class:`SeizureRatio`, for a whole corpus at once.
    The ratios come from one vectorised pass over the corpus
    (:func:`compute_seizure_ratio`); writing the two columns into each
    recording's metadata DataFrame is the remaining per-recording cost.

    Parameters
    ----------
    concat_ds : braindecode.datasets.BaseConcatDataset
        A windowed corpus (:class:`~braindecode.datasets.EEGWindowsDataset`
        or :class:`~braindecode.datasets.WindowsDataset` recordings).
    labels : None | collection of str | callable
        Which annotation descriptions are seizures; see
        :class:`~braindecode_stbalance.labels.SeizureLabels`. ``None``: TUSZ
        seizure labels and SzCORE ``sz*`` event types.
    full_threshold : float
        Ratio from which a window is ``"full_seizure"``, in (0, 1].
    target : None | "binary" | "category"
        Also set the windows' training target: ``"binary"`` is 1 for a window
        with any seizure sample (ratio > 0), else 0; ``"category"`` is the
        category code (0 no, 1 partial, 2 full seizure). ``None`` leaves the
        target alone.
    progress : bool | None
        Show a progress bar. ``None``: only for corpora of more than 1,000
        recordings.

    Returns
    -------
    concat_ds : braindecode.datasets.BaseConcatDataset
        The same corpus, annotated in place.

    Raises
    ------
    TypeError
        If the corpus is not windowed or has lazy metadata.
    ValueError
        If an annotation is invalid (NaN or negative onset/duration); the
        message names the recording and the annotation index. Nothing is
        written then.
    """
    _check_corpus(concat_ds)
    full_threshold = check_full_threshold(full_threshold)
    target = _check_target(target)
    seizure_labels = SeizureLabels(labels)
    datasets = concat_ds.datasets
    if progress is None:
        progress = len(datasets) > 1000
    ratio, frames, bounds = _corpus_ratios(datasets, seizure_labels)
    for i, ds in enumerate(
        tqdm(datasets, desc="seizure ratio", unit="rec", disable=not progress)
    ):
        _write_columns(ds, frames[i], ratio[bounds[i]:bounds[i + 1]], full_threshold, target)
    seizure_labels.warn_unknown(f"this corpus of {len(datasets)} recording(s)")
    if target is not None:
        concat_ds.cumulative_sizes = concat_ds.cumsum(concat_ds.datasets)
    return concat_ds


def _owner_of(mne_obj):
    """Find the braindecode dataset holding ``mne_obj`` in the calling frames.

    braindecode's ``preprocess`` hands a step only the Raw (or Epochs) of a
    recording. The recording dataset that owns it is a local variable of the
    caller (``_preprocess``); we look it up by identity (``ds.raw is
    mne_obj``), reading frames only, never patching braindecode.
    """
    frame = inspect.currentframe()
    try:
        frame = frame.f_back
        while frame is not None:
            for value in list(frame.f_locals.values()):
                if isinstance(value, (EEGWindowsDataset, RawDataset)):
                    held = getattr(value, "_raw", None)
                elif isinstance(value, WindowsDataset):
                    held = getattr(value, "_windows", None)
                else:
                    continue
                if held is mne_obj:
                    return value
            frame = frame.f_back
    finally:
        del frame
    return None


class SeizureRatio(Preprocessor):
    """Preprocessing step: per-window seizure ratio and category.

    Add it to the list given to :func:`braindecode.preprocessing.preprocess`
    on a *windowed* corpus. It adds two columns to every window's metadata:

    - ``seizure_ratio``: the fraction of the window's samples inside a seizure
      annotation, in [0, 1];
    - ``seizure_category``: ``"no_seizure"`` (ratio == 0), ``"full_seizure"``
      (ratio >= ``full_threshold``) or ``"partial_seizure"`` (otherwise).

    Ratios come from the annotations by interval arithmetic; no EEG sample is
    read, so lazily loaded recordings stay unloaded.

    Parameters
    ----------
    labels : None | collection of str | callable
        Which annotation descriptions are seizures (case-insensitive). ``None``
        uses the TUSZ seizure labels (``seiz``, ``fnsz``, ``gnsz``, ...) and
        every SzCORE/BIDS event type starting with ``sz``.
    full_threshold : float
        Ratio from which a window counts as ``"full_seizure"``, in (0, 1].
        1.0 (default) means every sample, as in SeizureTransformer.
    target : None | "binary" | "category"
        Also set the training target (see :func:`annotate_seizure_ratio`).

    Notes
    -----
    braindecode calls a step with the recording's :class:`mne.Epochs`
    (``WindowsDataset``, ``use_mne_epochs=True``) or :class:`mne.io.Raw`
    (``EEGWindowsDataset``, the default). Epochs carry their metadata, so that
    case needs nothing else. The window table of an ``EEGWindowsDataset``
    lives on the dataset, not on the Raw: the step finds the dataset that holds
    this very Raw object among the local variables of its caller (braindecode's
    ``preprocess``), by identity, without patching braindecode. Called in any
    other way on a Raw (e.g. ``SeizureRatio().apply(raw)``) it raises a
    ``TypeError`` that points to :func:`annotate_seizure_ratio`.

    Running the step twice gives the same columns (idempotent).
    """

    def __init__(self, labels=None, full_threshold=1.0, target=None):
        self.labels = labels
        self.full_threshold = full_threshold
        self.target = target
        self.fn = "seizure_ratio"
        self.apply_on_array = False
        self.kwargs = {}
        self._labels = None

    @property
    def _all_attrs(self):
        return ["labels", "full_threshold", "target"]

    def _seizure_labels(self):
        if self._labels is None:
            self._labels = SeizureLabels(self.labels)
        return self._labels

    def apply(self, raw_or_epochs):
        """Annotate the windows of the recording that holds ``raw_or_epochs``.

        Parameters
        ----------
        raw_or_epochs : mne.io.Raw | mne.Epochs
            What braindecode's ``preprocess`` hands the step.

        Returns
        -------
        mne.io.Raw | mne.Epochs
            ``raw_or_epochs``, unchanged (only window metadata is written).
        """
        full_threshold = check_full_threshold(self.full_threshold)
        target = _check_target(self.target)
        owner = _owner_of(raw_or_epochs)
        labels = self._seizure_labels()
        if owner is not None:
            ratio, frames, _ = _corpus_ratios([owner], labels, [_RecordingName(None, owner)])
            _write_columns(owner, frames[0], ratio, full_threshold, target)
        elif isinstance(raw_or_epochs, mne.BaseEpochs):
            md = raw_or_epochs.metadata
            if md is None:
                raise TypeError(
                    "SeizureRatio got Epochs without metadata: expected the "
                    "windows of a braindecode WindowsDataset."
                )
            starts, stops = _epochs_positions(raw_or_epochs)
            ratio, _ = _ratios(
                [(raw_or_epochs, starts, stops, *_epochs_extent(raw_or_epochs))], labels, ["Epochs"])
            _write_columns(None, [md], ratio, full_threshold, target)
        else:
            raise TypeError(
                f"SeizureRatio got a {type(raw_or_epochs).__name__} that belongs to "
                "no braindecode windows dataset it can find. Window positions live on "
                "the dataset, so use it inside braindecode's "
                "preprocess(windows_ds, [SeizureRatio()]) on a windowed corpus, or "
                "call annotate_seizure_ratio(windows_ds)."
            )
        self._warned = getattr(self, "_warned", set()) | labels.warn_unknown(
            "the recordings seen so far (each description is reported once)",
            exclude=getattr(self, "_warned", set()),
        )
        return raw_or_epochs

    def serialize(self):
        """Return a JSON-safe representation, as braindecode steps do.

        Returns
        -------
        dict
            The init parameters and ``__class_path__``.
        """
        labels = self.labels
        if callable(labels):
            labels = f"callable:{labels.__module__}.{labels.__qualname__}"
        elif labels is not None:
            labels = sorted(str(x) for x in labels)
        return {
            "labels": labels,
            "full_threshold": float(self.full_threshold),
            "target": self.target,
            "__class_path__": f"{type(self).__module__}.{type(self).__name__}",
        }

    @classmethod
    def deserialize(cls, data):
        """Rebuild a step from :meth:`serialize`'s output.

        Parameters
        ----------
        data : dict
            As returned by :meth:`serialize`.

        Returns
        -------
        SeizureRatio
            The step.
        """
        data = dict(data)
        data.pop("__class_path__", None)
        labels = data.get("labels")
        if isinstance(labels, str) and labels.startswith("callable:"):
            module, _, name = labels[len("callable:"):].rpartition(".")
            data["labels"] = getattr(import_module(module), name)
        return cls(**data)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_labels"] = None
        return state
