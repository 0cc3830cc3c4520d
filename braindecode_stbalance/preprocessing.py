"""The braindecode preprocessing step that writes seizure ratio and category.

``SeizureRatio`` is a :class:`braindecode.preprocessing.Preprocessor`; the
same operation on a whole corpus is :func:`annotate_seizure_ratio`. Both read
only the recordings' annotations and window positions, never EEG samples, so
lazily loaded recordings stay unloaded. Both compute through
:func:`braindecode_stbalance.facts.compute`, like the manifest and the scanner.
Half of the module is the documentation of the step and the two functions.
"""

# License: BSD (3-clause)

from __future__ import annotations

from importlib import import_module

import numpy as np
import pandas as pd
from braindecode.datasets import BaseConcatDataset
from braindecode.preprocessing import Preprocessor
from tqdm.auto import tqdm

from . import _adapters
from .categories import (
    CATEGORY_COLUMN,
    RATIO_COLUMN,
    RecordingName,
    categorize,
    category_array,
    check_full_threshold,
)
from .facts import compute, corpus_facts, facts_from_dataset
from .labels import LabelReport, SeizureLabels

__all__ = ["SeizureRatio", "annotate_seizure_ratio", "compute_seizure_ratio"]

#: What ``target=`` accepts.
TARGETS = (None, "binary", "category", "ratio")


def check_target(target):
    """Validate ``target`` (one of :data:`TARGETS`) and return it."""
    if not any(target is t or (isinstance(target, str) and target == t) for t in TARGETS):
        raise ValueError(
            f"target must be None, 'binary', 'category' or 'ratio', got {target!r}.")
    return target


def target_values(target, ratio, codes):
    """Training targets of windows: a list, one entry per window.

    Parameters
    ----------
    target : "binary" | "category" | "ratio"
        ``"binary"``: 1 if the window holds any seizure sample, else 0
        (int64); ``"category"``: the category code 0/1/2 (int64);
        ``"ratio"``: the seizure ratio as a float32 array of shape ``(1,)``,
        so that a batch is ``(batch, 1)`` like a one-output regressor's
        predictions (``EEGRegressor`` with ``y=None`` does not reshape it).
    ratio : ndarray of float64
        Seizure ratios.
    codes : ndarray of int8
        Category codes.

    Returns
    -------
    list
        The targets.
    """
    if target == "binary":
        return (codes > 0).astype(np.int64).tolist()
    if target == "category":
        return codes.astype(np.int64).tolist()
    return list(ratio.astype(np.float32).reshape(-1, 1))


def _set_column(md, name, values):
    columns = md.columns
    if name in columns:
        md[name] = values
        return
    # pandas >= 3 stores string column labels in pyarrow arrays, whose Index.insert
    # costs ~150 us a call; the same "str" labels in Python storage insert ~4x
    # faster. Labels and dtype name ("str") are unchanged.
    if isinstance(columns.dtype, pd.StringDtype) and columns.dtype.storage == "pyarrow":
        # (made here: StringDtype's na_value exists from pandas 2.3 on)
        md.columns = columns.astype(pd.StringDtype("python", na_value=np.nan))
    # known absent: skip pandas' duplicate-label check
    md.insert(md.shape[1], name, values, allow_duplicates=True)


def write_columns(ds, ratio, codes, target):
    """Write ``seizure_ratio``, ``seizure_category`` (and the target) into a recording's metadata.

    The one writer of these columns (used by the step, the function and
    :meth:`SeizureManifest.apply <braindecode_stbalance.SeizureManifest.apply>`).

    Parameters
    ----------
    ds : EEGWindowsDataset | WindowsDataset
        The recording.
    ratio : ndarray of float64
        Its windows' seizure ratios.
    codes : ndarray of int8
        Their category codes.
    target : None | "binary" | "category" | "ratio"
        Also set the training target (metadata ``target`` and ``ds.y``).
    """
    frames = _adapters.metadata_frames(ds)
    cats = category_array(codes)
    values = None if target is None else target_values(target, ratio, codes)
    for md in frames:
        _set_column(md, RATIO_COLUMN, ratio)
        _set_column(md, CATEGORY_COLUMN, cats)
        if values is not None:
            md["target"] = pd.Series(values, index=md.index, dtype=object if target == "ratio"
                                     else np.int64)
    if values is not None and getattr(ds, "targets_from", "metadata") == "metadata":
        ds.y = values


