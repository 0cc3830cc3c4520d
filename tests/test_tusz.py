"""Tests of the TUSZ reader on small real TUSZ-shaped trees (EDF + csv_bi + csv)."""

# License: BSD (3-clause)

import datetime
import warnings

import mne
import numpy as np
import pandas as pd
import pytest
from braindecode.preprocessing import create_fixed_length_windows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from braindecode_stbalance import annotate_seizure_ratio, window_table
from braindecode_stbalance._testing import (
    make_tusz_tree,
    write_csv_bi,
    write_tusz_csv,
    write_tusz_edf,
)
from braindecode_stbalance._testing.tusz_tree import TCP_CHANNELS, tusz_channel_names
from braindecode_stbalance.datasets import (
    SZCORE19,
    TUSZ,
    CorpusError,
    find_tusz_recordings,
    read_csv_bi,
    read_edf_header,
    read_tusz_csv,
    szcore19_mapping,
)

HEADER = ("# version = csv_v1.0.0\n# bname = x\n# duration = {dur} secs\n"
          "# montage_file = $NEDC_NFC/lib/nedc_eas_default_montage.txt\n#\n"
          "channel,start_time,stop_time,label,confidence\n")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tusz")
    truth = make_tusz_tree(root, n_recordings=9, durations=(60, 120), sfreq=32.0,
                           montages=("01_tcp_ar", "02_tcp_le", "03_tcp_ar_a"),
                           seizure_fraction=0.7, seizure_duration=(5.0, 30.0), seed=3)
    return root, truth


def _recording(tmp_path, duration=60, ann_text=None, montage="01_tcp_ar", ch_names=None,
               name="aaaaaaaa_s001_t000"):
    """One recording in a proper TUSZ folder; returns the EDF path."""
    folder = tmp_path / "edf" / "train" / "aaaaaaaa" / "s001_2003_01_01" / montage
    edf = write_tusz_edf(folder / f"{name}.edf", duration, 32.0, montage, ch_names=ch_names)
    if ann_text is None:
        write_csv_bi(folder / f"{name}.csv_bi", duration, [(10.0, 20.0)])
    else:
        (folder / f"{name}.csv_bi").write_text(ann_text)
    write_tusz_csv(folder / f"{name}.csv", duration, {"FP1-F7": [(10.0, 20.0, "fnsz")]})
    return edf


def _events(ann):
    return [(round(float(o), 4), round(float(o + d), 4), str(s))
            for o, d, s in zip(ann.onset, ann.duration, ann.description)]


# ---------------------------------------------------------------- listing
def test_find_tusz_recordings(tree):
    root, truth = tree
    df = find_tusz_recordings(root)
    assert list(df.columns) == ["path", "split", "patient", "subject", "session", "date",
                                "montage", "token", "csv_bi", "csv"]
    assert df["path"].tolist() == truth["path"].tolist()
    for col in ("split", "patient", "session", "date", "montage", "token"):
        assert df[col].tolist() == truth[col].tolist(), col
    assert (df["subject"] == df["patient"]).all()
    assert df["csv_bi"].str.endswith(".csv_bi").all()
    dev = find_tusz_recordings(root / "edf", split="dev")
    assert set(dev["split"]) == {"dev"} and len(dev) == (truth["split"] == "dev").sum()
    assert len(find_tusz_recordings(root, split=["dev", "eval"])) == \
        truth["split"].isin(["dev", "eval"]).sum()
    with pytest.raises(ValueError, match="split"):
        find_tusz_recordings(root, split="test")
    below = find_tusz_recordings(root / "edf" / "train")  # a folder below edf/
    assert set(below["split"]) == {"train"} and below["montage"].notna().all()


def test_corpus_error_pickles():
    import pickle

    err = pickle.loads(pickle.dumps(CorpusError("/a/b.csv_bi", "bad row", 7)))
    assert (err.path, err.reason, err.line) == ("/a/b.csv_bi", "bad row", 7)
    assert str(err) == "/a/b.csv_bi, line 7: bad row"


