"""Adversarial inputs: every case gives a clear error naming what is wrong, or a correct result.

Never a silent wrong result, never a traceback from deep inside a library, never a
lost file. The count of cases this module tries is printed by
``python -m pytest tests/test_adversarial.py -q -s`` (see ``test_zz_case_count``).
"""

# License: BSD (3-clause)

import json
import math
import os
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sampler_data import make_windows

from braindecode_stbalance import (
    BalancedSeizureSampler,
    SeizureManifest,
    annotate_seizure_ratio,
    categorize,
    category_counts,
    compute_seizure_ratio,
    scan_corpus,
    split_by_category,
    window_table,
)
from braindecode_stbalance._manifest_io import ManifestError
from braindecode_stbalance._testing import make_tusz_tree
from braindecode_stbalance.datasets import (
    CorpusError,
    find_tusz_recordings,
    read_csv_bi,
    read_edf_header,
    read_szcore_events,
)
from braindecode_stbalance.ratio import window_seizure_ratio

CASES = {"n": 0}
_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _count():
    CASES["n"] += 1


@pytest.fixture(scope="module")
def windows(tmp_path_factory):
    return make_windows(tmp_path_factory.mktemp("adv"), n_recordings=3, duration=120.0)


@pytest.fixture(scope="module")
def manifest_file(windows, tmp_path_factory):
    path = tmp_path_factory.mktemp("adv_manifest") / "m.parquet"
    return SeizureManifest.from_dataset(windows).save(path), SeizureManifest.from_dataset(windows)


# ------------------------------------------------------------------ damaged manifests
def _same(a, b):
    return (a.windows.equals(b.windows) and a.recordings.equals(b.recordings)
            and a.settings == b.settings and a.provenance == b.provenance)


@settings(_SETTINGS, max_examples=400)
@given(data=st.data())
def test_random_bit_flips_never_load_a_different_manifest(manifest_file, tmp_path_factory, data):
    path, original = manifest_file
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= 1 << data.draw(st.integers(0, 7))
    bad = tmp_path_factory.mktemp("flip") / "m.parquet"
    bad.write_bytes(bytes(raw))
    _count()
    try:
        loaded = SeizureManifest.load(bad)
    except ManifestError as err:
        assert str(bad) in str(err)
        return
    assert _same(loaded, original)  # a flip in bytes that do not matter (e.g. statistics)


def _rewrite(path, out, table=None, meta=None):
    t = pq.read_table(path)
    if table is not None:
        t = table(t)
    m = dict(t.schema.metadata)
    if meta is not None:
        m = meta(m)
    pq.write_table(t.replace_schema_metadata(m), out)
    return out


@pytest.mark.parametrize("damage,match", [
    ({"table": lambda t: t.drop(["seizure_ratio"])}, "window column"),
    ({"meta": lambda m: {**m, b"stbalance.recordings": m[b"stbalance.recordings"][:-40]}},
     "checksum"),
    ({"meta": lambda m: {**m, b"stbalance.format": b"two"}}, "format 'two'"),
    ({"meta": lambda m: {k: v for k, v in m.items() if k != b"stbalance.checksum"}},
     "stbalance.checksum"),
    ({"meta": lambda m: {k: v for k, v in m.items() if k != b"stbalance.settings"}},
     "stbalance.settings"),
    ({"table": lambda t: t.set_column(5, "seizure_category",
                                       pa.array(np.zeros(t.num_rows, np.int8)))}, "checksum"),
])
def test_damaged_manifests_name_the_file(manifest_file, tmp_path, damage, match):
    path, _ = manifest_file
    bad = _rewrite(path, tmp_path / "bad.parquet", **damage)
    _count()
    with pytest.raises(ManifestError, match=match) as err:
        SeizureManifest.load(bad)
    assert str(bad) in str(err.value)