def _check_corpus(concat_ds):
    if not isinstance(concat_ds, BaseConcatDataset):
        raise TypeError(
            f"concat_ds must be a braindecode BaseConcatDataset, got {type(concat_ds).__name__}.")


def compute_seizure_ratio(concat_ds, labels=None):
    """Seizure ratio of every window of a corpus, without writing anything.

    The computation behind :func:`annotate_seizure_ratio`, for users who keep
    the categorisation outside the datasets (e.g. to feed a manifest): one
    vectorised pass over the whole corpus.

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
        If an annotation is invalid (an
        :class:`~braindecode_stbalance.ratio.InvalidAnnotationError` naming
        the recording and the annotation's index).
    """
    _check_corpus(concat_ds)
    records, report = corpus_facts(concat_ds.datasets, labels)
    ratio = compute(records).ratio
    report.warn(f"this corpus of {len(records)} recording(s)")
    return ratio


def annotate_seizure_ratio(concat_ds, labels=None, full_threshold=1.0, target=None,
                           progress=None):
    """Write ``seizure_ratio`` and ``seizure_category`` into every window's metadata.

    The function form of :class:`SeizureRatio`, for a whole corpus at once.

    Parameters
    ----------
    concat_ds : braindecode.datasets.BaseConcatDataset
        A windowed corpus (:class:`~braindecode.datasets.EEGWindowsDataset`
        or :class:`~braindecode.datasets.WindowsDataset` recordings).
    labels : None | collection of str | callable
        Which annotation descriptions are seizures; see
        :class:`~braindecode_stbalance.SeizureLabels`. ``None``: TUSZ
        seizure labels and SzCORE ``sz*`` event types.
    full_threshold : float
        Ratio from which a window is ``"full_seizure"``, in (0, 1].
    target : None | "binary" | "category" | "ratio"
        Also set the windows' training target: ``"binary"`` (1 for a window
        with any seizure sample, else 0) and ``"category"`` (the category code
        0, 1, 2) for ``EEGClassifier``; ``"ratio"`` (the seizure ratio, a
        float32 array of shape ``(1,)`` per window) for ``EEGRegressor``.
        ``None`` leaves the target alone.
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
        error names the recording and the annotation index. Nothing is
        written then.
    """
    _check_corpus(concat_ds)
    full_threshold = check_full_threshold(full_threshold)
    target = check_target(target)
    datasets = concat_ds.datasets
    if progress is None:
        progress = len(datasets) > 1000
    records, report = corpus_facts(datasets, labels)
    result = compute(records)
    codes = categorize(result.ratio, full_threshold)
    for i, ds in enumerate(tqdm(datasets, desc="seizure ratio", unit="rec",
                                disable=not progress)):
        part = slice(result.offsets[i], result.offsets[i + 1])
        write_columns(ds, result.ratio[part], codes[part], target)
    report.warn(f"this corpus of {len(datasets)} recording(s)")
    if target is not None:
        concat_ds.cumulative_sizes = concat_ds.cumsum(concat_ds.datasets)
    return concat_ds


