"""DenseTargets: per-sample seizure masks against brute force, with the sampler, workers, skorch."""

# License: BSD (3-clause)

import pickle
import shutil
import warnings
from pathlib import Path

import mne
import numpy as np
import pytest
import torch
from braindecode import EEGRegressor
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.preprocessing import create_fixed_length_windows
from conftest import RECORDINGS, SFREQ, brute_force_mask, fixed_windows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skorch import NeuralNet
from skorch.callbacks import Callback
from torch.utils.data import DataLoader, Subset

from braindecode_stbalance import (
    BalancedDataLoader,
    BalancedSeizureSampler,
    DenseTargets,
    annotate_seizure_ratio,
)

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:BalancedSeizureSampler.*quota:UserWarning")]


def expected_mask(full_mask, start, stop, decimation=1, reduction="mean"):
    """Brute force: the window's samples, then block by block (a Python loop)."""
    window = full_mask[start:stop]
    if decimation == 1:
        return window.astype(np.float32)
    out = []
    for b in range(window.size // decimation):
        block = window[b * decimation:(b + 1) * decimation]
        out.append(block.sum() / decimation if reduction == "mean" else float(block.any()))
    return np.array(out, dtype=np.float32)


def _windows(corpus, size, stride, drop_last=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_fixed_length_windows(
            corpus, window_size_samples=size, window_stride_samples=stride,
            on_last_window="drop" if drop_last else "overlap")


@st.composite
def cases(draw):
    sfreq = draw(st.sampled_from([10.0, 64.0, 100.0, 128.0, 173.61, 256.0]))
    n_times = draw(st.integers(200, 3000))
    seconds = n_times / sfreq
    anns = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):  # on the sample grid (ties at window and block bounds)
            onset = draw(st.integers(0, n_times + 20)) / sfreq
            duration = draw(st.integers(0, n_times)) / sfreq
        else:
            onset = draw(st.floats(0, seconds + 1, allow_nan=False))
            duration = draw(st.floats(0, seconds, allow_nan=False))
        anns.append((onset, duration))
    crop = draw(st.integers(0, n_times // 3))  # samples cut at the start: first_samp
    decimation = draw(st.sampled_from([1, 1, 2, 3, 4, 8]))
    size = decimation * draw(st.integers(1, max(1, (n_times - crop) // (2 * decimation))))
    stride = draw(st.integers(1, size + 10))
    return {"sfreq": sfreq, "n_times": n_times, "anns": anns, "crop": crop,
            "decimation": decimation, "size": size, "stride": stride,
            "meas_date": draw(st.booleans()), "drop_last": draw(st.booleans()),
            "reduction": draw(st.sampled_from(["mean", "max"]))}


def _corpus(case):
    sfreq, n_times = case["sfreq"], case["n_times"]
    data = np.arange(n_times, dtype=np.float64)[None] * 1e-6  # sample k holds k: checks X
    raw = mne.io.RawArray(data, mne.create_info(1, sfreq, "eeg"), verbose=False)
    raw.set_meas_date(1_600_000_000.0 if case["meas_date"] else None)
    if case["anns"]:
        onsets, durations = zip(*case["anns"])
        raw.set_annotations(mne.Annotations(onsets, durations, ["seiz"] * len(onsets)))
    if case["crop"]:
        raw.crop(tmin=case["crop"] / sfreq, include_tmax=True)
    # the annotations as MNE keeps them (it rounds onsets to the microsecond and clips to
    # the data), on its axis: sample k of the original recording at k / sfreq
    anns = list(zip(raw.annotations.onset, raw.annotations.duration))
    full = brute_force_mask(raw.n_times, sfreq, anns, first_samp=raw.first_samp)
    return BaseConcatDataset([RawDataset(raw, description={"subject": 0})]), full


@given(case=cases())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.filterwarnings("ignore:(Limited|Omitted) .* annotation:RuntimeWarning")
def test_masks_equal_brute_force(case):
    corpus, full = _corpus(case)
    windows = _windows(corpus, case["size"], case["stride"], case["drop_last"])
    dense = DenseTargets(windows, decimation=case["decimation"], reduction=case["reduction"])
    assert len(dense) == len(windows)
    inds = windows.datasets[0].crop_inds
    for j in range(len(dense)):
        a, b = int(inds[j, 1]), int(inds[j, 2])
        want = expected_mask(full, a, b, case["decimation"], case["reduction"])
        got = dense.mask(j)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)
    j = len(dense) // 2
    X, mask, i = dense[j]
    X0, _, i0 = windows[j]
    np.testing.assert_array_equal(X, X0)
    assert list(i) == list(i0)
    np.testing.assert_array_equal(mask, dense.mask(j))


def test_mask_mean_is_the_seizure_ratio_and_subsets_keep_positions(edf_corpus):
    windows = annotate_seizure_ratio(fixed_windows(edf_corpus))
    ratio = windows.get_metadata()["seizure_ratio"].to_numpy()
    dense = DenseTargets(windows)
    means = np.array([dense.mask(j).astype(np.float64).mean() for j in range(len(dense))])
    np.testing.assert_allclose(means, ratio, rtol=0, atol=1e-12)
    idx = np.array([5, 0, 17, 3, 30])
    inner = DenseTargets(Subset(windows, idx))  # wrapper over a Subset
    outer = Subset(dense, idx)  # Subset of the wrapper
    nested = DenseTargets(Subset(Subset(windows, np.arange(10, 40)), [0, 7]))
    for k, j in enumerate(idx):
        for ds in (inner, outer):
            X, mask, _inds = ds[k]
            np.testing.assert_array_equal(mask, dense.mask(j))
            np.testing.assert_array_equal(X, windows[j][0])
    np.testing.assert_array_equal(nested[1][1], dense.mask(17))
    assert inner.corpus is windows and len(inner) == idx.size


def test_masks_are_computed_without_reading_the_signal(edf_paths, tmp_path):
    copies = [Path(shutil.copy(p, tmp_path / p.name)) for p in edf_paths]
    corpus = BaseConcatDataset([
        RawDataset(mne.io.read_raw_edf(p, preload=False, verbose="error"),
                   description={"subject": i}) for i, p in enumerate(copies)])
    windows = fixed_windows(corpus)
    reference = [brute_force_mask(int(dur * SFREQ), SFREQ, sz) for dur, sz in RECORDINGS]
    dense = DenseTargets(windows, decimation=4)
    for p in copies:  # the EDF files are gone: any read of a sample would fail
        p.unlink()
    bounds = np.r_[0, windows.cumulative_sizes]
    for r, ds in enumerate(windows.datasets):
        assert not ds.raw.preload
        for k, (_, a, b) in enumerate(ds.crop_inds):
            np.testing.assert_array_equal(dense.mask(bounds[r] + k),
                                          expected_mask(reference[r], a, b, 4))
    with pytest.raises((OSError, FileNotFoundError)):
        dense[0]


def test_errors(edf_corpus):
    windows = fixed_windows(edf_corpus)  # 60 s windows at 64 Hz: 3840 samples
    with pytest.raises(ValueError, match="decimation=7 does not divide the length of window 0"):
        DenseTargets(windows, decimation=7)
    for bad in (0, -2, 2.0, True):
        with pytest.raises(ValueError, match="decimation must be an int >= 1"):
            DenseTargets(windows, decimation=bad)
    with pytest.raises(ValueError, match="reduction must be"):
        DenseTargets(windows, reduction="sum")
    with pytest.raises(TypeError, match="windowed braindecode BaseConcatDataset"):
        DenseTargets(torch.utils.data.TensorDataset(torch.zeros(3)))


def test_sampler_binds_through_the_wrapper(edf_corpus):
    windows = annotate_seizure_ratio(fixed_windows(edf_corpus))  # no training target set
    dense = DenseTargets(windows)
    sampler = BalancedSeizureSampler(dense, random_state=0)
    assert sampler.counts == BalancedSeizureSampler(windows, random_state=0).counts
    # the positions drawn are those of the corpus: the masks are the drawn windows' masks
    loader = BalancedDataLoader(dense, sampler=sampler, batch_size=len(sampler))
    order = sampler.draw(0)
    X, masks, _inds = next(iter(loader))
    np.testing.assert_array_equal(masks.numpy(), np.stack([dense.mask(j) for j in order]))
    np.testing.assert_array_equal(X.numpy(), np.stack([windows[j][0] for j in order]))
    # a Subset of the wrapper (skorch's train split) is drawn from its own windows only
    part = Subset(dense, np.arange(0, len(dense), 2))
    corpus_sampler = BalancedSeizureSampler(windows, random_state=1)
    BalancedDataLoader(part, sampler=corpus_sampler, batch_size=8)  # corpus sampler, same corpus
    categories = windows.get_metadata()["seizure_category"].astype(str).to_numpy()
    counts = {c: int((categories[part.indices] == c).sum()) for c in corpus_sampler.counts}
    assert corpus_sampler.counts == counts
    assert corpus_sampler.draw(0).max() < len(part)
    # without the wrapper the missing classification target is reported
    with pytest.raises(ValueError, match="training target is -1"):
        BalancedDataLoader(windows, sampler=BalancedSeizureSampler(windows, random_state=0))
    # another corpus is refused, even through the wrapper
    other = DenseTargets(annotate_seizure_ratio(fixed_windows(edf_corpus)))
    with pytest.raises(ValueError, match=r"another corpus.*DenseTargets"):
        BalancedDataLoader(other, sampler=BalancedSeizureSampler(dense, random_state=0))


def test_pickles_and_loads_with_two_workers(edf_corpus):
    windows = fixed_windows(edf_corpus)
    dense = DenseTargets(Subset(windows, np.arange(3, 40)), decimation=8, reduction="max")
    back = pickle.loads(pickle.dumps(dense))
    np.testing.assert_array_equal(back.mask(11), dense.mask(11))
    kwargs = {"batch_size": 6, "shuffle": False}
    serial = list(DataLoader(dense, num_workers=0, **kwargs))
    parallel = list(DataLoader(dense, num_workers=2, **kwargs))
    assert len(serial) == len(parallel) == 7
    for a, b in zip(serial, parallel):
        for x, y in zip(a, b):
            torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_decimated_mean_bce_equals_per_sample_bce_of_a_held_output():
    rng = np.random.default_rng(0)
    y = torch.from_numpy(rng.random(64) < 0.4).float()  # per-sample mask, 8 blocks of 8
    logits = torch.from_numpy(rng.normal(size=8)).float()
    held = logits.repeat_interleave(8)  # a detector holding its output over each block
    per_sample = torch.nn.functional.binary_cross_entropy_with_logits(held, y)
    decimated = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, y.reshape(8, 8).mean(1))
    torch.testing.assert_close(per_sample, decimated)


class TinyDense(torch.nn.Module):
    """Per-sample logits at 1/decimation of the input rate."""

    def __init__(self, n_chans=2, decimation=4):
        super().__init__()
        self.conv = torch.nn.Conv1d(n_chans, 1, 9, padding=4)
        self.pool = torch.nn.AvgPool1d(decimation)

    def forward(self, x):
        return self.pool(self.conv(x * 1e4))[:, 0]


class SeenTargets(Callback):
    """The targets of every training batch, and the masks of the windows actually received."""

    def __init__(self, dense):
        self.dense = dense

    def initialize(self):
        self.batches_ = []
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.batches_.append((batch[0].numpy().copy(), batch[1].numpy().copy()))


def _signal_keys(dense):
    return {dense.corpus[j][0].astype(np.float32).tobytes(): j for j in range(len(dense))}


@pytest.mark.parametrize("kind", ["EEGRegressor", "NeuralNet"])
def test_trains_with_skorch_and_the_balanced_sampler(edf_corpus, kind):
    windows = annotate_seizure_ratio(fixed_windows(edf_corpus))
    dense = DenseTargets(windows, decimation=4, return_inds=kind == "EEGRegressor")
    sampler = BalancedSeizureSampler(dense, random_state=0)
    seen = SeenTargets(dense)
    torch.manual_seed(0)
    cls = EEGRegressor if kind == "EEGRegressor" else NeuralNet
    net = cls(TinyDense(), criterion=torch.nn.BCEWithLogitsLoss, optimizer=torch.optim.Adam,
              lr=1e-2, batch_size=8, max_epochs=2, train_split=None, callbacks=[seen],
              iterator_train__drop_last=False, verbose=0, **sampler.skorch_params())
    net.fit(dense, y=None)
    assert len(net.history) == 2
    losses = net.history[:, "train_loss"]
    assert np.isfinite(losses).all()
    keys = _signal_keys(dense)
    received = []
    for X, y in seen.batches_:
        for x, target in zip(X, y):
            j = keys[x.astype(np.float32).tobytes()]
            np.testing.assert_array_equal(target, dense.mask(j))
            received.append(j)
    # both epochs are the sampler's draws, in order
    np.testing.assert_array_equal(received, np.r_[sampler.draw(0), sampler.draw(1)])


def test_dense_targets_over_a_window_cache_keep_the_source_units(tmp_path):
    """A cached corpus wrapped in dense targets reaches the model in the source's unit.

    The cache's float16 signal travels as ``[X]`` so that braindecode does not convert it
    on the CPU and FromCache rescales it on the device; the wrapper must keep that form
    (it once delivered float16 arrays that braindecode turned into float32 2**20 times too
    large).
    """
    import torch
    from braindecode import EEGRegressor

    from braindecode_stbalance import BalancedSeizureSampler, annotate_seizure_ratio
    from braindecode_stbalance.cache import FromCache, build_cache
    from braindecode_stbalance.synthetic import make_synthetic_corpus

    corpus = make_synthetic_corpus(tmp_path / "edf", n_recordings=2, duration=400.0,
                                   sfreq=64.0, seizures_per_recording=(1, 2), seed=4)
    windows = _windows(corpus, 640, 160)
    annotate_seizure_ratio(windows)
    cached = build_cache(windows, tmp_path / "cache", progress=False)
    dense = DenseTargets(cached)
    sampler = BalancedSeizureSampler(dense, random_state=0)
    received = []

    class Identity(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            received.append(x.detach().cpu().numpy())
            return x[:, 0] * self.w

    net = EEGRegressor(FromCache(Identity(), cached), criterion=torch.nn.BCEWithLogitsLoss,
                       max_epochs=1, train_split=None, batch_size=16, verbose=0,
                       **cached.skorch_params(sampler))
    net.fit(dense, y=None)
    first = sampler.draw(0)[:16]
    source = np.stack([np.asarray(windows[int(i)][0], np.float32) for i in first])
    np.testing.assert_allclose(received[0], source, rtol=2**-10, atol=1e-9)
    masks = np.stack([dense.mask(int(i)) for i in first])
    assert dense.__getitems__(first.tolist())[3][1].tolist() == masks[3].tolist()
