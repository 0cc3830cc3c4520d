"""SzCOREScoring inside real braindecode/skorch training, against independent scores."""

# License: BSD (3-clause)

import math

import numpy as np
import pytest
import torch
from braindecode import EEGClassifier, EEGRegressor
from braindecode.models import ShallowFBCSPNet
from callback_data import (
    SFREQ,
    WINDOW_S,
    expected_epoch,
    own_probabilities,
)
from skorch import NeuralNet
from skorch.callbacks import Callback, Checkpoint
from torch.utils.data import Subset

from braindecode_stbalance import BalancedSeizureSampler, DenseTargets, SzCOREScoring

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:BalancedSeizureSampler.*quota:UserWarning")]

KEYS = [f"{k}_{m}" for k in ("event", "sample")
        for m in ("sensitivity", "precision", "f1", "fp_per_24h")]
N_TIMES = int(WINDOW_S * SFREQ)


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    from callback_data import simulated_windows

    windows, events = simulated_windows(tmp_path_factory.mktemp("sim"), n_subjects=4)
    split = windows.split("subject")
    train = windows.__class__([split["01"], split["02"]])
    valid = windows.__class__([split["03"], split["04"]])
    return train, valid, events


class OwnPredictions(Callback):
    """After SzCOREScoring: the seizure probability of every validation window, by our own loop."""

    def __init__(self, valid, batch_size, dense=False):
        self.valid, self.batch_size, self.dense = valid, batch_size, dense

    def initialize(self):
        self.epochs_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_.append(own_probabilities(net, self.valid, self.batch_size, self.dense))


def classifier(callbacks, sampler, max_epochs=3, **kwargs):
    torch.manual_seed(0)
    model = ShallowFBCSPNet(n_chans=2, n_outputs=2, n_times=N_TIMES, n_filters_time=8,
                            n_filters_spat=8, filter_time_length=9, pool_time_length=16,
                            pool_time_stride=8, final_conv_length="auto")
    kwargs.setdefault("lr", 3e-3)
    return EEGClassifier(model, classes=[0, 1], optimizer=torch.optim.AdamW,
                         batch_size=16, max_epochs=max_epochs, train_split=None,
                         callbacks=callbacks, verbose=0, **sampler.skorch_params(), **kwargs)


