"""Fingerprints of recordings: the rows a manifest stores, and the seizure annotation hash."""

# License: BSD (3-clause)

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["annotation_hash", "fingerprint_rows"]


def fingerprint_rows(records, lo, hi, owner, sz_starts, sz_stops, origin):
    """One fingerprint row per record (see :func:`braindecode_stbalance.facts.compute`)."""
    # merged intervals never cross recordings: each lies inside one [origin, origin + extent)
    sz_owner = np.searchsorted(origin, sz_starts, side="right") - 1
    n = len(records)
    n_events = np.bincount(sz_owner, minlength=n)
    sz_samples = np.bincount(sz_owner, weights=sz_stops - sz_starts, minlength=n)
    bounds = np.searchsorted(owner, np.arange(n + 1))
    rows = []
    for i, r in enumerate(records):
        part = slice(bounds[i], bounds[i + 1])
        rows.append({
            "path": r.path,
            "file_size": int(r.file_size),
            "file_mtime_ns": int(r.file_mtime_ns),
            "n_times": -1 if r.n_times is None else int(r.n_times),
            "sfreq": float(r.sfreq),
            "first_samp": int(r.first_samp),
            "duration": np.nan if r.n_times is None else r.n_times / r.sfreq,
            "window_size_samples": int(r.window_size),
            "window_stride_samples": int(r.window_stride),
            "on_last_window": r.on_last_window or "",
            "n_seizure_events": int(n_events[i]),
            "seizure_seconds": float(sz_samples[i]) / float(r.sfreq),
            "annotation_hash": annotation_hash(lo[part], hi[part], r.description),
        })
    return rows


def annotation_hash(lo, hi, descriptions):
    """Hash of a recording's seizure annotations, in samples.

    Parameters
    ----------
    lo, hi : ndarray of int64
        First and one-past-last sample of each seizure annotation, from the
        recording's first sample, clipped to the recording; empty ones are
        left out.
    descriptions : sequence of str
        Their descriptions.

    Returns
    -------
    str
        16 hex digits; identical for the same set of (start, stop,
        description) triples in any order, case and surrounding blanks of the
        descriptions ignored.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    keep = hi > lo
    desc = np.array([str(d).strip().lower() for d in np.asarray(descriptions, dtype=object)[keep]],
                    dtype=object)
    lo, hi = lo[keep], hi[keep]
    if lo.size:
        order = np.lexsort((desc.astype(str), hi, lo))
        lo, hi, desc = lo[order], hi[order], desc[order]
    h = hashlib.sha1()
    h.update(lo.astype("<i8").tobytes())
    h.update(hi.astype("<i8").tobytes())
    h.update("\x00".join(desc.tolist()).encode("utf-8"))
    return h.hexdigest()[:16]
