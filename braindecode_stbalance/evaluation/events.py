"""Seizure masks and events, and SzCORE (HED-SCORE) ``events.tsv`` files.

Sample ``k`` of a recording sits at ``k / sfreq`` seconds; an event
``(onset, duration)`` covers sample ``k`` iff
``onset <= k / sfreq < onset + duration`` (the rule of
:mod:`braindecode_stbalance.ratio`, used by the whole package).

SzCORE files are written as epilepsy2bids' ``Annotations.saveTsv`` writes
them (times with two decimals) and read as its ``Annotations.getMask`` reads
them, so that a mask written here and scored by the SzCORE pipeline gives
the scores of :func:`~braindecode_stbalance.evaluation.score_recordings`.
"""

# License: BSD (3-clause)

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_text
from ..ratio import annotation_sample_bounds
from ._tsv import (
    EVENTS_COLUMNS,
    channels_value,
    confidence_values,
    cover,
    events_for_tsv,
    events_name,
    runs,
)
from ._validation import check_int, check_mask, check_real_array, check_sfreq

__all__ = ["events_to_mask", "mask_to_events", "write_events_tsv", "write_prediction_tree"]


def mask_to_events(mask, sfreq):
    """Runs of seizure samples of a mask as events in seconds.

    Parameters
    ----------
    mask : array-like of bool, shape (n_times,)
        Per-sample seizure mask (booleans or integers 0/1).
    sfreq : float
        Sampling frequency in Hz.

    Returns
    -------
    onsets, durations : ndarray of float64, shape (n_events,)
        One event per run of True, in time order: a run of samples
        ``[a, b)`` starts at ``a / sfreq``; its duration is
        ``b / sfreq - a / sfreq``, lowered by a unit in the last place where
        needed so that :func:`events_to_mask` gives back exactly ``mask``.

    Raises
    ------
    ValueError, TypeError
        If ``mask`` is not a 1-D boolean (or 0/1) array or ``sfreq`` is not
        a positive number.
    """
    mask = check_mask(mask)
    sfreq = check_sfreq(sfreq)
    starts, stops = runs(mask)
    onsets = starts / sfreq
    ends = stops / sfreq
    durations = ends - onsets
    for _ in range(8):  # fl(onset + duration) must not pass the next sample's time
        over = onsets + durations > ends
        if not over.any():
            break
        durations[over] -= np.spacing(ends[over])
    return onsets, durations


