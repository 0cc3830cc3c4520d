"""Issue "Correct by default": each failure a new user met, with its fix pinned.

Training targets and skorch (classes, regression shapes), braindecode's
per-recording warning, custom label vocabularies, symlinked trees, broken EDF
files and on_error, --out checked before scanning, file modes, figure formats and
damaged manifests.
"""

# License: BSD (3-clause)

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from braindecode import EEGClassifier, EEGRegressor
from braindecode.models import ShallowFBCSPNet
from braindecode.preprocessing import (
    create_fixed_length_windows,
)
from sampler_data import WINDOW, make_windows
from skorch.helper import predefined_split

from braindecode_stbalance import (
    BalancedSeizureSampler,
    SeizureManifest,
    annotate_seizure_ratio,
    scan_corpus,
)
from braindecode_stbalance._testing import make_tusz_tree
from braindecode_stbalance.cli import main
from braindecode_stbalance.datasets import TUSZ, CorpusError, find_tusz_recordings

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _model(n_outputs):
    torch.manual_seed(0)
    return ShallowFBCSPNet(n_chans=2, n_outputs=n_outputs, n_times=WINDOW, n_filters_time=4,
                           n_filters_spat=4, filter_time_length=8, pool_time_length=8,
                           pool_time_stride=4)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_windows(tmp_path_factory.mktemp("targets"), n_recordings=3, duration=240.0,
                        annotate=False)


# ------------------------------------------------------------------ training targets
@pytest.mark.parametrize("target,n_classes", [("binary", 2), ("category", 3)])
def test_documented_classification_targets_train_with_predefined_split(corpus, target,
                                                                       n_classes):
    """predefined_split + y=None: classes must be given; integer targets train."""
    annotate_seizure_ratio(corpus, target=target)
    train, valid = corpus.split([[0, 1], [2]]).values()
    sampler = BalancedSeizureSampler(train, random_state=0)
    clf = EEGClassifier(_model(n_classes), max_epochs=2, batch_size=32,
                        classes=list(range(n_classes)), train_split=predefined_split(valid),
                        verbose=0, **sampler.skorch_params())
    clf.fit(train, y=None)
    assert len(clf.history) == 2 and np.isfinite(clf.history[-1, "valid_loss"])
    y = np.asarray(train.get_metadata()["target"])
    assert y.dtype.kind == "i" and set(np.unique(y)) <= set(range(n_classes))


def test_ratio_target_has_the_shape_regression_losses_expect(corpus):
    annotate_seizure_ratio(corpus, target="ratio")
    _x, y, _ = corpus[0]
    assert isinstance(y, np.ndarray) and y.shape == (1,) and y.dtype == np.float32
    sampler = BalancedSeizureSampler(corpus, random_state=0)
    seen = []

    class Recording(torch.nn.MSELoss):
        def forward(self, pred, target):
            seen.append((tuple(pred.shape), tuple(target.shape)))
            return super().forward(pred, target)

    reg = EEGRegressor(_model(1), criterion=Recording, max_epochs=1, batch_size=32,
                       train_split=None, verbose=0, **sampler.skorch_params())
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # torch's broadcast warning would raise
        reg.fit(corpus, y=None)
    assert seen and all(p == t and p[1] == 1 for p, t in seen)
    # the metadata target holds the ratio too
    md = corpus.datasets[0].metadata
    np.testing.assert_allclose(np.concatenate(md["target"].to_numpy()), md["seizure_ratio"])


def test_missing_target_fails_before_the_first_batch_naming_target(corpus):
    annotate_seizure_ratio(corpus)  # no target: braindecode's -1 placeholders stay
    for ds in corpus.datasets:
        ds.y = [-1] * len(ds)
    sampler = BalancedSeizureSampler(corpus, random_state=0)
    seen = []
    model = _model(2)
    model.register_forward_pre_hook(lambda *_: seen.append(1))
    clf = EEGClassifier(model, max_epochs=1, classes=[0, 1], train_split=None, verbose=0,
                        **sampler.skorch_params())
    with pytest.raises(ValueError, match="target='binary'"):
        clf.fit(corpus, y=None)
    assert not seen


# ------------------------------------------------------------------ braindecode's warning
_NOISE = textwrap.dedent("""
    import sys, warnings
    from braindecode.preprocessing import Preprocessor, preprocess
    sys.path.insert(0, "tests")
    from sampler_data import make_windows
    from braindecode_stbalance import SeizureRatio
    windows = make_windows(sys.argv[1], n_recordings=4, duration=60.0, annotate=False)
    steps = [SeizureRatio(labels=["seiz"], target="binary")]
    if sys.argv[2] == "mixed":
        steps.append(Preprocessor("pick", picks="eeg"))
    preprocess(windows, steps, n_jobs=2)
""")


@pytest.mark.parametrize("steps", ["ours", "mixed"])
def test_per_recording_warning_silenced_for_our_step_only(tmp_path, steps):
    out = subprocess.run([sys.executable, "-c", _NOISE, str(tmp_path), steps], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=True)
    noisy = out.stderr.count("Applying preprocessors")
    assert noisy == (0 if steps == "ours" else 4), out.stderr[-2000:]


