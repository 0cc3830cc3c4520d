"""SzCORE / BIDS seizure corpora (CHB-MIT, Siena, SeizeIT, TUSZ-BIDS, ...).

SzCORE ``*_events.tsv`` files follow HED-SCORE: columns ``onset``,
``duration``, ``eventType``, ``confidence``, ``channels``, ``dateTime``,
``recordingDuration``; ``eventType`` is ``sz*`` for seizures and ``bckg`` for
background (a seizure-free recording has one ``bckg`` row spanning it).

braindecode's :class:`~braindecode.datasets.BIDSDataset` (and its subclasses
``CHBMIT``, ``SIENA``) read events through :func:`mne_bids.read_raw_bids`,
which takes annotation descriptions from ``trial_type`` (else ``value``) and,
lacking both, names every event ``'n/a'``: seizures and background become
indistinguishable (``eventType`` only survives in ``annotations.extras``).
:class:`SzCOREBIDS` and :func:`szcore_annotations` give every raw the
``eventType`` descriptions instead.
"""

# License: BSD (3-clause)

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import mne
import numpy as np
import pandas as pd
from braindecode.datasets import BaseConcatDataset, BIDSDataset, RawDataset

from .. import _adapters
from ..labels import LabelReport, SeizureLabels
from ._annotations import CorpusError
from ._collect import as_corpus_error, collect_loaded
from ._szcore_files import read_szcore_events, szcore_events_path

__all__ = ["SzCOREBIDS", "szcore_annotations"]


def _set_file_annotations(raw, ann):
    """Put file-relative annotations (onset from sample 0 of the file) on raw."""
    sfreq = raw.info["sfreq"]
    onset = np.asarray(ann.onset, float)
    if raw.info["meas_date"] is None:  # onsets would be taken from first_samp
        onset = onset - raw.first_samp / sfreq
    raw.set_annotations(mne.Annotations(onset, ann.duration, ann.description,
                                        orig_time=raw.info["meas_date"]))
    return raw


def _file_duration(raw):
    return (raw.last_samp + 1) / raw.info["sfreq"]


def szcore_annotations(concat_ds, labels=None, on_error="raise"):
    """Give every recording of a BIDS corpus its SzCORE ``eventType`` annotations.

    For a corpus loaded with braindecode's ``BIDSDataset``, ``CHBMIT`` or
    ``SIENA`` (whose annotations are all named ``'n/a'``), reads each
    recording's ``*_events.tsv`` and replaces the raw's annotations. Call it
    before cropping the end of the recordings (``recordingDuration`` is
    checked against the file's length); windowed corpora
    (``EEGWindowsDataset``) can be fixed too, before their seizure ratios are
    computed.

    Parameters
    ----------
    concat_ds : braindecode.datasets.BaseConcatDataset
        Recordings (``RawDataset``, or ``EEGWindowsDataset`` whose raw is
        updated) whose description ``path`` (else ``raw.filenames``) is a BIDS
        data file.
    labels : None | collection of str | callable
        Seizure vocabulary; event types it does not count as seizures
        (unknown ones, known seizure types a custom list leaves out) are
        warned about once, with counts.
    on_error : ``"raise"`` | ``"skip"``
        A recording whose events file is missing or invalid: raise
        :class:`CorpusError`, or leave it out of the returned corpus (listed
        in its ``skipped`` attribute, warned once) so that it can never be
        silently labelled with ``'n/a'`` events.

    Returns
    -------
    braindecode.datasets.BaseConcatDataset
        ``concat_ds`` itself, modified in place, when no recording was
        skipped; otherwise a new corpus of the remaining recordings. Its
        ``skipped`` attribute is a DataFrame (``path``, ``reason``).
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
    labels = SeizureLabels(labels)
    report = LabelReport()
    failed, kept = [], []
    for i, ds in enumerate(concat_ds.datasets):
        raw = _adapters.mne_object(ds) if _adapters.windows_kind(ds) != "mne_epochs" else None
        if raw is None:
            raise TypeError(f"Recording {i} is a {type(ds).__name__} without a raw: "
                            "apply szcore_annotations before creating mne.Epochs windows.")
        path = _adapters.source_path(ds)
        if not path:
            raise ValueError(f"Recording {i}: no 'path' in its description and no "
                             "file behind its raw; cannot find its events.tsv.")
        events = szcore_events_path(path)
        try:
            ann = read_szcore_events(events, duration=_file_duration(raw), labels=labels,
                                     report=report)
        except CorpusError as exc:
            if on_error == "raise":
                raise
            failed.append({"path": os.fspath(path), "reason": str(exc)})
            continue
        _set_file_annotations(raw, ann.annotations)
        kept.append(ds)
    report.warn(where="the SzCORE events files", stacklevel=2)
    skipped = pd.DataFrame(failed, columns=["path", "reason"])
    out = concat_ds
    if len(skipped):
        warnings.warn(f"{len(skipped)} recording(s) without a valid SzCORE events file "
                      f"were left out. First: {skipped['reason'].iloc[0]}",
                      UserWarning, stacklevel=2)
        if not kept:
            raise CorpusError(skipped["path"].iloc[0], "no recording has a valid SzCORE "
                              f"events file; first problem: {skipped['reason'].iloc[0]}")
        out = BaseConcatDataset(kept)
    out.skipped = skipped
    return out




def _load_szcore(bids_path, extra_params, on_ch_mismatch, preload, on_error, labels):
    import mne_bids

    report = LabelReport()
    msgs = []
    try:
        try:
            raw = mne_bids.read_raw_bids(bids_path, verbose=False,
                                         on_ch_mismatch=on_ch_mismatch,
                                         extra_params=extra_params)
        except Exception as exc:
            raise as_corpus_error(bids_path.fpath, exc) from exc
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ann = read_szcore_events(szcore_events_path(bids_path.fpath),
                                     duration=_file_duration(raw), labels=labels, report=report)
        msgs = [(str(w.message), w.category) for w in caught]
    except CorpusError as exc:
        if on_error == "raise":
            raise
        return None, exc, [], LabelReport()
    _set_file_annotations(raw, ann.annotations)
    if preload:
        raw.load_data(verbose="error")
    return RawDataset(raw, _adapters.bids_description(bids_path)), None, msgs, report


@dataclass
class SzCOREBIDS(BIDSDataset):
    """A SzCORE BIDS corpus with correct seizure annotations.

    Same parameters and descriptions as braindecode's
    :class:`~braindecode.datasets.BIDSDataset` (files found with
    :func:`mne_bids.find_matching_paths`, read with
    :func:`mne_bids.read_raw_bids`), but each raw's annotations come from its
    SzCORE ``*_events.tsv``: descriptions are the ``eventType`` values
    (``sz``, ``sz_foc_ia``, ...), background rows are dropped, events are
    validated and clipped to the recording (see :func:`read_szcore_events`).
    Works for the braindecode ``CHBMIT`` / ``SIENA`` trees: pass their root.

    Parameters
    ----------
    root : str | pathlib.Path
        BIDS root.
    subjects, sessions, tasks, acquisitions, runs, processings, recordings, \