def _import_callable(path):
    """The callable named ``module.qualname`` (the longest importable module prefix)."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name, None)
        if callable(obj):
            return obj
        break
    raise ValueError(
        f"Cannot rebuild the labels callable {path!r} from its name (a lambda, a local "
        "function or a functools.partial has no importable name): set data['labels'] to the "
        "callable before deserialize.")


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
    target : None | "binary" | "category" | "ratio"
        Also set the training target (see :func:`annotate_seizure_ratio`).
        Needed to train: windows made by ``create_fixed_length_windows`` have
        the placeholder target ``-1``.

    Notes
    -----
    braindecode calls a step with the recording's :class:`mne.Epochs`
    (``WindowsDataset``, ``use_mne_epochs=True``) or :class:`mne.io.Raw`
    (``EEGWindowsDataset``, the default), never with the dataset; but the
    window table of an ``EEGWindowsDataset`` lives on the dataset. The step
    therefore asks :func:`braindecode_stbalance._adapters.preprocess_owner`
    for the dataset braindecode's ``preprocess`` is processing: one frame,
    braindecode's own ``_preprocess``, identified by its code object, whose
    ``ds`` must hold this very Raw. This is the package's only look at the
    call stack; it is pinned to braindecode's behaviour by a test, and if a
    future braindecode changes it the step raises, naming
    :func:`annotate_seizure_ratio` (the function form, which takes the corpus
    and needs no lookup). Called outside ``preprocess`` on a Raw
    (``SeizureRatio().apply(raw)``) it raises ``TypeError`` pointing there.

    braindecode warns, once per recording, that a step is applied to the Raw
    of an ``EEGWindowsDataset``; for a list made only of ``SeizureRatio``
    steps (which do not touch the signal) that warning is filtered out; it
    still shows for any list holding another step.

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
        self._reported = LabelReport()

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        # the filter follows the step's repr (hence its parameters)
        if name in ("labels", "full_threshold", "target") and "target" in self.__dict__:
            self._labels = None
            _adapters.silence_step_warning(self)

    def __setstate__(self, state):  # unpickled in a joblib worker (n_jobs > 1)
        self.__dict__.update(state)
        _adapters.silence_step_warning(self)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_labels"] = None
        return state

    @property
    def _all_attrs(self):
        # braindecode's hook for a step's parameters (its own steps override it too):
        # Preprocessor.__eq__/__repr__ read it; pinned in tests/test_adapters.py
        return ["labels", "full_threshold", "target"]

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
        target = check_target(self.target)
        owner = _adapters.preprocess_owner(raw_or_epochs)
        if owner is None:
            raise TypeError(
                f"SeizureRatio got a {type(raw_or_epochs).__name__} outside braindecode's "
                "preprocess, so it cannot reach the window table, which lives on the "
                "dataset. Use it inside preprocess(windows_ds, [SeizureRatio()]) on a "
                "windowed corpus, or call annotate_seizure_ratio(windows_ds).")
        if self._labels is None:
            self._labels = SeizureLabels(self.labels)
        report = LabelReport()
        records = [facts_from_dataset(owner, RecordingName(None, owner), self._labels, report)]
        ratio = compute(records).ratio
        write_columns(owner, ratio, categorize(ratio, full_threshold), target)
        self._warn_new(report)
        return raw_or_epochs

    def _warn_new(self, report):
        """Warn about descriptions not reported yet by this step (once each)."""
        if not hasattr(self, "_reported"):
            self._reported = LabelReport()
        new = LabelReport()
        new.unknown.update({d: n for d, n in report.unknown.items()
                            if d not in self._reported.unknown})
        new.left_out.update({d: n for d, n in report.left_out.items()
                             if d not in self._reported.left_out})
        self._reported.update(report)
        new.warn("the recordings seen so far (each description is reported once)", stacklevel=4)

    def serialize(self):
        """Return a JSON-safe representation, as braindecode steps do.

        Returns
        -------
        dict
            The init parameters and ``__class_path__``.
        """
        labels = SeizureLabels(self.labels).spec
        if isinstance(labels, str):  # a callable, by name
            labels = f"callable:{labels}"
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
            data["labels"] = _import_callable(labels[len("callable:"):])
        return cls(**data)
