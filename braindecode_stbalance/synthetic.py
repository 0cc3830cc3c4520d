"""Small synthetic seizure corpora written as real EDF files (for the demo, tests and benchmarks)."""

# License: BSD (3-clause)

from __future__ import annotations

import os
from pathlib import Path

import mne
import numpy as np
import pandas as pd
from braindecode.datasets import BaseConcatDataset, RawDataset

__all__ = ["make_synthetic_corpus", "write_synthetic_edf"]


def write_synthetic_edf(path, duration, sfreq, seizures, n_channels=2, seed=0,
                        seizure_label="seiz", ch_names=None):
    """Write one EEG recording with seizure annotations as an EDF+ file.

    Parameters
    ----------
    path : str | pathlib.Path
        Output ``.edf`` file.
    duration : float
        Recording length in seconds.
    sfreq : float
        Sampling frequency in Hz.
    seizures : list of (float, float)
        ``(onset, duration)`` of each seizure, in seconds from the first sample.
    n_channels : int
        Number of EEG channels (ignored if ``ch_names`` is given).
    seed : int
        Seed of the noise signal.
    seizure_label : str
        Description given to the seizure annotations.
    ch_names : list of str | None
        Channel names; default ``EEG 000``, ``EEG 001``, ...

    Returns
    -------
    pathlib.Path
        The written file.
    """
    rng = np.random.default_rng(seed)
    n_times = round(duration * sfreq)
    if ch_names is None:
        ch_names = [f"EEG {i:03d}" for i in range(n_channels)]
    data = rng.standard_normal((len(ch_names), n_times)) * 20e-6
    times = np.arange(n_times) / sfreq
    for onset, dur in seizures:  # a visible rhythmic discharge inside seizures
        mask = (times >= onset) & (times < onset + dur)
        data[:, mask] += 100e-6 * np.sin(2 * np.pi * 3.0 * times[mask])
    info = mne.create_info(list(ch_names), sfreq, "eeg")
    raw = mne.io.RawArray(data, info, verbose="error")
    raw.set_meas_date(pd.Timestamp("2020-01-01", tz="UTC").to_pydatetime())
    seizures = [(on, min(dur, duration - on)) for on, dur in seizures if on < duration]
    if seizures:
        onsets, durs = zip(*seizures)
        raw.set_annotations(
            mne.Annotations(onsets, durs, [seizure_label] * len(onsets),
                            orig_time=raw.info["meas_date"])
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose="error")
    return path


def make_synthetic_corpus(root, n_recordings=8, duration=600.0, sfreq=64.0,
                          n_channels=2, seizures_per_recording=(0, 3),
                          seizure_duration=(20.0, 120.0), seed=0):
    """Write a synthetic seizure corpus as EDF files and read it back lazily.

    Parameters
    ----------
    root : str | pathlib.Path
        Directory receiving ``rec_XXX.edf`` files.
    n_recordings : int
        Number of recordings.
    duration : float
        Length of each recording in seconds.
    sfreq : float
        Sampling frequency in Hz.
    n_channels : int
        Number of EEG channels.
    seizures_per_recording : (int, int)
        Inclusive range of the number of seizures per recording.
    seizure_duration : (float, float)
        Range of seizure durations in seconds.
    seed : int
        Seed of the whole corpus.

    Returns
    -------
    braindecode.datasets.BaseConcatDataset
        One :class:`~braindecode.datasets.RawDataset` per file, read with
        :func:`mne.io.read_raw_edf` (``preload=False``); descriptions hold
        ``path`` and ``subject``.
    """
    rng = np.random.default_rng(seed)
    datasets = []
    for i in range(n_recordings):
        n_sz = int(rng.integers(seizures_per_recording[0], seizures_per_recording[1] + 1))
        seizures = []
        for _ in range(n_sz):
            dur = float(rng.uniform(*seizure_duration))
            onset = float(rng.uniform(0, max(duration - dur, 1.0)))
            seizures.append((round(onset, 3), round(dur, 3)))
        path = write_synthetic_edf(
            Path(root) / f"rec_{i:03d}.edf", duration, sfreq, seizures,
            n_channels=n_channels, seed=int(rng.integers(2**31)),
        )
        raw = mne.io.read_raw_edf(path, preload=False, verbose="error")
        datasets.append(RawDataset(raw, description={"path": os.fspath(path), "subject": i}))
    return BaseConcatDataset(datasets)