def test_consistently_rewritten_but_wrong_categories_fail_the_invariants(manifest_file, tmp_path):
    """A writer that recomputes the checksum cannot smuggle in wrong categories."""
    from braindecode_stbalance import _manifest_io

    _, m = manifest_file
    for edit, match in (
        (lambda w: w.assign(seizure_category=w["seizure_category"].where(
            w["seizure_category"] != "partial_seizure", "no_seizure")), "makes it"),
        (lambda w: w.assign(seizure_ratio=w["seizure_ratio"] * 2), "not a number in"),
        (lambda w: w.assign(recording=np.sort(w["recording"].to_numpy())[::-1]), "grouped"),
        (lambda w: w.assign(i_stop_in_trial=w["i_start_in_trial"]), "empty or outside"),
    ):
        edited = SeizureManifest.__new__(SeizureManifest)
        edited.windows, edited.recordings = edit(m.windows.copy()), m.recordings
        edited.settings, edited.provenance = m.settings, m.provenance
        _manifest_io.save(edited, tmp_path / "e.parquet")  # valid checksum, wrong content
        _count()
        with pytest.raises(ManifestError, match=match):
            SeizureManifest.load(tmp_path / "e.parquet")
    counts = m.recordings.copy()
    counts.loc[0, "no_seizure"] += 1
    _count()
    with pytest.raises(ManifestError, match="count says"):
        SeizureManifest(m.windows, counts, m.settings)


# ------------------------------------------------------------------ random annotation files
_LABELS = st.sampled_from(["seiz", "bckg", "fnsz", "artf", "", "SEIZ", "gnsz"])
_NUM = st.one_of(st.floats(-5, 200), st.sampled_from([float("nan"), float("inf")]),
                 st.sampled_from(["", "x", "1e400", "-0", "nan"]))


@settings(_SETTINGS, max_examples=300)
@example(rows=[("TERM", 0.0, 1.0, "seiz", "1.0"), ("TERM", 100.0, 101.0, "seiz", "1.0")],
         header="# duration = 100.00 secs", columns=True)  # starts at the end: dropped, warned
@given(rows=st.lists(st.tuples(st.sampled_from(["TERM", "TERM", "FP1-F7", ""]), _NUM, _NUM,
                               _LABELS, st.sampled_from(["1.0", "x", "1"])), max_size=6),
       header=st.sampled_from(["# duration = 100.00 secs", "# duration = abc secs", "",
                               "# duration = -3 secs"]),
       columns=st.booleans())
