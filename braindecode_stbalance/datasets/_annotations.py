"""What every annotation-file reader shares: the error type, the result, and the common steps.

A reader parses its format into rows ``(start, stop, label)``; then
:func:`finish` drops known background rows, checks the file against the
recording's duration, clips events to the recording, reports labels not
counted as seizures and returns :class:`AnnotationFile`. Braindecode-free (for
the scanner): numpy, pandas and MNE only.
"""

# License: BSD (3-clause)

from __future__ import annotations

import os
import warnings
from typing import NamedTuple

import mne
import numpy as np

from ..labels import LabelReport, SeizureLabels, is_known_non_seizure

__all__ = ["DURATION_TOLERANCE", "AnnotationFile", "CorpusError", "finish"]

#: Largest accepted difference (seconds) between the duration an annotation
#: file states and the EDF duration; TUSZ headers have 2 decimals.
DURATION_TOLERANCE = 0.5
#: Annotations ending at most this far (seconds) after the recording end are
#: clipped silently (header rounding); beyond it clipping is warned about.
_CLIP_SILENT = 0.01


class CorpusError(ValueError):
    """A corpus file that cannot be read correctly.

    Parameters
    ----------
    path : str | pathlib.Path
        The offending file (or folder).
    reason : str
        What is wrong (and, where possible, what to do).
    line : int | None
        1-based line number in ``path``, if the problem is on one line.

    Attributes
    ----------
    path, reason, line
        As above.
    """

    def __init__(self, path, reason, line=None):
        self.path = os.fspath(path)
        self.reason = reason
        self.line = line
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):  # picklable across worker processes
        return type(self), (self.path, self.reason, self.line)


class AnnotationFile(NamedTuple):
    """Result of the annotation-file readers.

    Attributes
    ----------
    annotations : mne.Annotations
        Non-background events, onsets in seconds from the first sample
        (``orig_time=None``), clipped to the recording end, sorted.
    header_duration : float | None
        The recording duration the file states (``# duration = N secs`` of
        TUSZ files, ``recordingDuration`` of SzCORE files); None if absent.
    """

    annotations: mne.Annotations
    header_duration: float | None


def read_text(path, kind, hint=""):
    """The text of an annotation file, or a :class:`CorpusError` naming it."""
    try:
        with open(path, encoding="utf-8", errors="strict") as f:
            return f.read()
    except FileNotFoundError:
        raise CorpusError(path, f"{kind} not found{f' ({hint})' if hint else ''}.") from None
    except IsADirectoryError:
        raise CorpusError(path, f"{kind} expected, found a folder.") from None
    except PermissionError as exc:
        raise CorpusError(path, f"cannot read the {kind} ({exc.strerror}): check its "
                          "permissions.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(path, f"cannot read the {kind} ({exc}).") from exc


def recording_end(path, stated, duration, what):
    """The end to clip events to; raise if the file's stated duration disagrees with the EDF."""
    if duration is None:
        return stated
    if stated is not None and abs(stated - duration) > DURATION_TOLERANCE:
        raise CorpusError(
            path, f"{what.format(stated)} but the EDF lasts {duration:.3f} s: annotation file "
            "and EDF do not belong together (or one of them is truncated).")
    return duration


def finish(path, start, stop, label, duration, stated, what, labels, report, merge=None):
    """Common end of every reader: background, duration check, clipping, label report.

    Parameters
    ----------
    path : str
        The file (for messages).
    start, stop : array-like of float
        Event bounds in seconds.
    label : array-like of str
        Event labels.
    duration : float | None
        The EDF's duration.
    stated : float | None
        The duration the file states.
    what : str
        How the stated duration is phrased, with ``{}`` for the value.
    labels : None | collection of str | callable | SeizureLabels
        Seizure vocabulary.
    report : LabelReport | None
        Receives labels not counted as seizures; ``None``: warn at once.
    merge : callable | None
        ``merge(start, stop, label, seizure) -> (start, stop, label)`` run on
        the events before clipping (the per-channel union of ``.csv`` files).

    Returns
    -------
    AnnotationFile
        The result.
    """
    own = report is None
    report = LabelReport() if own else report
    labels = SeizureLabels(labels)
    start = np.asarray(start, dtype=np.float64)
    stop = np.asarray(stop, dtype=np.float64)
    label = np.asarray(label, dtype=object)
    background = np.array([is_known_non_seizure(d) for d in label], dtype=bool)
    start, stop, label = start[~background], stop[~background], label[~background]
    seizure = report.add(labels, label)
    if merge is not None and start.size:
        start, stop, label = merge(start, stop, label, seizure)
    end = recording_end(path, stated, duration, what)
    if end is not None and start.size:
        after = start >= end  # dropped: always said, however little they pass the end
        over = (stop > end + _CLIP_SILENT) | after
        if over.any():
            warnings.warn(
                f"{os.fspath(path)}: {int(over.sum())} annotation(s) end after the recording "
                f"end ({end:.3f} s), latest at {stop.max():.3f} s: clipped to the end "
                f"({int(after.sum())} dropped as they start after it).", UserWarning,
                stacklevel=4)
        start, stop, label = start[~after], np.minimum(stop[~after], end), label[~after]
    if own:
        report.warn(where=os.fspath(path), stacklevel=4)
    order = np.lexsort((stop, start))
    ann = mne.Annotations(start[order], (stop - start)[order],
                          np.asarray(label[order], dtype=str), orig_time=None)
    return AnnotationFile(ann, stated)
