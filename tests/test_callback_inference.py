"""predict_recordings, reference_masks, write_predictions/write_references, simulated corpora."""

# License: BSD (3-clause)

import warnings
from pathlib import Path

import mne
import numpy as np
import pytest
import torch
from braindecode.preprocessing import create_fixed_length_windows
from callback_data import (
    SFREQ,
    brute_references,
    own_traces,
    simulated_windows,
    szcore_scores,
)
from epilepsy2bids.annotations import Annotations
from skorch import NeuralNet
from test_evaluation_postprocessing import reference_predict
from torch.utils.data import Subset

from braindecode_stbalance import (
    DenseTargets,
    predict_recordings,
    reference_masks,
    write_predictions,
    write_references,
)
from braindecode_stbalance.evaluation import score_tsv_trees
from braindecode_stbalance.synthetic import make_simulated_corpus, make_synthetic_corpus

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    windows, events = simulated_windows(root, n_subjects=3, duration=300.0, seed=3,
                                        seizure_rate=30.0)
    return root, windows, events


class Scripted(torch.nn.Module):
    """Outputs a known function of each window: its mean value z (in units of 10 uV)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = shape
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        z = x.mean(dim=(1, 2)) * 1e5 + self.dummy  # (batch,)
        per_sample = (x.mean(dim=1) * 1e5).unfold(1, 4, 4).mean(-1)  # (batch, time / 4)
        return {
            "(B,)": lambda: z,
            "(B,1)": lambda: z[:, None],
            "(B,2)": lambda: torch.stack([torch.zeros_like(z), z], 1),
            "(B,3)": lambda: torch.stack([-z, z, 0.5 * z], 1),
            "(B,T)": lambda: per_sample,
            "(B,1,T)": lambda: per_sample[:, None],
            "(B,2,T)": lambda: torch.stack([torch.zeros_like(per_sample), per_sample], 1),
            "proba": lambda: torch.sigmoid(z),
            "tuple": lambda: (z, z * 0),
        }[self.shape]()


def _net(shape):
    return NeuralNet(Scripted(shape), criterion=torch.nn.BCEWithLogitsLoss).initialize()


def _expected_probability(windows, shape):
    """Per window, by hand: the seizure probability each output shape must give."""
    out = []
    for j in range(len(windows)):
        x = windows[j][0].astype(np.float64)
        z = x.mean() * 1e5
        per = x.mean(axis=0).reshape(-1, 4).mean(1) * 1e5
        sig = lambda v: 1 / (1 + np.exp(-v))
        if shape in ("(B,)", "(B,1)", "(B,2)", "proba", "tuple"):
            out.append(sig(z))  # softmax([0, z])[1] = sigmoid(z)
        elif shape == "(B,3)":
            e = np.exp([-z, z, 0.5 * z] - np.max([-z, z, 0.5 * z]))
            out.append(1 - e[0] / e.sum())
        else:
            out.append(sig(per))
    return out


@pytest.mark.parametrize("shape", ["(B,)", "(B,1)", "(B,2)", "(B,3)", "proba", "tuple",
                                   "(B,T)", "(B,1,T)", "(B,2,T)"])
def test_outputs_become_the_seizure_probability(sim, shape):
    _, windows, _ = sim
    dense = "T" in shape
    output = "probabilities" if shape == "proba" else "logits"
    traces = predict_recordings(_net(shape), windows, dense=dense, output=output,
                                batch_size=7)
    want = own_traces(windows, _expected_probability(windows, shape))
    assert len(traces) == len(windows.datasets)
    for got, ref in zip(traces, want):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_output_shape_errors(sim):
    _, windows, _ = sim
    with pytest.raises(ValueError, match="pass dense=True"):
        predict_recordings(_net("(B,2,T)"), windows)
    with pytest.raises(ValueError, match=r"expected \(batch, time\)"):
        predict_recordings(_net("(B,)"), windows, dense=True)
    with pytest.raises(ValueError, match="output must be"):
        predict_recordings(_net("(B,)"), windows, output="proba")
    with pytest.raises(TypeError, match="whole recordings"):
        predict_recordings(_net("(B,)"), Subset(windows, [0, 1]))


def test_dense_output_length_must_divide_the_window(sim):
    _, windows, _ = sim

    class Odd(Scripted):
        def forward(self, x):
            return x[:, 0, :7] + self.dummy

    net = NeuralNet(Odd("(B,T)"), criterion=torch.nn.BCEWithLogitsLoss).initialize()
    with pytest.raises(ValueError, match="gave 7 values for 320 samples"):
        predict_recordings(net, windows, dense=True)


def test_reference_masks_are_the_annotations(sim):
    _, windows, _ = sim
    for got, want in zip(reference_masks(windows), brute_references(windows)):
        np.testing.assert_array_equal(got, want)
    assert any(m.any() for m in reference_masks(windows))
    with pytest.warns(UserWarning, match="carry known seizure labels"):
        none = reference_masks(DenseTargets(windows), labels=["seiz"])
    assert not any(m.any() for m in none)


def test_written_trees_score_as_szcore_scores_our_predictions(sim, tmp_path):
    root, windows, _ = sim
    net = _net("(B,)")
    threshold = 0.5
    written = write_predictions(net, windows, tmp_path / "pred", threshold=threshold,
                                batch_size=16)
    refs = write_references(windows, tmp_path / "ref")
    # the BIDS layout of the recordings is mirrored
    sources = sorted(Path(ds.description["path"]).relative_to(root) for ds in windows.datasets)
    want = [s.with_name(s.name.replace("_eeg.edf", "_events.tsv")) for s in sources]
    assert [p.relative_to(tmp_path / "pred") for p in written] == want
    assert [p.relative_to(tmp_path / "ref") for p in refs] == want
    # files read back by epilepsy2bids hold our own post-processed predictions
    traces = own_traces(windows, [1 / (1 + np.exp(-windows[j][0].mean() * 1e5))
                                  for j in range(len(windows))])
    hyps = [reference_predict(t, threshold, 5, 2.0, fs=SFREQ).astype(bool) for t in traces]
    order = np.argsort([str(Path(ds.description["path"])) for ds in windows.datasets])
    for k, i in enumerate(order):
        back = Annotations.loadTsv(written[k])
        if not hyps[i].any():
            assert [e["eventType"].value for e in back.events] == ["bckg"]
            continue
        expected = Annotations.loadMask(hyps[i], SFREQ)
        np.testing.assert_allclose([(e["onset"], e["duration"]) for e in back.events],
                                   [(e["onset"], e["duration"]) for e in expected.events],
                                   atol=0.006)
        for e in back.events:
            if e["eventType"].value != "bckg":
                assert 0 <= float(e["confidence"]) <= 1
    subjects = [ds.description["subject"] for ds in windows.datasets]
    expected = szcore_scores(brute_references(windows), hyps, SFREQ,
                             [f"sub-{s}" for s in subjects], tmp_path)
    result = score_tsv_trees(tmp_path / "ref", tmp_path / "pred")
    assert result.missing == () and result.unmatched == ()
    for k in ("event_f1", "event_sensitivity", "sample_f1", "event_fp_per_24h"):
        np.testing.assert_allclose(result.subject_mean[k], expected["subject_mean"][k],
                                   equal_nan=True)


def _windows_of(corpus):
    """10 s windows at 32 Hz, no overlap (braindecode's warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_fixed_length_windows(corpus, window_size_samples=320,
                                           window_stride_samples=320, on_last_window="overlap")


