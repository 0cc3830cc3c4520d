"""Categorise a corpus directory from EDF headers and annotation files only.

:func:`scan_corpus` builds the same :class:`~braindecode_stbalance.SeizureManifest`
as reading the corpus with its reader, windowing it with braindecode's
``create_fixed_length_windows(window_size_samples, window_stride_samples,
drop_last_window=False)``, annotating it with
:func:`~braindecode_stbalance.annotate_seizure_ratio` and calling
:meth:`SeizureManifest.from_dataset`, without reading one EEG sample and
without building a braindecode dataset. It is what ``stbalance scan`` runs.
"""

# License: BSD (3-clause)

from __future__ import annotations

import os
import sys
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from .labels import SeizureLabels
from .manifest import SeizureManifest, _file_stat, seizure_fingerprint
from .ratio import count_in_windows

__all__ = ["scan_corpus", "window_starts"]

FORMATS = ("tusz", "bids")


def window_starts(n_times, size, stride):
    """Window starts of braindecode's fixed-length windowing (last window kept).

    Identical to ``create_fixed_length_windows(window_size_samples=size,
    window_stride_samples=stride, drop_last_window=False)`` on a recording of
    ``n_times`` samples: starts ``0, stride, 2 stride, ...`` while the window
    fits, plus one last window ending at the recording end if the regular ones
    do not.

    Parameters
    ----------
    n_times : int
        Samples in the recording (at least ``size``).
    size, stride : int
        Window size and stride in samples (positive).

    Returns
    -------
    ndarray of int64
        ``i_start_in_trial`` of each window.
    """
    last = n_times - size
    starts = np.arange(0, last + 1, stride, dtype=np.int64)
    if starts[-1] < last:
        starts = np.append(starts, np.int64(last))
    return starts


# ---------------------------------------------------------------------------
# listing


def _list_tusz(root, split, annotations):
    from .datasets._files import find_tusz_recordings

    listing = find_tusz_recordings(root, split)
    col = "csv_bi" if annotations == "csv_bi" else "csv"
    return [(p, a, annotations) for p, a in zip(listing["path"], listing[col])]


def _list_bids(root, split, annotations):
    from .datasets._files import find_szcore_recordings

    if split is not None:
        raise ValueError("--split applies to TUSZ trees only; BIDS trees have no splits.")
    listing = find_szcore_recordings(root)
    return [(p, a, "events") for p, a in zip(listing["path"], listing["events"])]


def _read_annotations(kind, ann_path, duration, labels):
    if kind == "events":
        from .datasets._files import read_szcore_events

        return read_szcore_events(ann_path, duration=duration, labels=labels).annotations
    from .datasets._files import read_csv_bi, read_tusz_csv

    reader = read_csv_bi if kind == "csv_bi" else read_tusz_csv
    return reader(ann_path, duration=duration, labels=labels).annotations


# ---------------------------------------------------------------------------
# one recording

_WORKER = {}


def _init_worker(labels):
    _WORKER["labels"] = SeizureLabels(labels)


def _to_samples(seconds, sfreq, what, path):
    from .datasets._files import CorpusError

    n = seconds * sfreq
    k = round(n)
    if abs(n - k) > 1e-6 or k < 1:
        raise CorpusError(path, f"the {what} of {seconds:g} s is {n:g} samples at {sfreq:g} Hz, "
                          f"not a whole positive number: choose a {what} that is a whole "
                          "number of samples at every sampling rate of the corpus (or "
                          "resample with --sfreq).")
    return k


