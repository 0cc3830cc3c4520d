"""Splitter and category summaries against brute-force references."""


import numpy as np
import pandas as pd
import pytest
from conftest import (
    RECORDINGS,
    SFREQ,
    brute_force_category,
    brute_force_mask,
    fixed_windows,
)
from torch.utils.data import Subset

from braindecode_stbalance import (
    CATEGORIES,
    annotate_seizure_ratio,
    categorize,
    category_counts,
    split_by_category,
    window_table,
)
from braindecode_stbalance.categories import RecordingName, category_codes
from braindecode_stbalance.labels import LabelReport, SeizureLabels, is_seizure_label

WIN, STRIDE = int(60 * SFREQ), int(15 * SFREQ)


@pytest.fixture
def annotated(edf_corpus):
    windows_ds = fixed_windows(edf_corpus)
    return annotate_seizure_ratio(windows_ds)


def _reference_windows(windows_ds):
    """(corpus index, category, seizure seconds, recording) per window, by brute force."""
    rows = []
    for rec, ds in enumerate(windows_ds.datasets):
        dur, seizures = RECORDINGS[rec]
        mask = brute_force_mask(int(dur * SFREQ), SFREQ, seizures)
        for _, a, b in ds.crop_inds:
            n = mask[a:b].sum()
            rows.append((brute_force_category(n / (b - a)), n / SFREQ, rec))
    return rows


def test_split_by_category_indices_and_windows(annotated):
    parts = split_by_category(annotated)
    assert list(parts) == list(CATEGORIES)
    ref = _reference_windows(annotated)
    for name, subset in parts.items():
        assert isinstance(subset, Subset) and subset.dataset is annotated
        want = [i for i, r in enumerate(ref) if r[0] == name]
        assert subset.indices == want  # corpus order
        assert len(subset) == len(want) > 0
    # a subset item is the very window of the corpus at that index
    idx = parts["full_seizure"].indices[0]
    X, _, inds = parts["full_seizure"][0]
    X2, _, inds2 = annotated[idx]
    assert inds == inds2 and np.array_equal(X, X2)


def test_split_empty_category(edf_corpus):
    windows_ds = fixed_windows(edf_corpus)
    annotate_seizure_ratio(windows_ds, labels=["not-a-label"])
    parts = split_by_category(windows_ds)
    assert len(parts["no_seizure"]) == len(windows_ds)
    assert len(parts["partial_seizure"]) == len(parts["full_seizure"]) == 0


def test_split_unannotated_raises(edf_corpus):
    windows_ds = fixed_windows(edf_corpus)
    with pytest.raises(ValueError, match=r"Recording 0 \(path=.*\) has no 'seizure_ratio'"):
        split_by_category(windows_ds)


def test_category_counts(annotated):
    ref = _reference_windows(annotated)
    counts = category_counts(annotated)
    assert list(counts.index) == list(CATEGORIES)
    for name in CATEGORIES:
        rows = [r for r in ref if r[0] == name]
        assert counts.loc[name, "n_windows"] == len(rows)
        assert counts.loc[name, "window_seizure_seconds"] == pytest.approx(sum(r[1] for r in rows))
    assert counts["fraction"].sum() == pytest.approx(1.0)
    per_rec = category_counts(annotated, per_recording=True)
    assert len(per_rec) == len(RECORDINGS)
    for rec in range(len(RECORDINGS)):
        rows = [r for r in ref if r[2] == rec]
        assert per_rec.loc[rec, "n_windows"] == len(rows)
        for name in CATEGORIES:
            assert per_rec.loc[rec, name] == sum(r[0] == name for r in rows)
        assert per_rec.loc[rec, "window_seizure_seconds"] == pytest.approx(sum(r[1] for r in rows))


def test_categorize_rule():
    r = np.array([0.0, 1e-12, 0.5, 0.98999, 0.99, 1.0])
    assert [CATEGORIES[c] for c in categorize(r)] == [brute_force_category(x) for x in r]
    assert [CATEGORIES[c] for c in categorize(r, 0.99)] == [brute_force_category(x, 0.99) for x in r]


@pytest.mark.parametrize("desc, want", [
    ("seiz", True), ("FNSZ", True), (" gnsz ", True), ("mysz", True), ("sz", True),
    ("sz_foc_ia", True), ("SZ_GEN", True), ("bckg", False), ("n/a", False), ("BAD_acq", False),
    ("seizure", False),
])
def test_default_vocabulary(desc, want):
    assert is_seizure_label(desc) is want
    assert SeizureLabels()([desc]).tolist() == [want]


