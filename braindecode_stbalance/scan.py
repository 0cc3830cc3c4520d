"""Categorise a corpus folder from EDF headers and annotation files only.

:func:`scan_corpus` builds the same :class:`~braindecode_stbalance.SeizureManifest`
as reading the corpus with its reader, windowing it with braindecode's
``create_fixed_length_windows(window_size_samples, window_stride_samples,
on_last_window=...)`` and calling :meth:`SeizureManifest.from_dataset`,
without reading one EEG sample and without building a braindecode dataset. It
is what ``stbalance scan`` runs. Its adapter (:func:`facts_from_files`) fills
the same :class:`~braindecode_stbalance.facts.RecordingFacts` as the
braindecode adapter, and :func:`~braindecode_stbalance.facts.compute` does the
rest, so both paths give identical ratios.
"""

# License: BSD (3-clause)

from __future__ import annotations

import math
import numbers
import os
import warnings

import numpy as np

from ._manifest_build import LAST_WINDOW, window_starts
from ._parallel import run_tasks
from .categories import check_full_threshold
from .facts import RecordingFacts, compute, file_stat
from .labels import LabelReport, SeizureLabels
from .manifest import SeizureManifest

__all__ = ["scan_corpus"]

FORMATS = ("tusz", "bids")


# ---------------------------------------------------------------------------
# listing


def _list_tusz(root, split, annotations):
    from .datasets._listing import find_tusz_recordings

    listing = find_tusz_recordings(root, split)
    col = "csv_bi" if annotations == "csv_bi" else "csv"
    return [(p, a, annotations) for p, a in zip(listing["path"], listing[col])]


def _list_bids(root, split, annotations):
    from .datasets._listing import find_szcore_recordings

    if split is not None:
        raise ValueError("split applies to TUSZ trees only; BIDS trees have no splits.")
    listing = find_szcore_recordings(root)
    return [(p, a, "events") for p, a in zip(listing["path"], listing["events"])]


def _reader(kind):
    if kind == "events":
        from .datasets._szcore_files import read_szcore_events

        return read_szcore_events
    from .datasets._tusz_files import read_csv_bi, read_tusz_csv

    return read_csv_bi if kind == "csv_bi" else read_tusz_csv


# ---------------------------------------------------------------------------
# the adapter: one recording from its files


def _to_samples(seconds, sfreq, what, path):
    from .datasets._annotations import CorpusError

    n = seconds * sfreq
    k = round(n)
    if abs(n - k) > 1e-6 or k < 1:
        raise CorpusError(path, f"the {what} of {seconds:g} s is {n:g} samples at {sfreq:g} Hz, "
                          f"not a whole positive number: choose a {what} that is a whole "
                          "number of samples at every sampling rate of the corpus (or "
                          "resample first: sfreq= / --sfreq).")
    return k