class UNetLite(torch.nn.Module):
    """Per-sample logits at 1/4 of the input rate."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Conv1d(2, 8, 7, padding=3), torch.nn.ReLU(), torch.nn.MaxPool1d(2),
            torch.nn.Conv1d(8, 8, 7, padding=3), torch.nn.ReLU(), torch.nn.MaxPool1d(2),
            torch.nn.Conv1d(8, 1, 5, padding=2))

    def forward(self, x):
        return self.net(x * 2e4)[:, 0]


def running_best(history, name="valid"):
    """The expected best-epoch flags: a strict running maximum of (event F1, sample F1)."""
    best, flags = (-np.inf, -np.inf), []
    for row in history:
        rank = tuple(-np.inf if math.isnan(row[f"{name}_{k}"]) else row[f"{name}_{k}"]
                     for k in ("event_f1", "sample_f1"))
        flags.append(rank > best)
        best = max(best, rank)
    return flags


def assert_epoch(row, threshold, scores, name="valid"):
    assert row[f"{name}_threshold"] == threshold
    got = [row[f"{name}_{k}"] for k in KEYS]
    np.testing.assert_allclose(got, [scores[k] for k in KEYS], rtol=1e-12, equal_nan=True)
    assert (row[f"{name}_fp_per_24h"] == row[f"{name}_event_fp_per_24h"]) or math.isnan(
        row[f"{name}_fp_per_24h"])


def test_window_classifier_scores_equal_timescoring_on_our_predictions(splits, tmp_path):
    train, valid, _ = splits
    sampler = BalancedSeizureSampler(train, random_state=0)
    scoring = SzCOREScoring(valid, batch_size=32)
    own = OwnPredictions(valid, 32)
    net = classifier([scoring, own], sampler)
    net.fit(train, y=None)
    subjects = ["03", "04"]
    for epoch, probs in enumerate(own.epochs_):
        threshold, scores = expected_epoch(valid, probs, [0.8], subjects, tmp_path)
        assert_epoch(net.history[epoch], threshold, scores)
    assert scoring.scores_.n_subjects == 2 and scoring.threshold_ == 0.8
    flags = net.history[:, "valid_event_f1_best"]
    assert flags[0] == (not math.isnan(net.history[0, "valid_event_f1"]))


def test_dense_detector_with_threshold_tuning(splits, tmp_path):
    train, valid, _ = splits
    dense_train = DenseTargets(train, decimation=4)
    sampler = BalancedSeizureSampler(dense_train, random_state=0)
    grid = (0.2, 0.4, 0.6, 0.8)
    scoring = SzCOREScoring(DenseTargets(valid, decimation=4), dense=True,
                            tune_threshold=True, thresholds=grid, batch_size=16)
    own = OwnPredictions(valid, 16, dense=True)
    torch.manual_seed(0)
    net = EEGRegressor(UNetLite(), criterion=torch.nn.BCEWithLogitsLoss,
                       optimizer=torch.optim.AdamW, lr=3e-3, batch_size=16, max_epochs=3,
                       train_split=None, callbacks=[scoring, own], verbose=0,
                       **sampler.skorch_params())
    net.fit(dense_train, y=None)
    thresholds = []
    for epoch, probs in enumerate(own.epochs_):
        threshold, scores = expected_epoch(valid, probs, grid, ["03", "04"], tmp_path)
        assert_epoch(net.history[epoch], threshold, scores)
        thresholds.append(threshold)
    f1 = net.history[:, "valid_event_f1"]
    flags = running_best(net.history)
    assert net.history[:, "valid_event_f1_best"] == flags
    best = int(np.flatnonzero(flags)[-1])
    assert f1[best] == np.nanmax(f1)
    assert scoring.best_threshold_ == thresholds[best]
    assert scoring.best_score_ == f1[best]


def test_checkpoint_keeps_the_best_event_f1_epoch(splits, tmp_path):
    train, valid, _ = splits
    sampler = BalancedSeizureSampler(train, random_state=0)
    scoring = SzCOREScoring(valid, tune_threshold=True, thresholds=(0.3, 0.5, 0.7, 0.9),
                            batch_size=32)
    own = OwnPredictions(valid, 32)
    checkpoint = Checkpoint(monitor="valid_event_f1_best", dirname=str(tmp_path / "cp"),
                            load_best=True, f_history=None)  # keep every epoch's history
    net = classifier([scoring, checkpoint, own], sampler, max_epochs=5, lr=1e-2)
    net.fit(train, y=None)
    f1 = np.array(net.history[:, "valid_event_f1"], dtype=float)
    assert np.unique(f1[np.isfinite(f1)]).size > 1, f1  # the run does change the score
    # the flag is a strict running maximum, computed here from the recorded scores
    want = running_best(net.history)
    assert len(f1) == 5
    assert net.history[:, "valid_event_f1_best"] == want
    assert net.history[:, "event_cp"] == want  # the checkpoint saved exactly those epochs
    best = int(np.flatnonzero(want)[-1])
    assert best == int(np.nanargmax(f1)) and best < 4, f1  # not simply the last epoch
    # load_best restored that epoch: our own predictions now give its recorded scores
    probs = own_probabilities(net, valid, 32)
    threshold = net.history[best, "valid_threshold"]
    assert scoring.best_threshold_ == threshold
    _, scores = expected_epoch(valid, probs, [threshold], ["03", "04"], tmp_path)
    np.testing.assert_allclose(scores["event_f1"], f1[best], rtol=1e-12)
    # and the predictions it writes are scored as the best epoch was
    written = scoring.write_predictions(net, valid, tmp_path / "pred")
    assert len(written) == 2


def test_training_resumed_reads_the_best_score_from_the_history(splits):
    train, valid, _ = splits
    sampler = BalancedSeizureSampler(train, random_state=0)
    scoring = SzCOREScoring(valid, batch_size=64)
    net = classifier([scoring], sampler, max_epochs=1)
    net.fit(train, y=None)
    net.history.record("valid_event_f1", 0.99)  # pretend the first epoch was excellent
    net.history.record("valid_sample_f1", 0.5)
    net.history.record("valid_event_f1_best", True)
    net.history.record("valid_threshold", 0.42)
    net.partial_fit(train, y=None)
    assert scoring.best_score_ == 0.99 and scoring.best_threshold_ == 0.42
    assert net.history[-1, "valid_event_f1_best"] is False


def test_plain_neuralnet_and_summed_average(splits, tmp_path):
    train, valid, _ = splits
    dense_train = DenseTargets(train, decimation=4, return_inds=False)
    sampler = BalancedSeizureSampler(dense_train, random_state=0)
    scoring = SzCOREScoring(valid, dense=True, average="summed", name="val", batch_size=16)
    torch.manual_seed(0)
    net = NeuralNet(UNetLite(), criterion=torch.nn.BCEWithLogitsLoss, max_epochs=1,
                    batch_size=16, train_split=None, callbacks=[scoring], verbose=0,
                    **sampler.skorch_params())
    net.fit(dense_train, y=None)
    row = net.history[-1]
    assert row["val_event_f1"] == scoring.scores_.summed["event_f1"] or (
        math.isnan(row["val_event_f1"]) and math.isnan(scoring.scores_.summed["event_f1"]))
    assert "valid_event_f1" not in row and "val_event_f1_best" in row


@pytest.mark.parametrize("kwargs, error, match", [
    ({"average": "median"}, ValueError, "average must be"),
    ({"output": "softmax"}, ValueError, "output must be"),
    ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1"),
    ({"dense": "yes"}, TypeError, "dense must be True or False"),
    ({"tune_threshold": True, "thresholds": ()}, ValueError, "thresholds must be"),
    ({"threshold": float("nan")}, ValueError, "threshold must be a finite number"),
])
def test_invalid_parameters(splits, kwargs, error, match):
    _, valid, _ = splits
    with pytest.raises(error, match=match):
        SzCOREScoring(valid, **kwargs).initialize()


def test_subsets_are_refused(splits):
    _, valid, _ = splits
    scoring = SzCOREScoring(Subset(valid, [0, 1, 2])).initialize()
    with pytest.raises(TypeError, match="whole recordings"):
        scoring.score_traces([])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_gives_the_cpu_scores(splits):
    train, valid, _ = splits
    sampler = BalancedSeizureSampler(train, random_state=0)
    scoring = SzCOREScoring(valid, batch_size=32)
    net = classifier([scoring], sampler, max_epochs=1, device="cuda")
    net.fit(train, y=None)
    from braindecode_stbalance import predict_recordings

    gpu = predict_recordings(net, valid, batch_size=32)
    net.module_.to("cpu")
    net.set_params(device="cpu")
    cpu = predict_recordings(net, valid, batch_size=32)
    for a, b in zip(gpu, cpu):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert next(net.module_.parameters()).device.type == "cpu"
