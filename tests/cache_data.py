"""Small preprocessed windowed corpora of real EDF files, and independent references, for the cache tests."""

# License: BSD (3-clause)

import os
import warnings
from pathlib import Path

import mne
import numpy as np
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.preprocessing import (
    Preprocessor,
    create_fixed_length_windows,
    preprocess,
)

from braindecode_stbalance import annotate_seizure_ratio
from braindecode_stbalance.synthetic import make_synthetic_corpus

SFREQ = 64.0
RESAMPLED = 32.0
WINDOW = 64  # samples at RESAMPLED (2 s)
STRIDE = 32


def to_microvolts(x):
    """Volts to microvolts (a named step, as braindecode records its name)."""
    return x * 1e6


def steps(h_freq=10.0, microvolts=False):
    """A typical preprocessing list: resample, band-pass (and optionally to microvolts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = [Preprocessor("resample", sfreq=RESAMPLED),
               Preprocessor("filter", l_freq=0.5, h_freq=h_freq)]
        if microvolts:
            out.append(Preprocessor(to_microvolts))
        return out


def make_preprocessed(root, n_recordings=3, duration=180.0, seed=0, h_freq=10.0,
                      stride=STRIDE, target="binary", annotate=True, n_channels=3,
                      microvolts=False):
    """EDF corpus written to ``root``, read lazily, resampled and filtered, windowed, annotated."""
    mne.set_log_level("ERROR")
    corpus = make_synthetic_corpus(root, n_recordings=n_recordings, duration=duration,
                                   sfreq=SFREQ, n_channels=n_channels,
                                   seizures_per_recording=(1, 2), seizure_duration=(6.0, 30.0),
                                   seed=seed)
    return _pipeline(corpus, h_freq, stride, target, annotate, microvolts)


def reread(root, h_freq=10.0, stride=STRIDE, target="binary", annotate=True, microvolts=False):
    """The EDF files of ``root`` read again (not rewritten) with the same pipeline."""
    mne.set_log_level("ERROR")
    paths = sorted(Path(root).glob("rec_*.edf"))
    corpus = BaseConcatDataset([
        RawDataset(mne.io.read_raw_edf(p, preload=False), description={
            "path": os.fspath(p), "subject": i}) for i, p in enumerate(paths)])
    return _pipeline(corpus, h_freq, stride, target, annotate, microvolts)


def _pipeline(corpus, h_freq, stride, target, annotate, microvolts):
    preprocess(corpus, steps(h_freq, microvolts))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        windows = create_fixed_length_windows(corpus, window_size_samples=WINDOW,
                                              window_stride_samples=stride,
                                              on_last_window="overlap")
    if annotate:
        annotate_seizure_ratio(windows, target=target)
    return windows


def float16_tolerance(reference, scale):
    """What float16 rounding may change, by IEEE 754 alone (not the package's code).

    Round to nearest with an 11-bit significand errs by at most half a unit in
    the last place: 2**-11 of the value for normal numbers, 2**-25 (stored
    units) below 2**-14. ``reference`` is float32 (braindecode's windows), so
    its own rounding (2**-24 relative) is added.
    """
    ref = np.abs(np.asarray(reference, np.float64))
    return ref * (2.0 ** -11 + 2.0 ** -23) + 2.0 ** -25 / scale