def facts_from_files(path, ann_path, kind, window, stride, labels, report, resample=None,
                     on_last_window="overlap"):
    """The facts of one recording from its EDF header and annotation file.

    Parameters
    ----------
    path : str
        The EDF file.
    ann_path : str
        Its annotation file (``.csv_bi``, ``.csv`` or ``_events.tsv``).
    kind : "csv_bi" | "csv" | "events"
        The annotation format.
    window, stride : float
        Windowing in seconds.
    labels : SeizureLabels
        The seizure vocabulary.
    report : LabelReport
        Receives labels not counted as seizures.
    resample : float | None
        Categorise as if the recording were resampled to this rate.
    on_last_window : "overlap" | "drop"
        braindecode's last-window policy.

    Returns
    -------
    RecordingFacts
        The record, with the windows of ``create_fixed_length_windows``.

    Raises
    ------
    CorpusError
        Naming the file (and line) for any unreadable or inconsistent file.
    """
    from .datasets._annotations import CorpusError
    from .datasets.edf import read_edf_header

    header = read_edf_header(path)
    n_times, sfreq = header.n_times, header.sfreq
    if n_times <= 0:
        raise CorpusError(path, "the EDF holds no data record.")
    ann = _reader(kind)(ann_path, duration=n_times / sfreq, labels=labels,
                        report=report).annotations
    if resample is not None and resample != sfreq:
        # what raw.resample(resample) gives (mne.filter._resamp_ratio_len)
        n_times = max(round(resample / sfreq * n_times), 1)
        sfreq = float(resample)
    size = _to_samples(window, sfreq, "window", path)
    step = _to_samples(stride, sfreq, "stride", path)
    if size > n_times:
        raise CorpusError(path, f"the recording has {n_times} samples ({n_times / sfreq:g} s), "
                          f"fewer than one window ({size} samples); braindecode's windowing "
                          "refuses it. Leave it out (on_error='skip' / --on-error skip) or use "
                          "a shorter window.")
    seizure = labels(ann.description)
    index = np.flatnonzero(seizure)
    starts = window_starts(n_times, size, step, on_last_window)
    file_size, mtime = file_stat(path)
    return RecordingFacts(
        name=path, sfreq=float(sfreq), first_samp=0, n_times=int(n_times),
        starts=starts, stops=starts + size, onset=ann.onset[index],
        duration=ann.duration[index], description=np.asarray(ann.description, object)[index],
        index=index.astype(np.int64), path=os.path.abspath(path), file_size=file_size,
        file_mtime_ns=mtime, window_size=size, window_stride=step,
        on_last_window=on_last_window)


_WORKER = {}


def _init_worker(labels):
    _WORKER["labels"] = SeizureLabels(labels)


def _scan_one(task):
    """One recording: ``(facts or None, error or None, warnings, LabelReport)``."""
    from .datasets._collect import as_corpus_error

    path = task[0]
    report = LabelReport()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            facts = facts_from_files(*task[:5], labels=_WORKER["labels"], report=report,
                                     resample=task[5], on_last_window=task[6])
        except Exception as exc:  # noqa: BLE001 - every failure names its file
            return None, as_corpus_error(path, exc), _messages(caught), LabelReport()
    return facts, None, _messages(caught), report


def _messages(caught):
    return [f"{w.category.__name__}: {w.message}" for w in caught]


# ---------------------------------------------------------------------------


def _check_seconds(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}.")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}.")
    return value


