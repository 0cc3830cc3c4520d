"""Splitter and category summaries against brute-force references."""


import numpy as np
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
)
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
