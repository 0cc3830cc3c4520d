"""Pins the MNE internals the window cache relies on (through ``_adapters``) to the installed MNE."""

# License: BSD (3-clause)

import pickle

import mne
import numpy as np
import pytest

from braindecode_stbalance import _adapters


class _Reader:
    """Samples ``[start, stop)`` of a fixed array (picklable), counting its calls."""

    def __init__(self, data):
        self.data, self.calls = data, []

    def __call__(self, start, stop):
        self.calls.append((start, stop))
        return self.data[:, start:stop].astype(np.float64)


@pytest.fixture
def reference():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 1000)) * 1e-5
    info = mne.create_info(["a", "b", "c", "d"], 100.0, "eeg")
    raw = mne.io.RawArray(data, info, first_samp=250, verbose="error")
    return data, raw


def test_raw_from_reader_reads_through_mnes_reader_hook(reference, tmp_path):
    data, ref = reference
    file = tmp_path / "signal.npy"
    np.save(file, data)
    reader = _Reader(data)
    raw = _adapters.raw_from_reader(ref.info.copy(), 250, 1000, file, reader)
    assert isinstance(raw, mne.io.BaseRaw) and not raw.preload
    assert raw.first_samp == 250 and raw.n_times == 1000 and raw.times[-1] == ref.times[-1]
    assert [str(f) for f in raw.filenames] == [str(file)]
    # MNE's _read_segment_file contract: [start, stop) from the first sample, all channels
    assert np.array_equal(raw.get_data(start=10, stop=20), data[:, 10:20])
    assert (10, 20) in reader.calls
    assert np.array_equal(raw.get_data(picks=["c", "a"], start=990), data[[2, 0], 990:])
    assert np.array_equal(raw[1:3, 5:9][0], data[1:3, 5:9])  # what braindecode's windows call
    cropped = raw.copy().crop(tmin=1.0, tmax=2.0)
    assert np.array_equal(cropped.get_data(), ref.copy().crop(tmin=1.0, tmax=2.0).get_data())
    clone = pickle.loads(pickle.dumps(raw))
    assert np.array_equal(clone.get_data(), data)
    raw.load_data()
    assert raw.preload and np.array_equal(raw.get_data(), data)
    raw.filter(1.0, 20.0, verbose="error")  # a loaded Raw is an ordinary one
    assert raw.info["highpass"] == 1.0


def test_raw_from_reader_applies_projections_through_mult(reference, tmp_path):
    data, ref = reference
    np.save(tmp_path / "s.npy", data)
    raw = _adapters.raw_from_reader(ref.info.copy(), 250, 1000, tmp_path / "s.npy",
                                    _Reader(data))
    ref = ref.copy().set_eeg_reference(projection=True, verbose="error")
    raw.set_eeg_reference(projection=True, verbose="error").apply_proj(verbose="error")
    ref.apply_proj(verbose="error")
    assert np.allclose(raw.get_data(), ref.get_data(), rtol=0, atol=1e-20)


def test_set_filter_band_sets_what_only_filters_may_set():
    info = mne.create_info(2, 100.0, "eeg")
    with pytest.raises(RuntimeError, match="cannot be set directly"):
        info["highpass"] = 0.5
    assert _adapters.set_filter_band(info, 0.5, 30.0) is info
    assert (info["highpass"], info["lowpass"]) == (0.5, 30.0)


def _as_is(batch):
    return batch


def test_eeg_classifier_converts_tensor_signals_on_the_cpu_but_not_lists():
    """Why a cached batch's signal travels as ``[X]`` (braindecode's ThrowAwayIndexLoader)."""
    import torch
    from braindecode import EEGClassifier

    x = torch.zeros((4, 2, 8), dtype=torch.float16)
    y, crop = torch.zeros(4, dtype=torch.int64), [torch.zeros(4, dtype=torch.int64)] * 3
    # the DataLoader yields each prepared batch as it is (no batching, no collate)
    clf = EEGClassifier(torch.nn.Linear(8, 2), classes=[0, 1], iterator_valid__batch_size=None,
                        iterator_valid__collate_fn=_as_is)
    ((cast, _),) = list(clf.get_iterator([(x, y, crop)], training=False))
    assert cast.dtype == torch.float32  # a tensor is converted on the CPU
    ((kept, _),) = list(clf.get_iterator([([x], y, crop)], training=False))
    assert isinstance(kept, list) and kept[0] is x  # a list goes through untouched
