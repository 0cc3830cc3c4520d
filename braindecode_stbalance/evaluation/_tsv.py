"""SzCORE ``events.tsv`` formatting and reading rules (private helpers of :mod:`.events`)."""

# License: BSD (3-clause)

from __future__ import annotations

import os
import re
from pathlib import PurePath

import numpy as np
import pandas as pd

from ._validation import check_mask, check_real, check_real_array, check_sfreq

#: Columns of a SzCORE events file, in order.
EVENTS_COLUMNS = ("onset", "duration", "eventType", "confidence", "channels", "dateTime",
                  "recordingDuration")
_DATA_FILE_RE = re.compile(r"^(?P<stem>.+)_(?:eeg|ieeg|meg)\.[A-Za-z0-9.]+$")


def runs(mask):
    """Start and stop indices of the runs of True of a 1-D boolean mask."""
    edges = np.diff(np.concatenate(([False], mask, [False])).astype(np.int8))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def cover(lo, hi, n):
    """Mask of ``n`` samples, True inside any ``[lo, hi)`` (clipped to ``[0, n]``)."""
    lo = np.clip(lo, 0, n)
    hi = np.clip(hi, 0, n)
    keep = hi > lo
    diff = np.zeros(n + 1, dtype=np.int64)
    np.add.at(diff, lo[keep], 1)
    np.add.at(diff, hi[keep], -1)
    return np.cumsum(diff[:-1]) > 0


def events_for_tsv(mask_or_events, sfreq, recording_duration):
    """(onsets, durations, recording duration) to write, sorted by onset."""
    if isinstance(mask_or_events, tuple) or hasattr(mask_or_events, "onset"):
        if isinstance(mask_or_events, tuple):
            if len(mask_or_events) != 2:
                raise ValueError("events must be a tuple (onsets, durations), got a tuple "
                                 f"of {len(mask_or_events)} items.")
            onsets, durations = mask_or_events
        else:  # mne.Annotations-like
            onsets, durations = mask_or_events.onset, mask_or_events.duration
        onsets = check_real_array(onsets, "onsets")
        durations = check_real_array(durations, "durations")
        if recording_duration is None:
            raise ValueError("recording_duration is required when writing events.")
        rec = check_real(recording_duration, "recording_duration", 0.0, allow_equal=False)
        if onsets.size != durations.size:
            raise ValueError(f"onsets and durations must have the same length, got "
                             f"{onsets.size} and {durations.size}.")
        ends = onsets + durations
        bad = ~(np.isfinite(ends) & (onsets >= 0) & (durations > 0) & (ends <= rec + 1e-6))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"event {i} (onset {onsets[i]!r} s, duration {durations[i]!r} s) "
                             f"must have onset >= 0, duration > 0 and end within the "
                             f"recording ({rec!r} s).")
        order = np.argsort(onsets, kind="stable")
        return onsets[order], durations[order], rec, order
    mask = check_mask(mask_or_events, "mask_or_events")
    if sfreq is None:
        raise ValueError("sfreq is required when writing a mask.")
    sfreq = check_sfreq(sfreq)
    if mask.size == 0:
        raise ValueError("mask_or_events is an empty mask: a recording has samples.")
    starts, stops = runs(mask)
    rec = mask.size / sfreq
    if recording_duration is not None:
        given = check_real(recording_duration, "recording_duration", 0.0, allow_equal=False)
        if abs(given - rec) >= 1 / sfreq:
            raise ValueError(f"recording_duration {given!r} s disagrees with the mask "
                             f"({mask.size} samples at {sfreq:g} Hz = {rec!r} s).")
        rec = given
    # the arithmetic of epilepsy2bids' Annotations.loadMask (via timescoring)
    return starts / sfreq, stops / sfreq - starts / sfreq, rec, np.arange(starts.size)


def confidence_values(confidence, n_events, order):
    if confidence is None:
        return ["n/a"] * n_events
    conf = np.asarray(confidence, dtype=np.float64)
    if conf.ndim == 0:
        conf = np.full(n_events, float(conf))
    elif conf.shape != (n_events,):
        raise ValueError(f"confidence must be one number or one per event ({n_events}), "
                         f"got shape {conf.shape}.")
    else:
        conf = conf[order]
    if not (np.isfinite(conf) & (conf >= 0) & (conf <= 1)).all():
        raise ValueError(f"confidence must lie in [0, 1], got {confidence!r}.")
    return [f"{c:.2f}" for c in conf]


def channels_value(channels):
    if channels is None:
        return "n/a"
    names = [channels] if isinstance(channels, str) else list(channels)
    for name in names:
        if not isinstance(name, str) or not name or re.search(r"[\t\n\r,]", name):
            raise ValueError(f"channels must be non-empty names without tabs, newlines or "
                             f"commas, got {name!r}.")
    return ",".join(names) if names else "n/a"