def test_random_csv_bi_files(tmp_path_factory, rows, header, columns):
    path = tmp_path_factory.mktemp("csvbi") / "r.csv_bi"
    lines = [header] + (["channel,start_time,stop_time,label,confidence"] if columns else [])
    lines += [",".join(str(x) for x in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    _count()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            ann = read_csv_bi(path, duration=100.0).annotations
    except CorpusError as err:
        assert str(path) in str(err) and err.reason
        return
    # accepted: every event is valid, inside the recording and non-background
    assert columns and header != "# duration = abc secs"
    assert np.all(np.isfinite(ann.onset)) and np.all(ann.onset >= 0)
    assert np.all(ann.duration > 0) and np.all(ann.onset + ann.duration <= 100.0 + 1e-9)
    assert "bckg" not in [d.lower() for d in ann.description]
    valid = [r for r in rows if r[3].lower() != "bckg"]
    # an event that starts at or after the recording's end (100 s) is dropped, never silently
    after = [r for r in valid if float(r[1]) >= 100.0]
    assert len(ann) == len(valid) - len(after)
    if after:
        assert any(f"{len(after)} dropped as they start after it" in str(w.message)
                   for w in caught)


@_SETTINGS
@given(rows=st.lists(st.tuples(_NUM, _NUM, st.sampled_from(["sz", "bckg", "n/a", "", "sz_foc"]),
                               st.sampled_from(["100", "n/a", "99.8", "x"])), max_size=5),
       extra_column=st.booleans())
def test_random_szcore_events_files(tmp_path_factory, rows, extra_column):
    path = tmp_path_factory.mktemp("tsv") / "sub-01_task-x_events.tsv"
    cols = ["onset", "duration", "eventType", "recordingDuration"] + (
        ["confidence"] if extra_column else [])
    lines = ["\t".join(cols)] + ["\t".join(str(x) for x in r + (("n/a",) if extra_column else ()))
                                 for r in rows]
    path.write_text("\n".join(lines) + "\n")
    _count()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ann = read_szcore_events(path, duration=100.0).annotations
    except CorpusError as err:
        assert str(path) in str(err)
        return
    assert np.all(ann.duration > 0) and np.all(ann.onset >= 0)
    assert np.all(ann.onset + ann.duration <= 100.0 + 1e-9)


@_SETTINGS
@given(names=st.lists(st.sampled_from(["a.edf", "b.EDF", "notes.txt", "x.csv_bi", "sub/c.edf",
                                       "train/p/s001_2003_01_01/01_tcp_ar/p_s001_t000.edf"]),
                      max_size=4, unique=True),
       split=st.sampled_from([None, "train", "dev"]))
def test_random_trees(tmp_path_factory, names, split):
    root = tmp_path_factory.mktemp("tree")
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"not an edf")
    _count()
    try:
        listing = find_tusz_recordings(root, split=split)
    except FileNotFoundError as err:
        assert str(root) in str(err) and ("found" in str(err) or "of its" in str(err))
        return
    assert len(listing) and all(p.lower().endswith(".edf") for p in listing["path"])
    _count()
    with pytest.raises(CorpusError) as err:  # unreadable EDF: named, even in a scan
        scan_corpus(root, split=split, progress=False)
    assert ".edf" in str(err.value).lower()


@_SETTINGS
@given(payload=st.binary(min_size=0, max_size=900))
def test_random_bytes_as_edf(tmp_path_factory, payload):
    path = tmp_path_factory.mktemp("edf") / "x.edf"
    path.write_bytes(payload)
    _count()
    try:
        header = read_edf_header(path)
    except CorpusError as err:
        assert str(path) in str(err)
        return
    assert header.sfreq > 0 and math.isfinite(header.sfreq) and header.n_times >= 0


# ------------------------------------------------------------------ interval maths extremes
@_SETTINGS
@given(onset=st.floats(allow_nan=True, allow_infinity=True),
       duration=st.floats(allow_nan=True, allow_infinity=True),
       sfreq=st.sampled_from([1.0, 256.0, 173.61, 1e-3, 1e6]))
def test_window_ratio_extreme_annotations(onset, duration, sfreq):
    _count()
    try:
        r = window_seizure_ratio([onset], [duration], sfreq, [0, 10], [10, 30], 0, 30)
    except ValueError as err:
        assert "index 0" in str(err)
        assert not (math.isfinite(onset) and math.isfinite(duration) and onset >= 0
                    and duration >= 0)
        return
    assert np.all((r >= 0) & (r <= 1))


# ------------------------------------------------------------------ public entry points
def _entry_points(windows, tmp_path):
    raw_corpus = make_windows(tmp_path / "raw", n_recordings=1, duration=60.0, annotate=False)
    return [
        (lambda: annotate_seizure_ratio(None), TypeError, "BaseConcatDataset"),
        (lambda: annotate_seizure_ratio(windows, labels=5), TypeError, "labels"),
        (lambda: annotate_seizure_ratio(windows, labels="seiz"), TypeError, "labels"),
        (lambda: annotate_seizure_ratio(windows, labels=[]), ValueError, "empty"),
        (lambda: annotate_seizure_ratio(windows, full_threshold="x"), TypeError, "full_threshold"),
        (lambda: annotate_seizure_ratio(windows, full_threshold=float("nan")), ValueError,
         "full_threshold"),
        (lambda: annotate_seizure_ratio(windows, full_threshold=0), ValueError, "full_threshold"),
        (lambda: annotate_seizure_ratio(windows, full_threshold=True), TypeError,
         "full_threshold"),
        (lambda: annotate_seizure_ratio(windows, target="yes"), ValueError, "target"),
        (lambda: compute_seizure_ratio([1, 2]), TypeError, "BaseConcatDataset"),
        (lambda: split_by_category(raw_corpus), ValueError, "no 'seizure_ratio'"),
        (lambda: category_counts(raw_corpus), ValueError, "annotate the corpus"),
        (lambda: window_table(raw_corpus), ValueError, "Recording 0"),
        (lambda: categorize([0.5], 2.0), ValueError, "full_threshold"),
        (lambda: BalancedSeizureSampler(windows, random_state=1.5), TypeError, "random_state"),
        (lambda: BalancedSeizureSampler(windows, full_ratio=None), TypeError, "full_ratio"),
        (lambda: BalancedSeizureSampler(windows, background_ratio=-1), ValueError,
         "background_ratio"),
        (lambda: BalancedSeizureSampler(windows, replacement=None), TypeError, "replacement"),
        (lambda: BalancedSeizureSampler(windows).set_epoch(1.5), ValueError, "epoch"),
        (lambda: BalancedSeizureSampler(windows).bind([1, 2, 3]), ValueError,
         "another corpus"),
        (lambda: SeizureManifest.load(tmp_path), ManifestError, "folder"),
        (lambda: SeizureManifest.load(tmp_path / "none.parquet"), FileNotFoundError, "none"),
        (lambda: SeizureManifest.from_dataset(raw_corpus.datasets), TypeError,
         "BaseConcatDataset"),
        (lambda: SeizureManifest.from_dataset(windows, full_threshold=3), ValueError,
         "full_threshold"),
        (lambda: scan_corpus(tmp_path, window=0), ValueError, "window"),
        (lambda: scan_corpus(tmp_path, window=float("inf")), ValueError, "window"),
        (lambda: scan_corpus(tmp_path, window="60"), TypeError, "window"),
        (lambda: scan_corpus(tmp_path, stride=float("nan")), ValueError, "stride"),
        (lambda: scan_corpus(tmp_path, sfreq=-1), ValueError, "sfreq"),
        (lambda: scan_corpus(tmp_path, format="edf"), ValueError, "format"),
        (lambda: scan_corpus(tmp_path, n_jobs=0), ValueError, "n_jobs"),
        (lambda: scan_corpus(tmp_path, on_error="ignore"), ValueError, "on_error"),
        (lambda: scan_corpus(tmp_path, split="test"), ValueError, "split"),
        (lambda: scan_corpus(tmp_path, on_last_window="keep"), ValueError, "on_last_window"),
        (lambda: scan_corpus(tmp_path / "missing"), FileNotFoundError, "missing"),
        (lambda: read_csv_bi(tmp_path), CorpusError, "folder"),
        (lambda: window_seizure_ratio([1.0], [1.0, 2.0], 10.0, [0], [5]), ValueError,
         "same length"),
        (lambda: window_seizure_ratio([1.0], [1.0], 0.0, [0], [5]), ValueError, "sfreq"),
        (lambda: window_seizure_ratio([1.0], [1.0], 10.0, [5], [5]), ValueError, "empty"),
    ]


def test_public_entry_points_fed_wrong_types_and_extreme_values(windows, tmp_path):
    failures = []
    for i, (call, exc, match) in enumerate(_entry_points(windows, tmp_path)):
        _count()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                call()
        except exc as err:
            if match.lower() not in str(err).lower():
                failures.append((i, f"message lacks {match!r}: {err}"))
        except Exception as err:  # noqa: BLE001 - the point is to catch the wrong ones
            failures.append((i, f"{type(err).__name__} instead of {exc.__name__}: {err}"))
        else:
            failures.append((i, "no error"))
    assert not failures, failures


def test_scan_of_a_tree_with_broken_files_never_loses_the_previous_manifest(tmp_path):
    from braindecode_stbalance.cli import main

    make_tusz_tree(tmp_path / "t", n_recordings=3, durations=(60,), sfreq=32.0, seed=2)
    out = tmp_path / "m.parquet"
    args = ["scan", str(tmp_path / "t"), "--format", "tusz", "--window", "10", "--quiet",
            "--out", str(out)]
    assert main(args) == 0
    before = out.read_bytes()
    csv = find_tusz_recordings(tmp_path / "t")["csv_bi"].iloc[0]
    with open(csv, "a") as f:
        f.write("TERM,1.0,nope,seiz,1.0\n")
    _count()
    assert main(args) == 1
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["t",
                                                                                 "m.parquet"]


def test_zz_case_count(capsys):
    """Reports how many adversarial cases this module tried (run last, in file order)."""
    with capsys.disabled():
        print(f"\n[adversarial] {CASES['n']} cases tried")
    assert CASES["n"] > 500
    json.dumps(CASES)
    os.environ.setdefault("STBALANCE_ADVERSARIAL_CASES", str(CASES["n"]))


def test_an_event_starting_at_the_end_is_never_dropped_silently(tmp_path):
    """[100, 100.005) in a 100 s recording ends within the silent clipping margin, but it is
    dropped whole, so the reader says so."""
    path = tmp_path / "r.csv_bi"
    path.write_text("# duration = 100.00 secs\nchannel,start_time,stop_time,label,confidence\n"
                    "TERM,0.0,1.0,seiz,1.0\nTERM,100.0,100.005,seiz,1.0\n")
    with pytest.warns(UserWarning, match=r"1 annotation\(s\) end after .*\(1 dropped as they "
                                         r"start after it\)"):
        ann = read_csv_bi(path, duration=100.0).annotations
    assert list(ann.onset) == [0.0]
