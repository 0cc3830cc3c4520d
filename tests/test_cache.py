"""The window cache equals braindecode's preprocessed windows, and braindecode's tools work on it."""

# License: BSD (3-clause)

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from braindecode.datasets import BaseConcatDataset, EEGWindowsDataset
from cache_data import float16_tolerance, make_preprocessed
from torch.utils.data import DataLoader, Subset, default_collate

from braindecode_stbalance import (
    BalancedDataLoader,
    BalancedSeizureSampler,
    SeizureManifest,
    annotate_seizure_ratio,
    split_by_category,
    window_table,
)
from braindecode_stbalance.cache import (
    CachedRecording,
    CachedWindowsDataset,
    CacheError,
    build_cache,
    collate_windows,
    load_cache,
)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_preprocessed(tmp_path_factory.mktemp("edf"), n_recordings=3, seed=2)


@pytest.fixture(scope="module")
def cached(source, tmp_path_factory):
    return build_cache(source, tmp_path_factory.mktemp("c") / "cache", progress=False)


def test_every_window_equals_braindecodes_within_float16_rounding(source, cached):
    assert len(cached) == len(source) and len(cached.datasets) == len(source.datasets)
    assert cached.scale == 2.0 ** 20 and cached.dtype == "float16"  # volts -> 2**20
    for i in range(len(source)):
        x, y, crop = source[i]
        c, cy, ccrop = cached[i]
        assert c.dtype == np.float16 and c.shape == x.shape
        err = np.abs(c.astype(np.float64) / cached.scale - x)
        assert (err <= float16_tolerance(x, cached.scale)).all(), i
        assert cy == y and ccrop == crop
    # not a trivially equal copy: float16 really rounds
    assert not np.array_equal(cached[0][0].astype(np.float32) / cached.scale, source[0][0])


def test_targets_metadata_descriptions_and_crop_inds_are_the_sources(source, cached):
    pd.testing.assert_frame_equal(cached.get_metadata(), source.get_metadata())
    pd.testing.assert_frame_equal(cached.description, source.description)
    for ds, ref in zip(cached.datasets, source.datasets):
        assert isinstance(ds, CachedRecording) and isinstance(ds, EEGWindowsDataset)
        assert np.array_equal(ds.crop_inds, ref.crop_inds)
        assert ds.y == ref.y
        assert ds.window_kwargs == ref.window_kwargs
        assert ds.raw_preproc_kwargs == ref.raw_preproc_kwargs


def test_raw_is_an_mne_raw_over_the_cached_signal(source, cached):
    for ds, ref in zip(cached.datasets, source.datasets):
        raw, src = ds.raw, ref.raw
        assert not raw.preload
        assert raw.ch_names == src.ch_names and raw.info["sfreq"] == src.info["sfreq"]
        assert (raw.info["highpass"], raw.info["lowpass"]) == (src.info["highpass"],
                                                               src.info["lowpass"])
        assert raw.first_samp == src.first_samp and raw.n_times == src.n_times
        assert raw.info["meas_date"] == src.info["meas_date"]
        assert np.array_equal(raw.annotations.onset, src.annotations.onset)
        assert list(raw.annotations.description) == list(src.annotations.description)
        x = src.get_data()
        assert (np.abs(raw.get_data() - x) <= float16_tolerance(x, cached.scale)).all()


def test_manifest_window_table_and_split_by_category_unchanged(source, cached):
    a, b = SeizureManifest.from_dataset(source), SeizureManifest.from_dataset(cached)
    pd.testing.assert_frame_equal(a.windows, b.windows)
    pd.testing.assert_frame_equal(a.recordings, b.recordings)
    a.check(cached)
    pd.testing.assert_frame_equal(window_table(cached), window_table(source))
    for name, part in split_by_category(cached).items():
        assert part.indices == split_by_category(source)[name].indices
    # re-annotating the cached corpus (metadata only) works and changes nothing
    annotate_seizure_ratio(cached, target="binary")
    pd.testing.assert_frame_equal(window_table(cached), window_table(source))


def test_split_by_subject_keeps_cached_parts(source, cached):
    parts, ref = cached.split("subject"), source.split("subject")
    assert parts.keys() == ref.keys()
    for key, part in parts.items():
        assert isinstance(part, CachedWindowsDataset) and len(part) == len(ref[key])
        assert part.scale == cached.scale
        assert np.array_equal(part[3][0], cached.datasets[int(key)][3][0])


