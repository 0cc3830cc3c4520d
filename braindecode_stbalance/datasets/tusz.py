"""Reader of the TUH EEG Seizure Corpus (TUSZ v2.0.x) as a braindecode dataset.

Layout::

    <root>/edf/{train,dev,eval}/<patient>/<session>_<date>/<montage>/
        <patient>_<session>_<tNNN>.edf      (EEG, plain EDF)
        <patient>_<session>_<tNNN>.csv_bi   (term-based seizure/background)
        <patient>_<session>_<tNNN>.csv      (per-channel seizure types)

The low-level pieces (:func:`find_tusz_recordings`, :func:`read_csv_bi`,
:func:`read_tusz_csv`, :func:`pick_szcore19`) are public so that a scanner can
categorise a corpus from EDF headers and annotation files alone.
"""

# License: BSD (3-clause)

from __future__ import annotations

import os
import re
import warnings

import mne
import pandas as pd
from braindecode.datasets import BaseConcatDataset, RawDataset

from ..labels import LabelReport
from ._annotations import CorpusError
from ._collect import as_corpus_error, collect_loaded
from ._listing import find_tusz_recordings
from ._tusz_files import read_csv_bi, read_tusz_csv

__all__ = ["SZCORE19", "TUSZ", "pick_szcore19", "szcore19_mapping"]

#: The 19 10-20 electrodes in SzCORE order.
SZCORE19 = ("Fp1", "F3", "C3", "P3", "O1", "F7", "T3", "T5", "Fz", "Cz", "Pz",
            "Fp2", "F4", "C4", "P4", "O2", "F8", "T4", "T6")

_TUSZ_CH_RE = re.compile(r"^\s*EEG\s+(?P<el>[A-Za-z0-9]+)-(?P<ref>REF|LE)\s*$", re.IGNORECASE)


# ---------------------------------------------------------------------------
# channels
# ---------------------------------------------------------------------------
def szcore19_mapping(ch_names, path="<raw>"):
    """Map TUSZ channel names to the 19 SzCORE electrodes.

    Parameters
    ----------
    ch_names : list of str
        Channel names as read from the EDF (``EEG FP1-REF``, ``EEG FP1-LE``...).
    path : str
        File named in errors.

    Returns
    -------
    dict
        ``{tusz_name: szcore_name}`` in :data:`SZCORE19` order.

    Raises
    ------
    CorpusError
        If an electrode is missing (all missing ones are named) or present
        twice (e.g. both ``-REF`` and ``-LE``).
    """
    found = {}
    for ch in ch_names:
        m = _TUSZ_CH_RE.match(ch)
        if m is None:
            continue
        found.setdefault(m["el"].upper(), []).append(ch)
    missing = [e for e in SZCORE19 if e.upper() not in found]
    if missing:
        raise CorpusError(path, f"missing electrode(s) {', '.join(missing)} needed by "
                          f"picks='szcore19' (EEG channels present: "
                          f"{', '.join(sorted(found)) or 'none'}).")
    dup = {e: found[e.upper()] for e in SZCORE19 if len(found[e.upper()]) > 1}
    if dup:
        raise CorpusError(path, f"ambiguous electrode(s) for picks='szcore19': {dup}.")
    return {found[e.upper()][0]: e for e in SZCORE19}


def pick_szcore19(raw, path="<raw>"):
    """Keep the 19 SzCORE electrodes of a TUSZ raw, renamed and in SzCORE order.

    Works on non-preloaded raws (no data is read).

    Parameters
    ----------
    raw : mne.io.Raw
        Raw with TUSZ channel names.
    path : str
        File named in errors.

    Returns
    -------
    mne.io.Raw
        ``raw``, modified in place.
    """
    mapping = szcore19_mapping(raw.ch_names, path)
    raw.pick(list(mapping))
    raw.reorder_channels(list(mapping))
    raw.rename_channels(mapping)
    raw.set_channel_types(dict.fromkeys(SZCORE19, "eeg"), on_unit_change="ignore")
    return raw


# ---------------------------------------------------------------------------
# the dataset
# ---------------------------------------------------------------------------
def _read_edf(path):
    if not os.path.isfile(path):
        raise CorpusError(path, "EDF file not found.")
    try:
        raw = mne.io.read_raw_edf(path, preload=False, verbose="error")
    except Exception as exc:  # MNE raises many types for broken headers
        raise CorpusError(path, f"unreadable EDF ({type(exc).__name__}: {exc}).") from exc
    if raw.n_times <= 0 or not raw.info["sfreq"] > 0:
        raise CorpusError(path, f"the EDF holds no sample ({raw.n_times} samples at "
                          f"{raw.info['sfreq']} Hz).")
    return raw