def scan_corpus(root, format="tusz", window=60.0, stride=None, split=None,
                full_threshold=1.0, labels=None, annotations="csv_bi", sfreq=None,
                on_last_window="overlap", n_jobs=1, on_error="raise", progress=True, log=None):
    """Categorise every window of a corpus folder into a manifest.

    Reads EDF headers and annotation files only. The result equals
    ``SeizureManifest.from_dataset`` of the corpus read with
    :class:`~braindecode_stbalance.datasets.TUSZ` (or
    :class:`~braindecode_stbalance.datasets.SzCOREBIDS`) and windowed with
    ``create_fixed_length_windows(window_size_samples, window_stride_samples,
    on_last_window=on_last_window)``.

    Parameters
    ----------
    root : str | pathlib.Path
        Corpus root (TUSZ: the folder holding ``edf/``; BIDS: the dataset
        root). Symbolic links are followed.
    format : ``"tusz"`` | ``"bids"``
        Corpus layout.
    window : float
        Window length in seconds (a whole number of samples at every sampling
        rate of the corpus).
    stride : float | None
        Stride between window starts in seconds; ``None``: ``window``.
    split : None | str | list of str
        TUSZ split(s) to scan (``"train"``, ``"dev"``, ``"eval"``).
    full_threshold : float
        Ratio from which a window is ``"full_seizure"``, in (0, 1].
    labels : None | collection of str | callable
        Seizure annotation descriptions (see
        :class:`~braindecode_stbalance.SeizureLabels`). With ``n_jobs > 1`` a
        callable must be picklable.
    annotations : ``"csv_bi"`` | ``"csv"``
        TUSZ annotation file (as in :class:`~braindecode_stbalance.datasets.TUSZ`).
    sfreq : float | None
        Categorise as if every recording were resampled to this rate first
        (``raw.resample(sfreq)``, e.g. braindecode's
        ``Preprocessor("resample", sfreq=...)``): ``n_times`` becomes
        ``round(n_times * sfreq / original)``.
    on_last_window : ``"overlap"`` | ``"drop"``
        braindecode's last-window policy: ``"overlap"`` adds a last window
        ending at the recording's end when the regular ones do not.
    n_jobs : int
        Worker processes; results stay in sorted recording order.
    on_error : ``"raise"`` | ``"skip"``
        On an unreadable recording: raise a ``CorpusError`` naming the file
        (and line), or leave the recording out and list it in
        ``manifest.provenance["skipped"]``.
    progress : bool
        Show a progress bar (on stderr).
    log : callable | None
        Called with each message about warnings and skipped recordings
        (default: :func:`warnings.warn`).

    Returns
    -------
    SeizureManifest
        The manifest (not saved).

    Raises
    ------
    braindecode_stbalance.datasets.CorpusError
        First unreadable recording, with ``on_error="raise"``, or when every
        recording was skipped.
    """
    from .datasets._annotations import CorpusError

    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}.")
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
    if annotations not in ("csv_bi", "csv"):
        raise ValueError(f"annotations must be 'csv_bi' or 'csv', got {annotations!r}.")
    if on_last_window not in LAST_WINDOW:
        raise ValueError(f"on_last_window must be 'overlap' or 'drop', got {on_last_window!r}.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs < 1:
        raise ValueError(f"n_jobs must be an int >= 1, got {n_jobs!r}.")
    full_threshold = check_full_threshold(full_threshold)
    window = _check_seconds("window", window)
    stride = window if stride is None else _check_seconds("stride", stride)
    resample = None if sfreq is None else _check_seconds("sfreq", sfreq)
    if log is None:
        def log(msg):
            warnings.warn(msg, UserWarning, stacklevel=3)
    seizure_labels = SeizureLabels(labels)  # validates labels
    lister = _list_tusz if format == "tusz" else _list_bids
    listing = lister(root, split, annotations)
    tasks = [(p, a, kind, window, stride, resample, on_last_window) for p, a, kind in listing]

    results = run_tasks(_scan_one, tasks, n_jobs, _init_worker, (seizure_labels,),
                        (lambda r: r[1] is not None) if on_error == "raise" else None,
                        progress, "scan")

    records, skipped, messages, report = [], [], [], LabelReport()
    for (path, *_), (facts, err, msgs, rep) in zip(tasks, results):
        messages.extend(msgs)
        if err is not None:
            if on_error == "raise":
                for msg in dict.fromkeys(messages):
                    log(msg)
                raise err
            skipped.append({"path": os.path.abspath(path), "reason": str(err)})
            continue
        report.update(rep)
        records.append(facts)
    for msg in dict.fromkeys(messages):
        log(msg)
    if skipped:
        listed = "\n  ".join(s["reason"] for s in skipped[:20])
        more = f"\n  ... and {len(skipped) - 20} more" if len(skipped) > 20 else ""
        log(f"{len(skipped)} of {len(tasks)} recording(s) skipped (on_error='skip'):\n  "
            f"{listed}{more}")
    if not records:
        raise CorpusError(root, f"none of the {len(tasks)} recordings could be categorised; "
                          f"first problem: {skipped[0]['reason']}")
    for msg in report.messages(f"the corpus {os.fspath(root)}"):
        log(msg)
    provenance = {
        "made_by": "stbalance scan",
        "root": os.path.abspath(root),
        "format": format,
        "split": split,
        "annotations": annotations if format == "tusz" else "events.tsv",
        "resample": resample,
        "skipped": skipped,
    }
    return SeizureManifest.assemble(records, compute(records, fingerprints=True),
                                    full_threshold, seizure_labels.spec, window_size=window,
                                    window_stride=stride, provenance=provenance)
