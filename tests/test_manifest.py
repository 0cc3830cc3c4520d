"""SeizureManifest: construction, Parquet persistence, staleness checks, applying."""

import os
import warnings

import mne
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.datautil import load_concat_dataset
from braindecode.preprocessing import create_fixed_length_windows

from braindecode_stbalance import annotate_seizure_ratio, window_table
from braindecode_stbalance._atomic import atomic_write as _atomic_write
from braindecode_stbalance._manifest_io import RECORDING_COLUMNS
from braindecode_stbalance.categories import CATEGORIES
from braindecode_stbalance.manifest import SeizureManifest
from braindecode_stbalance.quotas import balanced_epoch_size
from braindecode_stbalance.synthetic import write_synthetic_edf

SFREQ = 32.0
SIZE, STRIDE = 320, 80  # 10 s windows, 2.5 s stride
# (duration s, seizures as (onset, duration) s, label)
RECORDINGS = [
    (300.0, [(30.0, 75.0), (105.0, 20.0), (110.0, 5.0)], "seiz"),  # touching + nested
    (240.0, [], "seiz"),
    (200.0, [(0.0, 12.34), (190.0, 30.0)], "fnsz"),  # at both ends, past the end
    (183.0, [(60.0, 60.0)], "gnsz"),  # last window overlaps (183 s not on the stride)
]


@pytest.fixture(scope="module")
def edf_paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("manifest_edf")
    return [
        write_synthetic_edf(root / f"rec{i}.edf", dur, SFREQ, sz, n_channels=2, seed=i,
                            seizure_label=label)
        for i, (dur, sz, label) in enumerate(RECORDINGS)
    ]


def read_corpus(paths):
    return BaseConcatDataset([
        RawDataset(mne.io.read_raw_edf(p, preload=False, verbose="error"),
                   description={"path": str(p), "subject": i})
        for i, p in enumerate(paths)
    ])


