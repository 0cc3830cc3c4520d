"""Masks, events and SzCORE events.tsv files, read back with epilepsy2bids."""

import datetime
import os
import stat

import numpy as np
import pytest
from conftest import brute_force_mask
from epilepsy2bids.annotations import Annotations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from braindecode_stbalance._atomic import atomic_write_text
from braindecode_stbalance.evaluation import (
    events_to_mask,
    mask_to_events,
    write_events_tsv,
    write_prediction_tree,
)
from braindecode_stbalance.evaluation._tsv import szcore_mask_1hz

SFREQS = st.sampled_from([1.0, 2.0, 4.0, 3.0, 10.0, 100.0, 128.0, 173.61, 250.5, 256.0, 512.0])
TMP = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def masks(draw, min_size=0, max_size=3000):
    n = draw(st.integers(min_size, max_size))
    mask = np.zeros(n, dtype=bool)
    for _ in range(draw(st.integers(0, 6))):
        a = draw(st.integers(0, max(n - 1, 0)))
        b = draw(st.integers(a, n))
        mask[a:b] = True
    return mask


def brute_force_runs(mask):
    runs, start = [], None
    for k, v in enumerate(list(mask) + [False]):
        if v and start is None:
            start = k
        elif not v and start is not None:
            runs.append((start, k))
            start = None
    return runs


@given(mask=masks(), sfreq=SFREQS)
@settings(max_examples=400, deadline=None)
def test_mask_to_events_round_trip(mask, sfreq):
    onsets, durations = mask_to_events(mask, sfreq)
    runs = brute_force_runs(mask)
    assert len(onsets) == len(runs)
    np.testing.assert_array_equal(onsets, [a / sfreq for a, _ in runs])
    np.testing.assert_allclose(durations, [(b - a) / sfreq for a, b in runs], rtol=1e-12)
    np.testing.assert_array_equal(events_to_mask(onsets, durations, sfreq, mask.size), mask)
    np.testing.assert_array_equal(
        brute_force_mask(mask.size, sfreq, list(zip(onsets, durations))), mask)


@given(sfreq=SFREQS, n_times=st.integers(0, 2000),
       events=st.lists(st.tuples(st.floats(0, 30), st.floats(0, 20)), max_size=6),
       grid=st.booleans())
@settings(max_examples=400, deadline=None)
def test_events_to_mask_equals_brute_force(sfreq, n_times, events, grid):
    if grid:  # boundaries exactly on sample times
        events = [(round(a * sfreq) / sfreq, round(d * sfreq) / sfreq) for a, d in events]
    onsets = [a for a, _ in events]
    durations = [d for _, d in events]
    got = events_to_mask(onsets, durations, sfreq, n_times)
    np.testing.assert_array_equal(got, brute_force_mask(n_times, sfreq, events))


@given(mask=masks(min_size=1), sfreq=SFREQS)
@TMP
def test_written_file_is_what_epilepsy2bids_writes(tmp_path, mask, sfreq):
    ours = write_events_tsv(tmp_path / "sub-01_events.tsv", mask, sfreq)
    theirs = tmp_path / "theirs_events.tsv"
    Annotations.loadMask(mask, sfreq).saveTsv(str(theirs))
    assert ours.read_text() == theirs.read_text()
    # SzCORE reads it at 1 Hz: our 1 Hz rule agrees with epilepsy2bids' getMask(1)
    np.testing.assert_array_equal(Annotations.loadTsv(ours).getMask(1).astype(bool),
                                  szcore_mask_1hz(mask, sfreq))


@given(mask=masks(min_size=1, max_size=600), sfreq=st.sampled_from([1.0, 2.0, 4.0]))
@TMP
def test_read_back_mask_equals_input_where_times_are_exact(tmp_path, mask, sfreq):
    path = write_events_tsv(tmp_path / "x_events.tsv", mask, sfreq)
    np.testing.assert_array_equal(Annotations.loadTsv(path).getMask(sfreq).astype(bool), mask)


@given(mask=masks(min_size=1), sfreq=SFREQS)
@TMP
def test_read_back_events_match_brute_force_mask(tmp_path, mask, sfreq):
    # two decimals: labels may differ only within 10 ms of an event boundary
    path = write_events_tsv(tmp_path / "x_events.tsv", mask, sfreq)
    ann = Annotations.loadTsv(path)
    seizures = [(e["onset"], e["duration"]) for e in ann.events if e["eventType"].value == "sz"]
    back = brute_force_mask(mask.size, sfreq, seizures)
    t = np.arange(mask.size) / sfreq
    near = np.zeros(mask.size, dtype=bool)
    for a, b in brute_force_runs(mask):
        near |= (np.abs(t - a / sfreq) <= 0.01) | (np.abs(t - b / sfreq) <= 0.01)
    np.testing.assert_array_equal(back[~near], mask[~near])
    assert ann.events[0]["recordingDuration"] == pytest.approx(mask.size / sfreq, abs=0.005)


