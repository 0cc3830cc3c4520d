"""Reader of SzCORE (HED-SCORE) ``*_events.tsv`` files."""

# License: BSD (3-clause)

from __future__ import annotations

import math
import re
from pathlib import Path

from ._annotations import CorpusError, finish, read_text

__all__ = ["SZCORE_EVENT_COLUMNS", "read_szcore_events", "szcore_events_path"]

#: Columns of a SzCORE (HED-SCORE) ``events.tsv`` file, in order.
SZCORE_EVENT_COLUMNS = ("onset", "duration", "eventType", "confidence", "channels",
                        "dateTime", "recordingDuration")
_REQUIRED = ("onset", "duration", "eventType")
_DATA_SUFFIX_RE = re.compile(r"^(?P<stem>.+)_(?P<datatype>eeg|ieeg|meg)$")
_NA = ("n/a", "na", "nan", "")


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
    lines = read_text(path, "events file",
                      "every SzCORE recording needs its *_events.tsv beside it").splitlines()
    header_line = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_line is None:
        raise CorpusError(path, "empty events file (expected a header row "
                          f"{chr(9).join(SZCORE_EVENT_COLUMNS)!r}).")
    columns = [c.strip() for c in lines[header_line].split("\t")]
    lower = {c.lower(): i for i, c in enumerate(columns)}
    missing = [c for c in _REQUIRED if c.lower() not in lower]
    if missing:
        hint = (" (a 'trial_type' column: this is not a SzCORE file; it is read correctly "
                "by braindecode's BIDSDataset as is)" if "trial_type" in lower else "")
        raise CorpusError(path, f"missing column(s) {missing} in the header row "
                          f"{lines[header_line]!r}{hint}.", header_line + 1)
    i_on, i_dur, i_type = (lower[c.lower()] for c in _REQUIRED)
    i_rec = lower.get("recordingduration")
    starts, stops, labels, rec_durations = [], [], [], set()
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
            raise CorpusError(path, f"row {line!r}: duration {duration} <= 0 (stop <= start); "
                              "events must have a positive duration.", lineno)
        if onset + duration <= onset:
            raise CorpusError(path, f"row {line!r}: duration {duration} s is too short to "
                              f"end after its onset {onset} s (in floating point); events "
                              "must have a positive duration.", lineno)
        if rec is not None:
            if not (math.isfinite(rec) and rec > 0):
                raise CorpusError(path, f"row {line!r}: recordingDuration {rec} is not a "
                                  "positive number of seconds.", lineno)
            rec_durations.add(rec)
        starts.append(onset)
        stops.append(onset + duration)
        labels.append(label)
    if len(rec_durations) > 1:
        raise CorpusError(path, f"rows disagree on recordingDuration: {sorted(rec_durations)}.")
    return (rec_durations.pop() if rec_durations else None), starts, stops, labels


def read_szcore_events(path, duration=None, labels=None, report=None):
    """Read a SzCORE (HED-SCORE) ``events.tsv`` file.

    Parameters
    ----------
    path : str | pathlib.Path
        The ``*_events.tsv`` file.
    duration : float | None
        Recording duration in seconds (from the data file). If given,
        ``recordingDuration`` must agree with it within 0.5 s and events are
        clipped to it; if None they are clipped to ``recordingDuration``.
    labels : None | collection of str | callable | SeizureLabels
        The seizure vocabulary (see :class:`~braindecode_stbalance.SeizureLabels`).
    report : LabelReport | None
        Receives event types not counted as seizures; ``None``: warned about
        at once, with counts.

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
    stated, start, stop, label = _parse_events(path)
    return finish(path, start, stop, label, duration, stated, "recordingDuration is {} s",
                  labels, report)
