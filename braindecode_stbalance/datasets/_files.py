"""Braindecode-free readers of corpus files: annotation files and listings.

The parsers of TUSZ ``.csv_bi`` / ``.csv`` files and SzCORE ``*_events.tsv``
files, and the listing of TUSZ and SzCORE BIDS trees, need only numpy, pandas
and MNE. They live here, apart from the braindecode datasets of
:mod:`~braindecode_stbalance.datasets.tusz` and
:mod:`~braindecode_stbalance.datasets.bids` (which re-export them), so that
a corpus scan (``stbalance scan``) starts without importing torch and
braindecode.
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

from ..labels import SeizureLabels, _is_known_non_seizure, _norm

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
_SPLITS = ("train", "dev", "eval")

#: Columns of a SzCORE (HED-SCORE) ``events.tsv`` file, in order.
SZCORE_EVENT_COLUMNS = ("onset", "duration", "eventType", "confidence", "channels",
                        "dateTime", "recordingDuration")
_REQUIRED = ("onset", "duration", "eventType")
_DATA_SUFFIX_RE = re.compile(r"^(?P<stem>.+)_(?P<datatype>eeg|ieeg|meg)$")
_NA = ("n/a", "na", "nan", "")


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


def _events(start, stop, desc, labels):
    """Event arrays without the known background rows, and which of them are seizures."""
    start = np.asarray(start, dtype=float)
    stop = np.asarray(stop, dtype=float)
    desc = np.asarray(desc, dtype=object)
    seiz = labels(desc)
    keep = seiz | ~np.array([_is_known_non_seizure(_norm(d)) for d in desc], dtype=bool)
    return start[keep], stop[keep], desc[keep], seiz[keep]


def _read(path, duration, labels, per_channel):
    own = labels is None
    if own:
        labels = SeizureLabels()
    header_duration, rows = _parse_rows(path, term_only=not per_channel)
    end = _recording_end(path, header_duration, duration)
    _, start, stop, desc, _ = zip(*rows) if rows else ((),) * 5
    start, stop, desc, seiz = _events(start, stop, desc, labels)
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
# SzCORE events files
# ---------------------------------------------------------------------------
def szcore_events_path(data_path):
    """The ``*_events.tsv`` sidecar of a BIDS data file.

    Parameters
    ----------
    data_path : str | pathlib.Path
        E.g. ``.../sub-01_ses-01_task-szMonitoring_run-00_eeg.edf``.

    Returns
    -------
    pathlib.Path
        E.g. ``.../sub-01_ses-01_task-szMonitoring_run-00_events.tsv``.
    """
    p = Path(data_path)
    name = p.name[: -len("".join(p.suffixes))] if p.suffixes else p.name
    m = _DATA_SUFFIX_RE.match(name)
    stem = m["stem"] if m is not None else name
    return p.with_name(f"{stem}_events.tsv")


def _float_or_na(value):
    return None if value.strip().lower() in _NA else float(value)


def _parse_events(path):
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise CorpusError(path, "events file not found (every SzCORE recording needs "
                          "its *_events.tsv beside it).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(path, f"cannot read events file ({exc}).") from exc
    header_line = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_line is None:
        raise CorpusError(path, "empty events file (expected a header row "
                          f"{chr(9).join(SZCORE_EVENT_COLUMNS)!r}).")
    columns = [c.strip() for c in lines[header_line].split("\t")]
    lower = {c.lower(): i for i, c in enumerate(columns)}
    missing = [c for c in _REQUIRED if c.lower() not in lower]
    if missing:
        hint = (" (a 'trial_type' column: this is not a SzCORE file; it is read "
                "correctly by braindecode's BIDSDataset as is)"
                if "trial_type" in lower else "")
        raise CorpusError(path, f"missing column(s) {missing} in the header row "
                          f"{lines[header_line]!r}{hint}.", header_line + 1)
    i_on, i_dur, i_type = (lower[c.lower()] for c in _REQUIRED)
    i_rec = lower.get("recordingduration")
    rows, rec_durations = [], set()
    for lineno, line in enumerate(lines[header_line + 1:], header_line + 2):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != len(columns):
            raise CorpusError(path, f"malformed row {line!r}: {len(parts)} tab-separated "
                              f"fields, the header has {len(columns)}.", lineno)
        try:
            onset = float(parts[i_on])
            duration = float(parts[i_dur])
            rec = _float_or_na(parts[i_rec]) if i_rec is not None else None
        except ValueError:
            raise CorpusError(path, f"malformed row {line!r}: onset, duration and "
                              "recordingDuration must be numbers.", lineno) from None
        label = parts[i_type].strip()
        if label.lower() in _NA:
            raise CorpusError(path, f"row {line!r}: empty or n/a eventType.", lineno)
        if not (math.isfinite(onset) and math.isfinite(duration)):
            raise CorpusError(path, f"malformed row {line!r}: non-finite time.", lineno)
        if onset < 0:
            raise CorpusError(path, f"row {line!r}: negative onset {onset}.", lineno)
        if duration <= 0:
            raise CorpusError(path, f"row {line!r}: duration {duration} <= 0 (stop <= "
                              "start); events must have a positive duration.", lineno)
        if rec is not None:
            rec_durations.add(rec)
        rows.append((onset, onset + duration, label))
    if len(rec_durations) > 1:
        raise CorpusError(path, "rows disagree on recordingDuration: "
                          f"{sorted(rec_durations)}.")
    return (rec_durations.pop() if rec_durations else None), rows


def read_szcore_events(path, duration=None, labels=None):
    """Read a SzCORE (HED-SCORE) ``events.tsv`` file.

    Parameters
    ----------
    path : str | pathlib.Path
        The ``*_events.tsv`` file.
    duration : float | None
        Recording duration in seconds (from the data file). If given,
        ``recordingDuration`` must agree with it within 0.5 s and events are
        clipped to it; if None they are clipped to ``recordingDuration``.
    labels : SeizureLabels | None
        Vocabulary; unknown event types (neither ``sz*``, nor a TUSZ seizure
        label, nor ``bckg``) are kept, not counted as seizures and tallied in
        ``labels.unknown`` (warned about at once if ``labels`` is None).

    Returns
    -------
    AnnotationFile
        ``(annotations, header_duration)``: descriptions are the
        ``eventType`` values; background rows are validated but not returned.

    Raises
    ------
    CorpusError
        Missing file, missing column, malformed row (file and line named),
        duration <= 0, or ``recordingDuration`` disagreeing with ``duration``.
    """
    own = labels is None
    if own:
        labels = SeizureLabels()
    rec_duration, rows = _parse_events(path)
    end = _recording_end(path, rec_duration, duration,
                         stated="recordingDuration is {} s")
    start, stop, desc = zip(*rows) if rows else ((),) * 3
    start, stop, desc, _ = _events(start, stop, desc, labels)
    start, stop, desc = _clip(path, start, stop, desc, end)
    if own:
        _str_keys(labels)
        labels.warn_unknown(where=os.fspath(path))
    return AnnotationFile(_to_annotations(start, stop, desc), rec_duration)


def find_szcore_recordings(root, extensions=(".edf",)):
    """List the recordings of a SzCORE BIDS tree without opening any file.

    Parameters
    ----------
    root : str | pathlib.Path
        BIDS root.
    extensions : tuple of str
        Data file extensions (case-insensitive).

    Returns
    -------
    pandas.DataFrame
        One row per ``sub-*/[ses-*/]<datatype>/*_<datatype>.<ext>`` file,
        sorted by path: ``path``, ``subject``, ``session``, ``task``,
        ``run`` (None when absent), ``datatype`` and ``events`` (the
        ``*_events.tsv`` path; existence not checked).

    Raises
    ------
    FileNotFoundError
        If ``root`` holds no such file.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"BIDS root {os.fspath(root)!r} is not a directory.")
    exts = tuple(e.lower() for e in extensions)
    rows = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "derivatives",
                                                                     "sourcedata")))
        for name in filenames:
            if not name.lower().endswith(exts) or not name.startswith("sub-"):
                continue
            stem = name[: name.rfind(".")]
            m = _DATA_SUFFIX_RE.match(stem)
            if m is None:
                continue
            entities = dict(kv.split("-", 1) for kv in m["stem"].split("_") if "-" in kv)
            path = os.path.join(dirpath, name)
            rows.append({"path": path, "subject": entities.get("sub"),
                             "session": entities.get("ses"), "task": entities.get("task"),
                             "run": entities.get("run"), "datatype": m["datatype"],
                             "events": os.fspath(szcore_events_path(path))})
    if not rows:
        raise FileNotFoundError(f"No BIDS data files {exts} under {os.fspath(root)!r}.")
    return pd.DataFrame(rows).sort_values("path", ignore_index=True)


def _collect_loaded(paths, results, corpus, root, stacklevel):
    """Gather per-recording load results of a corpus reader, warning as it goes.

    ``results`` holds ``(dataset or None, error, [(message, category)], unknown label
    counts)`` per path. Returns the datasets read and the ``.skipped`` report;
    raises :class:`CorpusError` when nothing could be read.
    """
    datasets, skipped, unknown = [], [], Counter()
    for path, (ds, err, msgs, unk) in zip(paths, results):
        for msg, cat in msgs:
            warnings.warn(msg, cat, stacklevel=stacklevel + 1)
        if ds is None:
            skipped.append({"path": os.fspath(path), "reason": str(err)})
            continue
        datasets.append(ds)
        unknown.update({str(k): n for k, n in unk.items()})
    if unknown:
        tally = SeizureLabels()
        tally.unknown = unknown
        tally.warn_unknown(where=f"{corpus} corpus {os.fspath(root)}")
    if skipped:
        warnings.warn(
            f"{len(skipped)} of {len(paths)} {corpus} recording(s) skipped "
            f"(on_error='skip'); first: {skipped[0]['reason']} "
            "See the .skipped attribute for the full list.", UserWarning, stacklevel=stacklevel + 1)
    if not datasets:
        raise CorpusError(root, f"none of the {len(paths)} recordings could be "
                          f"read; first problem: {skipped[0]['reason']}")
    return datasets, pd.DataFrame(skipped, columns=["path", "reason"])
