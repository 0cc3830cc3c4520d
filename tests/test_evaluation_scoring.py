"""SzCORE scores against timescoring called directly and szcore-evaluation's aggregation."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from epilepsy2bids.annotations import Annotations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timescoring import scoring
from timescoring.annotations import Annotation

from braindecode_stbalance.evaluation import (
    EVENT_SCORING_PARAMETERS,
    score_recordings,
    score_tsv_trees,
    write_prediction_tree,
)

KEYS = [f"{k}_{m}" for k in ("event", "sample")
        for m in ("sensitivity", "precision", "f1", "fp_per_24h")]
SZCORE_NAMES = {"sensitivity": "sensitivity", "precision": "precision", "f1": "f1",
                "fp_per_24h": "fpRate"}


# --- reference: szcore-evaluation's aggregation (esl-epfl/szcore-evaluation,
# szcore_evaluation/evaluate.py: class Result and the loop of evaluate_dataset), on masks
class Result(scoring._Scoring):
    def __init__(self, score=None):
        if score is None:
            self.fs, self.duration, self.numSamples = 0, 0, 0
            self.tp, self.fp, self.refTrue = 0, 0, 0
        else:
            self.fs = score.ref.fs
            self.duration = len(score.ref.mask) / score.ref.fs
            self.numSamples = score.numSamples
            self.tp, self.fp, self.refTrue = score.tp, score.fp, score.refTrue

    def __iadd__(self, other):
        self.fs = other.fs
        self.duration += other.duration
        self.numSamples += other.numSamples
        self.tp += other.tp
        self.fp += other.fp
        self.refTrue += other.refTrue
        return self


def reference_scores(refs, hyps, subjects):
    """{'subject_mean': ..., 'subject_std': ..., 'summed': ...} from 1 Hz masks."""
    sample_results, event_results = {}, {}
    for subject in sorted(set(subjects)):
        sample_results[subject], event_results[subject] = Result(), Result()
        for ref, hyp, s in zip(refs, hyps, subjects):
            if s != subject:
                continue
            ref, hyp = Annotation(ref, 1), Annotation(hyp, 1)
            sample_results[subject] += Result(scoring.SampleScoring(ref, hyp))
            event_results[subject] += Result(scoring.EventScoring(ref, hyp))
        sample_results[subject].computeScores()
        event_results[subject].computeScores()
    out = {"subject_mean": {}, "subject_std": {}, "summed": {}}
    for kind, results in (("event", event_results), ("sample", sample_results)):
        cumulated = Result()
        for r in results.values():
            cumulated += r
        cumulated.computeScores()
        for metric, name in SZCORE_NAMES.items():
            values = [getattr(x, name) for x in results.values()]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out["subject_mean"][f"{kind}_{metric}"] = np.nanmean(values)
                out["subject_std"][f"{kind}_{metric}"] = np.nanstd(values)
            out["summed"][f"{kind}_{metric}"] = getattr(cumulated, name)
    return out
# --- end of reference


def assert_scores_equal(result, expected):
    for agg in ("subject_mean", "subject_std", "summed"):
        got = [getattr(result, agg)[k] for k in KEYS]
        np.testing.assert_allclose(got, [expected[agg][k] for k in KEYS], rtol=1e-12,
                                   equal_nan=True, err_msg=agg)


def test_event_parameters_are_szcores():
    default = scoring.EventScoring.Parameters()  # timescoring's defaults are SzCORE's
    assert EVENT_SCORING_PARAMETERS == {k: getattr(default, k) for k in
                                        EVENT_SCORING_PARAMETERS}
    assert EVENT_SCORING_PARAMETERS == {"toleranceStart": 30, "toleranceEnd": 60,
                                        "minOverlap": 0, "maxEventDuration": 300,
                                        "minDurationBetweenEvents": 90}


@st.composite
def recordings_1hz(draw):
    n_rec = draw(st.integers(1, 6))
    pool = draw(st.integers(1, 3))
    refs, hyps, subjects = [], [], []
    for _ in range(n_rec):
        n = draw(st.integers(1, 1500))
        masks = []
        for _ in range(2):
            m = np.zeros(n, dtype=bool)
            for _ in range(draw(st.integers(0, 4))):
                a = draw(st.integers(0, n - 1))
                m[a:a + draw(st.integers(1, 400))] = True
            masks.append(m)
        if draw(st.booleans()):  # hypotheses overlapping the reference
            masks[1] |= np.roll(masks[0], draw(st.integers(-60, 60)))
        refs.append(masks[0])
        hyps.append(masks[1])
        subjects.append(f"sub-{draw(st.integers(1, pool)):02d}")
    return refs, hyps, subjects


@given(case=recordings_1hz())
@settings(max_examples=150, deadline=None)
def test_score_recordings_equals_szcore_evaluation_at_1hz(case):
    refs, hyps, subjects = case
    result = score_recordings(refs, hyps, 1.0, subjects=subjects)
    assert_scores_equal(result, reference_scores(refs, hyps, subjects))
    assert result.n_recordings == len(refs) and result.n_subjects == len(set(subjects))


@given(case=recordings_1hz(), sfreq=st.sampled_from([2.0, 10.0, 100.0, 128.0, 250.5, 256.0]))
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_other_rates_are_scored_as_written_and_read_by_epilepsy2bids(tmp_path, case, sfreq):
    refs, hyps, subjects = case
    rng = np.random.default_rng(len(refs))
    # masks at sfreq with boundaries anywhere between seconds
    up = []
    for m in refs + hyps:
        x = np.repeat(m, int(np.ceil(sfreq)))[: int(m.size * sfreq)]
        x = np.roll(x, int(rng.integers(0, max(int(sfreq), 1))))
        up.append(x)
    up_refs, up_hyps = up[: len(refs)], up[len(refs):]
    result = score_recordings(up_refs, up_hyps, sfreq, subjects=subjects)
    back = []
    for i, m in enumerate(up):  # the SzCORE pipeline: epilepsy2bids writes, then reads
        path = tmp_path / f"{i}_events.tsv"
        Annotations.loadMask(m, sfreq).saveTsv(str(path))
        back.append(Annotations.loadTsv(path).getMask(1).astype(bool))
    if any(b.size == 0 for b in back):
        return
    expected = reference_scores(back[: len(refs)], back[len(refs):], subjects)
    assert_scores_equal(result, expected)


def test_nan_cases():
    ref_sz = np.zeros(600, bool)
    ref_sz[100:160] = True
    nothing = np.zeros(600, bool)
    fp = np.zeros(600, bool)
    fp[400:420] = True
    refs = [ref_sz, nothing, nothing]
    hyps = [nothing, fp, nothing]  # no detection at all for the seizure; sub-b a false alarm
    subjects = ["sub-a", "sub-b", "sub-c"]
    result = score_recordings(refs, hyps, 1.0, subjects=subjects)
    assert_scores_equal(result, reference_scores(refs, hyps, subjects))
    per = result.per_subject
    assert per.loc["sub-a", "event_sensitivity"] == 0
    assert np.isnan(per.loc["sub-a", "event_precision"])  # no detection
    assert np.isnan(per.loc["sub-b", "event_sensitivity"])  # subject without seizures
    assert np.isnan(per.loc["sub-c", "event_f1"])  # neither seizure nor false alarm
    assert result.subject_mean["event_sensitivity"] == 0  # NaN subjects left out
    assert result.subject_mean["event_fp_per_24h"] == pytest.approx(144 / 3)
    # a score NaN for every subject is NaN, without warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = score_recordings([nothing], [nothing], 1.0)
    assert np.isnan(r.subject_mean["event_sensitivity"]) and np.isnan(r.summed["sample_f1"])


def test_subjects_default_to_one_per_recording_and_outputs():
    a = np.zeros(300, bool)
    a[10:50] = True
    result = score_recordings([a, a], [a, np.zeros(300, bool)], 1.0)
    assert result.n_subjects == 2
    assert result.subject_mean["event_sensitivity"] == 0.5 == result.summed["event_sensitivity"]
    frame = result.to_frame()
    assert list(frame.index) == ["subject_mean", "subject_std", "summed"]
    assert list(frame.columns) == KEYS
    flat = result.to_flat_dict()
    assert flat["event_f1"] == result.subject_mean["event_f1"]
    assert flat["summed_event_f1"] == result.summed["event_f1"]
    assert flat["event_f1_std"] == result.subject_std["event_f1"]
    szcore = result.to_szcore_dict()
    assert set(szcore) == {"sample_results", "event_results"}
    assert set(szcore["event_results"]) == {"sensitivity", "precision", "f1", "fpRate",
                                            "sensitivity_std", "precision_std", "f1_std",
                                            "fpRate_std"}
    as_json = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert as_json["summed"]["event_sensitivity"] == 0.5
    assert "F1" in result.format_table() and "SzCOREScores" in repr(result)


@pytest.mark.parametrize("kwargs, match", [
    ({"references": []}, "non-empty"),
    ({"hypotheses": [np.zeros(10, bool)] * 2}, "equal length"),
    ({"hypotheses": [np.zeros(9, bool)]}, "recording 0: the reference has 10"),
    ({"sfreq": [1.0, 2.0]}, "one per recording"),
    ({"sfreq": 0.0}, "sfreq"),
    ({"subjects": ["a", "b"]}, "one subject per recording"),
    ({"references": [np.zeros(10)]}, "references\\[0\\]"),
    ({"references": [np.zeros(10, bool)], "hypotheses": [np.zeros(10, bool)],
      "sfreq": 20.0}, "less than 1 s"),
])
def test_score_recordings_invalid(kwargs, match):
    args = {"references": [np.zeros(10, bool)], "hypotheses": [np.zeros(10, bool)],
            "sfreq": 1.0} | kwargs
    with pytest.raises((ValueError, TypeError), match=match):
        score_recordings(**args)


def make_tsv(path, events, recording_duration, event_type="sz"):
    """A hand-written SzCORE file (as szcore-evaluation's own tests write them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["onset\tduration\teventType\tconfidence\tchannels\tdateTime\trecordingDuration"]
    for onset, duration in events:
        rows.append(f"{onset}\t{duration}\t{event_type}\tn/a\tn/a\t2000-01-01 00:00:00\t"
                    f"{recording_duration}")
    if not events:
        rows.append(f"0\t{recording_duration}\tbckg\tn/a\tn/a\tn/a\t{recording_duration}")
    path.write_text("\n".join(rows) + "\n")


def rel(sub, run):
    return Path(f"sub-{sub}/ses-01/eeg/sub-{sub}_ses-01_task-szMonitoring_run-{run}_events.tsv")


@pytest.fixture
def trees(tmp_path):
    ref, hyp = tmp_path / "ref", tmp_path / "hyp"
    make_tsv(ref / rel("01", "00"), [(100.5, 60.25), (900, 30)], 1800.0)
    make_tsv(hyp / rel("01", "00"), [(110, 40)], 1800.0)
    make_tsv(ref / rel("01", "01"), [], 600.0)
    make_tsv(hyp / rel("01", "01"), [(30, 20)], 600.0)
    make_tsv(ref / rel("02", "00"), [(10, 100)], 1200.0, event_type="sz_foc_ia")
    # sub-02 run-00: hypothesis missing
    make_tsv(ref / rel("03", "00"), [], 900.0)
    make_tsv(hyp / rel("03", "00"), [(5, 5)], 901.0)  # another length: background
    make_tsv(ref / rel("03", "01"), [(40, 10)], 300.0)
    (hyp / rel("03", "01")).write_text("onset\tduration\teventType\tconfidence\tchannels\t"
                                       "dateTime\trecordingDuration\n")  # no row
    make_tsv(hyp / rel("04", "00"), [(1, 1)], 10.0)  # no reference: ignored
    (ref / "sub-01" / "ses-01" / "eeg" / "sub-01_channels.tsv").write_text("name\ttype\n")
    (ref / "participants.tsv").write_text("participant_id\n")
    return ref, hyp


def epilepsy2bids_mask(path, like=None):
    if path is None or not path.exists():
        return np.zeros_like(like)
    try:
        return Annotations.loadTsv(path).getMask(1).astype(bool)
    except IndexError:  # no row: szcore-evaluation scores zeros
        return np.zeros_like(like)


def test_score_tsv_trees_equals_szcore_evaluation(trees):
    ref, hyp = trees
    result = score_tsv_trees(ref, hyp)
    rels = sorted(p.relative_to(ref) for p in ref.glob("sub-*/**/*_events.tsv"))
    refs = [epilepsy2bids_mask(ref / r) for r in rels]
    hyps = [epilepsy2bids_mask(hyp / r, like=m) for r, m in zip(rels, refs)]
    hyps = [h if h.size == m.size else np.zeros_like(m) for h, m in zip(hyps, refs)]
    assert_scores_equal(result, reference_scores(refs, hyps, [r.parts[0] for r in rels]))
    assert result.missing == (rel("02", "00").as_posix(),)
    assert result.replaced == {rel("03", "00").as_posix(): "length_mismatch",
                               rel("03", "01").as_posix(): "empty"}
    assert result.unmatched == (rel("04", "00").as_posix(),)
    assert list(result.per_subject.index) == ["sub-01", "sub-02", "sub-03"]
    assert result.per_subject.loc["sub-01", "n_recordings"] == 2


def test_written_predictions_score_as_the_masks(tmp_path, trees):
    ref, _ = trees
    rng = np.random.default_rng(0)
    rels = sorted(p.relative_to(ref) for p in ref.glob("sub-*/**/*_events.tsv"))
    refs = [Annotations.loadTsv(ref / r).getMask(1).astype(bool) for r in rels]
    masks = {}
    for r, m in zip(rels, refs):  # 64 Hz predictions, boundaries inside seconds
        up = np.roll(np.repeat(m, 64), int(rng.integers(-200, 200)))
        masks[r] = up | (rng.random(up.size) > 0.9995)
    write_prediction_tree(tmp_path / "pred", masks, sfreq=64.0)
    from_files = score_tsv_trees(ref, tmp_path / "pred")
    from_masks = score_recordings([np.repeat(m, 64) for m in refs], list(masks.values()), 64.0,
                                  subjects=[r.parts[0] for r in rels])
    for agg in ("subject_mean", "summed"):
        assert getattr(from_files, agg) == pytest.approx(getattr(from_masks, agg), nan_ok=True)
    assert from_files.missing == () and from_files.replaced == {}


def test_real_bids_tree(tmp_path):
    from braindecode_stbalance._testing import make_szcore_tree
    from braindecode_stbalance.datasets import find_szcore_recordings

    truth = make_szcore_tree(tmp_path / "bids", n_subjects=2, runs_per_subject=2, seed=1)
    recs = find_szcore_recordings(tmp_path / "bids")
    predictions = {}
    for path, seizures, duration in zip(truth["path"], truth["seizures"], truth["duration"]):
        mask = np.zeros(int(duration), bool)
        for onset, dur, _ in seizures:
            mask[int(onset):int(onset + dur)] = True
        predictions[Path(path).relative_to(tmp_path / "bids")] = mask
    write_prediction_tree(tmp_path / "pred", predictions, sfreq=1.0)
    result = score_tsv_trees(tmp_path / "bids", tmp_path / "pred")
    assert result.n_recordings == len(recs) and result.missing == ()
    assert result.summed["event_fp_per_24h"] == 0
    if truth["seizures"].map(len).sum():
        assert result.summed["event_sensitivity"] == 1


@pytest.mark.parametrize("setup, match", [
    (lambda ref, hyp: None, "reference tree .* is not a directory"),
    (lambda ref, hyp: ref.mkdir(), "reference tree .* holds no"),
    (lambda ref, hyp: make_tsv(ref / rel("01", "00"), [], 60.0), "hypothesis tree .* not a"),
    (lambda ref, hyp: (make_tsv(ref / rel("01", "00"), [], 60.0), hyp.mkdir()),
     "hypothesis tree .* holds no"),
    (lambda ref, hyp: (make_tsv(ref / rel("01", "00"), [(1, 2)], 60.0, "seizure"),
                       make_tsv(hyp / rel("01", "00"), [], 60.0)), "eventType 'seizure'"),
    (lambda ref, hyp: (make_tsv(ref / rel("01", "00"), [(-1, 2)], 60.0),
                       make_tsv(hyp / rel("01", "00"), [], 60.0)), "line 2"),
    (lambda ref, hyp: ((ref / rel("01", "00")).parent.mkdir(parents=True),
                       (ref / rel("01", "00")).write_text("onset\tduration\teventType\t"
                                                          "recordingDuration\n"),
                       make_tsv(hyp / rel("01", "00"), [], 60.0)), "reference needs its rows"),
    (lambda ref, hyp: (make_tsv(ref / rel("01", "00"), [], 0.5),
                       make_tsv(hyp / rel("01", "00"), [], 0.5)), "less than 1 s"),
])
def test_score_tsv_trees_errors_name_the_folder_or_file(tmp_path, setup, match):
    ref, hyp = tmp_path / "ref", tmp_path / "hyp"
    setup(ref, hyp)
    with pytest.raises((FileNotFoundError, ValueError), match=match):
        score_tsv_trees(ref, hyp)