def windowed(paths, size=SIZE, stride=STRIDE, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_fixed_length_windows(
            read_corpus(paths), window_size_samples=size, window_stride_samples=stride,
            on_last_window="overlap", **kwargs)


def brute_mask(n_times, sfreq, seizures):
    t = np.arange(n_times) / sfreq
    mask = np.zeros(n_times, dtype=bool)
    for onset, duration in seizures:
        mask |= (t >= onset) & (t < onset + duration)
    return mask


def n_runs(mask):
    return int(np.count_nonzero(np.diff(np.concatenate([[0], mask.astype(int)])) == 1))


# ---------------------------------------------------------------------------
# construction


def test_from_dataset_matches_annotation_and_brute_force(edf_paths):
    ds = windowed(edf_paths)
    m = SeizureManifest.from_dataset(ds)
    ref = window_table(annotate_seizure_ratio(windowed(edf_paths)))
    pd.testing.assert_frame_equal(m.windows, ref)

    rec = m.recordings
    assert list(rec.columns) == list(RECORDING_COLUMNS)
    assert list(rec.index) == list(range(len(RECORDINGS)))
    for i, (dur, sz, _) in enumerate(RECORDINGS):
        n_times = round(dur * SFREQ)
        mask = brute_mask(n_times, SFREQ, sz)
        row = rec.iloc[i]
        assert row["path"] == os.path.abspath(edf_paths[i])
        assert row["n_times"] == n_times and row["sfreq"] == SFREQ
        assert row["duration"] == pytest.approx(dur)
        # seizure seconds from the annotations, every sample once
        assert row["seizure_seconds"] == pytest.approx(mask.sum() / SFREQ)
        assert row["n_seizure_events"] == n_runs(mask)
        assert row["file_size"] == os.path.getsize(edf_paths[i])
        assert row["file_mtime_ns"] == os.stat(edf_paths[i]).st_mtime_ns
        assert (row["window_size_samples"], row["window_stride_samples"]) == (SIZE, STRIDE)
        w = m.windows[m.windows["recording"] == i]
        ratios = [mask[a:b].mean() for a, b in zip(w["i_start_in_trial"], w["i_stop_in_trial"])]
        np.testing.assert_allclose(w["seizure_ratio"], ratios, rtol=0, atol=1e-12)
        counts = w["seizure_category"].value_counts()
        assert [row[c] for c in CATEGORIES] == [counts[c] for c in CATEGORIES]
        assert row["n_windows"] == len(w)
    # overlapping windows would count seizure seconds several times: not here
    total_in_windows = (m.windows["seizure_ratio"] * SIZE / SFREQ).sum()
    assert rec["seizure_seconds"].sum() < total_in_windows
    assert m.settings == {
        "labels": None, "full_threshold": 1.0, "window_size": 10.0, "window_stride": 2.5,
        "window_size_samples": SIZE, "window_stride_samples": STRIDE, "sfreq": SFREQ,
        "on_last_window": "overlap",
    }


def test_from_dataset_checks_stored_columns_against_settings(edf_paths):
    ds = annotate_seizure_ratio(windowed(edf_paths), full_threshold=0.5)
    with pytest.raises(ValueError, match=r"Recording 0 .*full_threshold=1 makes it"):
        SeizureManifest.from_dataset(ds)
    m = SeizureManifest.from_dataset(ds, full_threshold=0.5)
    assert m.settings["full_threshold"] == 0.5
    # annotated with another vocabulary: the ratios disagree, named
    ds = annotate_seizure_ratio(windowed(edf_paths), labels=["seiz"])
    with pytest.raises(ValueError, match=r"Recording 2 .*other labels"):
        SeizureManifest.from_dataset(ds)
    m = SeizureManifest.from_dataset(ds, labels=["seiz"])
    assert m.settings["labels"] == ["seiz"]
    assert m.recordings["seizure_seconds"].iloc[2] == 0


def test_from_dataset_rejects_raw_corpus(edf_paths):
    with pytest.raises(TypeError, match="not windowed"):
        SeizureManifest.from_dataset(read_corpus(edf_paths))
    with pytest.raises(TypeError, match="BaseConcatDataset"):
        SeizureManifest.from_dataset([1, 2])


def test_balanced_epoch_size():
    assert balanced_epoch_size(0) == 0
    assert balanced_epoch_size(10) == 10 + 3 + 25
    assert balanced_epoch_size(7) == 7 + 2 + 17


def test_summary_and_window_kwargs(edf_paths):
    ds = windowed(edf_paths)
    m = SeizureManifest.from_dataset(ds)
    s = m.summary()
    assert s["n_recordings"] == 4
    assert s["hours"] == pytest.approx(sum(r[0] for r in RECORDINGS) / 3600)
    assert s["n_windows"] == len(ds)
    assert s["balanced_epoch"] == balanced_epoch_size(
        s["partial_seizure"], s["full_seizure"], s["no_seizure"])
    table = m.summary_table()
    for word in ("recordings", "hours", "seizure events", "seizure seconds", *CATEGORIES,
                 "balanced epoch"):
        assert word in table
    # the stored windowing reproduces the windows through braindecode
    again = create_fixed_length_windows(read_corpus(edf_paths), **m.window_kwargs)
    m.check(again)


# ---------------------------------------------------------------------------
# persistence


def test_save_load_round_trip(edf_paths, tmp_path):
    m = SeizureManifest.from_dataset(windowed(edf_paths))
    path = m.save(tmp_path / "m.parquet")
    with open(path, "rb") as f:
        assert f.read(4) == b"PAR1"  # Parquet, not a pickle
    meta = pq.read_schema(path).metadata
    assert meta[b"stbalance.format"] == b"2"
    assert {b"stbalance.settings", b"stbalance.recordings", b"stbalance.checksum"} <= set(meta)
    loaded = SeizureManifest.load(path)
    pd.testing.assert_frame_equal(loaded.windows, m.windows)
    pd.testing.assert_frame_equal(loaded.recordings, m.recordings)
    assert loaded.windows.dtypes.equals(window_table(annotate_seizure_ratio(
        windowed(edf_paths))).dtypes)
    assert loaded.settings == m.settings
    assert loaded.provenance == m.provenance
    assert [p.name for p in tmp_path.iterdir()] == ["m.parquet"]  # no temp file left


def test_save_keeps_nan_and_missing_file_fields(tmp_path):
    raw = mne.io.RawArray(np.zeros((1, 640)), mne.create_info(1, 64.0, "eeg"), verbose="error")
    raw.set_annotations(mne.Annotations([2.0], [3.0], ["sz"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ds = create_fixed_length_windows(BaseConcatDataset([RawDataset(raw)]),
                                         window_size_samples=128, window_stride_samples=128,
                                         on_last_window="overlap")
    m = SeizureManifest.from_dataset(ds)
    assert m.recordings["path"].iloc[0] == ""
    assert m.recordings["file_size"].iloc[0] == -1
    loaded = SeizureManifest.load(m.save(tmp_path / "a.parquet"))
    pd.testing.assert_frame_equal(loaded.recordings, m.recordings)
    loaded.check(ds)


def test_atomic_write_keeps_previous_file(tmp_path):
    target = tmp_path / "m.parquet"
    target.write_bytes(b"previous content")

    def broken(f):
        f.write(b"half a manifest")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        _atomic_write(target, broken)
    assert target.read_bytes() == b"previous content"
    assert [p.name for p in tmp_path.iterdir()] == ["m.parquet"]


def test_load_rejects_other_files(tmp_path):
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"a": [1]}), other)
    with pytest.raises(ValueError, match="not a stbalance manifest"):
        SeizureManifest.load(other)
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"\x80\x04 this is not parquet")
    with pytest.raises(ValueError, match=r"junk.parquet: not a readable Parquet file"):
        SeizureManifest.load(junk)
    with pytest.raises(FileNotFoundError):
        SeizureManifest.load(tmp_path / "missing.parquet")