def test_getitems_reads_a_batch_in_one_array_equal_to_per_window_reads(cached):
    idx = [5, -1, 0, len(cached.datasets[0]) + 2, 5]
    samples = cached.__getitems__(idx)
    for k, i in enumerate(idx):
        x, y, crop = cached[i]
        (sx,), sy, scrop = samples[k]  # the signal travels in a one-element tuple
        assert np.array_equal(sx, x) and sy == y and scrop == crop
    fast, slow = collate_windows(samples), default_collate(samples)
    ref = default_collate([cached[i] for i in idx])
    assert isinstance(fast[0], list) and len(fast[0]) == 1
    assert fast[0][0].dtype == torch.float16 and torch.equal(fast[0][0], ref[0])
    assert torch.equal(slow[0][0], ref[0])  # the default collate gives the same batch
    assert torch.equal(fast[1], ref[1]) and torch.equal(slow[1], ref[1])
    assert all(torch.equal(a, b) for a, b in zip(fast[2], ref[2]))
    assert all(s[0][0].base is not None for s in samples)  # views of the one batch array
    with pytest.raises(IndexError, match="out of range"):
        cached.__getitems__([len(cached)])


def test_sampler_and_dataloaders_over_the_cache(cached, source):
    sampler = BalancedSeizureSampler(cached, random_state=3)
    assert sampler.counts == BalancedSeizureSampler(source, random_state=3).counts
    loader = BalancedDataLoader(cached, sampler=sampler, batch_size=8)
    assert loader.collate_fn is collate_windows  # taken from the dataset
    seen = []
    for (X,), y, crop in loader:
        assert X.dtype == torch.float16 and X.shape[1:] == cached[0][0].shape
        seen += [int(i) for i in y]
    assert len(seen) == len(sampler)
    # a Subset (skorch's train_split) goes through Subset.__getitems__ to the cache
    sub = Subset(cached, list(range(0, len(cached), 3)))
    batch = next(iter(DataLoader(sub, batch_size=4, collate_fn=collate_windows)))
    assert torch.equal(batch[0][0][1], torch.from_numpy(cached[3][0]))


@pytest.mark.slow
def test_dataloader_with_two_workers(cached):
    clone = pickle.loads(pickle.dumps(cached))
    assert clone[7][1] == cached[7][1] and np.array_equal(clone[7][0], cached[7][0])
    ctx = torch.multiprocessing.get_context("spawn")  # every worker unpickles the dataset
    loader = DataLoader(cached, batch_size=16, num_workers=2, collate_fn=collate_windows,
                        multiprocessing_context=ctx, persistent_workers=False)
    batches = list(loader)
    X = torch.cat([b[0][0] for b in batches])
    ref = torch.stack([torch.from_numpy(cached[i][0]) for i in range(len(cached))])
    assert torch.equal(X, ref)


def test_microvolt_signals_are_stored_with_scale_one(tmp_path):
    src = make_preprocessed(tmp_path / "edf", n_recordings=1, microvolts=True)
    cached = build_cache(src, tmp_path / "c", progress=False)
    assert cached.scale == 1.0
    x = src[4][0]
    assert (np.abs(cached[4][0].astype(np.float64) - x) <= float16_tolerance(x, 1.0)).all()


def test_float32_cache_is_exact(source, tmp_path):
    cached = build_cache(source, tmp_path / "c32", dtype="float32", progress=False)
    assert cached.scale == 1.0 and cached.dtype == "float32"
    for i in (0, 17, len(source) - 1):
        assert np.array_equal(cached[i][0], source[i][0])


def test_overflow_and_precision_loss_are_errors_naming_the_recording(source, tmp_path):
    with pytest.raises(ValueError, match=r"Recording 0 .*exceeds float16"):
        build_cache(source, tmp_path / "a", scale=2.0 ** 40, progress=False)
    with pytest.raises(ValueError, match=r"Recording 0 .*lose precision"):
        build_cache(source, tmp_path / "b", scale=1, progress=False)
    with pytest.raises(ValueError, match="scale"):
        build_cache(source, tmp_path / "c", scale=-1, progress=False)
    with pytest.raises(ValueError, match="dtype"):
        build_cache(source, tmp_path / "d", dtype="int8", progress=False)