def test_recordings_without_bids_paths_get_subject_folders(tmp_path):
    corpus = make_synthetic_corpus(tmp_path / "edf", n_recordings=3, duration=120.0,
                                   sfreq=32.0, seizures_per_recording=(0, 1), seed=0)
    corpus.datasets[2].description["subject"] = corpus.datasets[0].description["subject"]
    windows = _windows_of(corpus)
    written = write_references(windows, tmp_path / "ref", labels=["seiz"])
    assert sorted(p.relative_to(tmp_path / "ref").as_posix() for p in written) == [
        "sub-0/eeg/sub-0_task-szMonitoring_run-00_events.tsv",
        "sub-0/eeg/sub-0_task-szMonitoring_run-01_events.tsv",
        "sub-1/eeg/sub-1_task-szMonitoring_run-00_events.tsv"]
    masks = reference_masks(windows, labels=["seiz"])
    for path, mask in zip(written[:2], [masks[0], masks[2]]):
        np.testing.assert_array_equal(
            Annotations.loadTsv(path).getMask(32.0).astype(bool)[:mask.size][mask],
            np.ones(mask.sum(), bool))


def test_szcore_bids_tree_is_mirrored_and_scored(tmp_path):
    from braindecode_stbalance._testing import make_szcore_tree
    from braindecode_stbalance.datasets import SzCOREBIDS

    make_szcore_tree(tmp_path / "bids", n_subjects=2, runs_per_subject=2, seed=1)
    corpus = SzCOREBIDS(tmp_path / "bids")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = create_fixed_length_windows(corpus, window_size_samples=256,
                                              window_stride_samples=128,
                                              on_last_window="overlap")
    write_predictions(NeuralNet(Scripted("(B,)"), criterion=torch.nn.BCELoss).initialize(),
                      windows, tmp_path / "pred")
    result = score_tsv_trees(tmp_path / "bids", tmp_path / "pred")
    assert result.missing == () and result.unmatched == () and result.replaced == {}
    assert result.n_recordings == 4


