"""Readers of TUSZ annotation files: term-based ``.csv_bi`` and per-channel ``.csv``."""

# License: BSD (3-clause)

from __future__ import annotations

import math
import re

import numpy as np

from ..ratio import merge_intervals
from ._annotations import CorpusError, finish, read_text

__all__ = ["read_csv_bi", "read_tusz_csv"]

_COLUMNS = ["channel", "start_time", "stop_time", "label", "confidence"]
_DURATION_RE = re.compile(r"#\s*duration\s*=\s*([-+0-9.eE]+)\s*(?:secs?|s)?\s*$", re.IGNORECASE)
_STATED = "header says '# duration = {} secs'"


def _parse_rows(path, term_only):
    """Parse a TUSZ csv/csv_bi file into (header_duration, starts, stops, labels)."""
    text = read_text(path, "annotation file", "every TUSZ EDF needs its .csv_bi / .csv beside it")
    header_duration = None
    columns_seen = False
    starts, stops, labels = [], [], []
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
                    raise CorpusError(path, f"malformed duration header {s!r}.", lineno) from None
                if not (math.isfinite(header_duration) and header_duration > 0):
                    raise CorpusError(path, f"duration header {s!r} is not a positive "
                                      "finite number of seconds.", lineno)
            elif s.lower().replace(" ", "").startswith("#duration="):
                raise CorpusError(path, f"malformed duration header {s!r}; expected "
                                  "'# duration = N secs'.", lineno)
            continue
        parts = [p.strip() for p in s.split(",")]
        if not columns_seen:
            if [p.lower() for p in parts] != _COLUMNS:
                raise CorpusError(path, f"expected the column row {','.join(_COLUMNS)!r} "
                                  f"before the first event, got {s!r}.", lineno)
            columns_seen = True
            continue
        if len(parts) != 5:
            raise CorpusError(path, f"malformed row {s!r}: expected 5 comma-separated fields "
                              f"({','.join(_COLUMNS)}), got {len(parts)}.", lineno)
        channel, start, stop, label, confidence = parts
        try:
            start, stop, confidence = float(start), float(stop), float(confidence)
        except ValueError:
            raise CorpusError(path, f"malformed row {s!r}: start_time, stop_time and "
                              "confidence must be numbers.", lineno) from None
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise CorpusError(path, f"malformed row {s!r}: non-finite time.", lineno)
        if start < 0:
            raise CorpusError(path, f"row {s!r}: negative start_time {start}.", lineno)
        if stop <= start:
            raise CorpusError(path, f"row {s!r}: stop_time {stop} <= start_time {start}; "
                              "events must have a positive duration.", lineno)
        if not label:
            raise CorpusError(path, f"row {s!r}: empty label.", lineno)
        if not channel:
            raise CorpusError(path, f"row {s!r}: empty channel.", lineno)
        if term_only and channel.upper() != "TERM":
            raise CorpusError(path, f"row {s!r}: a .csv_bi file has term-based rows (channel "
                              "'TERM'); per-channel rows belong in the .csv file "
                              "(annotations='csv').", lineno)
        starts.append(start)
        stops.append(stop)
        labels.append(label)
    if not columns_seen:
        raise CorpusError(path, "no column row 'channel,start_time,stop_time,label,"
                          "confidence' found: empty or not a TUSZ annotation file.")
    return header_duration, starts, stops, labels


def read_csv_bi(path, duration=None, labels=None, report=None):
    """Read a TUSZ ``.csv_bi`` (term-based) annotation file.

    Parameters
    ----------
    path : str | pathlib.Path
        The ``.csv_bi`` file.
    duration : float | None
        Duration of the recording in seconds (from the EDF). If given, the
        ``# duration`` header must agree with it within 0.5 s and events are
        clipped to it; if None, events are clipped to the header duration.
    labels : None | collection of str | callable | SeizureLabels
        The seizure vocabulary (see :class:`~braindecode_stbalance.SeizureLabels`).
    report : LabelReport | None
        Receives the labels not counted as seizures (unknown ones, and known
        seizure labels a custom vocabulary leaves out); ``None``: they are
        warned about at once, with counts.

    Returns
    -------
    AnnotationFile
        ``(annotations, header_duration)``. Background (``bckg``) rows are
        validated but not returned: they are the complement of the events.
        Unknown labels are kept as annotations (not seizures).

    Raises
    ------
    CorpusError
        Missing or unreadable file, malformed row (file and line named),
        ``stop_time <= start_time``, a non-``TERM`` channel, or a header
        duration disagreeing with ``duration``.
    """
    stated, start, stop, label = _parse_rows(path, term_only=True)
    return finish(path, start, stop, label, duration, stated, _STATED, labels, report)


def read_tusz_csv(path, duration=None, labels=None, report=None):
    """Read a TUSZ per-channel ``.csv`` file as the union over channels.

    Seizure rows (any label the vocabulary calls a seizure, e.g. ``fnsz``,
    ``gnsz``) of all channels are merged into their union: overlapping or
    touching intervals become one event, labelled with the seizure type that
    covers most channel-seconds inside it (ties: alphabetical). Rows with
    another label are merged per label the same way; ``bckg`` rows are
    validated but not returned.

    Parameters
    ----------
    path : str | pathlib.Path
        The ``.csv`` file.
    duration : float | None
        Recording duration in seconds (see :func:`read_csv_bi`).
    labels : None | collection of str | callable | SeizureLabels
        The seizure vocabulary.
    report : LabelReport | None
        See :func:`read_csv_bi`.

    Returns
    -------
    AnnotationFile
        ``(annotations, header_duration)``.

    Raises
    ------
    CorpusError
        As :func:`read_csv_bi` (without the ``TERM`` restriction).
    """
    stated, start, stop, label = _parse_rows(path, term_only=False)
    return finish(path, start, stop, label, duration, stated, _STATED, labels, report,
                  merge=_union_over_channels)


def _union(start, stop, label):
    """Union of intervals; each merged event takes the label covering most seconds of it."""
    a, b = merge_intervals(start, stop)
    group = np.searchsorted(a, start, side="right") - 1
    names, code = np.unique(np.asarray(label, dtype=str), return_inverse=True)
    cover = np.zeros((a.size, names.size))
    np.add.at(cover, (group, code.ravel()), stop - start)
    return a, b, names[np.argmax(cover, axis=1)].astype(object)  # ties: first name


def _union_over_channels(start, stop, label, seizure):
    parts = [_union(start[seizure], stop[seizure], label[seizure])] if seizure.any() else []
    other = label[~seizure].astype(str)
    for name in sorted(set(other.tolist())):
        m = np.flatnonzero(~seizure)[other == name]
        parts.append(_union(start[m], stop[m], label[m]))
    if not parts:
        return start[:0], stop[:0], label[:0]
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))