def test_seizure_free_recording_is_one_bckg_row(tmp_path):
    path = write_events_tsv(tmp_path / "a_events.tsv", np.zeros(2560, bool), 256.0,
                            date_time=datetime.datetime(2021, 3, 4, 5, 6, 7))
    assert path.read_text().splitlines() == [
        "onset\tduration\teventType\tconfidence\tchannels\tdateTime\trecordingDuration",
        "0.00\t10.00\tbckg\tn/a\tn/a\t2021-03-04 05:06:07\t10.00"]
    ann = Annotations.loadTsv(path)
    assert len(ann.events) == 1 and ann.events[0]["eventType"].value == "bckg"
    assert not ann.getMask(1).any() and ann.getMask(1).size == 10


def test_events_with_metadata_read_back(tmp_path):
    onsets, durations = np.array([50.0, 10.0]), np.array([5.5, 20.25])
    path = write_events_tsv(tmp_path / "b_events.tsv", (onsets, durations),
                            recording_duration=100.0, channels=["Fp1", "F3"],
                            confidence=[0.5, 0.9],
                            date_time=datetime.datetime(2020, 1, 1, 8))
    ann = Annotations.loadTsv(path)
    assert [(e["onset"], e["duration"], e["confidence"]) for e in ann.events] == [
        (10.0, 20.25, 0.9), (50.0, 5.5, 0.5)]  # sorted by onset, confidence follows
    assert ann.events[0]["channels"] == ["Fp1", "F3"]
    assert ann.events[0]["dateTime"] == datetime.datetime(2020, 1, 1, 8)
    np.testing.assert_array_equal(ann.getMask(4).astype(bool),
                                  events_to_mask(onsets, durations, 4, 400))


def test_mne_annotations_are_events(tmp_path):
    mne = pytest.importorskip("mne")
    ann = mne.Annotations([1.0, 4.0], [2.0, 1.0], ["sz", "sz"])
    path = write_events_tsv(tmp_path / "c_events.tsv", ann, recording_duration=6.0)
    np.testing.assert_array_equal(Annotations.loadTsv(path).getMask(1).astype(bool),
                                  [0, 1, 1, 0, 1, 0])


def test_atomic_write_keeps_mode_and_respects_umask(tmp_path):
    path = tmp_path / "d_events.tsv"
    old = os.umask(0o027)
    try:
        write_events_tsv(path, np.ones(4, bool), 1.0)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    path.chmod(0o604)
    write_events_tsv(path, np.zeros(4, bool), 1.0)
    assert stat.S_IMODE(path.stat().st_mode) == 0o604
    assert "bckg" in path.read_text()


def test_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "e_events.tsv"
    path.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(path, "caf\u00e9", encoding="ascii")
    assert path.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["e_events.tsv"]  # no temp file left


def test_write_prediction_tree_mirrors_relative_paths(tmp_path):
    rel_edf = "sub-01/ses-01/eeg/sub-01_ses-01_task-szMonitoring_run-00_eeg.edf"
    rel_tsv = "sub-02/ses-01/eeg/sub-02_ses-01_task-szMonitoring_run-01_events.tsv"
    mask = np.zeros(60, bool)
    mask[10:20] = True
    written = write_prediction_tree(tmp_path / "pred", {
        rel_edf: mask,
        rel_tsv: {"mask_or_events": np.zeros(512, bool), "sfreq": 256.0,
                  "date_time": datetime.datetime(2020, 1, 1)},
    }, sfreq=1.0)
    expected = [tmp_path / "pred" / rel_edf.replace("_eeg.edf", "_events.tsv"),
                tmp_path / "pred" / rel_tsv]
    assert written == expected
    np.testing.assert_array_equal(Annotations.loadTsv(written[0]).getMask(1).astype(bool), mask)
    assert Annotations.loadTsv(written[1]).events[0]["recordingDuration"] == 2.0