def test_labels_validation():
    with pytest.raises(TypeError, match="collection of strings"):
        SeizureLabels("seiz")
    with pytest.raises(ValueError, match="empty"):
        SeizureLabels([])
    with pytest.raises(TypeError, match="all be strings"):
        SeizureLabels(["seiz", 3])
    with pytest.raises(ValueError, match="'n/a'.*szcore_annotations"):
        SeizureLabels(["sz", "N/A"])
    report = LabelReport()
    seizure = report.add(SeizureLabels(), ["n/a", "bckg", "EDGE_boundary", "artf", "n/a", "fnsz"])
    assert seizure.tolist() == [False, False, False, False, False, True]
    assert dict(report.unknown) == {"n/a": 2, "artf": 1}
    assert not report.left_out
    # a custom vocabulary: known seizure types it does not count are reported, with counts
    custom = LabelReport()
    seizure = custom.add(SeizureLabels(["seiz"]), ["seiz", "fnsz", "FNSZ", "sz_foc_ia", "bckg"])
    assert seizure.tolist() == [True, False, False, False, False]
    assert dict(custom.left_out) == {"fnsz": 1, "FNSZ": 1, "sz_foc_ia": 1}
    (msg,) = custom.messages("the corpus")
    assert "3 annotation(s) in the corpus carry known seizure labels" in msg
    assert "'fnsz' x1" in msg and "'sz_foc_ia' x1" in msg
    # immutable vocabulary: classifying twice gives the same answer and touches no state
    labels = SeizureLabels(["seiz"])
    assert labels(["seiz", "x"]).tolist() == labels(["seiz", "x"]).tolist() == [True, False]
    assert not hasattr(labels, "unknown")


# ---------------------------------------------------------------- edge cases (mutation testing)
@pytest.mark.parametrize("value, exc", [
    ("0.5", TypeError), (True, TypeError), (np.True_, TypeError), (None, TypeError),
    (0, ValueError), (0.0, ValueError), (-0.5, ValueError), (1.5, ValueError),
    (np.nan, ValueError),
])
def test_full_threshold_validation(value, exc):
    with pytest.raises(exc) as err:
        categorize([0.5], value)
    msg = str(err.value)
    assert msg.startswith("full_threshold must be ") and "in (0, 1]" in msg
    assert msg.endswith(f"got {value!r}.")


def test_full_threshold_bounds_are_inclusive_of_one_only():
    assert categorize([1.0, 0.999], 1).tolist() == [2, 1]
    assert categorize([1e-300, 0.0], 1e-300).tolist() == [2, 0]


def test_categorize_compares_ratios_at_their_own_precision():
    # a float32 ratio of 0.9 is 0.8999999762 < 0.9: partial, not full
    r32 = np.float32([0.9, 1.0, 0.0])
    want = [brute_force_category(float(x), 0.9) for x in r32]
    assert [CATEGORIES[c] for c in categorize(r32, 0.9)] == want == [
        "partial_seizure", "full_seizure", "no_seizure"]


@pytest.mark.parametrize("bad", [np.nan, -0.25, 1.5, -np.inf])
def test_categorize_refuses_ratios_outside_0_1(bad):
    """A NaN or out-of-range ratio is an error, never a category (NaN is not partial)."""
    assert categorize([0.0, 0.5, 1.0]).tolist() == [0, 1, 2]  # the bounds themselves are fine
    with pytest.raises(ValueError) as err:
        categorize([0.0, 0.5, bad, 1.0, 7.0])
    assert str(err.value) == f"seizure ratios must be in [0, 1]: row 2 (and 1 more) is {bad!r}."


def test_lazy_metadata_refused_with_advice(edf_corpus):
    windows_ds = fixed_windows(edf_corpus, lazy_metadata=True, on_last_window="drop")
    with pytest.raises(TypeError) as err:
        split_by_category(windows_ds)
    msg = str(err.value)
    assert msg.startswith(f"Recording 0 (path={windows_ds.datasets[0].description['path']}): "
                          "its window metadata is lazy")
    assert "(windows made with lazy_metadata=True), so it has no seizure columns" in msg
    assert msg.endswith("Re-window with lazy_metadata=False.")


def _corrupt(ds, rows, value):
    md = ds.metadata
    col = md["seizure_category"].astype(object)
    col.iloc[rows] = value
    md["seizure_category"] = col


def test_invalid_category_names_the_recording_row_and_value(annotated, edf_paths):
    _corrupt(annotated.datasets[1], [3, 5], "seizure-ish")
    for call in (lambda: split_by_category(annotated), lambda: category_counts(annotated),
                 lambda: window_table(annotated)):
        with pytest.raises(ValueError) as err:
            call()
        msg = str(err.value)
        assert msg.startswith(f"Recording 1 (path={edf_paths[1]}): row 3 (and 1 more) has "
                              "seizure_category='seizure-ish'; expected one of ")
        assert str(CATEGORIES) in msg


