"""Pins every braindecode/MNE internal that ``_adapters`` reads to the installed versions.

One test per internal: if a braindecode or MNE upgrade changes one, the test
named after it fails here, and nowhere else needs to change.
"""

# License: BSD (3-clause)

import warnings

import mne
import numpy as np
import pandas as pd
import pytest
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.preprocessing import (
    Preprocessor,
    create_fixed_length_windows,
    preprocess,
)
from conftest import fixed_windows

from braindecode_stbalance import _adapters


def _raw(n=640, sfreq=64.0, first_samp=0):
    raw = mne.io.RawArray(np.zeros((2, n)), mne.create_info(2, sfreq, "eeg"),
                          first_samp=first_samp, verbose="error")
    raw.set_annotations(mne.Annotations([1.0], [2.0], ["seiz"]))
    return raw


def _corpus(**kw):
    return BaseConcatDataset([RawDataset(_raw(**kw), description={"subject": 0, "path": "x.edf"})])


def test_eeg_windows_dataset_keeps_its_raw_in__raw():
    windows = fixed_windows(_corpus(), window_s=2.0, stride_s=1.0)
    ds = windows.datasets[0]
    assert _adapters.windows_kind(ds) == "eeg_windows"
    assert ds.__dict__["_raw"] is ds.raw
    assert _adapters.mne_object(ds) is ds.raw


def test_windows_dataset_keeps_its_epochs_in__windows():
    windows = fixed_windows(_corpus(), window_s=2.0, stride_s=1.0, use_mne_epochs=True)
    ds = windows.datasets[0]
    assert _adapters.windows_kind(ds) == "mne_epochs"
    assert ds.__dict__["_windows"] is ds.windows
    assert _adapters.mne_object(ds) is ds.windows
    # braindecode keeps the window table in two frames: ours reaches both
    frames = _adapters.metadata_frames(ds)
    assert frames[0] is ds.metadata and frames[-1] is ds.windows.metadata


def test_raw_dataset_keeps_its_raw_in__raw():
    ds = _corpus().datasets[0]
    assert _adapters.windows_kind(ds) == "raw" and _adapters.mne_object(ds) is ds.raw


def test_mne_epochs_keep_their_raw_in__raw(tmp_path):
    raw = _raw(first_samp=100)
    epochs = mne.Epochs(raw, np.array([[100, 0, 1], [300, 0, 1]]), tmin=0, tmax=1,
                        baseline=None, preload=False, verbose="error")
    assert epochs._raw is raw
    assert _adapters.epochs_extent(epochs) == (100, 640)
    epochs.save(tmp_path / "x-epo.fif", verbose="error")
    back = mne.read_epochs(tmp_path / "x-epo.fif", verbose="error")
    assert _adapters.epochs_extent(back) == (0, None)  # no Raw behind epochs read from disk


def test_bids_description_is_braindecodes(tmp_path):
    from braindecode.datasets import BIDSDataset

    from braindecode_stbalance._testing import make_szcore_tree

    make_szcore_tree(tmp_path, n_subjects=1, runs_per_subject=1, durations=(30,), seed=0)
    ref = BIDSDataset(tmp_path)
    import mne_bids

    (bp,) = [p for p in mne_bids.find_matching_paths(tmp_path, extensions=".edf")]
    desc = pd.Series(_adapters.bids_description(bp))
    assert desc.equals(ref.datasets[0].description)


@pytest.mark.parametrize("use_mne_epochs", [False, True])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_preprocess_hands_steps_the_dataset_in_its__preprocess_frame(use_mne_epochs, n_jobs):
    """braindecode's preprocess calls a step from _preprocess(ds, ...): the one frame we read."""
    seen = []

    class Probe(Preprocessor):
        def __init__(self):
            super().__init__(fn=_identity, apply_on_array=False)

        def apply(self, raw_or_epochs):
            owner = _adapters.preprocess_owner(raw_or_epochs)
            seen.append(owner is not None and _adapters.mne_object(owner) is raw_or_epochs)
            if not seen[-1]:
                raise AssertionError("preprocess_owner found no dataset")
            owner.metadata["probe"] = 1  # written in the worker, comes back with the dataset
            return raw_or_epochs

    windows = fixed_windows(_corpus(), window_s=2.0, stride_s=1.0, use_mne_epochs=use_mne_epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        preprocess(windows, [Probe()], n_jobs=n_jobs)
    assert (windows.datasets[0].metadata["probe"] == 1).all()
    if n_jobs == 1:
        assert seen == [True]


def _identity(x):
    return x


def test_preprocess_owner_outside_preprocess_is_none():
    raw = _raw()
    assert _adapters.preprocess_owner(raw) is None


def test_source_path_from_description_then_raw_file(tmp_path):
    ds = _corpus().datasets[0]
    assert _adapters.source_path(ds).endswith("x.edf")
    raw = _raw()
    raw.save(tmp_path / "r_raw.fif", verbose="error")
    read = mne.io.read_raw_fif(tmp_path / "r_raw.fif", verbose="error")
    no_desc = RawDataset(read, description=pd.Series({"subject": 1}))
    assert _adapters.source_path(no_desc) == str(tmp_path / "r_raw.fif")
    assert _adapters.source_path(RawDataset(_raw())) == ""


def test_window_kwargs_record_the_last_window_policy():
    """facts reads braindecode's window_kwargs (drop_last_window) for the manifest's policy."""
    from braindecode_stbalance.facts import _windowing

    for policy in ("overlap", "drop"):
        windows = create_fixed_length_windows(_corpus(), window_size_samples=100,
                                              window_stride_samples=70, on_last_window=policy)
        ds = windows.datasets[0]
        size, stride, got = _windowing(ds, ds.crop_inds[:, 1], ds.crop_inds[:, 2])
        assert (size, stride, got) == (100, 70, policy)


def test_preprocess_warns_for_each_windowed_recording_in_the_silenced_words():
    """The warning ``silence_step_warning`` filters: text and module, per recording."""
    windows = fixed_windows(BaseConcatDataset([RawDataset(_raw(), description={"path": "a"}),
                                               RawDataset(_raw(), description={"path": "b"})]),
                            window_s=2.0, stride_s=1.0)
    step = Preprocessor(np.asarray, apply_on_array=True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        preprocess(windows, [step])
    ours = [w for w in rec if str(w.message) == (
        f"Applying preprocessors [{step!r}] to the mne.io.Raw of an EEGWindowsDataset.")]
    assert len(ours) == 2 and all(w.category is UserWarning for w in ours)
    assert all(w.filename.replace("\\", "/").endswith("braindecode/preprocessing/preprocess.py")
               for w in ours)


def test_preprocessor_compares_and_prints_the_parameters_named_in__all_attrs():
    """``Preprocessor._all_attrs``: the hook SeizureRatio overrides to name its parameters."""
    from braindecode_stbalance import SeizureRatio

    assert "_all_attrs" in vars(Preprocessor)
    assert SeizureRatio(["seiz"]) == SeizureRatio(["seiz"])
    assert SeizureRatio(["seiz"]) != SeizureRatio(["fnsz"])
    assert SeizureRatio(full_threshold=0.9) != SeizureRatio()
    assert "full_threshold=0.9" in repr(SeizureRatio(full_threshold=0.9))