# ---------------------------------------------------------------------------
# staleness


@pytest.fixture(scope="module")
def manifest(edf_paths):
    return SeizureManifest.from_dataset(windowed(edf_paths))


def test_check_passes_on_same_corpus_and_moved_copy(manifest, edf_paths, tmp_path):
    assert manifest.check(windowed(edf_paths)) is manifest
    # a copy of the corpus elsewhere (same relative layout) is the same corpus
    moved = []
    for p in edf_paths:
        q = tmp_path / "moved" / p.name
        q.parent.mkdir(exist_ok=True)
        q.write_bytes(p.read_bytes())
        moved.append(q)
    manifest.check(windowed(moved))
    with pytest.raises(ValueError, match=r"rec0\.edf\) changed: file_mtime_ns"):
        manifest.check(windowed(moved), strict=True)


def test_check_detects_removed_and_added(manifest, edf_paths, tmp_path):
    with pytest.raises(ValueError, match=r"recording 3 \(.*rec3\.edf\) was removed"):
        manifest.check(windowed(edf_paths[:3]))
    with pytest.raises(ValueError, match=r"recording 1 of the manifest \(.*rec1\.edf\) was removed"):
        manifest.check(windowed([edf_paths[0], *edf_paths[2:]]))
    extra = write_synthetic_edf(edf_paths[0].parent / "rec_extra.edf", 100.0, SFREQ, [])
    with pytest.raises(ValueError, match=r"recording 4 \(.*rec_extra\.edf\) was added"):
        manifest.check(windowed([*edf_paths, extra]))
    with pytest.raises(ValueError, match=r"recording 2 of the corpus \(.*rec_extra\.edf\) was added"):
        manifest.check(windowed([*edf_paths[:2], extra, *edf_paths[2:]]))
    with pytest.raises(ValueError, match=r"reordered: index 0 is .*rec1\.edf"):
        manifest.check(windowed([edf_paths[1], edf_paths[0], *edf_paths[2:]]))


