"""SzCORE / BIDS corpora: what braindecode gives, and the correct path.

Trees are written with mne_bids.write_raw_bids (EDF from mne.export), then each
*_events.tsv is replaced by a SzCORE (HED-SCORE) one.
"""

# License: BSD (3-clause)

import warnings

import numpy as np
import pytest
from braindecode.datasets import CHBMIT, SIENA, BIDSDataset
from braindecode.preprocessing import create_fixed_length_windows

from braindecode_stbalance import annotate_seizure_ratio, window_table
from braindecode_stbalance._testing import make_szcore_tree, write_szcore_events
from braindecode_stbalance.datasets import (
    CorpusError,
    SzCOREBIDS,
    find_szcore_recordings,
    read_szcore_events,
    szcore_annotations,
    szcore_events_path,
)

COLUMNS = "onset\tduration\teventType\tconfidence\tchannels\tdateTime\trecordingDuration\n"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("szcore")
    truth = make_szcore_tree(root, n_subjects=2, runs_per_subject=2, durations=(60, 90),
                             seizure_fraction=0.6, seed=1)
    assert any(truth["seizures"].map(len) == 0) and any(truth["seizures"].map(len) > 0)
    return root, truth


def _events(ann):
    return [(round(float(o), 2), round(float(d), 2), str(s))
            for o, d, s in zip(ann.onset, ann.duration, ann.description)]


def _brute_force_ratio(raw, events, starts, stops):
    """Per-sample reference from the truth: onset <= t < onset + duration."""
    t = (raw.first_samp + np.arange(raw.n_times)) / raw.info["sfreq"]
    mask = np.zeros(raw.n_times, bool)
    for onset, duration, _ in events:
        mask |= (t >= onset) & (t < onset + duration)
    return np.array([mask[a:b].mean() for a, b in zip(starts, stops)])


def _window(concat_ds):
    return create_fixed_length_windows(concat_ds, window_size_samples=640,
                                       window_stride_samples=320, on_last_window="overlap")


def _ratios_match_truth(concat_ds, truth):
    """Annotate (windowing first if needed) and compare every window with brute force."""
    win = concat_ds if hasattr(concat_ds.datasets[0], "crop_inds") else _window(concat_ds)
    annotate_seizure_ratio(win)
    table = window_table(win)
    by_path = {p: s for p, s in zip(truth["path"], truth["seizures"])}
    for i, rec in enumerate(win.datasets):
        t = table[table["recording"] == i]
        ref = _brute_force_ratio(rec.raw, by_path[str(rec.description["path"])],
                                 t["i_start_in_trial"], t["i_stop_in_trial"])
        np.testing.assert_allclose(t["seizure_ratio"], ref)
    assert (table["seizure_ratio"] > 0).any()
    return table


