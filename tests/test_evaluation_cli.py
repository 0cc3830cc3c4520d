"""``stbalance score``, through a parser built with add_score_parser (as cli.main will)."""

import argparse
import json
import math
import os
import re
import stat

import numpy as np
import pytest

from braindecode_stbalance.evaluation import score_tsv_trees, write_prediction_tree
from braindecode_stbalance.evaluation._cli import add_score_parser, run_score

REL = "sub-{}/ses-01/eeg/sub-{}_ses-01_task-szMonitoring_run-00_events.tsv"


def stbalance(argv):
    parser = argparse.ArgumentParser(prog="stbalance")
    sub = parser.add_subparsers(dest="command")
    add_score_parser(sub)
    args = parser.parse_args(argv)
    assert args.command == "score"
    return run_score(args)


@pytest.fixture
def trees(tmp_path):
    rng = np.random.default_rng(0)
    refs, hyps = {}, {}
    for sub in ("01", "02", "03"):
        ref = np.zeros(1200, bool)
        if sub != "03":  # sub-03 has no seizure: NaN sensitivity
            ref[300:360] = True
        refs[REL.format(sub, sub)] = ref
        hyp = np.roll(ref, 5) | (rng.random(1200) > 0.998)
        hyps[REL.format(sub, sub)] = hyp
    del hyps[REL.format("02", "02")]  # a missing prediction
    write_prediction_tree(tmp_path / "ref", refs, sfreq=1.0)
    write_prediction_tree(tmp_path / "hyp", hyps, sfreq=1.0)
    return tmp_path / "ref", tmp_path / "hyp"


def test_prints_table_and_writes_json(trees, tmp_path, capsys):
    ref, hyp = trees
    out = tmp_path / "results.json"
    assert stbalance(["score", str(ref), str(hyp), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "mean over subjects" in captured.out and "FP/24h" in captured.out
    assert "1 of 3 hypothesis file(s) missing" in captured.out
    assert "warning: 1 hypothesis file(s) missing; first: sub-02/" in captured.err
    data = json.loads(out.read_text())  # strict JSON: NaN written as null
    expected = score_tsv_trees(ref, hyp)
    for key, value in expected.subject_mean.items():
        assert data["subject_mean"][key] == (None if math.isnan(value) else
                                             pytest.approx(value))
    assert data["missing_hypotheses"] == [REL.format("02", "02")]
    assert data["per_subject"]["sub-03"]["event_sensitivity"] is None
    assert set(data["szcore"]) == {"sample_results", "event_results"}
    assert sorted(os.listdir(tmp_path)) == ["hyp", "ref", "results.json"]  # no temp file


def test_out_keeps_an_existing_files_mode(trees, tmp_path):
    out = tmp_path / "results.json"
    out.write_text("{}")
    out.chmod(0o600)
    assert stbalance(["score", str(trees[0]), str(trees[1]), "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and "subject_mean" in out.read_text()


def test_out_folder_is_checked_before_scoring(tmp_path, capsys):
    # the reference tree does not exist either: the --out problem is reported first
    out = tmp_path / "no" / "such" / "results.json"
    assert stbalance(["score", str(tmp_path / "missing"), str(tmp_path), "--out",
                      str(out)]) == 1
    err = capsys.readouterr().err
    assert "--out: folder" in err and "no/such" in err and "reference" not in err
    assert stbalance(["score", str(tmp_path), str(tmp_path), "--out", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err


@pytest.mark.parametrize("which, match", [
    ("ref", "reference tree '.*missing' is not a directory"),
    ("hyp", "hypothesis tree '.*missing' is not a directory"),
    ("empty_hyp", "hypothesis tree '.*empty' holds no sub-\\*/\\*\\*/\\*_events.tsv"),
])
def test_missing_or_empty_tree_is_a_data_error(trees, tmp_path, capsys, which, match):
    ref, hyp = trees
    (tmp_path / "empty").mkdir()
    args = {"ref": [str(tmp_path / "missing"), str(hyp)],
            "hyp": [str(ref), str(tmp_path / "missing")],
            "empty_hyp": [str(ref), str(tmp_path / "empty")]}[which]
    assert stbalance(["score", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("stbalance score: error: ")
    assert re.search(match, err)


def test_malformed_file_is_a_data_error_naming_it(trees, capsys):
    ref, hyp = trees
    bad = hyp / REL.format("01", "01")
    bad.write_text(bad.read_text().replace("\tsz\t", "\tseizure\t").replace("\tbckg\t",
                                                                           "\tseizure\t"))
    assert stbalance(["score", str(ref), str(hyp)]) == 1
    err = capsys.readouterr().err
    assert "sub-01_ses-01_task-szMonitoring_run-00_events.tsv" in err and "seizure" in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        stbalance(["score", "only_one_dir"])
    assert exc.value.code == 2
    assert "HYP_DIR" in capsys.readouterr().err