@pytest.mark.parametrize("key, match", [
    ("/abs/sub-01/x_events.tsv", "relative"),
    ("sub-01/../../x_events.tsv", "relative"),
    ("derivatives/x_events.tsv", "sub-"),
    ("sub-01/ses-01/eeg/notes.txt", "neither"),
])
def test_write_prediction_tree_bad_keys(tmp_path, key, match):
    with pytest.raises(ValueError, match=match):
        write_prediction_tree(tmp_path, {key: np.zeros(4, bool)}, sfreq=1.0)


def test_write_prediction_tree_duplicates_and_bad_values(tmp_path):
    with pytest.raises(ValueError, match="both name"):
        write_prediction_tree(tmp_path, {"sub-1/a_eeg.edf": np.zeros(4, bool),
                                         "sub-1/a_events.tsv": np.zeros(4, bool)}, sfreq=1.0)
    with pytest.raises(ValueError, match="prediction 'sub-1/a_eeg.edf': sfreq is required"):
        write_prediction_tree(tmp_path, {"sub-1/a_eeg.edf": np.zeros(4, bool)})
    with pytest.raises(TypeError, match="mapping"):
        write_prediction_tree(tmp_path, [np.zeros(4, bool)])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"path": "x.txt"}, ValueError, r"\.tsv"),
    ({"mask_or_events": np.zeros((2, 2), bool)}, ValueError, "1-D"),
    ({"mask_or_events": np.full(4, 0.5)}, TypeError, "boolean"),
    ({"mask_or_events": np.array([0, 2, 1])}, ValueError, "only 0 and 1"),
    ({"mask_or_events": np.zeros(0, bool)}, ValueError, "empty mask"),
    ({"sfreq": None}, ValueError, "sfreq is required"),
    ({"recording_duration": 9.0}, ValueError, "disagrees"),
    ({"mask_or_events": ([1.0], [2.0]), "recording_duration": None}, ValueError, "required"),
    ({"mask_or_events": ([1.0], [0.0]), "recording_duration": 5.0}, ValueError, "event 0"),
    ({"mask_or_events": ([4.0], [2.0]), "recording_duration": 5.0}, ValueError, "within"),
    ({"mask_or_events": ([1.0, 2.0], [1.0]), "recording_duration": 5.0}, ValueError, "same"),
    ({"mask_or_events": ([1.0], [1.0], [1]), "recording_duration": 5.0}, ValueError, "tuple"),
    ({"confidence": 1.5}, ValueError, r"\[0, 1\]"),
    ({"confidence": [0.5, 0.5]}, ValueError, "one per event"),
    ({"channels": ["Fp1,F3"]}, ValueError, "commas"),
    ({"date_time": "2020-01-01"}, TypeError, "datetime"),
])
def test_write_events_tsv_invalid(tmp_path, kwargs, error, match):
    mask = np.zeros(16, bool)
    mask[4:8] = True
    args = {"path": tmp_path / "f_events.tsv", "mask_or_events": mask, "sfreq": 4.0} | kwargs
    args["path"] = tmp_path / args["path"]
    with pytest.raises(error, match=match):
        write_events_tsv(**args)
    assert not os.listdir(tmp_path)  # nothing written


@pytest.mark.parametrize("call, match", [
    (lambda: mask_to_events(np.zeros((2, 2)), 1.0), "1-D"),
    (lambda: mask_to_events(np.zeros(3, bool), -1.0), "sfreq"),
    (lambda: events_to_mask([1.0], [-1.0], 1.0, 5), "event 0"),
    (lambda: events_to_mask([np.nan], [1.0], 1.0, 5), "finite"),
    (lambda: events_to_mask([1.0, 2.0], [1.0], 1.0, 5), "same length"),
    (lambda: events_to_mask([1.0], [1.0], 1.0, -5), "n_times"),
])
def test_mask_event_conversions_invalid(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


@pytest.mark.parametrize("sfreq", [3.0, 173.61, 250.5])
def test_round_trip_where_naive_durations_overshoot(sfreq):
    # runs [a, b) whose naive end a/sfreq + (b/sfreq - a/sfreq) lands after b/sfreq:
    # without the correction events_to_mask would mark sample b too
    rng = np.random.default_rng(0)
    a = rng.integers(0, 10**6, 200000)
    b = a + rng.integers(1, 10**5, 200000)
    over = a / sfreq + (b / sfreq - a / sfreq) > b / sfreq
    assert over.sum() >= 5
    for start, stop in zip(a[over][:5], b[over][:5]):
        mask = np.zeros(stop + 3, dtype=bool)
        mask[start:stop] = True
        onsets, durations = mask_to_events(mask, sfreq)
        np.testing.assert_array_equal(events_to_mask(onsets, durations, sfreq, mask.size), mask)