spaces, splits, descriptions, suffixes, datatypes, check, extra_params, \
on_ch_mismatch, preload, n_jobs
        As in :class:`~braindecode.datasets.BIDSDataset`.
    extensions : str | list of str
        Data file extensions; default ``".edf"`` (SzCORE data are EDF).
    on_error : ``"raise"`` | ``"skip"``
        A recording with a missing or invalid events file, or an unreadable
        data file: raise :class:`CorpusError`, or skip it and list it in
        :attr:`skipped` (warned once).
    labels : None | collection of str | callable
        The seizure vocabulary used to report event types that are not
        counted as seizures (unknown types; known seizure types a custom list
        leaves out), as in :class:`TUSZ`. ``None``: the SzCORE ``sz*`` event
        types and the TUSZ labels. Annotating the corpus needs the same
        ``labels=``.

    Attributes
    ----------
    skipped : pandas.DataFrame
        Columns ``path`` and ``reason``.
    """

    extensions: str | list[str] | None = ".edf"
    on_error: str = "raise"
    labels: object = None

    def __post_init__(self):
        import mne_bids

        if self.on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {self.on_error!r}.")
        bids_paths = mne_bids.find_matching_paths(
            root=self.root, subjects=self.subjects, sessions=self.sessions,
            tasks=self.tasks, acquisitions=self.acquisitions, runs=self.runs,
            processings=self.processings, recordings=self.recordings,
            spaces=self.spaces, splits=self.splits, descriptions=self.descriptions,
            suffixes=self.suffixes, extensions=self.extensions,
            datatypes=self.datatypes, check=self.check)
        bids_paths = [bp for bp in bids_paths
                      if bp.extension != ".json" and bp.suffix not in ("events", "channels")
                      and not (bp.suffix == "epo" and bp.extension == ".fif")]
        if not bids_paths:
            raise FileNotFoundError(f"No BIDS data files matching the filters under "
                                    f"{os.fspath(self.root)!r}.")
        args = (self.extra_params, self.on_ch_mismatch, self.preload, self.on_error,
                SeizureLabels(self.labels))
        if self.n_jobs == 1:
            results = [_load_szcore(bp, *args) for bp in bids_paths]
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=self.n_jobs)(
                delayed(_load_szcore)(bp, *args) for bp in bids_paths)
        datasets, self.skipped = collect_loaded(
            [bp.fpath for bp in bids_paths], results, "SzCORE", self.root, stacklevel=3)
        BaseConcatDataset.__init__(self, datasets)
