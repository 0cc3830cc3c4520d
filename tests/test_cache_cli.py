"""``stbalance cache build/check/info``: the same windows as the braindecode pipeline, exit codes."""

# License: BSD (3-clause)

import os
import subprocess
import sys
import warnings
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pytest
from braindecode.preprocessing import (
    Preprocessor,
    create_fixed_length_windows,
    preprocess,
)
from cache_data import float16_tolerance

from braindecode_stbalance import annotate_seizure_ratio
from braindecode_stbalance._testing import make_tusz_tree
from braindecode_stbalance.cache import load_cache
from braindecode_stbalance.cli import main
from braindecode_stbalance.datasets import TUSZ, find_tusz_recordings

ROOT = Path(__file__).resolve().parents[1]
BUILD = ["--format", "tusz", "--window", "10", "--stride", "5", "--sfreq", "32",
         "--l-freq", "0.5", "--h-freq", "12"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tusz")
    make_tusz_tree(root, n_recordings=5, durations=(60, 130), sfreq=64.0,
                   seizure_fraction=0.8, seed=7)
    return root


def _reference(tree):
    """The pipeline written out with braindecode (what the CLI promises to run)."""
    mne.set_log_level("ERROR")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = TUSZ(tree, picks="szcore19")
        preprocess(corpus, [Preprocessor("resample", sfreq=32.0),
                            Preprocessor("filter", l_freq=0.5, h_freq=12.0)])
        windows = create_fixed_length_windows(corpus, window_size_samples=320,
                                              window_stride_samples=160,
                                              on_last_window="overlap")
    return annotate_seizure_ratio(windows, target="binary")


def test_build_equals_the_braindecode_pipeline(tree, tmp_path, capsys):
    out = tmp_path / "cache"
    assert main(["cache", "build", str(tree), *BUILD, "--out", str(out), "--jobs", "2"]) == 0
    captured = capsys.readouterr()
    assert "cache" in captured.err  # the progress bar
    assert "balanced epoch" in captured.out and "stored signals" in captured.out
    cached, ref = load_cache(out), _reference(tree)
    assert len(cached) == len(ref) and cached.scale == 2.0 ** 20
    pd.testing.assert_frame_equal(cached.get_metadata(), ref.get_metadata())
    for i in range(len(ref)):
        x, y, crop = ref[i]
        c = cached[i]
        assert (np.abs(c[0].astype(np.float64) / cached.scale - x)
                <= float16_tolerance(x, cached.scale)).all()
        assert c[1] == y and c[2] == crop
    assert cached.diff(ref) == []  # same fingerprints, windows and preprocessing records
    assert cached.provenance["made_by"] == "stbalance cache build"


def test_check_and_info(tree, tmp_path, capsys):
    out = tmp_path / "cache"
    assert main(["cache", "build", str(tree), *BUILD, "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["cache", "check", str(out)]) == 0
    assert "is up to date" in capsys.readouterr().out
    assert main(["cache", "check", str(out), "--root", str(tree), "--full"]) == 0
    assert main(["cache", "info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "recordings" in info and "float16" in info and "stbalance cache build" in info
    # a changed annotation file: the re-scan names the recording and the field
    listing = find_tusz_recordings(tree)
    ann = Path(listing["csv_bi"].iloc[2])
    text = ann.read_text()
    try:
        lines = text.splitlines()
        lines.append("TERM,1.0000,2.0000,seiz,1.0000")
        ann.write_text("\n".join(lines) + "\n")
        assert main(["cache", "check", str(out), "--root", str(tree)]) == 1
        printed = capsys.readouterr().out
        assert "annotation_hash" in printed and listing["path"].iloc[2] in printed
    finally:
        ann.write_text(text)
    edf = listing["path"].iloc[0]
    st = os.stat(edf)
    try:
        os.utime(edf, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        assert main(["cache", "check", str(out)]) == 1
        assert "changed since the build" in capsys.readouterr().out
        assert main(["cache", "check", str(out), "--root", str(tree)]) == 0  # same content
        assert main(["cache", "check", str(out), "--strict"]) == 1
    finally:
        os.utime(edf, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_usage_and_data_errors(tree, tmp_path, capsys):
    assert main(["cache"]) == 2
    with pytest.raises(SystemExit) as exit_:
        main(["cache", "build", str(tree), "--format", "tusz"])  # no --out
    assert exit_.value.code == 2
    assert main(["cache", "build", str(tree), "--format", "bids", "--split", "train",
                 "--out", str(tmp_path / "x")]) == 2
    capsys.readouterr()
    assert main(["cache", "build", str(tmp_path / "nothing"), "--format", "tusz",
                 "--out", str(tmp_path / "x"), "--quiet"]) == 1
    assert "nothing" in capsys.readouterr().err
    assert main(["cache", "build", str(tree), *BUILD[:2], "--window", "0.01",
                 "--out", str(tmp_path / "x"), "--quiet"]) == 1
    assert "not a whole positive number" in capsys.readouterr().err
    assert main(["cache", "check", str(tmp_path / "nothing")]) == 1
    assert "No window cache" in capsys.readouterr().err


def test_broken_recording_raises_naming_it_or_is_skipped(tmp_path, capsys):
    root = tmp_path / "tree"
    make_tusz_tree(root, n_recordings=3, durations=(60,), sfreq=64.0, seed=1)
    bad = Path(find_tusz_recordings(root)["csv_bi"].iloc[1])
    lines = bad.read_text().splitlines()
    lines[6] = "TERM,12.0,oops,seiz,1.0000"
    bad.write_text("\n".join(lines) + "\n")
    out = tmp_path / "cache"
    assert main(["cache", "build", str(root), *BUILD, "--out", str(out), "--quiet"]) == 1
    assert f"{bad}, line 7" in capsys.readouterr().err
    assert not (out / "index.json").exists()
    assert main(["cache", "build", str(root), *BUILD, "--out", str(out), "--quiet",
                 "--on-error", "skip"]) == 0
    assert "1 of 3 recording(s) left out" in capsys.readouterr().err
    cached = load_cache(out)
    assert len(cached.datasets) == 2 and f"{bad}, line 7" in cached.skipped["reason"][0]
    assert main(["cache", "check", str(out), "--root", str(root)]) == 0  # skipped not compared


def test_cli_build_is_a_real_command(tree, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "braindecode_stbalance.cli", "cache", "build", str(tree), *BUILD,
         "--out", str(tmp_path / "c"), "--quiet"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr
    assert load_cache(tmp_path / "c").check(_reference(tree)) is not None


def test_build_from_a_szcore_bids_tree_equals_szcorebids(tmp_path, capsys):
    from braindecode_stbalance._testing import make_szcore_tree
    from braindecode_stbalance.datasets import SzCOREBIDS

    root = tmp_path / "bids"
    make_szcore_tree(root, n_subjects=2, runs_per_subject=1, durations=(60, 90), seed=2)
    out = tmp_path / "cache"
    assert main(["cache", "build", str(root), "--format", "bids", "--window", "4",
                 "--stride", "2", "--sfreq", "32", "--out", str(out), "--quiet"]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = SzCOREBIDS(root)
        preprocess(corpus, [Preprocessor("resample", sfreq=32.0)])
        ref = create_fixed_length_windows(corpus, window_size_samples=128,
                                          window_stride_samples=64, on_last_window="overlap")
    annotate_seizure_ratio(ref, target="binary")
    cached = load_cache(out)
    assert cached.diff(ref) == []
    # descriptions are stored as JSON: braindecode's BIDSPath becomes its text
    got, expected = cached.get_metadata(), ref.get_metadata()
    assert (got["path"] == expected["path"].map(str)).all()
    pd.testing.assert_frame_equal(got.drop(columns="path"), expected.drop(columns="path"))
    x = ref[5][0]
    assert (np.abs(cached[5][0].astype(np.float64) / cached.scale - x)
            <= float16_tolerance(x, cached.scale)).all()
    assert main(["cache", "check", str(out), "--root", str(root)]) == 0
