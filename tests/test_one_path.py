"""One ratio path: the step, the function, the manifest, its check and the scan agree exactly.

All five go through ``facts.compute``; this test pins that they give identical ratios
(and that those equal a brute-force per-sample reference) on the same corpus, read
once through braindecode and once from the files by the scanner, for both last-window
policies and both TUSZ annotation files.
"""

# License: BSD (3-clause)

import warnings

import numpy as np
import pytest
from braindecode.preprocessing import create_fixed_length_windows, preprocess

from braindecode_stbalance import (
    SeizureManifest,
    SeizureRatio,
    annotate_seizure_ratio,
    compute_seizure_ratio,
    scan_corpus,
    window_table,
)
from braindecode_stbalance._testing import make_tusz_tree
from braindecode_stbalance.datasets import TUSZ

SFREQ = 32.0


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("one_path")
    make_tusz_tree(root, n_recordings=8, durations=(60, 130, 200), sfreq=SFREQ,
                   seizure_fraction=0.8, seed=11)
    return root


def _windows(root, annotations, policy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_fixed_length_windows(
            TUSZ(root, annotations=annotations), window_size_samples=int(10 * SFREQ),
            window_stride_samples=int(3 * SFREQ), on_last_window=policy)


def _brute_force(windows):
    out = []
    for ds in windows.datasets:
        raw = ds.raw
        t = (raw.first_samp + np.arange(raw.n_times)) / raw.info["sfreq"]
        mask = np.zeros(raw.n_times, bool)
        for a in raw.annotations:
            if a["description"] != "bckg":  # every label of these trees is a seizure type
                mask |= (t >= a["onset"]) & (t < a["onset"] + a["duration"])
        out.extend(mask[a:b].mean() for a, b in ds.crop_inds[:, 1:])
    return np.array(out)


@pytest.mark.parametrize("annotations", ["csv_bi", "csv"])
@pytest.mark.parametrize("policy", ["overlap", "drop"])
def test_step_function_manifest_check_and_scan_agree(tree, annotations, policy):
    step = _windows(tree, annotations, policy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        preprocess(step, [SeizureRatio()])
    function = annotate_seizure_ratio(_windows(tree, annotations, policy))
    manifest = SeizureManifest.from_dataset(_windows(tree, annotations, policy))
    scanned = scan_corpus(tree, format="tusz", window=10, stride=3, annotations=annotations,
                          on_last_window=policy, progress=False)
    reference = _brute_force(function)
    results = {
        "step": window_table(step)["seizure_ratio"].to_numpy(),
        "function": window_table(function)["seizure_ratio"].to_numpy(),
        "compute": compute_seizure_ratio(_windows(tree, annotations, policy)),
        "manifest": manifest.windows["seizure_ratio"].to_numpy(),
        "scan": scanned.windows["seizure_ratio"].to_numpy(),
    }
    assert (reference > 0).any() and (reference == 1).any()
    for name, ratio in results.items():
        np.testing.assert_array_equal(ratio, reference, err_msg=name)
    # the scan's manifest is the braindecode path's, fingerprints included
    assert scanned.diff(manifest) == [] and manifest.diff(function) == []
    assert manifest.settings["on_last_window"] == scanned.settings["on_last_window"] == policy
    assert manifest.window_kwargs["on_last_window"] == policy
    again = create_fixed_length_windows(TUSZ(tree, annotations=annotations),
                                        **manifest.window_kwargs)
    manifest.check(again)


def _facts(sfreq=64.0, starts=(0, 64), size=64):
    from braindecode_stbalance.facts import RecordingFacts

    starts = np.asarray(starts, dtype=np.int64)
    return RecordingFacts("rec", sfreq, 0, 200, starts, starts + size,
                          onset=np.array([0.5]), duration=np.array([1.0]))


@pytest.mark.parametrize("sfreq", [0.0, -64.0, np.nan, np.inf])
def test_compute_refuses_a_sampling_rate_that_is_not_positive(sfreq):
    from braindecode_stbalance.facts import compute

    compute([_facts()])  # the same record at 64 Hz is fine
    with pytest.raises(ValueError, match=r"^rec: sampling frequency .* is not a positive"):
        compute([_facts(), _facts(sfreq)])


@pytest.mark.parametrize(("starts", "stride"), [
    ((0, 10, 20, 30), 10), ((0, 10, 20, 25), 10),  # the last window moved back to fit
    ((0, 10, 25), -1), ((0, 10, 20, 35), -1), ((0, 7), 7), ((0,), -1)])
def test_inferred_stride_is_minus_one_when_irregular(starts, stride):
    """Without braindecode's window_kwargs the stride is read from the windows' starts."""
    from braindecode_stbalance.facts import _windowing

    starts = np.asarray(starts, dtype=np.int64)
    assert _windowing(object(), starts, starts + 12) == (12, stride, None)