def test_on_error_skip_leaves_the_recording_out_and_lists_it(source, tmp_path):
    bad = EEGWindowsDataset(source.datasets[1].raw.copy().crop(0, 10), source.datasets[1]
                            .metadata.iloc[:2].copy(), description=source.datasets[1].description)
    bad.raw._data[0, 5] = 1e30  # overflows float16 at any useful scale
    corpus = BaseConcatDataset([source.datasets[0], bad, source.datasets[2]])
    with pytest.raises(ValueError, match="Recording 1"):
        build_cache(corpus, tmp_path / "raise", progress=False)
    assert not (tmp_path / "raise" / "index.json").exists()
    with pytest.warns(UserWarning, match="1 of 3 recording"):
        cached = build_cache(corpus, tmp_path / "skip", on_error="skip", progress=False)
    assert len(cached.datasets) == 2 and len(cached.skipped) == 1
    assert "exceeds float16" in cached.skipped["reason"][0]
    assert cached.check(corpus) is cached  # the left-out recording is not compared


def test_parallel_build_equals_serial_build(source, cached, tmp_path):
    par = build_cache(source, tmp_path / "par", n_jobs=2, progress=False)
    for a, b in zip(par.datasets, cached.datasets):
        assert a.fingerprint["sha256"] == b.fingerprint["sha256"]
    pd.testing.assert_frame_equal(par.get_metadata(), cached.get_metadata())


def test_refuses_foreign_folders_and_unsupported_corpora(source, tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.tex").write_text("x")
    with pytest.raises(CacheError, match="other files"):
        build_cache(source, tmp_path / "home", progress=False)
    assert (tmp_path / "home" / "thesis.tex").read_text() == "x"
    with pytest.raises(FileNotFoundError, match="No window cache"):
        load_cache(tmp_path / "home")
    with pytest.raises(TypeError, match="BaseConcatDataset"):
        build_cache(source.datasets[0], tmp_path / "x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        epochs = source.to_epochs_dataset()
    with pytest.raises(TypeError, match="EEGWindowsDataset"):
        build_cache(epochs, tmp_path / "y", progress=False)


def test_transform_and_changed_raw_are_refused(tmp_path, source):
    source.datasets[1].transform = np.negative  # would be silently dropped by a cache
    try:
        with pytest.raises(TypeError, match=r"has a per-window transform .*negative"):
            build_cache(source, tmp_path / "t", progress=False)
    finally:
        source.datasets[1].transform = None
    cached = build_cache(source, tmp_path / "c", progress=False)
    with pytest.raises(ValueError, match="per-window transform"):
        cached.transform = lambda x: x
    cached.datasets[0].raw.load_data()
    with pytest.raises(RuntimeError, match="was loaded"):
        cached[0]


def test_first_samp_and_annotations_without_meas_date_round_trip(tmp_path):
    import mne
    from braindecode.datasets import RawDataset
    from braindecode.preprocessing import create_fixed_length_windows

    rng = np.random.default_rng(1)
    raw = mne.io.RawArray(rng.standard_normal((2, 3000)) * 1e-5, mne.create_info(2, 50.0, "eeg"),
                          first_samp=1234, verbose="error")
    raw.set_annotations(mne.Annotations([30.0, 61.3], [10.0, 5.5], ["seiz", "eyem"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src = create_fixed_length_windows(BaseConcatDataset([RawDataset(raw, {"subject": 0})]),
                                          window_size_samples=100, window_stride_samples=50,
                                          on_last_window="overlap")
    annotate_seizure_ratio(src, target="binary")
    cached = build_cache(src, tmp_path / "c", progress=False)
    craw = cached.datasets[0].raw
    assert craw.first_samp == 1234 and craw.info["meas_date"] is None
    assert np.array_equal(craw.annotations.onset, raw.annotations.onset)
    assert np.array_equal(craw.annotations.duration, raw.annotations.duration)
    pd.testing.assert_frame_equal(window_table(cached), window_table(src))
    for i in (0, 30, len(src) - 1):
        x = src[i][0]
        err = np.abs(cached[i][0].astype(np.float64) / cached.scale - x)
        assert (err <= float16_tolerance(x, cached.scale)).all()
    assert cached.diff(src) == []


def test_nan_samples_stay_nan_and_do_not_set_the_peak(source, tmp_path):
    ds = source.datasets[0]
    raw = ds.raw.copy()
    raw._data[1, 40] = np.nan  # a gap in the signal (preloaded Raw)
    corpus = BaseConcatDataset([EEGWindowsDataset(raw, ds.metadata.copy(),
                                                  description=ds.description)])
    cached = build_cache(corpus, tmp_path / "c", progress=False)
    x = cached.datasets[0].raw.get_data()
    assert np.isnan(x[1, 40]) and np.isfinite(np.delete(x[1], 40)).all()
    assert cached.datasets[0].fingerprint["sha256"]
    assert cached.scale == 2.0 ** 20