# ------------------------------------------------------------------ label vocabularies
def test_custom_labels_leaving_out_known_seizure_types_warn_with_counts(tmp_path):
    make_tusz_tree(tmp_path, n_recordings=4, durations=(120,), sfreq=32.0,
                   seizure_fraction=1.0, seed=2)
    windows = create_fixed_length_windows(TUSZ(tmp_path, annotations="csv"),
                                          window_size_samples=320, window_stride_samples=160,
                                          on_last_window="overlap")
    types = pd.Series([d for ds in windows.datasets for d in ds.raw.annotations.description])
    with pytest.warns(UserWarning, match="known seizure labels that the given labels do not "
                      "count") as rec:
        annotate_seizure_ratio(windows, labels=["seiz"])
    msg = str(rec[0].message)
    for label, n in types.value_counts().items():
        assert f"{label!r} x{n}" in msg
    with pytest.warns(UserWarning, match="known seizure labels"):
        scan_corpus(tmp_path, annotations="csv", window=10, stride=5, labels=["seiz"],
                    progress=False)


# ------------------------------------------------------------------ trees with links
def test_symlinked_patient_folders_are_followed_once(tmp_path):
    elsewhere, root = tmp_path / "elsewhere", tmp_path / "tusz"
    make_tusz_tree(elsewhere, n_recordings=6, durations=(60,), sfreq=32.0, splits=("train",),
                   seed=4)
    patients = sorted((elsewhere / "edf" / "train").iterdir())
    (root / "edf" / "train").mkdir(parents=True)
    shutil.copytree(patients[0], root / "edf" / "train" / patients[0].name)
    for p in patients[1:]:
        (root / "edf" / "train" / p.name).symlink_to(p, target_is_directory=True)
    (root / "edf" / "train" / "loop").symlink_to(root / "edf", target_is_directory=True)
    listing = find_tusz_recordings(root, split="train")
    real = find_tusz_recordings(elsewhere, split="train")
    assert len(listing) == len(real) == 6  # the linked patients, and the loop walked once
    assert len(TUSZ(root, split="train").datasets) == 6
    m = scan_corpus(root, split="train", window=10, progress=False)
    assert len(m.recordings) == 6