def test_make_simulated_corpus(tmp_path):
    corpus, events = make_simulated_corpus(tmp_path, n_subjects=2, recordings_per_subject=2,
                                           duration=240.0, sfreq=64.0, n_channels=3,
                                           seizure_rate=20.0, seed=5)
    assert list(events.columns) == ["recording", "subject", "onset", "duration", "kind"]
    assert [ds.description["subject"] for ds in corpus.datasets] == ["01", "01", "02", "02"]
    for i, ds in enumerate(corpus.datasets):
        path = Path(ds.description["path"])
        run = ds.description["run"]
        assert path.relative_to(tmp_path).as_posix() == (
            f"sub-{ds.description['subject']}/ses-01/eeg/sub-{ds.description['subject']}"
            f"_ses-01_task-szMonitoring_run-{run:02d}_eeg.edf")
        assert not ds.raw.preload and ds.raw.info["sfreq"] == 64.0 and len(ds.raw.ch_names) == 3
        seizures = events[(events["recording"] == i) & (events["kind"] == "seizure")]
        ann = ds.raw.annotations
        assert list(ann.description) == ["sz"] * len(seizures)
        np.testing.assert_allclose(ann.onset, seizures["onset"], atol=1e-3)
        np.testing.assert_allclose(ann.duration, seizures["duration"], atol=1e-3)
    assert (events["kind"] != "seizure").any() and (events["kind"] == "seizure").any()
    again, _ = make_simulated_corpus(tmp_path / "again", n_subjects=2, recordings_per_subject=2,
                                     duration=240.0, sfreq=64.0, n_channels=3,
                                     seizure_rate=20.0, seed=5)
    np.testing.assert_array_equal(again.datasets[3].raw.get_data(),
                                  corpus.datasets[3].raw.get_data())
    assert isinstance(corpus.datasets[0].raw, mne.io.BaseRaw)


def test_a_sub_folder_file_without_a_bids_data_name_is_named_by_subject(tmp_path):
    """``sub-07/eeg/sub-07_notes.edf`` has no BIDS data-file name: subject naming, no error."""
    corpus = make_synthetic_corpus(tmp_path / "edf", n_recordings=2, duration=120.0,
                                   sfreq=32.0, seizures_per_recording=(0, 1), seed=0)
    corpus.datasets[0].description["path"] = str(tmp_path / "sub-07" / "eeg" / "sub-07_notes.edf")
    corpus.datasets[1].description["path"] = str(
        tmp_path / "bids" / "sub-07" / "eeg" / "sub-07_task-x_run-01_eeg.edf")
    windows = _windows_of(corpus)
    written = write_references(windows, tmp_path / "ref", labels=["seiz"])
    subject = corpus.datasets[0].description["subject"]
    assert sorted(p.relative_to(tmp_path / "ref").as_posix() for p in written) == sorted([
        f"sub-{subject}/eeg/sub-{subject}_task-szMonitoring_run-00_events.tsv",
        "sub-07/eeg/sub-07_task-x_run-01_events.tsv"])
