"""The README's scan -> train-from-manifest path, end to end on real files."""

import warnings

import torch
from braindecode import EEGClassifier
from braindecode.models import ShallowFBCSPNet
from braindecode.preprocessing import create_fixed_length_windows

from braindecode_stbalance import BalancedSeizureSampler, SeizureManifest
from braindecode_stbalance._testing import make_tusz_tree
from braindecode_stbalance.cli import main as stbalance
from braindecode_stbalance.datasets import TUSZ


def test_scan_then_train_from_the_manifest(tmp_path):
    root = tmp_path / "tusz"
    make_tusz_tree(root, n_recordings=6, durations=(300,), sfreq=32.0, splits=("train",),
                   seizure_fraction=1.0, seed=1)
    out = tmp_path / "train.parquet"
    assert stbalance(["scan", str(root), "--format", "tusz", "--split", "train",
                      "--window", "60", "--stride", "15", "--out", str(out)]) == 0

    manifest = SeizureManifest.load(out)
    sampler = BalancedSeizureSampler.from_manifest(manifest, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = create_fixed_length_windows(
            TUSZ(root, split="train", picks="szcore19"), **manifest.window_kwargs)
    manifest.check(windows)
    manifest.apply(windows, target="binary")

    seen = []
    model = ShallowFBCSPNet(n_chans=19, n_outputs=2, n_times=60 * 32, sfreq=32.0)
    model.register_forward_pre_hook(lambda _, args: seen.append(len(args[0])))
    torch.manual_seed(0)
    clf = EEGClassifier(model, max_epochs=1, batch_size=8, train_split=None,
                        iterator_train__drop_last=False, verbose=0, **sampler.skorch_params())
    clf.fit(windows, y=None)
    assert sum(seen) == len(sampler) == sum(sampler.quotas.values())