# ------------------------------------------------------- what braindecode gives
def test_braindecode_bidsdataset_names_every_event_na(tree):
    """braindecode 1.8.1 / mne-bids: no trial_type column -> every event is 'n/a'.

    Seizures and background are indistinguishable by description; the SzCORE
    eventType survives in annotations.extras. Annotating reads it by default, so
    the ratios are right (brute force from the truth) and no 'n/a' warning is
    raised; and 'n/a' can never be declared a seizure label.
    """
    root, truth = tree
    ds = BIDSDataset(root)
    assert len(ds.datasets) == len(truth)
    for rec in ds.datasets:
        truth_row = truth[truth["path"] == str(rec.description["path"])].iloc[0]
        ann = rec.raw.annotations
        n_rows = max(len(truth_row.seizures), 1)  # seizure-free: one bckg row
        assert list(ann.description) == ["n/a"] * n_rows
        types = [e["eventType"] for e in ann.extras]
        assert types == ([s[2] for s in truth_row.seizures] or ["bckg"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no unknown-label warning
        table = _ratios_match_truth(ds, truth)
    assert (table["seizure_category"] == "no_seizure").any()
    for labels in (["n/a"], ["seiz", "N/A "]):
        with pytest.raises(ValueError, match="szcore_annotations"):
            annotate_seizure_ratio(_window(BIDSDataset(root)), labels=labels)


def test_na_without_event_type_is_not_a_seizure_and_hint_names_szcore(tmp_path):
    """'n/a' events without a SzCORE eventType: warned with the BIDS hint, never seizures."""
    import mne
    from braindecode.datasets import BaseConcatDataset, RawDataset

    info = mne.create_info(2, 64.0, "eeg")
    raw = mne.io.RawArray(np.zeros((2, 64 * 60)), info, verbose="error")
    raw.set_annotations(mne.Annotations([5.0, 30.0], [10.0, 30.0], ["n/a", "n/a"]))
    win = _window(BaseConcatDataset([RawDataset(raw, description={"subject": 0})]))
    with pytest.warns(UserWarning, match="'n/a' x2.*SzCOREBIDS.*szcore_annotations"):
        annotate_seizure_ratio(win)
    assert (window_table(win)["seizure_ratio"] == 0).all()


# ------------------------------------------------------- the correct paths
def test_szcore_annotations_fixes_braindecode_corpus(tree):
    root, truth = tree
    ds = BIDSDataset(root)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no unknown-label warning: all known
        out = szcore_annotations(ds)
    assert out is ds and out.skipped.empty
    for rec in ds.datasets:
        row = truth[truth["path"] == str(rec.description["path"])].iloc[0]
        assert _events(rec.raw.annotations) == [tuple(s) for s in row.seizures]
        assert rec.raw.annotations.orig_time == rec.raw.info["meas_date"] is not None
    _ratios_match_truth(ds, truth)


def test_szcore_bids_reader(tree):
    root, truth = tree
    ds = SzCOREBIDS(root)
    ref = BIDSDataset(root)
    assert ds.description.equals(ref.description)  # same descriptions as braindecode
    assert ds.skipped.empty and isinstance(ds, BIDSDataset)
    for rec in ds.datasets:
        row = truth[truth["path"] == str(rec.description["path"])].iloc[0]
        assert _events(rec.raw.annotations) == [tuple(s) for s in row.seizures]
        assert not rec.raw.preload
    _ratios_match_truth(ds, truth)
    sub = SzCOREBIDS(root, subjects="02", preload=True)
    assert set(sub.description["subject"]) == {"02"}
    assert all(r.raw.preload for r in sub.datasets)


@pytest.mark.parametrize("cls", [CHBMIT, SIENA])
def test_chbmit_siena_loaders_fixed(tree, cls):
    root, truth = tree
    ds = cls(root)
    assert set(np.concatenate([r.raw.annotations.description for r in ds.datasets])) == {"n/a"}
    szcore_annotations(ds)
    _ratios_match_truth(ds, truth)


def test_szcore_annotations_on_windowed_corpus(tree):
    """Fixing after windowing (EEGWindowsDataset keeps the raw) also works."""
    root, truth = tree
    win = _window(BIDSDataset(root))
    szcore_annotations(win)
    _ratios_match_truth(win, truth)


def test_seizure_free_recording_has_no_events(tree):
    _root, truth = tree
    row = truth[truth["seizures"].map(len) == 0].iloc[0]
    ann, rec_dur = read_szcore_events(row.events, duration=row.duration)
    assert len(ann) == 0 and rec_dur == row.duration


def test_crop_after_fix_keeps_onsets(tree):
    root, _truth = tree
    ds = szcore_annotations(BIDSDataset(root))
    i = next(i for i, r in enumerate(ds.datasets) if len(r.raw.annotations))
    raw = ds.datasets[i].raw
    onset = raw.annotations.onset[0]
    cropped = raw.copy().crop(tmin=1.0)
    assert cropped.annotations.onset[0] == pytest.approx(onset)


def test_find_szcore_recordings(tree):
    root, truth = tree
    df = find_szcore_recordings(root)
    assert df["path"].tolist() == truth["path"].tolist()
    assert df["events"].tolist() == truth["events"].tolist()
    assert df["subject"].tolist() == truth["subject"].tolist()
    assert df["run"].tolist() == truth["run"].tolist()
    assert set(df["task"]) == {"szMonitoring"} and set(df["datatype"]) == {"eeg"}
    with pytest.raises(FileNotFoundError):
        find_szcore_recordings(root / "sub-01" / "ses-01" / "nothing")


def test_events_path():
    p = "/d/sub-01/ses-01/eeg/sub-01_ses-01_task-szMonitoring_run-00_eeg.edf"
    assert str(szcore_events_path(p)).endswith("sub-01_ses-01_task-szMonitoring_run-00_events.tsv")


# ------------------------------------------------------- bad input
def _write(tmp_path, body, header=COLUMNS):
    path = tmp_path / "sub-01_task-x_events.tsv"
    path.write_text(header + body)
    return path


@pytest.mark.parametrize("row, what", [
    ("10\t5\tsz\tn/a\tn/a\t2020-01-01 00:00:00\n", "7 tab-separated|3 tab-separated|fields"),
    ("ten\t5\tsz\tn/a\tn/a\t2020-01-01 00:00:00\t60\n", "must be numbers"),
    ("10\t5\tn/a\tn/a\tn/a\t2020-01-01 00:00:00\t60\n", "n/a eventType"),
    ("-1\t5\tsz\tn/a\tn/a\t2020-01-01 00:00:00\t60\n", "negative onset"),
])
def test_malformed_events_row_names_file_and_line(tmp_path, row, what):
    path = _write(tmp_path, "1\t2\tsz\tn/a\tn/a\t2020-01-01 00:00:00\t60\n" + row)
    with pytest.raises(CorpusError, match=what) as exc:
        read_szcore_events(path)
    assert exc.value.line == 3 and f"{path}, line 3" in str(exc.value)


def test_events_nonpositive_duration(tmp_path):
    path = _write(tmp_path, "10\t0\tsz\tn/a\tn/a\t2020-01-01 00:00:00\t60\n")
    with pytest.raises(CorpusError, match="duration 0.0 <= 0") as exc:
        read_szcore_events(path)
    assert exc.value.line == 2
    # positive, but lost when added to the onset (found by tests/test_adversarial.py)
    path = _write(tmp_path, "1\t2.6e-219\tsz\tn/a\tn/a\t2020-01-01 00:00:00\t60\n")
    with pytest.raises(CorpusError, match="too short to end after its onset") as exc:
        read_szcore_events(path)
    assert exc.value.line == 2


def test_events_missing_columns(tmp_path):
    path = _write(tmp_path, "10\t5\tseiz\n", header="onset\tduration\ttrial_type\n")
    with pytest.raises(CorpusError, match=r"missing column.*eventType.*trial_type"):
        read_szcore_events(path)


def test_events_recording_duration_disagrees(tmp_path, tree):
    path = _write(tmp_path, "10\t5\tsz\tn/a\tn/a\t2020-01-01 00:00:00\t90\n")
    with pytest.raises(CorpusError, match="recordingDuration is 90.0 s but the EDF lasts 60.000"):
        read_szcore_events(path, duration=60.0)
    path = _write(tmp_path, "10\t5\tsz\tn/a\tn/a\t2020-01-01 00:00:00\t90\n"
                  "20\t5\tsz\tn/a\tn/a\t2020-01-01 00:00:00\t91\n")
    with pytest.raises(CorpusError, match="disagree on recordingDuration"):
        read_szcore_events(path)


def test_events_past_end_clipped_and_warned(tmp_path):
    path = _write(tmp_path, "50\t20\tsz\tn/a\tn/a\t2020-01-01 00:00:00\t60\n"
                  "61\t2\tsz\tn/a\tn/a\t2020-01-01 00:00:00\t60\n")
    with pytest.warns(UserWarning, match=r"2 annotation\(s\) end after.*1 dropped"):
        ann, _ = read_szcore_events(path)
    assert _events(ann) == [(50.0, 10.0, "sz")]


def test_events_unknown_type_warned_with_count(tmp_path):
    path = _write(tmp_path, "1\t2\tartifact\tn/a\tn/a\t2020-01-01 00:00:00\t60\n"
                  "5\t2\tartifact\tn/a\tn/a\t2020-01-01 00:00:00\t60\n"
                  "9\t2\tsz_foc\tn/a\tn/a\t2020-01-01 00:00:00\t60\n")
    with pytest.warns(UserWarning, match=r"2 annotation\(s\).*'artifact' x2"):
        ann, _ = read_szcore_events(path)
    assert list(ann.description) == ["artifact", "artifact", "sz_foc"]


def test_missing_events_file_raise_and_skip(tmp_path):
    truth = make_szcore_tree(tmp_path, n_subjects=1, runs_per_subject=2, seed=4)
    missing = truth["events"][0]
    import os

    os.remove(missing)
    with pytest.raises(CorpusError, match="events file not found") as exc:
        SzCOREBIDS(tmp_path)
    assert exc.value.path == missing
    with pytest.raises(CorpusError, match="events file not found"):
        szcore_annotations(BIDSDataset(tmp_path))
    with pytest.warns(UserWarning, match="1 of 2 SzCORE recording"):
        ds = SzCOREBIDS(tmp_path, on_error="skip")
    assert ds.skipped["path"].tolist() == [truth["path"][0]]
    assert ds.description["path"].astype(str).tolist() == [truth["path"][1]]
    with pytest.warns(UserWarning, match="1 recording"):
        fixed = szcore_annotations(BIDSDataset(tmp_path), on_error="skip")
    assert len(fixed.datasets) == 1 and fixed.skipped["path"].tolist() == [truth["path"][0]]


def test_write_szcore_events_format(tmp_path):
    path = write_szcore_events(tmp_path / "e_events.tsv", 60.0, [])
    lines = path.read_text().splitlines()
    assert lines[0] == COLUMNS.strip()
    assert lines[1].split("\t")[:3] == ["0.00", "60.00", "bckg"]


def test_szcore_bids_reader_reports_with_the_given_vocabulary(tree):
    """``labels=`` is the vocabulary its warnings use, as for TUSZ."""
    root, truth = tree
    kinds = sorted({s[2] for events in truth["seizures"] for s in events})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every event type counted: no warning
        SzCOREBIDS(root, labels=kinds)
    with pytest.warns(UserWarning, match=r"known seizure labels that the given labels do not "
                                         rf"count: '{kinds[0]}' x\d+"):
        ds = SzCOREBIDS(root, labels=["not_a_seizure_type"])
    for rec in ds.datasets:  # the events are kept either way
        row = truth[truth["path"] == str(rec.description["path"])].iloc[0]
        assert _events(rec.raw.annotations) == [tuple(s) for s in row.seizures]
