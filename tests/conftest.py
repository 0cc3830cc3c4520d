"""Shared test helpers: brute-force references and small real EDF corpora."""

import sys
import warnings

import mne
import numpy as np
import pytest
import torch
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.preprocessing import create_fixed_length_windows

from braindecode_stbalance.synthetic import write_synthetic_edf

SFREQ = 64.0

if "mutmut" in sys.modules:
    # mutmut runs the tests in processes forked from one that already ran them; a
    # forked child deadlocks in torch's intra-op thread pool (e.g. in torch.softmax),
    # which mutmut reports as a timeout. One thread keeps the pool out of the fork.
    torch.set_num_threads(1)

# (duration s, seizures as (onset, duration) s) per recording; chosen to give every
# category, touching/overlapping annotations and seizures over the recording's ends
RECORDINGS = [
    (300.0, [(30.0, 75.0), (105.0, 20.0), (110.0, 5.0)]),  # touching + nested
    (240.0, []),
    (200.0, [(0.0, 12.34), (190.0, 30.0)]),  # at both ends, past the end
    (180.0, [(60.0, 60.0)]),
]


def brute_force_mask(n_times, sfreq, seizures, first_samp=0):
    """Per-sample seizure mask by the definition: onset <= k / sfreq < onset + duration."""
    t = (first_samp + np.arange(n_times)) / sfreq
    mask = np.zeros(n_times, dtype=bool)
    for onset, duration in seizures:
        mask |= (t >= onset) & (t < onset + duration)
    return mask


def brute_force_ratios(mask, starts, stops):
    return np.array([mask[a:b].sum() / (b - a) for a, b in zip(starts, stops)])


def brute_force_category(ratio, full_threshold=1.0):
    if ratio == 0:
        return "no_seizure"
    if ratio >= full_threshold:
        return "full_seizure"
    return "partial_seizure"


def fixed_windows(corpus, window_s=60.0, stride_s=15.0, **kwargs):
    """braindecode's create_fixed_length_windows at SFREQ, its deprecation chatter silenced."""
    kwargs.setdefault("on_last_window", "overlap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_fixed_length_windows(
            corpus, window_size_samples=int(window_s * SFREQ),
            window_stride_samples=int(stride_s * SFREQ), **kwargs)


@pytest.fixture(scope="session")
def edf_paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("edf")
    return [
        write_synthetic_edf(root / f"rec{i}.edf", dur, SFREQ, sz, n_channels=2, seed=i)
        for i, (dur, sz) in enumerate(RECORDINGS)
    ]


@pytest.fixture
def edf_corpus(edf_paths):
    """A fresh lazily read corpus of the RECORDINGS (preload=False)."""
    datasets = [
        RawDataset(
            mne.io.read_raw_edf(p, preload=False, verbose="error"),
            description={"path": str(p), "subject": i},
        )
        for i, p in enumerate(edf_paths)
    ]
    return BaseConcatDataset(datasets)
