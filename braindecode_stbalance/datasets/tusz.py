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

import math
import os
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import mne
import numpy as np
import pandas as pd
from braindecode.datasets import BaseConcatDataset, RawDataset

from ..labels import SeizureLabels, _is_known_non_seizure, _norm

__all__ = [
    "SZCORE19",
    "TUSZ",
    "AnnotationFile",
    "CorpusError",
    "find_tusz_recordings",
    "pick_szcore19",
    "read_csv_bi",
    "read_tusz_csv",
    "szcore19_mapping",
]

#: The 19 10-20 electrodes in SzCORE order.
SZCORE19 = ("Fp1", "F3", "C3", "P3", "O1", "F7", "T3", "T5", "Fz", "Cz", "Pz",
            "Fp2", "F4", "C4", "P4", "O2", "F8", "T4", "T6")

#: Largest accepted difference (seconds) between the ``# duration`` header of
#: an annotation file and the EDF duration; TUSZ headers have 2 decimals.
DURATION_TOLERANCE = 0.5
#: Annotations ending at most this far (seconds) after the recording end are
#: clipped silently (header rounding); beyond it clipping is warned about.
_CLIP_SILENT = 0.01

_COLUMNS = ["channel", "start_time", "stop_time", "label", "confidence"]
_DURATION_RE = re.compile(r"#\s*duration\s*=\s*([-+0-9.eE]+)\s*(?:secs?|s)?\s*$", re.IGNORECASE)
_FILE_RE = re.compile(r"^(?P<patient>[^_]+)_(?P<session>s\d+)_(?P<token>t\d+)$", re.IGNORECASE)
_SESSION_RE = re.compile(r"^(?P<session>s\d+)_(?P<date>\d{4}_\d{2}_\d{2})$", re.IGNORECASE)
_TUSZ_CH_RE = re.compile(r"^\s*EEG\s+(?P<el>[A-Za-z0-9]+)-(?P<ref>REF|LE)\s*$", re.IGNORECASE)
_SPLITS = ("train", "dev", "eval")


class CorpusError(ValueError):
    """A corpus file that cannot be read correctly.

    Parameters
    ----------
    path : str | pathlib.Path
        The offending file.
    reason : str
        What is wrong (and, where possible, what to do).
    line : int | None
        1-based line number in ``path``, if the problem is on one line.
    """

    def __init__(self, path, reason, line=None):
        self.path = os.fspath(path)
        self.reason = reason
        self.line = line
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):  # picklable across joblib workers
        return type(self), (self.path, self.reason, self.line)


class AnnotationFile(NamedTuple):
    """Result of the annotation-file readers (:func:`read_csv_bi`,
    :func:`read_tusz_csv`, :func:`~braindecode_stbalance.datasets.read_szcore_events`).

    Attributes
    ----------
    annotations : mne.Annotations
        Non-background events, onsets in seconds from the first sample
        (``orig_time=None``), clipped to the recording end.
    header_duration : float | None
        The recording duration the file states (``# duration = N secs`` of
        TUSZ files, ``recordingDuration`` of SzCORE files); None if absent.
    """

    annotations: mne.Annotations
    header_duration: float | None