def _load_recording(row, annotations, picks, preload, on_error, labels):
    """Read one recording; returns (dataset|None, error|None, warnings, LabelReport)."""
    report = LabelReport()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = _read_edf(row["path"])
            duration = raw.n_times / raw.info["sfreq"]
            ann_path = row["csv_bi"] if annotations == "csv_bi" else row["csv"]
            reader = read_csv_bi if annotations == "csv_bi" else read_tusz_csv
            ann = reader(ann_path, duration=duration, labels=labels, report=report).annotations
            if picks == "szcore19":
                pick_szcore19(raw, row["path"])
            elif picks is not None:
                missing = [c for c in picks if c not in raw.ch_names]
                if missing:
                    raise CorpusError(row["path"], f"missing channel(s) {missing} "
                                      "requested by picks.")
                raw.pick(list(picks))
            raw.set_annotations(mne.Annotations(
                ann.onset, ann.duration, ann.description, orig_time=raw.info["meas_date"]))
            if preload:
                raw.load_data(verbose="error")
        except Exception as exc:  # noqa: BLE001 - every failure becomes a CorpusError
            err = as_corpus_error(row["path"], exc)
            if on_error == "raise":
                raise err from (None if err is exc else exc)
            return None, err, [], LabelReport()
    description = {k: row[k] for k in ("path", "split", "patient", "subject", "session",
                                       "date", "montage", "token")}
    description["annotation_path"] = ann_path
    description["duration"] = duration
    msgs = [(str(w.message), w.category) for w in caught]
    return RawDataset(raw, description=pd.Series(description)), None, msgs, report


class TUSZ(BaseConcatDataset):
    """The TUH EEG Seizure Corpus (TUSZ v2.0.x) read from a local copy.

    A :class:`~braindecode.datasets.BaseConcatDataset` of
    :class:`~braindecode.datasets.RawDataset`, one per EDF file, read with
    :func:`mne.io.read_raw_edf` (lazily unless ``preload``), with the seizure
    annotations of the ``.csv_bi`` (or ``.csv``) file as
    :class:`mne.Annotations` on each raw. A subclass, like braindecode's own
    :class:`~braindecode.datasets.TUH`, so that ``isinstance`` checks and
    braindecode's preprocessing, windowing and ``save`` work unchanged.

    Parameters
    ----------
    root : str | pathlib.Path
        Corpus root (holding ``edf/``) or the ``edf`` folder.
    split : None | str | list of str
        ``"train"``, ``"dev"``, ``"eval"`` or a list of them; None: all.
    annotations : ``"csv_bi"`` | ``"csv"``
        ``"csv_bi"``: term-based ``seiz`` events. ``"csv"``: the per-channel
        file, seizures merged over channels (union) keeping the seizure type
        (see :func:`read_tusz_csv`).
    picks : None | ``"szcore19"`` | list of str
        None: all channels. ``"szcore19"``: the 19 10-20 electrodes
        (:data:`SZCORE19`) renamed from the TUSZ names (``EEG FP1-REF``,
        ``EEG FP1-LE``, ...) in SzCORE order, so all montages give the same
        channels. A list: these exact channel names.
    preload : bool
        Load the signals into memory.
    n_jobs : int
        Number of parallel jobs (joblib) reading headers and annotations.
    on_error : ``"raise"`` | ``"skip"``
        What to do with a recording that cannot be read correctly (missing or
        malformed annotation file, unreadable or empty EDF, header/EDF
        duration mismatch, missing electrode, no read permission): raise
        :class:`CorpusError` naming the file, or skip it, list it in
        :attr:`skipped` and warn once.
    labels : None | collection of str | callable
        The seizure vocabulary used to report labels that are not counted as
        seizures (unknown labels; known seizure types a custom list leaves
        out). The annotations keep every non-background label either way.

    Attributes
    ----------
    skipped : pandas.DataFrame
        Columns ``path`` and ``reason``: the recordings left out with
        ``on_error="skip"`` (empty otherwise).
    root : str
        The corpus root.

    Notes
    -----
    Each raw's description holds ``path``, ``split``, ``patient``,
    ``subject`` (= patient), ``session``, ``date``, ``montage``, ``token``
    (``tNNN``), ``annotation_path`` and ``duration`` (seconds, from the EDF).
    Events are clipped to the EDF duration (warned when they overshoot by more
    than 10 ms, or start at or after the end and are dropped); unknown labels are kept, not counted as seizures, and warned
    about once with counts. Background rows are not turned into annotations.
    """

    def __init__(self, root, split=None, annotations="csv_bi", picks=None,
                 preload=False, n_jobs=1, on_error="raise", labels=None):
        if annotations not in ("csv_bi", "csv"):
            raise ValueError(f"annotations must be 'csv_bi' or 'csv', got {annotations!r}.")
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
        if picks is not None and picks != "szcore19":
            if isinstance(picks, str) or not all(isinstance(c, str) for c in picks):
                raise ValueError("picks must be None, 'szcore19' or a list of channel "
                                 f"names, got {picks!r}.")
            picks = list(picks)
        self.root = os.fspath(root)
        listing = find_tusz_recordings(root, split)
        rows = listing.to_dict("records")
        from ..labels import SeizureLabels

        args = (annotations, picks, preload, on_error, SeizureLabels(labels))
        if n_jobs == 1:
            results = [_load_recording(r, *args) for r in rows]
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=n_jobs)(delayed(_load_recording)(r, *args)
                                              for r in rows)
        datasets, self.skipped = collect_loaded(
            [r["path"] for r in rows], results, "TUSZ", self.root, stacklevel=2)
        super().__init__(datasets)