def events_name(rel):
    """Relative path of the events file for a relative events or data file path."""
    rel = PurePath(rel)
    if rel.is_absolute() or not rel.parts or ".." in rel.parts:
        raise ValueError(f"prediction keys must be paths relative to the BIDS root, got "
                         f"{os.fspath(rel)!r}.")
    if not rel.parts[0].startswith("sub-"):
        raise ValueError(f"prediction key {os.fspath(rel)!r} must start with its sub-* "
                         "folder (e.g. sub-01/ses-01/eeg/..._events.tsv).")
    if rel.name.endswith("_events.tsv"):
        return rel
    m = _DATA_FILE_RE.match(rel.name)
    if m is None:
        raise ValueError(f"prediction key {os.fspath(rel)!r} is neither an *_events.tsv "
                         "nor a BIDS data file (*_eeg.edf, ...).")
    return rel.with_name(f"{m['stem']}_events.tsv")


class EmptyEventsFile(ValueError):
    """An events file with a header and no row."""


def read_tsv_mask(path, fs=1):
    """Seizure mask of a SzCORE events file, as epilepsy2bids' ``getMask(fs)`` builds it.

    ``int(recordingDuration * fs)`` samples (first row's value); each
    seizure row marks samples ``int(onset * fs)`` to
    ``int((onset + duration) * fs)`` (exclusive). Seizure rows are those of
    eventType ``sz`` or ``sz_*``; ``bckg`` rows are background; any other
    eventType is an error (epilepsy2bids would fail on it too).
    """
    try:
        df = pd.read_csv(path, delimiter="\t")  # same parser as epilepsy2bids.loadTsv
    except pd.errors.EmptyDataError:
        raise ValueError(f"{os.fspath(path)}: empty file (expected the header "
                         f"{chr(9).join(EVENTS_COLUMNS)!r}).") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{os.fspath(path)}: not a tab-separated events file ({exc}).") from None
    missing = [c for c in ("onset", "duration", "eventType", "recordingDuration")
               if c not in df.columns]
    if missing:
        raise ValueError(f"{os.fspath(path)}: missing column(s) {missing}; found "
                         f"{list(df.columns)}.")
    if len(df) == 0:
        raise EmptyEventsFile(f"{os.fspath(path)}: no event row.")
    etype = df["eventType"].astype(object).where(df["eventType"].notna(), "n/a")
    etype = etype.astype(str).to_numpy()
    seizure = (etype == "sz") | np.char.startswith(etype.astype(str), "sz_")
    unknown = ~seizure & (etype != "bckg")
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise ValueError(f"{os.fspath(path)}, line {i + 2}: eventType {etype[i]!r} is neither "
                         "a seizure (sz, sz_*) nor bckg.")
    numbers = {}
    for col in ("onset", "duration", "recordingDuration"):
        numbers[col] = pd.to_numeric(df[col], errors="coerce").to_numpy(np.float64)
    rec = numbers["recordingDuration"][0]
    if not (np.isfinite(rec) and rec >= 0):
        raise ValueError(f"{os.fspath(path)}, line 2: recordingDuration "
                         f"{df['recordingDuration'].iloc[0]!r} is not a duration in seconds.")
    on, dur = numbers["onset"][seizure], numbers["duration"][seizure]
    bad = ~(np.isfinite(on) & np.isfinite(dur) & (on >= 0) & (dur >= 0))
    if bad.any():
        i = int(np.flatnonzero(seizure)[np.flatnonzero(bad)[0]])
        raise ValueError(f"{os.fspath(path)}, line {i + 2}: seizure onset/duration "
                         f"{df['onset'].iloc[i]!r}/{df['duration'].iloc[i]!r} must be numbers "
                         ">= 0.")
    n = int(rec * fs)
    lo = (on * fs).astype(np.int64)
    hi = ((on + dur) * fs).astype(np.int64)
    return cover(lo, hi, n)


def szcore_mask_1hz(mask, sfreq):
    """A mask at ``sfreq`` brought to 1 Hz as the SzCORE pipeline does.

    Exactly what scoring sees when the mask is written with
    :func:`write_events_tsv` (or epilepsy2bids' ``loadMask`` + ``saveTsv``,
    times with two decimals) and read back with epilepsy2bids'
    ``getMask(1)``: second ``s`` is a seizure iff some event has
    ``int(onset) <= s < int(onset + duration)``, over
    ``int(recordingDuration)`` seconds (values as written, two decimals).
    """
    mask = check_mask(mask)
    sfreq = check_sfreq(sfreq)
    if sfreq == 1.0:
        return mask.copy()
    starts, stops = runs(mask)
    on = starts / sfreq
    dur = stops / sfreq - on
    on = np.array([float(f"{x:.2f}") for x in on], dtype=np.float64)
    dur = np.array([float(f"{x:.2f}") for x in dur], dtype=np.float64)
    n = int(float(f"{mask.size / sfreq:.2f}"))
    lo = on.astype(np.int64)
    hi = (on + dur).astype(np.int64)
    return cover(lo, hi, n)
