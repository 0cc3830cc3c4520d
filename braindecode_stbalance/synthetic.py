"""Small synthetic seizure corpora written as real EDF files (for the demo, tests and benchmarks).

:func:`make_synthetic_corpus` writes noise with an obvious rhythmic discharge
(for pipelines that only need annotations); :func:`make_simulated_corpus`
writes the EEG of :func:`~braindecode_stbalance.evaluation.simulate_eeg`, on
which detecting seizures is learnable but not trivial (for training examples
and benchmarks).
"""

# License: BSD (3-clause)

from __future__ import annotations

import numbers
import os
from pathlib import Path

import mne
import numpy as np
import pandas as pd
from braindecode.datasets import BaseConcatDataset, RawDataset

__all__ = ["make_simulated_corpus", "make_synthetic_corpus", "write_synthetic_edf"]


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


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an int >= 1 (a corpus has recordings), got {value!r}.")


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
    _check_count("n_recordings", n_recordings)
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


def make_simulated_corpus(root, n_subjects=4, recordings_per_subject=2, duration=1800.0,
                          sfreq=64.0, n_channels=4, seizure_rate=4.0,
                          seizure_duration=(20.0, 120.0), distractor_rate=60.0, seed=0):
    """Write generated EEG with seizures and distractors as a BIDS-like EDF tree, read lazily.

    Each recording draws its events with
    :func:`~braindecode_stbalance.evaluation.simulate_recording_events` and
    its signal with :func:`~braindecode_stbalance.evaluation.simulate_eeg`
    (evolving rhythmic seizures over 1/f background, with artifacts and short
    rhythmic bursts at least as large as seizures). Only the seizures are
    annotated in the EDF files (description ``"sz"``, SzCORE's event type);
    the distractors are returned separately.

    Parameters
    ----------
    root : str | pathlib.Path
        Folder receiving
        ``sub-XX/ses-01/eeg/sub-XX_ses-01_task-szMonitoring_run-YY_eeg.edf``.
    n_subjects : int
        Number of subjects (``"01"``, ``"02"``, ...).
    recordings_per_subject : int
        Recordings (runs) per subject.
    duration : float
        Length of each recording in seconds.
    sfreq : float
        Sampling frequency in Hz.
    n_channels : int
        Number of EEG channels.
    seizure_rate : float
        Mean number of seizures per hour.
    seizure_duration : (float, float)
        Range of seizure durations in seconds.
    distractor_rate : float
        Mean number of distractors per hour.
    seed : int
        Seed of the whole corpus (recording ``i`` uses ``[seed, i]``).

    Returns
    -------
    corpus : braindecode.datasets.BaseConcatDataset
        One :class:`~braindecode.datasets.RawDataset` per file, read with
        :func:`mne.io.read_raw_edf` (``preload=False``); descriptions hold
        ``path``, ``subject`` and ``run``.
    events : pandas.DataFrame
        Every seizure and distractor: ``recording`` (index in ``corpus``),
        ``subject``, ``onset``, ``duration`` (s) and ``kind``.
    """
    from .evaluation import simulate_eeg, simulate_recording_events

    _check_count("n_subjects", n_subjects)
    _check_count("recordings_per_subject", recordings_per_subject)
    datasets, tables = [], []
    n_times = round(duration * sfreq)
    for i in range(n_subjects * recordings_per_subject):
        subject, run = f"{i // recordings_per_subject + 1:02d}", i % recordings_per_subject
        rng = np.random.default_rng([seed, i])
        events = simulate_recording_events(duration, rng, seizure_rate=seizure_rate,
                                           seizure_duration=seizure_duration,
                                           distractor_rate=distractor_rate)
        seizures = events[events["kind"] == "seizure"]
        data = simulate_eeg(n_channels, n_times, sfreq, seizures, rng,
                            distractors=events[events["kind"] != "seizure"])
        info = mne.create_info([f"EEG {c:03d}" for c in range(n_channels)], sfreq, "eeg")
        raw = mne.io.RawArray(data, info, verbose="error")
        raw.set_meas_date(pd.Timestamp("2020-01-01", tz="UTC").to_pydatetime()
                          + pd.Timedelta(hours=i).to_pytimedelta())
        raw.set_annotations(mne.Annotations(seizures["onset"].to_numpy(),
                                            seizures["duration"].to_numpy(),
                                            ["sz"] * len(seizures),
                                            orig_time=raw.info["meas_date"]))
        stem = f"sub-{subject}_ses-01_task-szMonitoring_run-{run:02d}"
        path = Path(root) / f"sub-{subject}" / "ses-01" / "eeg" / f"{stem}_eeg.edf"
        path.parent.mkdir(parents=True, exist_ok=True)
        mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose="error")
        raw = mne.io.read_raw_edf(path, preload=False, verbose="error")
        datasets.append(RawDataset(raw, description={"path": os.fspath(path),
                                                     "subject": subject, "run": run}))
        tables.append(events.assign(recording=i, subject=subject))
    columns = ["recording", "subject", "onset", "duration", "kind"]
    return BaseConcatDataset(datasets), pd.concat(tables, ignore_index=True)[columns]