def test_category_codes_maps_names_not_positions():
    # a Categorical whose categories are in another order is read by name
    names = ["full_seizure", "no_seizure", "partial_seizure", "no_seizure"]
    for values in (pd.Series(pd.Categorical(names, categories=sorted(CATEGORIES))),
                   pd.Series(pd.Categorical(names, categories=list(CATEGORIES))),
                   pd.Series(names, dtype=object), names, np.array(names)):
        assert category_codes(values, "x").tolist() == [CATEGORIES.index(n) for n in names]
    with pytest.raises(ValueError, match=r"^the manifest: row 0 \(and 0 more\) has "
                                         r"seizure_category='bad'"):
        category_codes(["bad", "no_seizure"], "the manifest")


@pytest.mark.parametrize("bad", [np.nan, None, 1, 1.0, ("partial_seizure",), ["no_seizure"]],
                         ids=["nan", "None", "int", "float", "tuple", "list"])
def test_category_codes_refuse_values_that_are_not_names(bad):
    """A missing or non-string category is an error, never a category (not code 1)."""
    for values in (pd.Series(["no_seizure", bad, "full_seizure"], dtype=object),
                   ["no_seizure", bad, "full_seizure"]):  # a Series, or a plain list
        with pytest.raises(ValueError, match=r"^x: row 1 \(and 0 more\) has seizure_category="):
            category_codes(values, "x")


def test_missing_category_column_alone_is_reported(annotated, edf_paths):
    del annotated.datasets[2].metadata["seizure_category"]  # seizure_ratio is still there
    for call in (lambda: split_by_category(annotated), lambda: category_counts(annotated)):
        with pytest.raises(ValueError) as err:
            call()
        msg = str(err.value)
        assert msg.startswith(f"Recording 2 (path={edf_paths[2]}) has no "
                              "'seizure_ratio'/'seizure_category' columns: annotate the corpus "
                              "first with preprocess(concat_ds, [SeizureRatio()])")
        assert msg.endswith(" or annotate_seizure_ratio(concat_ds).")


def test_recording_name_describes_the_recording():
    import mne
    from braindecode.datasets import RawDataset

    raw = mne.io.RawArray(np.zeros((1, 100)), mne.create_info(1, 10.0, "eeg"), verbose=False)
    cases = [
        ({"path": "/d/a.edf", "recording": "r1", "subject": 3}, "path=/d/a.edf"),
        ({"recording": "r1", "subject": 3}, "recording=r1"),
        ({"subject": 4, "session": "s"}, "subject=4"),
        ({"session": "s"}, "no description"),
        (None, "no description"),
    ]
    for description, want in cases:
        ds = RawDataset(raw, description=description)
        assert str(RecordingName(7, ds)) == f"Recording 7 ({want})"
        assert str(RecordingName(None, ds)) == f"Recording ({want})"
    assert str(RecordingName(0, object())) == "Recording 0 (no description)"


def test_category_counts_with_absent_categories(edf_corpus):
    windows_ds = fixed_windows(edf_corpus)
    with pytest.warns(UserWarning, match="NOT counted"):
        annotate_seizure_ratio(windows_ds, labels=["not-a-label"])  # every window: no_seizure
    n = len(windows_ds)
    counts = category_counts(windows_ds)
    assert list(counts.columns) == ["n_windows", "fraction", "window_seizure_seconds"]
    assert counts.index.name == "seizure_category" and list(counts.index) == list(CATEGORIES)
    assert counts["n_windows"].tolist() == [n, 0, 0]
    assert counts["fraction"].tolist() == [1.0, 0.0, 0.0]
    assert counts["window_seizure_seconds"].tolist() == [0.0, 0.0, 0.0]
    per_rec = category_counts(windows_ds, per_recording=True)
    assert list(per_rec.columns) == ["n_windows", *CATEGORIES, "window_seizure_seconds"]
    sizes = [len(ds) for ds in windows_ds.datasets]
    assert per_rec["n_windows"].tolist() == per_rec["no_seizure"].tolist() == sizes
    assert per_rec["partial_seizure"].tolist() == per_rec["full_seizure"].tolist() == [0] * 4


def test_counts_of_a_recording_without_mne_object_name_it(annotated, edf_paths):
    """A recording streamed from Zarr keeps no MNE object (``raw`` is None until braindecode
    builds it from the store): seconds cannot be counted, and the error says which and why."""
    annotated.datasets[1].raw = None  # braindecode's public setter; what Zarr leaves unset
    with pytest.raises(ValueError) as err:
        category_counts(annotated)
    msg = str(err.value)
    assert msg.startswith(f"Recording 1 (path={edf_paths[1]}) keeps no MNE object (a dataset "
                          "streamed from Zarr), hence no sampling rate")
    assert msg.endswith("count the categories before saving the corpus, or use its manifest "
                        "(SeizureManifest.summary()).")
    assert split_by_category(annotated)["no_seizure"].indices  # needs no MNE object
    with pytest.raises(ValueError, match=r"^Recording 1 .* keeps no MNE object .* hence no "
                                         "annotations: categorise the corpus before saving"):
        annotate_seizure_ratio(annotated)
