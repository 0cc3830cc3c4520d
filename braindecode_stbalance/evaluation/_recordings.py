"""Whole recordings of a windowed corpus, as prediction and scoring see them (private)."""

# License: BSD (3-clause)

from __future__ import annotations

import datetime
import math
import re
from pathlib import PurePath

import numpy as np

from .._binding import describe_chain, unwrap
from ..facts import compute, corpus_facts, record_extent
from ._tsv import events_name

_LABEL_RE = re.compile(r"[^A-Za-z0-9]")


class WholeRecordings:
    """Facts of every recording of a windowed corpus, its windows in corpus order.

    Parameters
    ----------
    recordings : braindecode.datasets.BaseConcatDataset | DenseTargets
        A windowed corpus, or an index-preserving view of one; never a Subset
        (whole recordings are predicted).
    labels : None | collection of str | callable | SeizureLabels
        The seizure vocabulary (for the references).
    warn : bool
        Warn about annotation descriptions that are not seizure labels.
    """

    def __init__(self, recordings, labels=None, warn=True):
        from braindecode.datasets import BaseConcatDataset

        root, to_root = unwrap(recordings)
        if not isinstance(root, BaseConcatDataset) or to_root is not None:
            raise TypeError(
                "recordings must be whole recordings: a windowed braindecode BaseConcatDataset "
                f"(e.g. windows.split('subject')['valid']), got {describe_chain(recordings)}. "
                "A Subset would leave holes in the recordings; split by recording instead.")
        records, report = corpus_facts(root.datasets, labels)
        if warn:
            report.warn(f"these {len(records)} recording(s)")
        self.corpus = root
        self.records = records
        self._computed = compute(records)
        self.offsets = self._computed.offsets

    def __len__(self):
        return len(self.records)

    def sfreq(self, i):
        """Sampling frequency of recording ``i``."""
        return float(self.records[i].sfreq)

    def n_times(self, i):
        """Samples of recording ``i`` (to its last window if unknown)."""
        return record_extent(self.records[i])

    def windows(self, i):
        """``starts, stops`` of recording ``i``'s windows, from its first sample."""
        r = self.records[i]
        return r.starts.astype(np.int64), r.stops.astype(np.int64)

    def reference(self, i):
        """Per-sample seizure mask of recording ``i`` (bool, ``n_times(i)`` samples)."""
        starts, stops = self._computed.intervals(i)
        mask = np.zeros(self.n_times(i), dtype=bool)
        for a, b in zip(starts.tolist(), stops.tolist()):
            mask[a:b] = True
        return mask

    def _description(self, i, key):
        desc = getattr(self.corpus.datasets[i], "description", None)
        if desc is None or key not in desc.index:
            return None
        value = desc[key]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return value

    def subjects(self):
        """Subject of each recording: its description's ``subject``, else its index."""
        out = []
        for i in range(len(self)):
            subject = self._description(i, "subject")
            out.append(str(i) if subject is None else str(subject))
        return out

    def date_time(self, i):
        """Start of recording ``i`` (``meas_date`` + first sample), or None."""
        from .. import _adapters

        obj = _adapters.mne_object(self.corpus.datasets[i])
        meas_date = None if obj is None else obj.info.get("meas_date")
        if not isinstance(meas_date, datetime.datetime):
            return None
        r = self.records[i]
        return meas_date + datetime.timedelta(seconds=r.first_samp / r.sfreq)

    def events_keys(self):
        """Path of each recording's ``events.tsv`` relative to a BIDS-like root.

        A recording read from a BIDS tree (a ``sub-*`` folder above it, a
        ``sub-*_<eeg|ieeg|meg>.<ext>`` file name) keeps its path from its
        ``sub-*`` folder on (``sub-01/ses-01/eeg/sub-01_..._eeg.edf`` gives
        ``sub-01/ses-01/eeg/sub-01_..._events.tsv``); any other recording is
        ``sub-<subject>/eeg/sub-<subject>_task-szMonitoring_run-<k>_events.tsv``
        with ``<subject>`` its subject's letters and digits and ``<k>`` its
        rank (two digits) among its subject's recordings.
        """
        from .. import _adapters

        keys, runs = [], {}
        for i, subject in enumerate(self.subjects()):
            path = PurePath(_adapters.source_path(self.corpus.datasets[i]) or "")
            folders = path.parts[:-1]
            subs = [k for k, part in enumerate(folders) if part.startswith("sub-")]
            if subs and path.name.startswith("sub-"):
                try:
                    keys.append(events_name(PurePath(*path.parts[subs[-1]:])).as_posix())
                    continue
                except ValueError:  # not a BIDS data file name: named as any other recording
                    pass
            label = _LABEL_RE.sub("", subject) or str(i)
            run = runs.get(label, 0)
            runs[label] = run + 1
            keys.append(f"sub-{label}/eeg/sub-{label}_task-szMonitoring_run-{run:02d}_events.tsv")
        return keys