def test_check_detects_changed_recordings(manifest, edf_paths):
    ds = windowed(edf_paths)
    raw = ds.datasets[2].raw
    raw.set_annotations(raw.annotations[:1])  # a seizure annotation removed
    with pytest.raises(ValueError, match=r"Recording 2 \(.*rec2\.edf\) changed: annotation_hash"):
        manifest.check(ds)
    ds = windowed(edf_paths)
    raw = ds.datasets[1].raw
    raw.set_annotations(mne.Annotations([1.0], [1.0], ["bckg"]))  # background only: same
    manifest.check(ds)
    raw.set_annotations(mne.Annotations([1.0], [1.0], ["sz"]))
    with pytest.raises(ValueError, match=r"Recording 1 .* annotation_hash"):
        manifest.check(ds)
    # a renamed seizure type changes the fingerprint, not the ratios
    ds = windowed(edf_paths)
    raw = ds.datasets[3].raw
    ann = raw.annotations
    raw.set_annotations(mne.Annotations(ann.onset, ann.duration, ["tcsz"], orig_time=ann.orig_time))
    with pytest.raises(ValueError, match=r"Recording 3 .* annotation_hash"):
        manifest.check(ds)
    # a shorter recording
    corpus = read_corpus(edf_paths)
    corpus.datasets[0].raw.crop(0, 290.0, include_tmax=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ds = create_fixed_length_windows(corpus, window_size_samples=SIZE,
                                         window_stride_samples=STRIDE, on_last_window="overlap")
    with pytest.raises(ValueError, match=r"Recording 0 .* n_times is 9280 in the corpus but 9600"):
        manifest.check(ds)


def test_check_detects_rewindowing(manifest, edf_paths):
    with pytest.raises(ValueError, match=r"Recording 0 .* re-windowed: 30 windows in the corpus, 117"):
        manifest.check(windowed(edf_paths, stride=SIZE))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ds = create_fixed_length_windows(read_corpus(edf_paths), window_size_samples=SIZE,
                                         window_stride_samples=STRIDE, on_last_window="drop")
    # same count for recordings ending on the stride; rec3's overlapping last window is gone
    with pytest.raises(ValueError, match=r"Recording 3 .* re-windowed"):
        manifest.check(ds)
    # same number of windows, shifted by one sample
    with pytest.raises(ValueError, match=r"Recording 0 .* window 0 is \[1, 321\) in the corpus "
                                         r"but \[0, 320\)"):
        manifest.check(windowed(edf_paths, start_offset_samples=1))


# ---------------------------------------------------------------------------
# applying


def test_apply_fills_columns_without_recomputation(manifest, edf_paths):
    ds = windowed(edf_paths)
    out = manifest.apply(ds, target="binary")
    assert out is ds
    pd.testing.assert_frame_equal(window_table(ds), manifest.windows)
    y = np.concatenate([np.asarray(d.y) for d in ds.datasets])
    np.testing.assert_array_equal(y, (manifest.windows["seizure_ratio"] > 0).astype(int))
    assert ds[len(ds) - 1][1] == y[-1]
    # the columns come from the manifest, not from the annotations: a manifest
    # edited by hand is applied as it is (check=False skips the fingerprint)
    edited = SeizureManifest(manifest.windows.copy(), manifest.recordings, manifest.settings)
    edited.windows.loc[0, "seizure_ratio"] = 0.5
    ds = windowed(edf_paths)
    edited.apply(ds, check=False)
    assert ds.datasets[0].metadata["seizure_ratio"].iloc[0] == 0.5
    with pytest.raises(ValueError, match="Stale manifest"):
        manifest.apply(windowed(edf_paths[:2]))


@pytest.mark.parametrize("use_mne_epochs", [False, True])
def test_columns_survive_braindecode_save_load(edf_paths, tmp_path, use_mne_epochs):
    ds = windowed(edf_paths[:3], use_mne_epochs=use_mne_epochs)
    m = SeizureManifest.from_dataset(ds)
    m.apply(ds)
    ds.save(str(tmp_path), overwrite=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_concat_dataset(str(tmp_path), preload=False)
    assert type(loaded.datasets[0]) is type(ds.datasets[0])
    table = window_table(loaded)
    pd.testing.assert_frame_equal(table, m.windows)
    # the description still names the source EDF: the manifest matches the saved corpus
    m.check(loaded)
    m2 = SeizureManifest.from_dataset(loaded)
    pd.testing.assert_frame_equal(m2.windows, m.windows)


@pytest.mark.parametrize("p, f, n", [(30, None, None), (30, 5, 10_000), (324, 20, 2016), (7, 100, 3)])
def test_balanced_epoch_size_is_the_samplers_epoch(p, f, n):

    from braindecode_stbalance import BalancedSeizureSampler

    f_avail = 10_000 if f is None else f
    n_avail = 10_000 if n is None else n
    codes = ["partial_seizure"] * p + ["full_seizure"] * f_avail + ["no_seizure"] * n_avail
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sampler = BalancedSeizureSampler.from_categories(codes, random_state=0)
    assert balanced_epoch_size(p, f, n) == len(sampler) == len(sampler.draw(0))


def _windowed(n_times, policy_recorded, starts, name):
    from braindecode_stbalance.facts import RecordingFacts

    starts = np.asarray(starts, dtype=np.int64)
    return RecordingFacts(name, 10.0, 0, n_times, starts, starts + 30, path=f"/d/{name}.edf",
                          window_size=30, window_stride=30, on_last_window=policy_recorded)


@pytest.mark.parametrize(("records", "per_row", "corpus"), [
    # recorded "drop"; an unknown recording windowed the "overlap" way; one both fit
    ([(100, "drop", [0, 30, 60]), (100, None, [0, 30, 60, 70]), (90, None, [0, 30, 60])],
     ["drop", "overlap", ""], None),
    ([(100, "overlap", [0, 30, 60, 70]), (100, None, [0, 30, 60, 70]), (90, None, [0, 30, 60])],
     ["overlap"] * 3, "overlap"),
    ([(100, None, [0, 30, 60]), (90, None, [0, 30, 60])], ["drop"] * 2, "drop"),
    ([(100, None, [0, 30, 60]), (100, None, [0, 30, 60, 70])], ["drop", "overlap"], None),
    ([(100, None, [0, 40])], [""], None),  # neither policy makes these windows
])
def test_last_window_policy_per_recording_is_recorded_or_consistent(records, per_row, corpus):
    """A recording is never given a policy that its own windows contradict."""
    from braindecode_stbalance._manifest_build import window_starts
    from braindecode_stbalance.facts import compute

    recs = [_windowed(n, p, s, f"r{i}") for i, (n, p, s) in enumerate(records)]
    for r, (n, p, s) in zip(recs, records):  # the cases are what braindecode would make
        if p is not None:
            assert window_starts(n, 30, 30, p).tolist() == s
    m = SeizureManifest.assemble(recs, compute(recs, fingerprints=True), 1.0, None)
    assert m.recordings["on_last_window"].tolist() == per_row
    assert m.settings["on_last_window"] == corpus


def test_diff_of_a_removed_recording_names_the_removed_file(manifest, edf_paths):
    d = manifest.diff(windowed([edf_paths[0], *edf_paths[2:]]))
    assert [(x.recording, x.field) for x in d] == [(1, "removed")]
    assert d[0].path == os.path.abspath(edf_paths[1])
    assert d[0].manifest == d[0].path


def test_two_manifests_differing_only_in_full_threshold_differ(manifest, edf_paths):
    other = SeizureManifest.from_dataset(windowed(edf_paths), full_threshold=0.5)
    found = manifest.diff(other)
    assert [(d.recording, d.field, d.manifest, d.corpus) for d in found] == [
        (-1, "full_threshold", 1.0, 0.5)]
    with pytest.raises(ValueError, match="full_threshold is 0.5 in the other manifest but 1.0"):
        manifest.check(other)
    assert manifest.diff(SeizureManifest.from_dataset(windowed(edf_paths))) == []


def _seiz_or_fnsz(description):
    return description == "seiz" or description.endswith("sz")


def test_manifest_made_with_a_callable_vocabulary_is_checked_with_it(edf_paths):
    ds = windowed(edf_paths)
    m = SeizureManifest.from_dataset(ds, labels=_seiz_or_fnsz)
    assert m.settings["labels"] == f"{__name__}._seiz_or_fnsz"
    with pytest.raises(ValueError, match=r"callable seizure vocabulary .*_seiz_or_fnsz.*pass it "
                                         r"again.*labels=_seiz_or_fnsz"):
        m.check(ds)
    assert m.check(ds, labels=_seiz_or_fnsz) is m
    assert m.diff(ds, labels=_seiz_or_fnsz) == []
    m.apply(ds, labels=_seiz_or_fnsz)
    with pytest.raises(ValueError, match="is not the vocabulary this manifest was made with"):
        m.check(ds, labels=["seiz"])


def test_seizure_fraction_counts_only_recordings_of_known_length(manifest):
    m = SeizureManifest.__new__(SeizureManifest)
    m.windows, m.settings, m.provenance = manifest.windows, manifest.settings, {}
    m.recordings = manifest.recordings.copy()
    rec = m.recordings
    with_sz = int(np.flatnonzero(rec["seizure_seconds"].to_numpy() > 0)[0])
    rec.loc[with_sz, "duration"] = np.nan
    keep = np.arange(len(rec)) != with_sz
    s = m.summary()
    assert s["seizure_fraction"] == pytest.approx(
        rec["seizure_seconds"][keep].sum() / rec["duration"][keep].sum())
    assert s["seizure_seconds"] == rec["seizure_seconds"].sum()  # all seizure time, still


def test_unknown_category_in_a_manifest_is_a_manifest_error(manifest):
    from braindecode_stbalance.manifest import ManifestError

    windows = manifest.windows.copy()
    windows["seizure_category"] = windows["seizure_category"].astype(object)
    windows.loc[3, "seizure_category"] = "seizure"
    with pytest.raises(ManifestError, match=r"row 3 .*seizure_category='seizure'"):
        SeizureManifest(windows, manifest.recordings, manifest.settings)