# ---------------------------------------------------------------------------
# annotation files
# ---------------------------------------------------------------------------
def _parse_rows(path, term_only):
    """Parse a TUSZ csv/csv_bi file into (header_duration, rows).

    rows: list of (channel, start, stop, label, line_number).
    """
    try:
        with open(path, encoding="utf-8", errors="strict") as f:
            text = f.read()
    except FileNotFoundError:
        raise CorpusError(path, "annotation file not found (every TUSZ EDF needs "
                          "its .csv_bi / .csv beside it).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(path, f"cannot read annotation file ({exc}).") from exc
    header_duration = None
    columns_seen = False
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            m = _DURATION_RE.match(s)
            if m is not None:
                try:
                    header_duration = float(m.group(1))
                except ValueError:
                    raise CorpusError(path, f"malformed duration header {s!r}.",
                                      lineno) from None
            elif s.lower().replace(" ", "").startswith("#duration="):
                raise CorpusError(path, f"malformed duration header {s!r}; "
                                  "expected '# duration = N secs'.", lineno)
            continue
        parts = [p.strip() for p in s.split(",")]
        if not columns_seen:
            if [p.lower() for p in parts] != _COLUMNS:
                raise CorpusError(
                    path, f"expected the column row {','.join(_COLUMNS)!r} before "
                    f"the first event, got {s!r}.", lineno)
            columns_seen = True
            continue
        if len(parts) != 5:
            raise CorpusError(
                path, f"malformed row {s!r}: expected 5 comma-separated fields "
                f"({','.join(_COLUMNS)}), got {len(parts)}.", lineno)
        channel, start, stop, label, confidence = parts
        try:
            start, stop, confidence = float(start), float(stop), float(confidence)
        except ValueError:
            raise CorpusError(path, f"malformed row {s!r}: start_time, stop_time "
                              "and confidence must be numbers.", lineno) from None
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise CorpusError(path, f"malformed row {s!r}: non-finite time.", lineno)
        if start < 0:
            raise CorpusError(path, f"row {s!r}: negative start_time {start}.", lineno)
        if stop <= start:
            raise CorpusError(path, f"row {s!r}: stop_time {stop} <= start_time "
                              f"{start}; events must have a positive duration.", lineno)
        if not label:
            raise CorpusError(path, f"row {s!r}: empty label.", lineno)
        if not channel:
            raise CorpusError(path, f"row {s!r}: empty channel.", lineno)
        if term_only and channel.upper() != "TERM":
            raise CorpusError(
                path, f"row {s!r}: a .csv_bi file has term-based rows (channel "
                "'TERM'); per-channel rows belong in the .csv file "
                "(annotations='csv').", lineno)
        rows.append((channel, start, stop, label, lineno))
    if not columns_seen:
        raise CorpusError(path, "no column row 'channel,start_time,stop_time,label,"
                          "confidence' found: empty or not a TUSZ annotation file.")
    return header_duration, rows


def _recording_end(path, header_duration, duration, stated="header says '# duration = {} secs'"):
    if duration is None:
        return header_duration
    if header_duration is not None and abs(header_duration - duration) > DURATION_TOLERANCE:
        raise CorpusError(
            path, f"{stated.format(header_duration)} but the EDF lasts {duration:.3f} s: "
            "annotation file and EDF do not belong together (or one of them is "
            "truncated).")
    return duration


def _clip(path, onset, stop, descriptions, end):
    """Clip events to [0, end]; warn about real overshoots."""
    if end is None or onset.size == 0:
        return onset, stop, descriptions
    over = stop > end + _CLIP_SILENT
    after = onset >= end
    if over.any():
        warnings.warn(
            f"{os.fspath(path)}: {int(over.sum())} annotation(s) end after the "
            f"recording end ({end:.3f} s), latest at {stop.max():.3f} s: clipped to "
            f"the end ({int(after.sum())} dropped as they start after it).",
            UserWarning, stacklevel=4)
    keep = ~after
    return onset[keep], np.minimum(stop[keep], end), descriptions[keep]


def _to_annotations(onset, stop, descriptions):
    order = np.lexsort((stop, onset))
    return mne.Annotations(onset[order], (stop - onset)[order],
                           descriptions[order].astype(str), orig_time=None)


def read_csv_bi(path, duration=None, labels=None):
    """Read a TUSZ ``.csv_bi`` (term-based) annotation file.

    Parameters
    ----------
    path : str | pathlib.Path
        The ``.csv_bi`` file.
    duration : float | None
        Duration of the recording in seconds (from the EDF). If given, the
        ``# duration`` header must agree with it within
        ``DURATION_TOLERANCE`` (0.5 s) and events are clipped to it; if None,
        events are clipped to the header duration.
    labels : SeizureLabels | None
        Vocabulary deciding which labels are known. Unknown labels (neither
        seizure nor ``bckg``) are kept as annotations and tallied in
        ``labels.unknown``; if ``labels`` is None a default vocabulary is used
        and unknown labels are warned about (with counts) at once.

    Returns
    -------
    AnnotationFile
        ``(annotations, header_duration)``. Background (``bckg``) rows are
        validated but not returned: they are the complement of the events.

    Raises
    ------
    CorpusError
        Missing file, malformed row (file and line named), ``stop_time <=
        start_time``, a non-``TERM`` channel, or a header duration disagreeing
        with ``duration``.
    """
    return _read(path, duration, labels, per_channel=False)


def read_tusz_csv(path, duration=None, labels=None):
    """Read a TUSZ per-channel ``.csv`` file as the union over channels.

    Seizure rows (any label the vocabulary calls a seizure, e.g. ``fnsz``,
    ``gnsz``) of all channels are merged into their union: overlapping or
    touching intervals become one event, labelled with the seizure type that
    covers most channel-seconds inside it (ties: alphabetical). Rows with an
    unknown label are merged per label the same way; ``bckg`` rows are
    validated but not returned.

    Parameters
    ----------
    path : str | pathlib.Path
        The ``.csv`` file.
    duration : float | None
        Recording duration in seconds (see :func:`read_csv_bi`).
    labels : SeizureLabels | None
        Vocabulary (see :func:`read_csv_bi`).

    Returns
    -------
    AnnotationFile
        ``(annotations, header_duration)``.

    Raises
    ------
    CorpusError
        As :func:`read_csv_bi` (without the ``TERM`` restriction).
    """
    return _read(path, duration, labels, per_channel=True)


def _str_keys(labels):
    """Unknown-label tallies keyed by plain ``str`` (not ``numpy.str_``)."""
    labels.unknown = Counter({str(k): n for k, n in labels.unknown.items()})
    return labels


def _read(path, duration, labels, per_channel):
    own = labels is None
    if own:
        labels = SeizureLabels()
    header_duration, rows = _parse_rows(path, term_only=not per_channel)
    end = _recording_end(path, header_duration, duration)
    if rows:
        _, start, stop, desc, _ = zip(*rows)
        start = np.asarray(start, float)
        stop = np.asarray(stop, float)
        desc = np.asarray(desc, dtype=object)
    else:
        start = stop = np.zeros(0)
        desc = np.zeros(0, dtype=object)
    seiz = labels(desc)
    background = np.array([_is_known_non_seizure(_norm(d)) for d in desc], dtype=bool)
    keep = seiz | ~background
    start, stop, desc, seiz = start[keep], stop[keep], desc[keep], seiz[keep]
    if per_channel and start.size:
        start, stop, desc = _union_over_channels(start, stop, desc, seiz)
    start, stop, desc = _clip(path, start, stop, desc, end)
    if own:
        _str_keys(labels)
        labels.warn_unknown(where=os.fspath(path))
    return AnnotationFile(_to_annotations(start, stop, desc), header_duration)


def _merge(start, stop):
    """Merge overlapping/touching intervals; returns merged (a, b) + group index."""
    order = np.argsort(start, kind="stable")
    s, e = start[order], stop[order]
    group = np.zeros(s.size, dtype=int)
    run_end = np.maximum.accumulate(e)
    new = np.ones(s.size, dtype=bool)
    new[1:] = s[1:] > run_end[:-1]
    group_sorted = np.cumsum(new) - 1
    group[order] = group_sorted
    a = s[new]
    b = np.array([run_end[group_sorted == g].max() for g in range(a.size)])
    return a, b, group


def _union_over_channels(start, stop, desc, seiz):
    out_a, out_b, out_d = [], [], []
    if seiz.any():
        a, b, group = _merge(start[seiz], stop[seiz])
        d_sz, w_sz = desc[seiz], (stop - start)[seiz]
        for g in range(a.size):
            cover = Counter()
            for d, w in zip(d_sz[group == g], w_sz[group == g]):
                cover[str(d)] += float(w)
            best = min(cover.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            out_a.append(a[g])
            out_b.append(b[g])
            out_d.append(best)
    for label in sorted(set(desc[~seiz].tolist())):
        m = (~seiz) & (desc == label)
        a, b, _ = _merge(start[m], stop[m])
        out_a.extend(a)
        out_b.extend(b)
        out_d.extend([label] * a.size)
    return np.asarray(out_a, float), np.asarray(out_b, float), np.asarray(out_d, dtype=object)


# ---------------------------------------------------------------------------
# listing
# ---------------------------------------------------------------------------
def _describe_path(path):
    p = Path(path)
    folders = list(p.parts[:-1])
    d = {"path": os.fspath(p), "split": None, "patient": None, "subject": None,
             "session": None, "date": None, "montage": None, "token": None}
    # <split>/<patient>/<session>_<date>/<montage>/<file>: the split is 4 levels up
    split = next((f for f in reversed(folders[-4:]) if f.lower() in _SPLITS), None)
    d["split"] = split.lower() if split is not None else None
    m = _FILE_RE.match(p.stem)
    if m is not None:
        d.update(patient=m["patient"], session=m["session"], token=m["token"])
    if len(folders) >= 1:
        d["montage"] = folders[-1]
    if len(folders) >= 2:
        ms = _SESSION_RE.match(folders[-2])
        if ms is not None:
            d["date"] = ms["date"]
            d["session"] = d["session"] or ms["session"]
    if d["patient"] is None and len(folders) >= 3:
        d["patient"] = folders[-3]
    d["subject"] = d["patient"]
    return d


def find_tusz_recordings(root, split=None):
    """List the recordings of a TUSZ tree without opening any file.

    Parameters
    ----------
    root : str | pathlib.Path
        Corpus root (the folder holding ``edf/``) or the ``edf`` folder itself
        or any folder below it.
    split : None | str | list of str
        Keep only these splits (``"train"``, ``"dev"``, ``"eval"``); None keeps
        all.

    Returns
    -------
    pandas.DataFrame
        One row per ``.edf`` file, sorted by path, with columns ``path``,
        ``split``, ``patient``, ``subject`` (same as ``patient``), ``session``,
        ``date``, ``montage``, ``token`` (``tNNN``), ``csv_bi`` and ``csv``
        (paths of the annotation files beside the EDF; existence not checked).

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist or holds no ``.edf`` file for ``split``.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"TUSZ root {os.fspath(root)!r} is not a directory.")
    base = root / "edf" if (root / "edf").is_dir() else root
    if split is None:
        wanted = None
    else:
        wanted = [split] if isinstance(split, str) else list(split)
        bad = [s for s in wanted if s not in _SPLITS]
        if bad:
            raise ValueError(f"split must be None or among {_SPLITS}, got {bad}.")
        wanted = set(wanted)
    paths = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in filenames:
            if name.lower().endswith(".edf"):
                paths.append(os.path.join(dirpath, name))
    paths.sort()
    rows = [_describe_path(p) for p in paths]
    columns = ["path", "split", "patient", "subject", "session", "date", "montage",
               "token", "csv_bi", "csv"]
    df = pd.DataFrame(rows, columns=columns[:-2])
    if wanted is not None:
        df = df[df["split"].isin(wanted)].reset_index(drop=True)
    if df.empty:
        what = "" if wanted is None else f" for split {sorted(wanted)}"
        raise FileNotFoundError(f"No .edf files found under {os.fspath(base)!r}{what}.")
    stems = df["path"].str.slice(0, -4)
    df["csv_bi"] = stems + ".csv_bi"
    df["csv"] = stems + ".csv"
    return df


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
def _read_edf(path, preload):
    if not os.path.isfile(path):
        raise CorpusError(path, "EDF file not found.")
    try:
        return mne.io.read_raw_edf(path, preload=preload, verbose="error")
    except Exception as exc:  # MNE raises many types for broken headers
        raise CorpusError(path, f"unreadable EDF ({type(exc).__name__}: {exc}).") from exc


def _load_recording(row, annotations, picks, preload, on_error):
    """Read one recording; returns (dataset|None, reason|None, warnings, unknown)."""
    labels = SeizureLabels()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = _read_edf(row["path"], preload=False)
            duration = raw.n_times / raw.info["sfreq"]
            ann_path = row["csv_bi"] if annotations == "csv_bi" else row["csv"]
            reader = read_csv_bi if annotations == "csv_bi" else read_tusz_csv
            ann = reader(ann_path, duration=duration, labels=labels).annotations
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
        except CorpusError as exc:
            if on_error == "raise":
                raise
            return None, exc, [], Counter()
    description = {k: row[k] for k in ("path", "split", "patient", "subject", "session",
                                       "date", "montage", "token")}
    description["annotation_path"] = ann_path
    description["duration"] = duration
    msgs = [(str(w.message), w.category) for w in caught]
    return RawDataset(raw, description=pd.Series(description)), None, msgs, labels.unknown


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
        malformed annotation file, unreadable EDF, header/EDF duration
        mismatch, missing electrode): raise :class:`CorpusError`, or skip it,
        list it in :attr:`skipped` and warn once.

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
    than 10 ms); unknown labels are kept, not counted as seizures, and warned
    about once with counts. Background rows are not turned into annotations.
    """

    def __init__(self, root, split=None, annotations="csv_bi", picks=None,
                 preload=False, n_jobs=1, on_error="raise"):
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
        args = (annotations, picks, preload, on_error)
        if n_jobs == 1:
            results = [_load_recording(r, *args) for r in rows]
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=n_jobs)(delayed(_load_recording)(r, *args)
                                              for r in rows)
        datasets, skipped, unknown = [], [], Counter()
        for row, (ds, err, msgs, unk) in zip(rows, results):
            for msg, cat in msgs:
                warnings.warn(msg, cat, stacklevel=2)
            if ds is None:
                skipped.append({"path": row["path"], "reason": str(err)})
                continue
            datasets.append(ds)
            unknown.update({str(k): n for k, n in unk.items()})
        self.skipped = pd.DataFrame(skipped, columns=["path", "reason"])
        if unknown:
            tally = SeizureLabels()
            tally.unknown = unknown
            tally.warn_unknown(where=f"TUSZ corpus {self.root}")
        if skipped:
            warnings.warn(
                f"{len(skipped)} of {len(rows)} TUSZ recording(s) skipped "
                f"(on_error='skip'); first: {skipped[0]['reason']} "
                "See the .skipped attribute for the full list.", UserWarning, stacklevel=2)
        if not datasets:
            raise CorpusError(self.root, f"none of the {len(rows)} recordings could be "
                              f"read; first problem: {skipped[0]['reason']}")
        super().__init__(datasets)
