"""Small annotated corpora and brute-force references for the sampler tests."""

# License: BSD (3-clause)

import warnings

import mne
import numpy as np
import torch
from braindecode.preprocessing import create_fixed_length_windows

from braindecode_stbalance import CATEGORIES, annotate_seizure_ratio
from braindecode_stbalance.synthetic import make_synthetic_corpus

SFREQ = 64.0
WINDOW = 128  # samples (2 s)
STRIDE = 64  # samples (1 s)


def make_windows(root, n_recordings=3, duration=240.0, seed=0, stride=STRIDE, annotate=True,
                 target="binary"):
    """Annotated EEGWindowsDataset corpus (2 channels, binary targets), preloaded."""
    raw_ds = make_synthetic_corpus(
        root, n_recordings=n_recordings, duration=duration, sfreq=SFREQ,
        n_channels=2, seizures_per_recording=(1, 2), seizure_duration=(6.0, 30.0),
        seed=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        windows = create_fixed_length_windows(
            raw_ds, window_size_samples=WINDOW, window_stride_samples=stride,
            on_last_window="drop", preload=True,
        )
    return annotate_seizure_ratio(windows, target=target) if annotate else windows


def tally(categories, indices):
    """Windows per category name among ``indices`` (categories: codes per corpus index)."""
    cats = np.asarray(categories)[np.asarray(indices, dtype=np.int64)]
    return {name: int(np.sum(cats == c)) for c, name in enumerate(CATEGORIES)}


def brute_force_categories(windows_ds):
    """Category code of every window from a per-sample boolean seizure mask."""
    out = []
    for ds in windows_ds.datasets:
        raw = ds.raw
        t = (raw.first_samp + np.arange(raw.n_times)) / raw.info["sfreq"]
        mask = np.zeros(raw.n_times, dtype=bool)
        for a in raw.annotations:
            if a["description"] == "seiz":
                mask |= (t >= a["onset"]) & (t < a["onset"] + a["duration"])
        md = ds.metadata
        for start, stop in zip(md["i_start_in_trial"], md["i_stop_in_trial"]):
            frac = mask[start:stop].mean()
            out.append(0 if frac == 0 else (2 if frac >= 1 else 1))
    return np.asarray(out)


def window_keys(windows_ds):
    """Map the bytes of each window's signal (float32) to its corpus index."""
    keys = {}
    for i in range(len(windows_ds)):
        x = np.asarray(windows_ds[i][0], dtype=np.float32)
        keys[x.tobytes()] = i
    if len(keys) != len(windows_ds):
        raise AssertionError("windows are not unique; cannot identify them by content")
    return keys


def rng_states():
    """Snapshot of the global RNGs of random, numpy and torch."""
    import random

    return (random.getstate(), np.random.get_state(legacy=False), torch.get_rng_state())


def assert_rng_states_equal(a, b):
    assert a[0] == b[0]
    sa, sb = a[1], b[1]
    assert sa["bit_generator"] == sb["bit_generator"]
    assert np.array_equal(sa["state"]["key"], sb["state"]["key"])
    assert sa["state"]["pos"] == sb["state"]["pos"]
    assert torch.equal(a[2], b[2])


def quiet_mne():
    mne.set_log_level("ERROR")