def events_to_mask(onsets, durations, sfreq, n_times):
    """Per-sample mask of events: ``k`` is True iff ``onset <= k / sfreq < onset + duration``.

    Parameters
    ----------
    onsets, durations : array-like of float, shape (n_events,)
        Events in seconds from the first sample; finite and >= 0. Events
        may overlap and extend past the recording (they are clipped).
    sfreq : float
        Sampling frequency in Hz.
    n_times : int
        Number of samples of the mask.

    Returns
    -------
    mask : ndarray of bool, shape (n_times,)

    Raises
    ------
    ValueError
        If lengths differ or an onset or duration is negative or not finite
        (the index of the first bad event is given).
    """
    onsets = check_real_array(onsets, "onsets")
    durations = check_real_array(durations, "durations")
    sfreq = check_sfreq(sfreq)
    n_times = check_int(n_times, "n_times", minimum=0)
    if onsets.size != durations.size:
        raise ValueError(f"onsets and durations must have the same length, got "
                         f"{onsets.size} and {durations.size}.")
    bad = ~(np.isfinite(onsets) & np.isfinite(durations) & (onsets >= 0) & (durations >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"event {i} has onset={onsets[i]!r}, duration={durations[i]!r}; "
                         "both must be finite and >= 0.")
    lo, hi = annotation_sample_bounds(onsets, durations, sfreq, 0, n_times)
    return cover(lo, hi, n_times)


def write_events_tsv(path, mask_or_events, sfreq=None, recording_duration=None,
                     date_time=None, channels=None, confidence=None):
    """Write a SzCORE (HED-SCORE) ``events.tsv`` file, atomically.

    Columns ``onset, duration, eventType, confidence, channels, dateTime,
    recordingDuration``, tab-separated, formatted exactly as epilepsy2bids'
    ``Annotations.saveTsv`` writes them: times in seconds with two decimals,
    ``dateTime`` as ``YYYY-mm-dd HH:MM:SS``, ``n/a`` for unknown values. Each
    seizure is a row of eventType ``sz``; a recording without seizure gets one
    ``bckg`` row from 0 spanning the recording (SzCORE's convention). A mask
    is turned into events as epilepsy2bids' ``Annotations.loadMask`` does
    (a run ``[a, b)`` becomes onset ``a / sfreq``, duration
    ``b / sfreq - a / sfreq``).

    The file is written to a temporary file in the same folder and renamed
    over ``path`` (:func:`os.replace`): readers never see a partial file. An
    existing file keeps its permission bits; a new one follows the umask.
    Missing parent folders are created.

    Parameters
    ----------
    path : str | pathlib.Path
        Output file (``*.tsv``; SzCORE names it ``<BIDS stem>_events.tsv``).
    mask_or_events : array-like of bool | tuple | mne.Annotations
        Either a per-sample seizure mask of the recording (1-D, booleans or
        0/1, at ``sfreq``), or seizure events as a tuple
        ``(onsets, durations)`` in seconds (the output of
        :func:`mask_to_events`) or an object with ``onset`` and ``duration``
        attributes (e.g. :class:`mne.Annotations` holding seizures only).
    sfreq : float | None
        Sampling frequency of the mask in Hz (required for a mask).
    recording_duration : float | None
        Recording duration in seconds. Required for events; for a mask it
        defaults to ``n_times / sfreq`` (if given, it must agree within one
        sample).
    date_time : datetime.datetime | None
        Start of the recording (``dateTime``); None writes ``n/a``.
    channels : str | list of str | None
        Channels of the seizures (comma-joined); None writes ``n/a``.
    confidence : float | array-like of float | None
        Confidence in [0, 1] of all seizures, or one per event (in the order
        given); None writes ``n/a``.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        If the path does not end in ``.tsv``, the mask or events are
        invalid (an event outside the recording, a non-positive duration),
        ``sfreq``/``recording_duration`` is missing or inconsistent.
    TypeError
        If ``date_time`` is not a :class:`datetime.datetime`.
    OSError
        If the folder cannot be created or written.
    """
    path = Path(path)
    if path.suffix != ".tsv":
        raise ValueError(f"path must be a .tsv file, got {os.fspath(path)!r}.")
    onsets, durations, rec, order = events_for_tsv(mask_or_events, sfreq,
                                                    recording_duration)
    if date_time is None:
        stamp = "n/a"
    elif isinstance(date_time, datetime.datetime):
        stamp = date_time.strftime("%Y-%m-%d %H:%M:%S")
    else:
        raise TypeError(f"date_time must be a datetime.datetime or None, got "
                        f"{type(date_time).__name__} {date_time!r}.")
    chans = channels_value(channels)
    conf = confidence_values(confidence, onsets.size, order)
    lines = ["\t".join(EVENTS_COLUMNS)]
    for onset, duration, c in zip(onsets, durations, conf):
        lines.append(f"{onset:.2f}\t{duration:.2f}\tsz\t{c}\t{chans}\t{stamp}\t{rec:.2f}")
    if not onsets.size:
        lines.append(f"{0:.2f}\t{rec:.2f}\tbckg\tn/a\tn/a\t{stamp}\t{rec:.2f}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, "\n".join(lines) + "\n")


def write_prediction_tree(out_root, predictions, sfreq=None):
    """Write one SzCORE ``events.tsv`` per recording, mirroring a BIDS tree.

    Parameters
    ----------
    out_root : str | pathlib.Path
        Root of the prediction tree (created if missing). Existing files not
        in ``predictions`` are left alone.
    predictions : mapping
        Path relative to the BIDS root -> prediction. Keys are the
        reference events file (``sub-01/ses-01/eeg/sub-01_ses-01_task-x_run-00_events.tsv``)
        or the recording's data file (``..._eeg.edf``, written as its
        ``_events.tsv`` sibling). Values are a seizure mask (with ``sfreq``
        below) or a dict of keyword arguments of :func:`write_events_tsv`
        (``mask_or_events`` and optionally ``sfreq``, ``recording_duration``,
        ``date_time``, ``channels``, ``confidence``).
    sfreq : float | None
        Sampling frequency of masks given without their own ``sfreq``.

    Returns
    -------
    list of pathlib.Path
        The written files, sorted.

    Raises
    ------
    ValueError
        If a key is absolute, leaves the root, is not under a ``sub-*``
        folder, names no events or data file, two keys name the same file,
        or a prediction is invalid (the message names the key).
    TypeError
        If ``predictions`` is not a mapping.
    """
    if not isinstance(predictions, Mapping):
        raise TypeError(f"predictions must be a mapping of relative paths to masks, got "
                        f"{type(predictions).__name__}.")
    out_root = Path(out_root)
    targets = {}
    for key, value in predictions.items():
        rel = events_name(key)
        if rel in targets:
            raise ValueError(f"prediction keys {os.fspath(targets[rel][0])!r} and "
                             f"{os.fspath(key)!r} both name {os.fspath(rel)!r}.")
        kwargs = dict(value) if isinstance(value, Mapping) else {"mask_or_events": value}
        kwargs.setdefault("sfreq", sfreq)
        targets[rel] = (key, kwargs)
    written = []
    for rel in sorted(targets):
        key, kwargs = targets[rel]
        try:
            written.append(write_events_tsv(out_root / rel, **kwargs))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"prediction {os.fspath(key)!r}: {exc}") from exc
    return written


