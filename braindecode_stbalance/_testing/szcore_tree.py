"""Generate small SzCORE-format BIDS corpora with :func:`mne_bids.write_raw_bids`."""

# License: BSD (3-clause)

from __future__ import annotations

import datetime
import os
import tempfile
from pathlib import Path

import mne
import numpy as np
import pandas as pd

from ..datasets._szcore_files import SZCORE_EVENT_COLUMNS, szcore_events_path

__all__ = ["make_szcore_tree", "write_szcore_events"]


def write_szcore_events(path, recording_duration, events,
                        date_time=datetime.datetime(2020, 1, 1)):
    """Write a SzCORE (HED-SCORE) ``events.tsv`` the way SzCORE datasets do.

    Parameters
    ----------
    path : str | pathlib.Path
        Output file (``*_events.tsv``; an existing mne-bids one is replaced).
    recording_duration : float
        Recording duration in seconds (``recordingDuration`` column).
    events : list of (float, float, str)
        ``(onset, duration, eventType)`` rows; an empty list writes the single
        ``bckg`` row spanning the recording that SzCORE uses for seizure-free
        files.
    date_time : datetime.datetime
        Start of the recording (``dateTime`` column).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    if not events:
        events = [(0.0, recording_duration, "bckg")]
    stamp = date_time.strftime("%Y-%m-%d %H:%M:%S")
    lines = ["\t".join(SZCORE_EVENT_COLUMNS)]
    for onset, duration, event_type in events:
        lines.append(f"{onset:.2f}\t{duration:.2f}\t{event_type}\tn/a\tn/a\t{stamp}\t"
                     f"{recording_duration:.2f}")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def make_szcore_tree(root, n_subjects=2, runs_per_subject=2, durations=(60, 120),
                     sfreq=64.0, ch_names=("Fp1", "F3", "C3", "Cz"), seizure_fraction=0.6,
                     seizure_types=("sz", "sz_foc_ia", "sz_gen_m_tonicClonic"),
                     max_seizures=2, seizure_duration=(4.0, 25.0), seed=0):
    """Write a SzCORE-format BIDS corpus (EDF via :func:`mne_bids.write_raw_bids`).

    Each recording is exported to EDF with :func:`mne.export.export_raw`,
    written into ``root`` with :func:`mne_bids.write_raw_bids` (task
    ``szMonitoring``), then its ``*_events.tsv`` is replaced by a SzCORE one
    (see :func:`write_szcore_events`).

    Parameters
    ----------
    root : str | pathlib.Path
        BIDS root.
    n_subjects, runs_per_subject : int
        Tree shape (one session per subject).
    durations : sequence of int
        Recording durations (seconds) drawn at random.
    sfreq : float
        Sampling frequency in Hz.
    ch_names : sequence of str
        EEG channel names.
    seizure_fraction : float
        Probability that a recording contains seizures.
    seizure_types : sequence of str
        ``eventType`` values drawn for seizures.
    max_seizures : int
        Maximum number of seizures per recording.
    seizure_duration : (float, float)
        Range of seizure durations (seconds).
    seed : int
        Seed of the whole tree.

    Returns
    -------
    pandas.DataFrame
        One row per recording, sorted by path: ``path`` (EDF), ``events``,
        ``subject``, ``session``, ``run``, ``duration``, ``seizures`` (list
        of ``(onset, duration, eventType)``, the truth).
    """
    import mne_bids

    rng = np.random.default_rng(seed)
    rows = []
    start = datetime.datetime(2020, 1, 1, 8, 0, 0, tzinfo=datetime.timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        for i_sub in range(n_subjects):
            for i_run in range(runs_per_subject):
                duration = int(rng.choice(durations))
                n = int(duration * sfreq)
                info = mne.create_info(list(ch_names), sfreq, "eeg")
                raw = mne.io.RawArray(rng.standard_normal((len(ch_names), n)) * 2e-5,
                                      info, verbose="error")
                raw.set_meas_date(start + datetime.timedelta(hours=i_run))
                src = Path(tmp) / f"src_{i_sub}_{i_run}.edf"
                mne.export.export_raw(src, raw, fmt="edf", overwrite=True, verbose="error")
                raw = mne.io.read_raw_edf(src, verbose="error")
                bp = mne_bids.BIDSPath(subject=f"{i_sub + 1:02d}", session="01",
                                       task="szMonitoring", run=f"{i_run:02d}",
                                       datatype="eeg", root=root)
                mne_bids.write_raw_bids(raw, bp, format="EDF", overwrite=True,
                                        verbose="error")
                seizures = []
                if rng.random() < seizure_fraction:
                    n_sz = int(rng.integers(1, max_seizures + 1))
                    slots = np.sort(rng.uniform(0, duration, size=2 * n_sz))
                    for a, b in zip(slots[::2], slots[1::2]):
                        dur = round(min(float(rng.uniform(*seizure_duration)), b - a), 2)
                        if dur >= 1.0:
                            seizures.append((round(float(a), 2), dur,
                                             str(rng.choice(seizure_types))))
                events = szcore_events_path(bp.fpath)
                write_szcore_events(events, float(duration), seizures,
                                    date_time=(start + datetime.timedelta(hours=i_run))
                                    .replace(tzinfo=None))
                rows.append({"path": os.fspath(bp.fpath), "events": os.fspath(events),
                                 "subject": bp.subject, "session": bp.session, "run": bp.run,
                                 "duration": float(duration), "seizures": seizures})
    return pd.DataFrame(rows).sort_values("path", ignore_index=True)