def _scan_one(task):
    """Categorise one recording; returns ('ok', result) or ('error', message)."""
    path, ann_path, kind, window, stride, resample = task
    from .datasets._files import CorpusError
    from .datasets.edf import read_edf_header

    labels = _WORKER["labels"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            header = read_edf_header(path)
            n_times, sfreq = header.n_times, header.sfreq
            if n_times <= 0:
                raise CorpusError(path, "the EDF holds no data record.")
            ann = _read_annotations(kind, ann_path, n_times / sfreq, labels)
            if resample is not None and resample != sfreq:
                # what raw.resample(resample) gives (mne.filter._resamp_ratio_len)
                n_times = max(round(resample / sfreq * n_times), 1)
                sfreq = float(resample)
            size = _to_samples(window, sfreq, "window", path)
            step = _to_samples(stride, sfreq, "stride", path)
            if size > n_times:
                raise CorpusError(path, f"the recording has {n_times} samples "
                                  f"({n_times / sfreq:g} s), fewer than one window "
                                  f"({size} samples); braindecode's windowing refuses it. "
                                  "Leave it out with --on-error skip or use a shorter window.")
            if len(ann):
                is_seiz = labels(ann.description)
                onset, dur, desc = ann.onset[is_seiz], ann.duration[is_seiz], ann.description[is_seiz]
            else:
                onset, dur, desc = np.zeros(0), np.zeros(0), []
            sz_lo, sz_hi, n_events, seconds, digest = seizure_fingerprint(
                onset, dur, desc, sfreq, 0, n_times)
        except CorpusError as exc:
            err = (exc.path, exc.reason, exc.line)
            return "error", err, _messages(caught), _take_unknown(labels)
        except ValueError as exc:  # invalid annotation values
            return "error", (os.fspath(path), str(exc), None), _messages(caught), \
                _take_unknown(labels)
    starts = window_starts(n_times, size, step)
    stops = starts + size
    ratio = count_in_windows(sz_lo, sz_hi, starts, stops) / size
    file_size, mtime = _file_stat(path)
    info = {
        "path": os.path.abspath(path),
        "file_size": file_size,
        "file_mtime_ns": mtime,
        "n_times": n_times,
        "sfreq": sfreq,
        "first_samp": 0,
        "duration": n_times / sfreq,
        "window_size_samples": size,
        "window_stride_samples": step,
        "n_seizure_events": n_events,
        "seizure_seconds": seconds,
        "annotation_hash": digest,
    }
    return "ok", (info, starts, stops, ratio), _messages(caught), _take_unknown(labels)


def _messages(caught):
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def _take_unknown(labels):
    unknown = dict(labels.unknown)
    labels.unknown.clear()
    return unknown


def _scan_chunk(tasks):
    return [_scan_one(t) for t in tasks]


# ---------------------------------------------------------------------------


def scan_corpus(root, format="tusz", window=60.0, stride=None, split=None,
                full_threshold=1.0, labels=None, annotations="csv_bi", sfreq=None,
                n_jobs=1, on_error="raise", progress=True, log=None):
    """Categorise every window of a corpus directory into a manifest.

    Reads EDF headers and annotation files only. The result equals
    ``SeizureManifest.from_dataset`` of the corpus read with
    :class:`~braindecode_stbalance.datasets.TUSZ` (or the BIDS reader),
    windowed with ``create_fixed_length_windows(window_size_samples,
    window_stride_samples, drop_last_window=False)`` and annotated with
    :func:`~braindecode_stbalance.annotate_seizure_ratio`.

    Parameters
    ----------
    root : str | pathlib.Path
        Corpus root (TUSZ: the folder holding ``edf/``; BIDS: the dataset
        root).
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
    from tqdm.auto import tqdm

    from .categories import check_full_threshold
    from .datasets._files import CorpusError

    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}.")
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
    if annotations not in ("csv_bi", "csv"):
        raise ValueError(f"annotations must be 'csv_bi' or 'csv', got {annotations!r}.")
    full_threshold = check_full_threshold(full_threshold)
    window = float(window)
    stride = window if stride is None else float(stride)
    if not (window > 0 and stride > 0):
        raise ValueError(f"window and stride must be positive, got {window} and {stride}.")
    if sfreq is not None and not float(sfreq) > 0:
        raise ValueError(f"sfreq must be positive, got {sfreq}.")
    resample = None if sfreq is None else float(sfreq)
    if log is None:
        def log(msg):
            warnings.warn(msg, UserWarning, stacklevel=3)
    seizure_labels = SeizureLabels(labels)  # validates labels
    lister = _list_tusz if format == "tusz" else _list_bids
    listing = lister(root, split, annotations)
    tasks = [(p, a, kind, window, stride, resample) for p, a, kind in listing]

    bar = tqdm(total=len(tasks), desc="scan", unit="rec", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    results = []
    try:
        if n_jobs == 1:
            _init_worker(labels)
            for t in tasks:
                results.append(_scan_one(t))
                bar.update()
                if on_error == "raise" and results[-1][0] == "error":
                    break
        else:
            chunk = max(1, min(64, len(tasks) // (8 * n_jobs) or 1))
            chunks = [tasks[i:i + chunk] for i in range(0, len(tasks), chunk)]
            with ProcessPoolExecutor(n_jobs, initializer=_init_worker, initargs=(labels,)) as ex:
                for out in ex.map(_scan_chunk, chunks):
                    results.extend(out)
                    bar.update(len(out))
                    if on_error == "raise" and any(r[0] == "error" for r in out):
                        ex.shutdown(cancel_futures=True)
                        break
    finally:
        bar.close()

    rows, starts, stops, ratios, skipped, messages = [], [], [], [], [], []
    unknown = Counter()
    for (path, *_), (status, payload, msgs, unk) in zip(tasks, results):
        messages.extend(msgs)
        unknown.update(unk)
        if status == "error":
            err = CorpusError(*payload)
            if on_error == "raise":
                for msg in _dedupe(messages):
                    log(msg)
                raise err
            skipped.append({"path": os.path.abspath(path), "reason": str(err)})
            continue
        info, s, e, r = payload
        rows.append(info)
        starts.append(s)
        stops.append(e)
        ratios.append(r)
    for msg in _dedupe(messages):
        log(msg)
    if skipped:
        listed = "\n  ".join(s["reason"] for s in skipped[:20])
        more = f"\n  ... and {len(skipped) - 20} more" if len(skipped) > 20 else ""
        log(f"{len(skipped)} of {len(tasks)} recording(s) skipped (on_error='skip'):\n  "
            f"{listed}{more}")
    if not rows:
        raise CorpusError(root, f"none of the {len(tasks)} recordings could be categorised; "
                          f"first problem: {skipped[0]['reason']}")
    if unknown:
        seizure_labels.unknown = unknown
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            seizure_labels.warn_unknown(f"the corpus {os.fspath(root)}")
        for w in caught:
            log(str(w.message))
    provenance = {
        "made_by": "stbalance scan",
        "root": os.path.abspath(root),
        "format": format,
        "split": split,
        "annotations": annotations if format == "tusz" else "events.tsv",
        "resample": resample,
        "skipped": skipped,
    }
    return SeizureManifest._assemble(rows, starts, stops, ratios, full_threshold,
                                     seizure_labels.spec, window_size=window,
                                     window_stride=stride, provenance=provenance)


def _dedupe(messages):
    seen, out = set(), []
    for m in messages:
        if m not in seen:
            seen.add(m)
            out.append(m)
    return out