def test_a_tree_without_recordings_says_what_it_holds(tmp_path):
    (tmp_path / "edf" / "train" / "p").mkdir(parents=True)
    (tmp_path / "edf" / "train" / "p" / "notes.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"No \.edf files .*found 1 \.txt"):
        find_tusz_recordings(tmp_path)
    make_tusz_tree(tmp_path / "t", n_recordings=2, durations=(60,), sfreq=32.0,
                   splits=("dev",), seed=1)
    with pytest.raises(FileNotFoundError, match=r"split \['train'\].*2 in dev"):
        find_tusz_recordings(tmp_path / "t", split="train")


# ------------------------------------------------------------------ broken EDF files
def _patch_header(path, offset, text):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(text.encode("ascii"))


def _zero_samples_per_record(path):
    with open(path, "rb") as f:
        nchan = int(f.read(256)[252:256])
    for i in range(nchan):
        _patch_header(path, 256 + 216 * nchan + 8 * i, "0".ljust(8))


def _infinite_record(path):
    _patch_header(path, 244, "inf".ljust(8))


@pytest.mark.parametrize("damage", [_zero_samples_per_record, _infinite_record],
                         ids=["zero_samples_per_record", "infinite_record_duration"])
def test_broken_edf_is_a_corpus_error_and_obeys_on_error(tmp_path, damage):
    make_tusz_tree(tmp_path, n_recordings=3, durations=(60,), sfreq=32.0, seed=5)
    bad = find_tusz_recordings(tmp_path)["path"].iloc[1]
    damage(bad)
    for call in (lambda e: scan_corpus(tmp_path, window=10, on_error=e, progress=False),
                 lambda e: TUSZ(tmp_path, on_error=e)):
        with pytest.raises(CorpusError, match=os.path.basename(bad)):
            call("raise")
        with pytest.warns(UserWarning, match="skipped"):
            out = call("skip")
        skipped = out.provenance["skipped"] if hasattr(out, "provenance") else out.skipped
        assert [os.path.basename(s) for s in pd.DataFrame(skipped)["path"]] == [
            os.path.basename(bad)]
    args = ["scan", str(tmp_path), "--format", "tusz", "--window", "10", "--quiet",
            "--out", str(tmp_path / "m.parquet")]
    assert main(args) == 1
    assert main([*args, "--on-error", "skip"]) == 0


_NO_OVERRIDE = "-dac_override,-dac_read_search"


def _without_permission_override(code, *args):
    """Run ``code`` in a subprocess that file permissions apply to.

    Root bypasses them (CAP_DAC_OVERRIDE): as root the subprocess runs under
    ``setpriv`` without those two capabilities, so a mode-000 file is unreadable.
    """
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: permissions cannot be enforced")
        prefix = [setpriv, f"--bounding-set={_NO_OVERRIDE}", f"--inh-caps={_NO_OVERRIDE}"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([*prefix, sys.executable, "-c", code, *args], check=False,
                          capture_output=True,
                          text=True, timeout=300, env=env, cwd=ROOT)


def _open_tree():
    tmp = Path(tempfile.mkdtemp(prefix="stb_perm_"))
    make_tusz_tree(tmp, n_recordings=3, durations=(60,), sfreq=32.0, seed=6)
    return tmp


def test_unreadable_edf_is_skipped_with_on_error_skip():
    tmp = _open_tree()
    try:
        bad = find_tusz_recordings(tmp)["path"].iloc[0]
        os.chmod(bad, 0)
        code = textwrap.dedent("""
            import sys, warnings
            from braindecode_stbalance import scan_corpus
            from braindecode_stbalance.datasets import CorpusError
            try:
                scan_corpus(sys.argv[1], window=10, progress=False)
            except CorpusError as err:
                print("RAISE", err)
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                m = scan_corpus(sys.argv[1], window=10, on_error="skip", progress=False)
            print("SKIPPED", m.provenance["skipped"][0]["reason"], len(m.recordings))
        """)
        out = _without_permission_override(code, str(tmp))
        assert out.returncode == 0, out.stderr[-2000:]
        assert "RAISE" in out.stdout and "cannot read the EDF" in out.stdout
        assert "SKIPPED" in out.stdout and out.stdout.strip().endswith(" 2")
    finally:
        shutil.rmtree(tmp)


def test_out_is_checked_before_scanning(tmp_path, capsys):
    make_tusz_tree(tmp_path / "t", n_recordings=2, durations=(60,), sfreq=32.0, seed=1)
    (tmp_path / "folder").mkdir()
    assert main(["scan", str(tmp_path / "t"), "--format", "tusz", "--window", "10",
                 "--out", str(tmp_path / "folder")]) == 1
    err = capsys.readouterr().err
    assert "is a folder" in err
    assert "rec/s" not in err  # no progress bar: nothing was scanned
    tmp = _open_tree()
    try:
        locked = tmp / "locked"
        locked.mkdir(mode=0o555)
        code = ("import sys; from braindecode_stbalance.cli import main; "
                "sys.exit(main(['scan', sys.argv[1], '--format', 'tusz', '--window', '10', "
                "'--out', sys.argv[2]]))")
        out = _without_permission_override(code, str(tmp), str(locked / "m.parquet"))
        assert out.returncode == 1 and "is not writable" in out.stderr
        assert "rec/s" not in out.stderr  # no progress bar: nothing was scanned
    finally:
        shutil.rmtree(tmp)


# ------------------------------------------------------------------ files users share
def test_written_files_respect_the_umask_and_keep_modes(tmp_path):
    windows = make_windows(tmp_path / "c", n_recordings=2, duration=120.0)
    m = SeizureManifest.from_dataset(windows)
    old = os.umask(0o022)
    try:
        path = m.save(tmp_path / "m.parquet")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
        os.chmod(path, 0o640)
        m.save(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
        os.umask(0o077)
        fig = tmp_path / "f.png"
        assert main(["summary", str(path), "--plot", str(fig)]) == 0
        assert stat.S_IMODE(os.stat(fig).st_mode) == 0o600
    finally:
        os.umask(old)


@pytest.mark.parametrize("ext,magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF"),
                                       (".svg", b"<?xml")])
def test_summary_plot_honours_the_extension(tmp_path, ext, magic):
    windows = make_windows(tmp_path / "c", n_recordings=2, duration=120.0)
    path = SeizureManifest.from_dataset(windows).save(tmp_path / "m.parquet")
    fig = tmp_path / f"fig{ext}"
    assert main(["summary", str(path), "--plot", str(fig), "--dpi", "50"]) == 0
    assert fig.read_bytes()[:len(magic)] == magic


def test_summary_plot_rejects_unknown_extension_before_work(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["summary", str(tmp_path / "m.parquet"), "--plot", str(tmp_path / "fig.xyz")])
    assert exc.value.code == 2 and ".png" in capsys.readouterr().err


def test_plot_to_a_file_leaves_pyplot_alone(tmp_path):
    """Writing a figure neither switches the session's backend nor leaves a pyplot figure."""
    import matplotlib
    import matplotlib.pyplot as plt

    from braindecode_stbalance.plots import plot_manifest

    windows = make_windows(tmp_path / "c", n_recordings=2, duration=120.0)
    m = SeizureManifest.from_dataset(windows)
    backend, open_figures = matplotlib.get_backend(), plt.get_fignums()
    fig = plot_manifest(m, tmp_path / "f.svg")
    assert (tmp_path / "f.svg").read_bytes()[:5] == b"<?xml" and len(fig.axes) == 3
    assert matplotlib.get_backend() == backend and plt.get_fignums() == open_figures
    with pytest.raises(ValueError, match="Cannot tell the figure format"):
        plot_manifest(m, tmp_path / "f.xyz")
    assert not (tmp_path / "f.xyz").exists() and plt.get_fignums() == open_figures
    shown = plot_manifest(m)  # no path: a pyplot figure, for plt.show()
    assert shown.number in plt.get_fignums()
    plt.close(shown)