def test_find_tusz_recordings_empty(tmp_path):
    with pytest.raises(FileNotFoundError, match="No .edf"):
        find_tusz_recordings(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a folder"):
        find_tusz_recordings(tmp_path / "nope")


# ---------------------------------------------------------------- reading
def test_tusz_csv_bi(tree):
    root, truth = tree
    ds = TUSZ(root)
    assert len(ds.datasets) == len(truth) and ds.skipped.empty
    desc = ds.description
    for col in ("path", "split", "patient", "subject", "session", "montage", "token",
                "duration", "annotation_path"):
        assert col in desc.columns, col
    assert desc["duration"].tolist() == truth["duration"].tolist()
    for rec, (_, row) in zip(ds.datasets, truth.iterrows()):
        raw = rec.raw
        assert not raw.preload
        assert raw.annotations.orig_time == raw.info["meas_date"] is not None
        assert _events(raw.annotations) == [(a, b, "seiz") for a, b, _ in row.seizures]


def test_tusz_csv_union_keeps_types(tree):
    root, truth = tree
    ds = TUSZ(root, annotations="csv", split="train")
    sub = truth[truth["split"] == "train"]
    assert len(ds.datasets) == len(sub)
    for rec, (_, row) in zip(ds.datasets, sub.iterrows()):
        assert _events(rec.raw.annotations) == [tuple(s) for s in row.seizures]


def test_onsets_on_sample_axis_with_meas_date(tree):
    """Annotation onsets count from the first sample even with a meas_date."""
    root, truth = tree
    ds = TUSZ(root)
    i = next(i for i, s in enumerate(truth["seizures"]) if s)
    raw = ds.datasets[i].raw
    assert raw.info["meas_date"] == datetime.datetime(2003, 1, 1, 10, tzinfo=datetime.UTC)
    onset = truth["seizures"][i][0][0]
    events, _ = mne.events_from_annotations(raw, event_id={"seiz": 1}, verbose="error")
    # MNE puts an event on the first sample at or after its onset
    assert events[0, 0] == int(np.ceil(onset * raw.info["sfreq"]))


def _brute_force_ratio(raw, starts, stops):
    """Per-sample mask: sample k is seizure if onset <= k/sfreq < onset + duration."""
    t = (raw.first_samp + np.arange(raw.n_times)) / raw.info["sfreq"]
    mask = np.zeros(raw.n_times, bool)
    for o, d, s in zip(raw.annotations.onset, raw.annotations.duration,
                       raw.annotations.description):
        if s in ("seiz", "fnsz", "gnsz", "cpsz", "absz", "tcsz", "tnsz"):
            mask |= (t >= o) & (t < o + d)
    return np.array([mask[a:b].mean() for a, b in zip(starts, stops)])


@pytest.mark.parametrize("annotations", ["csv_bi", "csv"])
def test_seizure_ratio_end_to_end(tree, annotations):
    root, _ = tree
    ds = TUSZ(root, annotations=annotations, picks="szcore19")
    win = create_fixed_length_windows(ds, window_size_samples=320,
                                      window_stride_samples=160, on_last_window="overlap")
    annotate_seizure_ratio(win)
    table = window_table(win)
    for i, rec in enumerate(win.datasets):
        t = table[table["recording"] == i]
        ref = _brute_force_ratio(rec.raw, t["i_start_in_trial"], t["i_stop_in_trial"])
        np.testing.assert_allclose(t["seizure_ratio"], ref)
    assert (table["seizure_ratio"] > 0).any()


@pytest.mark.slow  # joblib process start-up dominates (~30 s on 2 busy cores)
def test_preload_and_n_jobs(tree):
    root, _ = tree
    a = TUSZ(root, split="dev", preload=True)
    b = TUSZ(root, split="dev", n_jobs=2)
    assert all(d.raw.preload for d in a.datasets)
    assert a.description.equals(b.description)
    for x, y in zip(a.datasets, b.datasets):
        assert _events(x.raw.annotations) == _events(y.raw.annotations)
        np.testing.assert_array_equal(x.raw.get_data(), y.raw.get_data())


# ---------------------------------------------------------------- picks
def test_szcore19_same_channels_all_montages(tree):
    root, truth = tree
    ds = TUSZ(root, picks="szcore19")
    assert set(truth["montage"]) == {"01_tcp_ar", "02_tcp_le", "03_tcp_ar_a"}
    for rec, (_, row) in zip(ds.datasets, truth.iterrows()):
        assert rec.raw.ch_names == list(SZCORE19)
        assert not rec.raw.preload
        ref = "LE" if row.montage.startswith("02") else "REF"
        full = mne.io.read_raw_edf(row.path, preload=True, verbose="error")
        for name in ("Fp1", "T6", "Cz"):
            np.testing.assert_array_equal(
                rec.raw.get_data(picks=[name])[0],
                full.get_data(picks=[f"EEG {name.upper()}-{ref}"])[0])


def test_szcore19_mapping_names():
    names = tusz_channel_names("02_tcp_le")
    mapping = szcore19_mapping(names)
    assert list(mapping.values()) == list(SZCORE19)
    assert mapping["EEG FP1-LE"] == "Fp1" and mapping["EEG T6-LE"] == "T6"


def test_szcore19_missing_electrode_raise_and_skip(tmp_path):
    names = [n for n in tusz_channel_names("01_tcp_ar") if n not in ("EEG T5-REF", "EEG PZ-REF")]
    edf = _recording(tmp_path, ch_names=names)
    _recording(tmp_path, name="aaaaaaaa_s001_t001")
    with pytest.raises(CorpusError, match=r"missing electrode\(s\) T5, Pz") as exc:
        TUSZ(tmp_path, picks="szcore19")
    assert str(edf) in str(exc.value)
    with pytest.warns(UserWarning, match="1 of 2 TUSZ recording"):
        ds = TUSZ(tmp_path, picks="szcore19", on_error="skip")
    assert len(ds.datasets) == 1
    assert ds.skipped["path"].tolist() == [str(edf)]
    assert "T5, Pz" in ds.skipped["reason"][0]


def test_picks_list(tmp_path):
    _recording(tmp_path)
    ds = TUSZ(tmp_path, picks=["EEG CZ-REF", "EEG FP1-REF"])
    assert ds.datasets[0].raw.ch_names == ["EEG CZ-REF", "EEG FP1-REF"]
    with pytest.raises(CorpusError, match="missing channel"):
        TUSZ(tmp_path, picks=["EEG XX-REF"])
    with pytest.raises(ValueError, match="picks"):
        TUSZ(tmp_path, picks="all")


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("row, what", [
    ("TERM,10.0,20.0,seiz\n", "5 comma-separated"),
    ("TERM,ten,20.0,seiz,1.0\n", "must be numbers"),
    ("TERM,10.0,20.0,,1.0\n", "empty label"),
    ("TERM,-1.0,20.0,seiz,1.0\n", "negative start"),
    ("FP1-F7,10.0,20.0,seiz,1.0\n", "TERM"),
])
def test_malformed_row_names_file_and_line(tmp_path, row, what):
    path = tmp_path / "x.csv_bi"
    path.write_text(HEADER.format(dur="60.00") + "TERM,0.0,10.0,bckg,1.0\n" + row)
    with pytest.raises(CorpusError, match=what) as exc:
        read_csv_bi(path)
    assert exc.value.line == 8 and exc.value.path == str(path)
    assert f"{path}, line 8" in str(exc.value)


def test_missing_column_row(tmp_path):
    path = tmp_path / "x.csv_bi"
    path.write_text("# duration = 60.00 secs\nTERM,0.0,10.0,bckg,1.0\n")
    with pytest.raises(CorpusError, match="column row") as exc:
        read_csv_bi(path)
    assert exc.value.line == 2


def test_stop_before_start(tmp_path):
    path = tmp_path / "x.csv_bi"
    path.write_text(HEADER.format(dur="60.00") + "TERM,20.0,20.0,seiz,1.0\n")
    with pytest.raises(CorpusError, match="stop_time 20.0 <= start_time 20.0") as exc:
        read_csv_bi(path)
    assert exc.value.line == 7


def test_times_past_end_clipped_and_warned(tmp_path):
    text = HEADER.format(dur="60.00") + ("TERM,0.0,50.0,bckg,1.0\nTERM,50.0,70.0,seiz,1.0\n"
                                         "TERM,65.0,80.0,seiz,1.0\n")
    path = tmp_path / "x.csv_bi"
    path.write_text(text)
    with pytest.warns(UserWarning, match=r"2 annotation\(s\) end after the recording end "
                      r"\(60.000 s\).*1 dropped"):
        ann, dur = read_csv_bi(path)
    assert dur == 60.0 and _events(ann) == [(50.0, 60.0, "seiz")]
    # through the reader: clipped to the EDF duration, warning re-emitted
    edf = _recording(tmp_path / "c", duration=60, ann_text=text)
    with pytest.warns(UserWarning, match="end after the recording end"):
        ds = TUSZ(tmp_path / "c")
    assert _events(ds.datasets[0].raw.annotations) == [(50.0, 60.0, "seiz")]
    assert ds.description["path"][0] == str(edf)


def test_rounding_overshoot_clipped_silently(tmp_path):
    path = tmp_path / "x.csv_bi"
    path.write_text(HEADER.format(dur="60.00") + "TERM,50.0,60.004,seiz,1.0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ann, _ = read_csv_bi(path)
    assert _events(ann) == [(50.0, 60.0, "seiz")]


def test_header_duration_disagrees_with_edf(tmp_path):
    text = HEADER.format(dur="90.00") + "TERM,10.0,20.0,seiz,1.0\n"
    edf = _recording(tmp_path, duration=60, ann_text=text)
    with pytest.raises(CorpusError, match=r"duration = 90.0 secs' but the EDF lasts 60.000") as exc:
        TUSZ(tmp_path)
    assert exc.value.path == str(edf)[:-4] + ".csv_bi"
    with pytest.raises(CorpusError, match="EDF lasts"):
        read_csv_bi(edf.with_suffix(".csv_bi"), duration=60.0)
    ann, dur = read_csv_bi(edf.with_suffix(".csv_bi"))  # alone: header is the reference
    assert dur == 90.0 and len(ann) == 1


def test_missing_annotation_file(tmp_path):
    edf = _recording(tmp_path)
    edf.with_suffix(".csv_bi").unlink()
    with pytest.raises(CorpusError, match="annotation file not found") as exc:
        TUSZ(tmp_path)
    assert exc.value.path.endswith(".csv_bi")
    # the per-channel file is still there
    assert len(TUSZ(tmp_path, annotations="csv").datasets) == 1


def test_unreadable_edf(tmp_path):
    edf = _recording(tmp_path)
    edf.write_bytes(b"this is not an EDF file" * 3)
    with pytest.raises(CorpusError, match="unreadable EDF") as exc:
        TUSZ(tmp_path)
    assert exc.value.path == str(edf)
    with pytest.raises(CorpusError, match="unreadable EDF"):
        read_edf_header(edf)


def test_short_edf_named_once(tmp_path):
    short = tmp_path / "short.edf"
    short.write_bytes(b"0       ")
    with pytest.raises(CorpusError) as exc:
        read_edf_header(short)
    assert str(exc.value).count(str(short)) == 1
    assert "shorter than the 256-byte header" in str(exc.value)
    assert "unreadable EDF header" not in str(exc.value)  # not wrapped a second time


def test_edf_invalid_start_time_gives_no_date(tmp_path):
    edf = _recording(tmp_path)
    data = bytearray(edf.read_bytes())
    assert read_edf_header(edf).meas_date is not None
    data[176:184] = b"25.61.99"  # hour 25: not a time
    edf.write_bytes(bytes(data))
    h = read_edf_header(edf)  # the length and rate are still read
    assert h.meas_date is None and h.n_times > 0


def test_unknown_label_warned_with_count(tmp_path):
    text = HEADER.format(dur="60.00") + ("TERM,0.0,10.0,artf,1.0\nTERM,10.0,20.0,seiz,1.0\n"
                                         "TERM,20.0,30.0,artf,1.0\nTERM,30.0,40.0,eyem,1.0\n")
    _recording(tmp_path, ann_text=text)
    _recording(tmp_path, ann_text=text, name="aaaaaaaa_s001_t001")
    with pytest.warns(UserWarning, match=r"6 annotation\(s\).*'artf' x4, 'eyem' x2") as rec:
        ds = TUSZ(tmp_path)
    assert sum("match no known" in str(w.message) for w in rec) == 1  # once per corpus
    ann = ds.datasets[0].raw.annotations  # kept, not dropped, not counted as seizure
    assert sorted(ann.description) == ["artf", "artf", "eyem", "seiz"]
    path = tmp_path / "y.csv_bi"
    path.write_text(text)
    with pytest.warns(UserWarning, match=r"'artf' x2, 'eyem' x1"):
        read_csv_bi(path)


def test_on_error_skip_report(tmp_path):
    good = _recording(tmp_path, name="aaaaaaaa_s001_t000")
    bad_edf = _recording(tmp_path, name="aaaaaaaa_s001_t001")
    bad_edf.write_bytes(b"garbage")
    bad_row = _recording(tmp_path, name="aaaaaaaa_s001_t002",
                         ann_text=HEADER.format(dur="60.00") + "TERM,5,4,seiz,1\n")
    with pytest.warns(UserWarning, match="2 of 3 TUSZ recording"):
        ds = TUSZ(tmp_path, on_error="skip")
    assert ds.description["path"].tolist() == [str(good)]
    assert ds.skipped["path"].tolist() == [str(bad_edf), str(bad_row)]
    assert "unreadable EDF" in ds.skipped["reason"][0]
    assert "line 7" in ds.skipped["reason"][1]
    good.write_bytes(b"garbage")
    with pytest.raises(CorpusError, match="none of the 3 recordings"):
        TUSZ(tmp_path, on_error="skip")


def test_bad_arguments(tmp_path):
    _recording(tmp_path)
    with pytest.raises(ValueError, match="annotations"):
        TUSZ(tmp_path, annotations="tse")
    with pytest.raises(ValueError, match="on_error"):
        TUSZ(tmp_path, on_error="ignore")


# ---------------------------------------------------------------- csv union
def _mask(intervals, n):
    m = np.zeros(n, bool)
    for a, b in intervals:
        m[a:b] = True
    return m


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(TCP_CHANNELS[:4]), st.integers(0, 119),
                          st.integers(1, 40), st.sampled_from(["fnsz", "gnsz", "bckg"])),
                max_size=12))
