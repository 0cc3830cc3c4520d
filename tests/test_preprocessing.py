"""SeizureRatio / annotate_seizure_ratio on real braindecode windows read from EDF files."""

import functools
import json
import warnings

import mne
import numpy as np
import pandas as pd
import pytest
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.preprocessing import (
    Preprocessor,
    create_fixed_length_windows,
    create_windows_from_events,
    preprocess,
)
from conftest import (
    RECORDINGS,
    SFREQ,
    brute_force_category,
    brute_force_mask,
    brute_force_ratios,
    fixed_windows,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from braindecode_stbalance import (
    CATEGORIES,
    SeizureLabels,
    SeizureRatio,
    annotate_seizure_ratio,
    compute_seizure_ratio,
)

WIN, STRIDE = int(60 * SFREQ), int(15 * SFREQ)


def _windows(corpus, use_mne_epochs=False, on_last_window="overlap", **kw):
    return fixed_windows(corpus, on_last_window=on_last_window,
                         use_mne_epochs=use_mne_epochs, **kw)


def _reference(windows_ds, full_threshold=1.0):
    """Brute-force ratios from the known seizure lists and the windows' own crop indices."""
    ratios = []
    for i, ds in enumerate(windows_ds.datasets):
        dur, seizures = RECORDINGS[i]
        mask = brute_force_mask(int(dur * SFREQ), SFREQ, seizures)
        inds = ds.crop_inds
        ratios.append(brute_force_ratios(mask, inds[:, 1], inds[:, 2]))
    ratios = np.concatenate(ratios)
    return ratios, [brute_force_category(r, full_threshold) for r in ratios]


def _run_step(windows_ds, step):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # braindecode's "preprocessors on Raw" note
        return preprocess(windows_ds, [step])


@pytest.mark.parametrize("use_mne_epochs", [False, True], ids=["EEGWindowsDataset", "WindowsDataset"])
@pytest.mark.parametrize("on_last_window", ["overlap", "drop"])
def test_step_in_preprocess_matches_brute_force(edf_corpus, use_mne_epochs, on_last_window):
    windows_ds = _windows(edf_corpus, use_mne_epochs, on_last_window)
    _run_step(windows_ds, SeizureRatio())
    md = windows_ds.get_metadata()
    ratios, cats = _reference(windows_ds)
    np.testing.assert_array_equal(md["seizure_ratio"].to_numpy(), ratios)
    assert md["seizure_category"].astype(str).tolist() == cats
    assert set(cats) == set(CATEGORIES)  # the fixture exercises every category
    # lazily read EDF recordings were never loaded
    for ds in windows_ds.datasets:
        mne_obj = ds.windows if use_mne_epochs else ds.raw
        assert not mne_obj.preload


def test_function_form_equals_step(edf_corpus):
    a = _windows(edf_corpus)
    b = _windows(edf_corpus)
    _run_step(a, SeizureRatio(full_threshold=0.99))
    annotate_seizure_ratio(b, full_threshold=0.99)
    pd.testing.assert_frame_equal(a.get_metadata(), b.get_metadata())
    _, cats = _reference(b, 0.99)
    assert b.get_metadata()["seizure_category"].astype(str).tolist() == cats


def test_full_threshold_099_makes_nearly_full_windows_full(edf_corpus):
    windows_ds = annotate_seizure_ratio(_windows(edf_corpus), full_threshold=0.5)
    md = windows_ds.get_metadata()
    r = md["seizure_ratio"].to_numpy()
    cats = md["seizure_category"].astype(str).to_numpy()
    assert ((r >= 0.5) == (cats == "full_seizure")).all()
    assert ((r > 0) & (r < 0.5)).any() and ((r >= 0.5) & (r < 1)).any()


@pytest.mark.parametrize("use_mne_epochs", [False, True])
def test_windows_from_events(edf_corpus, use_mne_epochs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keep = edf_corpus.datasets[2:4]  # non-overlapping seizure events
        windows_ds = create_windows_from_events(
            BaseConcatDataset(keep), trial_start_offset_samples=0, trial_stop_offset_samples=0,
            window_size_samples=int(5 * SFREQ), window_stride_samples=int(5 * SFREQ),
            on_last_window="drop", use_mne_epochs=use_mne_epochs, mapping={"seiz": 1},
            on_overlapping_events="ignore",
        )
    _run_step(windows_ds, SeizureRatio())
    md = windows_ds.get_metadata()
    # windows cut inside seizure events are full-seizure windows
    assert len(md) > 0 and (md["seizure_category"] == "full_seizure").all()
    assert (md["seizure_ratio"] == 1.0).all()


@pytest.mark.parametrize("meas_date", [True, False], ids=["meas_date", "no_meas_date"])
@pytest.mark.parametrize("use_mne_epochs", [False, True])
def test_cropped_recordings(meas_date, use_mne_epochs):
    sfreq, n_times, tmin = 50.0, 50 * 400, 37.22
    seizures = [(20.0, 40.0), (100.5, 0.3), (150.0, 100.0)]  # one starts before the crop
    raw = mne.io.RawArray(np.zeros((1, n_times)), mne.create_info(1, sfreq, "eeg"), verbose=False)
    raw.set_meas_date(1_600_000_000.0 if meas_date else None)
    onsets, durations = zip(*seizures)
    raw.set_annotations(mne.Annotations(onsets, durations, ["sz_foc_ia"] * 3))
    cropped = raw.copy().crop(tmin=tmin)
    assert cropped.first_samp != 0
    assert (cropped.info["meas_date"] is None) == (not meas_date)
    corpus = BaseConcatDataset([RawDataset(cropped, description={"subject": 0})])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows_ds = create_fixed_length_windows(
            corpus, window_size_samples=500, window_stride_samples=125,
            on_last_window="overlap", use_mne_epochs=use_mne_epochs, preload=True)
    _run_step(windows_ds, SeizureRatio())
    # reference on the ORIGINAL recording's axis: cropped sample i is original sample i + first_samp
    first = cropped.first_samp
    mask = brute_force_mask(n_times, sfreq, seizures)[first:]
    inds = windows_ds.datasets[0].crop_inds
    want = brute_force_ratios(mask, inds[:, 1], inds[:, 2])
    np.testing.assert_array_equal(windows_ds.get_metadata()["seizure_ratio"].to_numpy(), want)


def test_set_target_category_and_binary(edf_corpus):
    windows_ds = annotate_seizure_ratio(_windows(edf_corpus))
    ratios, cats = _reference(windows_ds)
    windows_ds.set_target("seizure_category")
    assert [windows_ds[i][1] for i in range(len(windows_ds))] == cats
    annotate_seizure_ratio(windows_ds, target="binary")
    assert [windows_ds[i][1] for i in range(len(windows_ds))] == (ratios > 0).astype(int).tolist()
    w2 = _windows(edf_corpus, use_mne_epochs=True)
    _run_step(w2, SeizureRatio(target="category"))
    want = [CATEGORIES.index(c) for c in cats]
    assert [w2[i][1] for i in range(len(w2))] == want


def test_idempotent(edf_corpus):
    windows_ds = _windows(edf_corpus)
    _run_step(windows_ds, SeizureRatio())
    first = windows_ds.get_metadata().copy()
    _run_step(windows_ds, SeizureRatio())
    annotate_seizure_ratio(windows_ds)
    second = windows_ds.get_metadata()
    assert list(second.columns) == list(first.columns)
    pd.testing.assert_frame_equal(first, second)


def test_raw_corpus_raises_type_error(edf_corpus):
    with pytest.raises(TypeError, match="not windowed"):
        annotate_seizure_ratio(edf_corpus)
    with pytest.raises(TypeError, match="not windowed"):
        preprocess(edf_corpus, [SeizureRatio()])


def test_apply_outside_preprocess_names_alternative(edf_corpus):
    raw = edf_corpus.datasets[0].raw
    with pytest.raises(TypeError, match="annotate_seizure_ratio"):
        SeizureRatio().apply(raw)


def test_lazy_metadata_refused_with_advice(edf_corpus):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows_ds = create_fixed_length_windows(
            edf_corpus, window_size_samples=WIN, window_stride_samples=STRIDE,
            on_last_window="drop", lazy_metadata=True)
    for call in (lambda: annotate_seizure_ratio(windows_ds),
                 lambda: _run_step(windows_ds, SeizureRatio())):
        with pytest.raises(TypeError, match="lazy_metadata=False"):
            call()


def test_invalid_annotation_names_recording_and_index(edf_corpus):
    windows_ds = _windows(edf_corpus)
    ann = windows_ds.datasets[2].raw.annotations
    ann.duration[1] = np.nan
    with pytest.raises(ValueError, match=r"Recording 2 \(path=.*rec2\.edf\).*index 1"):
        annotate_seizure_ratio(windows_ds)
    ann.duration[1] = 10.0
    ann.onset[0] = -1.0
    with pytest.raises(ValueError, match=r"rec2\.edf.*index 0"):
        _run_step(windows_ds, SeizureRatio())


def test_unknown_labels_warned_once_with_count():
    sfreq = 10.0
    datasets = []
    for i in range(3):
        raw = mne.io.RawArray(np.zeros((1, 3000)), mne.create_info(1, sfreq, "eeg"), verbose=False)
        raw.set_annotations(mne.Annotations([10, 50, 100, 200], [5, 5, 5, 5],
                                            ["artf", "artf", "bckg", "BAD_acq"]))
        datasets.append(RawDataset(raw, description={"subject": i}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows_ds = create_fixed_length_windows(
            BaseConcatDataset(datasets), window_size_samples=100, window_stride_samples=100,
            on_last_window="drop")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        annotate_seizure_ratio(windows_ds)
    ours = [w for w in rec if "match no known" in str(w.message)]
    assert len(ours) == 1
    assert "6 annotation(s)" in str(ours[0].message) and "'artf' x6" in str(ours[0].message)
    assert (windows_ds.get_metadata()["seizure_ratio"] == 0).all()
    # a custom vocabulary makes them seizures, and no warning
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        annotate_seizure_ratio(windows_ds, labels=["ARTF"])
    assert not [w for w in rec if "match no known" in str(w.message)]
    assert (windows_ds.get_metadata()["seizure_ratio"] > 0).any()
    annotate_seizure_ratio(windows_ds, labels=lambda d: d == "bckg")
    assert windows_ds.get_metadata()["seizure_ratio"].max() > 0


def test_step_serialises_like_braindecode_steps(edf_corpus):
    windows_ds = _windows(edf_corpus)
    step = SeizureRatio(labels={"seiz", "fnsz"}, full_threshold=0.99)
    _run_step(windows_ds, step)
    recorded = windows_ds.datasets[0].raw_preproc_kwargs[-1]
    json.dumps(recorded)  # JSON-safe
    assert recorded["__class_path__"] == "braindecode_stbalance.preprocessing.SeizureRatio"
    back = Preprocessor.deserialize(dict(recorded))
    assert isinstance(back, SeizureRatio) and back == SeizureRatio(["fnsz", "seiz"], 0.99)
    w2 = _windows(edf_corpus, use_mne_epochs=True)
    _run_step(w2, SeizureRatio())
    assert w2.datasets[0].window_preproc_kwargs[-1]["__class_path__"].endswith("SeizureRatio")


class _Vocabulary:
    @staticmethod
    def is_seizure(description):
        return description.startswith("sz")


def test_step_serialises_any_labels_it_accepts():
    """Names, a vocabulary, a nested function; a nameless callable is refused on rebuild."""
    cases = [(SeizureLabels(["SEIZ"]), ["seiz"]), (["fnsz", "gnsz"], ["fnsz", "gnsz"]),
             (_Vocabulary.is_seizure, f"callable:{__name__}._Vocabulary.is_seizure")]
    for labels, expected in cases:
        data = SeizureRatio(labels=labels).serialize()
        json.dumps(data)
        assert data["labels"] == expected
        back = SeizureRatio.deserialize(data)
        assert back.labels == (_Vocabulary.is_seizure if callable(labels) and not
                               isinstance(labels, SeizureLabels) else expected)
    nameless = functools.partial(str.startswith, "sz")
    data = SeizureRatio(labels=nameless).serialize()  # JSON-safe, not rebuildable
    json.dumps(data)
    with pytest.raises(ValueError, match="Cannot rebuild the labels callable"):
        SeizureRatio.deserialize(data)


def test_parallel_preprocess(edf_corpus):
    windows_ds = _windows(edf_corpus)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        preprocess(windows_ds, [SeizureRatio()], n_jobs=2)
    ratios, _ = _reference(windows_ds)
    np.testing.assert_array_equal(windows_ds.get_metadata()["seizure_ratio"].to_numpy(), ratios)


@pytest.mark.parametrize("bad", [0, 1.5, -1, "x"])
def test_full_threshold_validated(edf_corpus, bad):
    with pytest.raises((ValueError, TypeError), match="full_threshold"):
        annotate_seizure_ratio(_windows(edf_corpus), full_threshold=bad)


@pytest.mark.parametrize("use_mne_epochs", [False, True])
def test_annotate_after_braindecode_save_and_load(edf_corpus, tmp_path, use_mne_epochs):
    from braindecode.datautil import load_concat_dataset

    windows_ds = _windows(edf_corpus, use_mne_epochs=use_mne_epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows_ds.save(str(tmp_path), overwrite=True)
        loaded = load_concat_dataset(str(tmp_path), preload=False)
    annotate_seizure_ratio(loaded)
    ratios, _ = _reference(loaded)
    np.testing.assert_array_equal(loaded.get_metadata()["seizure_ratio"].to_numpy(), ratios)


@st.composite
def _corpora(draw):
    """Several recordings with random sfreq, crop (first_samp), annotations and windows."""
    recs = []
    for _ in range(draw(st.integers(1, 4))):
        sfreq = draw(st.sampled_from([10.0, 64.0, 100.0, 256.0, 173.61]))
        n_times = draw(st.integers(50, 2000))
        crop = draw(st.integers(0, 300))
        anns = [
            (draw(st.floats(0, (crop + n_times) / sfreq + 2)), draw(st.floats(0, n_times / sfreq)))
            for _ in range(draw(st.integers(0, 5)))
        ]
        size = draw(st.integers(1, n_times))
        stride = draw(st.integers(1, n_times))
        recs.append((sfreq, n_times, crop, anns, size, stride))
    return recs, draw(st.booleans())


@given(_corpora())
@settings(max_examples=60, deadline=None)
def test_corpus_level_ratios_equal_brute_force(case):
    recs, use_mne_epochs = case
    datasets, want = [], []
    for sfreq, n_times, crop, anns, size, stride in recs:
        raw = mne.io.RawArray(np.zeros((1, crop + n_times)), mne.create_info(1, sfreq, "eeg"),
                              verbose=False)
        if anns:
            raw.set_annotations(mne.Annotations([a[0] for a in anns], [a[1] for a in anns],
                                                ["seiz"] * len(anns)), emit_warning=False)
        raw.crop(tmin=crop / sfreq, verbose=False)
        assert raw.first_samp == crop
        # the truth is what MNE stores (it rounds onsets/durations on set and crop)
        anns = list(zip(raw.annotations.onset, raw.annotations.duration))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = create_fixed_length_windows(
                BaseConcatDataset([RawDataset(raw, description={"subject": 0})]),
                window_size_samples=size, window_stride_samples=stride, on_last_window="overlap",
                use_mne_epochs=use_mne_epochs, preload=True)
        datasets.append(w.datasets[0])
        # reference: per-sample mask of the cropped recording on MNE's time axis
        mask = brute_force_mask(n_times, sfreq, anns, first_samp=crop)
        inds = w.datasets[0].crop_inds
        want.append(brute_force_ratios(mask, inds[:, 1], inds[:, 2]))
    corpus = BaseConcatDataset(datasets)
    want = np.concatenate(want)
    np.testing.assert_array_equal(compute_seizure_ratio(corpus), want)
    annotate_seizure_ratio(corpus)
    np.testing.assert_array_equal(corpus.get_metadata()["seizure_ratio"].to_numpy(), want)
