"""The ``stbalance`` command: scan, summary, demo (in-process and as real subprocesses)."""

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pytest
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.preprocessing import (
    Preprocessor,
    create_fixed_length_windows,
    preprocess,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from braindecode_stbalance import annotate_seizure_ratio
from braindecode_stbalance._manifest_build import window_starts
from braindecode_stbalance._testing import make_tusz_tree
from braindecode_stbalance.cli import main
from braindecode_stbalance.datasets import TUSZ, find_tusz_recordings
from braindecode_stbalance.manifest import SeizureManifest
from braindecode_stbalance.scan import scan_corpus

ROOT = Path(__file__).resolve().parents[1]
SFREQ = 32.0


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tusz_cli")
    make_tusz_tree(root, n_recordings=12, durations=(60, 130, 200), sfreq=SFREQ,
                   seizure_fraction=0.7, seed=3)
    return root


def _windows(concat_ds, size, stride, policy="overlap"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_fixed_length_windows(concat_ds, window_size_samples=size,
                                           window_stride_samples=stride,
                                           on_last_window=policy)


def reference_manifest(concat_ds, size, stride, **kwargs):
    """The braindecode path: reader -> windowing -> annotate -> manifest."""
    ds = annotate_seizure_ratio(_windows(concat_ds, size, stride), **kwargs)
    return SeizureManifest.from_dataset(ds, **kwargs)


def assert_same_manifest(a, b):
    pd.testing.assert_frame_equal(a.windows, b.windows)
    pd.testing.assert_frame_equal(a.recordings, b.recordings)
    assert a.settings == b.settings


# ---------------------------------------------------------------------------
# scan == reader + braindecode windowing + annotate_seizure_ratio


def test_scan_equals_braindecode_pipeline(tree, tmp_path, capsys):
    out = tmp_path / "m.parquet"
    assert main(["scan", str(tree), "--format", "tusz", "--window", "10", "--stride", "2.5",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "balanced epoch" in printed.out and "partial_seizure" in printed.out
    assert "scan" in printed.err  # the progress bar
    scanned = SeizureManifest.load(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = reference_manifest(TUSZ(tree), 320, 80)
    assert_same_manifest(scanned, ref)
    assert scanned.provenance["made_by"] == "stbalance scan"
    ref.check(_windows(TUSZ(tree), 320, 80))
    scanned.check(_windows(TUSZ(tree), 320, 80), strict=True)
    # two workers: same manifest, same order
    out2 = tmp_path / "m2.parquet"
    assert main(["scan", str(tree), "--format", "tusz", "--window", "10", "--stride", "2.5",
                 "--out", str(out2), "--jobs", "2", "--quiet"]) == 0
    assert_same_manifest(SeizureManifest.load(out2), scanned)


def test_scan_split_threshold_labels_and_csv(tree):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = scan_corpus(tree, split="dev", window=20, stride=20, full_threshold=0.5,
                        annotations="csv", labels=["fnsz", "gnsz", "cpsz"], progress=False)
        ref = reference_manifest(TUSZ(tree, split="dev", annotations="csv"), 640, 640,
                                 full_threshold=0.5, labels=["fnsz", "gnsz", "cpsz"])
    assert_same_manifest(m, ref)
    assert m.settings["labels"] == ["cpsz", "fnsz", "gnsz"]
    assert len(m.recordings) == len(find_tusz_recordings(tree, split="dev"))


def test_scan_with_resampling_matches_braindecode_resample(tree):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = scan_corpus(tree, split="dev", window=10, stride=5, sfreq=25.0, progress=False)
        corpus = TUSZ(tree, split="dev", preload=True)
        preprocess(corpus, [Preprocessor("resample", sfreq=25.0)])
        ref = reference_manifest(corpus, 250, 125)
    assert m.settings["sfreq"] == 25.0
    assert_same_manifest(m, ref)


@settings(max_examples=40, deadline=None)
@given(n_times=st.integers(1, 400), size=st.integers(1, 400), stride=st.integers(1, 120),
       policy=st.sampled_from(["overlap", "drop"]))
def test_window_starts_match_braindecode(n_times, size, stride, policy):
    if size > n_times:
        return
    raw = mne.io.RawArray(np.zeros((1, n_times)), mne.create_info(1, 10.0, "eeg"),
                          verbose="error")
    ds = _windows(BaseConcatDataset([RawDataset(raw)]), size, stride, policy)
    md = ds.datasets[0].metadata
    np.testing.assert_array_equal(window_starts(n_times, size, stride, policy),
                                  md["i_start_in_trial"])


# ---------------------------------------------------------------------------
# errors


def _broken_tree(root, n=4):
    make_tusz_tree(root, n_recordings=n, durations=(60,), sfreq=SFREQ, seed=1)
    listing = find_tusz_recordings(root)
    bad = Path(listing["csv_bi"].iloc[1])
    lines = bad.read_text().splitlines()
    lines[6] = "TERM,12.0,oops,seiz,1.0000"  # the first event row: line 7
    bad.write_text("\n".join(lines) + "\n")
    return listing, bad


def test_scan_error_names_file_and_line(tmp_path, capsys):
    listing, bad = _broken_tree(tmp_path / "tree")
    out = tmp_path / "m.parquet"
    code = main(["scan", str(tmp_path / "tree"), "--format", "tusz", "--window", "10",
                 "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{bad}, line 7" in err and "malformed row" in err
    assert not out.exists()
    # skip: the other recordings are categorised, the bad one listed
    code = main(["scan", str(tmp_path / "tree"), "--format", "tusz", "--window", "10",
                 "--out", str(out), "--on-error", "skip", "--quiet"])
    err = capsys.readouterr().err
    assert code == 0
    assert "1 of 4 recording(s) skipped" in err and f"{bad}, line 7" in err
    m = SeizureManifest.load(out)
    assert len(m.recordings) == 3
    assert os.path.abspath(listing["path"].iloc[1]) not in set(m.recordings["path"])
    assert m.provenance["skipped"][0]["path"] == os.path.abspath(listing["path"].iloc[1])
    assert main(["summary", str(out)]) == 0
    assert "1 recording(s) were skipped" in capsys.readouterr().out


def test_scan_rejects_windows_that_braindecode_would_refuse(tmp_path, capsys):
    make_tusz_tree(tmp_path / "t", n_recordings=2, durations=(60,), sfreq=SFREQ, seed=2)
    args = ["scan", str(tmp_path / "t"), "--format", "tusz", "--out", str(tmp_path / "m.parquet"),
            "--quiet"]
    assert main([*args, "--window", "90"]) == 1
    assert "fewer than one window" in capsys.readouterr().err
    assert main([*args, "--window", "0.01"]) == 1  # 0.32 samples
    assert "not a whole positive number" in capsys.readouterr().err
    for bad in (["--window", "10", "--full-threshold", "1.5"], ["--window", "-3"],
                ["--window", "inf"], ["--window", "nan"], ["--sfreq", "1e400"],
                ["--stride", "0"], ["--labels", "n/a"], ["--jobs", "0"]):
        with pytest.raises(SystemExit) as exc:  # usage errors: exit 2 with a usage message
            main([*args, *bad])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert "usage: stbalance scan" in err and bad[-2] in err
    with pytest.raises(SystemExit) as exc:
        main(["scan", str(tmp_path / "t"), "--format", "bids", "--split", "train",
              "--out", str(tmp_path / "x.parquet")])
    assert exc.value.code == 2
    assert "usage: stbalance scan" in capsys.readouterr().err
    assert main(["scan", str(tmp_path / "nothing"), "--format", "tusz",
                 "--out", str(tmp_path / "x.parquet")]) == 1


# ---------------------------------------------------------------------------
# summary, help, demo


def test_summary_and_plot(tree, tmp_path, capsys):
    out = tmp_path / "m.parquet"
    assert main(["scan", str(tree), "--format", "tusz", "--window", "10", "--stride", "5",
                 "--out", str(out), "--quiet"]) == 0
    png = tmp_path / "m.png"
    assert main(["summary", str(out), "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    m = SeizureManifest.load(out)
    assert m.summary_table() in text
    assert f"{m.summary()['n_windows']:,}" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["summary", str(tmp_path / "missing.parquet")]) == 1


@pytest.mark.parametrize("command", ["scan", "summary"])
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert f"stbalance {command}" in text
    options = {"scan": ["--format", "--split", "--window", "--stride", "--full-threshold",
                        "--out", "--jobs", "--on-error", "--sfreq", "--labels", "examples:"],
               "summary": ["--plot", "MANIFEST", "examples:"]}[command]
    for opt in options:
        assert opt in text


def test_top_level_help_and_demo(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("scan", "summary", "demo"):
        assert command in text
    assert main([]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0 and "--recordings" in capsys.readouterr().out
    assert main(["demo", "--recordings", "2", "--minutes", "3", "--out", str(tmp_path)]) == 0
    assert "partial_seizure" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# real subprocesses: exit status, interrupting a scan


def _cli(*args):
    return [sys.executable, "-m", "braindecode_stbalance.cli", *map(str, args)]


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}


def test_subprocess_exit_status_and_message(tmp_path):
    _, bad = _broken_tree(tmp_path / "tree", n=3)
    proc = subprocess.run(_cli("scan", tmp_path / "tree", "--format", "tusz", "--window", 10,
                               "--out", tmp_path / "m.parquet"),
                          capture_output=True, text=True, env=_env(), cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert f"{bad}, line 7" in proc.stderr
    assert not (tmp_path / "m.parquet").exists()


def test_scan_and_summary_do_not_import_torch_or_braindecode(tmp_path):
    # The scan path needs only numpy/pandas/mne/pyarrow: a fresh interpreter
    # running --help, scan and summary must not import torch or braindecode.
    make_tusz_tree(tmp_path / "t", n_recordings=3, durations=(60,), sfreq=SFREQ, seed=4)
    code = (
        "import sys\n"
        "from braindecode_stbalance.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"assert main(['scan', {str(tmp_path / 't')!r}, '--format', 'tusz', '--window', '10',"
        f" '--out', {str(tmp_path / 'm.parquet')!r}, '--quiet']) == 0\n"
        f"assert main(['summary', {str(tmp_path / 'm.parquet')!r}]) == 0\n"
        "print('torch' in sys.modules, 'braindecode' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_env(), cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False False"
    assert (tmp_path / "m.parquet").exists()


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tusz_big")
    make_tusz_tree(root, n_recordings=3000, durations=(600, 1200), sfreq=SFREQ, link=True,
                   seed=5)
    return root


def _start_and_interrupt(big_tree, out, sig, tmp_path):
    log = tmp_path / f"stderr_{sig}.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen(_cli("scan", big_tree, "--format", "tusz", "--window", 10,
                                     "--stride", 2.5, "--out", out),
                                stdout=subprocess.DEVNULL, stderr=err, env=_env(), cwd=tmp_path)
        deadline = time.monotonic() + 120
        try:
            # wait until the scan is under way (its progress bar is on stderr)
            while time.monotonic() < deadline and proc.poll() is None:
                if "scan:" in log.read_text():
                    break
                time.sleep(0.05)
            time.sleep(0.5)
            assert proc.poll() is None, "the scan finished before it could be interrupted: " \
                                        + log.read_text()[-500:]
            proc.send_signal(sig)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return proc.returncode, log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_interrupted_scan_keeps_previous_manifest(big_tree, tree, tmp_path, sig):
    out = tmp_path / "manifest.parquet"
    scan_corpus(tree, window=10, progress=False).save(out)
    before = out.read_bytes()
    code, err = _start_and_interrupt(big_tree, out, sig, tmp_path)
    assert out.read_bytes() == before  # byte-identical previous manifest
    assert sorted(p.name for p in tmp_path.iterdir() if "parquet" in p.name) == [out.name]
    if sig == signal.SIGTERM:
        assert code == 143 and "terminated; nothing was written" in err
    else:
        assert code == -signal.SIGKILL


# ---------------------------------------------------------------------------
# SzCORE / BIDS


def test_scan_bids_equals_szcore_reader_pipeline(tmp_path, capsys):
    from braindecode_stbalance._testing import make_szcore_tree
    from braindecode_stbalance.datasets import SzCOREBIDS

    truth = make_szcore_tree(tmp_path / "bids", n_subjects=2, runs_per_subject=2,
                             durations=(60, 90), sfreq=SFREQ, seizure_fraction=1.0, seed=4)
    out = tmp_path / "bids.parquet"
    assert main(["scan", str(tmp_path / "bids"), "--format", "bids", "--window", "4",
                 "--stride", "1", "--out", str(out), "--quiet"]) == 0
    scanned = SeizureManifest.load(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = SzCOREBIDS(root=tmp_path / "bids")
    # both list the recordings in path order
    assert [os.path.abspath(p) for p in truth["path"]] == scanned.recordings["path"].tolist()
    ref = reference_manifest(corpus, 128, 32)
    assert_same_manifest(scanned, ref)
    assert scanned.recordings["n_seizure_events"].sum() == sum(len(s) for s in truth["seizures"])
    scanned.check(_windows(SzCOREBIDS(root=tmp_path / "bids"), 128, 32))
    with pytest.raises(SystemExit) as exc:  # a usage error
        main(["scan", str(tmp_path / "bids"), "--format", "bids", "--split", "train",
              "--out", str(out), "--quiet"])
    assert exc.value.code == 2
    assert "--split applies to --format tusz only" in capsys.readouterr().err