def test_csv_union_matches_per_sample_mask(tmp_path, rows):
    """The union over channels equals a brute-force per-sample (1/4 s) mask."""
    path = tmp_path / "u.csv"
    lines = [HEADER.format(dur="40.00")]
    for ch, a, d, lab in rows:  # times in quarter seconds
        lines.append(f"{ch},{a / 4:.4f},{min(a + d, 160) / 4:.4f},{lab},1.0000\n")
    path.write_text("".join(lines))
    ann, _ = read_tusz_csv(path)
    ref = _mask([(a, min(a + d, 160)) for _, a, d, lab in rows if lab != "bckg"], 160)
    got = _mask([(int(np.rint(o * 4)), int(np.rint((o + du) * 4)))
                 for o, du in zip(ann.onset, ann.duration)], 160)
    np.testing.assert_array_equal(got, ref)
    # merged events are disjoint and not touching
    o = np.asarray(ann.onset)
    assert np.all(o[1:] > (o + ann.duration)[:-1])
    assert set(ann.description) <= {"fnsz", "gnsz"}


def test_csv_union_label_is_dominant_type(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text(HEADER.format(dur="60.00") + "FP1-F7,10,30,fnsz,1\nF7-T3,25,31,gnsz,1\n"
                    "T3-T5,29,31,gnsz,1\nFP1-F7,40,41,cpsz,1\n")
    ann, _ = read_tusz_csv(path)
    assert _events(ann) == [(10.0, 31.0, "fnsz"), (40.0, 41.0, "cpsz")]


# ---------------------------------------------------------------- EDF header
def _assert_header_like_mne(path):
    h = read_edf_header(path)
    raw = mne.io.read_raw_edf(path, preload=False, verbose="error")
    assert h.sfreq == raw.info["sfreq"]
    assert h.n_times == raw.n_times
    assert h.meas_date == raw.info["meas_date"]
    assert h.ch_names == raw.ch_names
    assert h.duration == raw.n_times / raw.info["sfreq"]
    return h


def test_edf_header_tusz_files(tree):
    _root, truth = tree
    for p in truth["path"]:
        _assert_header_like_mne(p)


def test_edf_header_edfplus_with_annotations_and_old_date(tmp_path):
    info = mne.create_info(["Fp1", "Cz", "ECG"], 100.0, ["eeg", "eeg", "ecg"])
    raw = mne.io.RawArray(np.random.default_rng(0).standard_normal((3, 1234)) * 1e-5, info,
                          verbose="error")
    raw.set_meas_date(datetime.datetime(1994, 5, 6, 7, 8, 9, tzinfo=datetime.UTC))
    raw.set_annotations(mne.Annotations([1.0], [2.0], ["seiz"]))
    path = tmp_path / "plus.edf"
    mne.export.export_raw(path, raw, fmt="edf", verbose="error")
    h = _assert_header_like_mne(path)
    assert h.meas_date.year == 1994 and "EDF Annotations" not in h.ch_names


def test_edf_header_truncated_file_like_mne(tmp_path):
    path = write_tusz_edf(tmp_path / "t.edf", 20, 32.0)
    data = path.read_bytes()
    rec = 32 * 2 * len(tusz_channel_names())
    path.write_bytes(data[: len(data) - 3 * rec - 7])  # 3 records and a bit missing
    h = read_edf_header(path)
    assert h.n_records == 16
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = mne.io.read_raw_edf(path, verbose="error")
    assert h.n_times == raw.n_times


def test_generated_tree_is_tusz_shaped(tree):
    _root, truth = tree
    p = pd.Series(truth["path"]).iloc[0]
    with open(p[:-4] + ".csv_bi") as f:
        text = f.read()
    assert text.startswith("# version = csv_v1.0.0\n")
    assert "channel,start_time,stop_time,label,confidence\n" in text
    assert "# duration = " in text
    raw = mne.io.read_raw_edf(p, verbose="error")
    assert raw.ch_names[0].startswith("EEG FP1-")
