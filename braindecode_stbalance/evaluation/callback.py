"""A skorch callback scoring whole validation recordings as SzCORE does, every epoch.

SeizureTransformer keeps the model of the epoch with the best validation
event F1; this callback computes that number inside a skorch/braindecode
training loop, so that ``skorch.callbacks.Checkpoint`` can keep the best
model. This module imports torch and skorch; :class:`SzCOREScoring` is
re-exported at the top level of the package.
"""

# License: BSD (3-clause)

from __future__ import annotations

import math
import numbers
from contextlib import suppress

import numpy as np
from skorch.callbacks import Callback

from ._recordings import WholeRecordings
from ._results import SCORE_KEYS
from .inference import _check, _iter_traces, write_predictions
from .postprocessing import correct_prior, postprocess
from .scoring import score_recordings

__all__ = ["DEFAULT_THRESHOLDS", "SzCOREScoring"]

#: Decision thresholds tried by ``SzCOREScoring(tune_threshold=True)``: 0.05, 0.10, ..., 0.95.
DEFAULT_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))
_AVERAGES = ("subject", "summed")


def _rank(scores):
    """Sort key of a threshold's scores: event F1, then sample F1; NaN ranks last."""
    return tuple(-math.inf if math.isnan(scores[k]) else scores[k]
                 for k in ("event_f1", "sample_f1"))


class SzCOREScoring(Callback):
    """Score whole validation recordings with SzCORE's rules at the end of every epoch.

    At the end of each epoch the net predicts every window of every
    validation recording, in order (the recordings as they are, continuous and
    unbalanced: no sampler), batched, without gradients and with the module
    in evaluation mode, on the net's device (CPU or CUDA); see
    :func:`~braindecode_stbalance.predict_recordings`. The per-window outputs
    are stitched into one per-sample probability trace per recording,
    post-processed as SeizureTransformer does
    (:func:`~braindecode_stbalance.evaluation.postprocess`) and scored against
    the recordings' seizure annotations with ``timescoring`` and SzCORE's
    parameters (:func:`~braindecode_stbalance.evaluation.score_recordings`;
    subjects from the recordings' descriptions).

    The epoch's row of ``net.history`` receives, with ``name="valid"``:

    - ``valid_event_sensitivity``, ``valid_event_precision``,
      ``valid_event_f1``, ``valid_event_fp_per_24h`` and the same four
      ``valid_sample_*`` scores (the mean over subjects, as the SzCORE
      challenge ranks, or the summed scores with ``average="summed"``);
    - ``valid_fp_per_24h``: false alarms per 24 h, i.e.
      ``valid_event_fp_per_24h`` (SzCORE's false-alarm rate is event-based);
    - ``valid_threshold``: the decision threshold the scores were made with;
    - ``valid_event_f1_best``: whether this epoch is the best so far, the flag
      skorch's ``EpochScoring`` writes, so that
      ``Checkpoint(monitor="valid_event_f1_best")`` keeps the model of the
      best epoch (SeizureTransformer's model selection): its event F1 beats
      every earlier epoch's, or equals the best one with a higher sample F1
      (event F1 takes few values on a small validation set and often ties
      across epochs; NaN ranks last).

    Parameters
    ----------
    valid_recordings : braindecode.datasets.BaseConcatDataset | DenseTargets
        Windowed whole validation recordings (e.g.
        ``windows.split("subject")["valid"]``); not a Subset. Their windows
        may overlap; samples no window covers count as background.
    labels : None | collection of str | callable | SeizureLabels
        Which annotation descriptions are seizures (the reference).
    dense : bool
        ``False`` for a window classifier, ``True`` for a sample-level
        detector (see :func:`~braindecode_stbalance.predict_recordings`).
    output : "logits" | "probabilities"
        What the module returns (see
        :func:`~braindecode_stbalance.predict_recordings`).
    threshold : float
        Decision threshold of the post-processing (SeizureTransformer: 0.8);
        the one used when ``tune_threshold=False``.
    tune_threshold : bool
        Every epoch, score each value of ``thresholds`` and keep the one with
        the highest event F1 (ties, NaN ranking last: the highest sample F1,
        then the first in ``thresholds``). The history's
        scores are those of the chosen threshold. Tuning on the validation
        recordings makes their scores optimistic: report scores of held-out
        recordings, predicted with ``best_threshold_``.
    thresholds : sequence of float
        The grid tried when tuning (default 0.05, 0.10, ..., 0.95).
    structure_size, min_duration
        The other post-processing parameters (SeizureTransformer's defaults:
        5 samples, 2.0 s).
    average : "subject" | "summed"
        ``"subject"`` (default): scores averaged over subjects ignoring NaN,
        the SzCORE ranking; ``"summed"``: counts summed over all recordings.
    batch_size : int
        Windows per forward pass.
    num_workers : int
        DataLoader workers reading the validation windows.
    name : str
        Prefix of the history keys.
    prior : None | (float, float)
        ``(train_prior, target_prior)``: correct the probabilities for the
        training mix before post-processing
        (:func:`~braindecode_stbalance.evaluation.correct_prior`); ``None``
        (default) uses them as they are.

    Attributes
    ----------
    scores_ : SzCOREScores
        All scores of the last epoch (at its chosen threshold), per subject
        and per recording.
    threshold_ : float
        The threshold of the last epoch.
    best_score_ : float
        The event F1 of the best epoch so far (``-inf`` before any finite one).
    best_threshold_ : float
        The threshold of the epoch with the best event F1: the one to
        predict with once ``Checkpoint`` restored that epoch's parameters
        (see :meth:`write_predictions`).

    Notes
    -----
    List it before ``Checkpoint`` in ``callbacks`` (skorch runs callbacks in
    order, and the checkpoint reads the flag)::

        scoring = SzCOREScoring(valid, tune_threshold=True)
        checkpoint = Checkpoint(monitor="valid_event_f1_best", load_best=True,
                                f_history=None)
        clf = EEGClassifier(model, classes=[0, 1], train_split=None,
                            callbacks=[scoring, checkpoint], **sampler.skorch_params())

    With ``load_best=True`` the checkpoint restores the best epoch's
    parameters when training ends, and also its history unless
    ``f_history=None`` (then the history keeps every epoch). Each epoch costs one pass of
    inference over the validation recordings, plus, when tuning, one
    post-processing and one scoring per threshold.
    """

    def __init__(self, valid_recordings, labels=None, dense=False, output="logits",
                 threshold=0.8, tune_threshold=False, thresholds=DEFAULT_THRESHOLDS,
                 structure_size=5, min_duration=2.0, average="subject", batch_size=64,
                 num_workers=0, name="valid", prior=None):
        self.valid_recordings = valid_recordings
        self.labels = labels
        self.dense = dense
        self.output = output
        self.threshold = threshold
        self.tune_threshold = tune_threshold
        self.thresholds = thresholds
        self.structure_size = structure_size
        self.min_duration = min_duration
        self.average = average
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.name = name
        self.prior = prior

    def initialize(self):
        """Check the parameters and reset the state (called by skorch)."""
        _check(self.dense, self.output, self.batch_size, self.num_workers)
        if self.average not in _AVERAGES:
            raise ValueError(f"average must be 'subject' or 'summed', got {self.average!r}.")
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}.")
        grid = np.asarray(self.thresholds, dtype=np.float64).ravel()
        if self.tune_threshold and (grid.size == 0 or not np.isfinite(grid).all()):
            raise ValueError(f"thresholds must be a non-empty sequence of finite numbers, got "
                             f"{self.thresholds!r}.")
        if not isinstance(self.threshold, numbers.Real) or not math.isfinite(self.threshold):
            raise ValueError(f"threshold must be a finite number, got {self.threshold!r}.")
        self._grid = [float(t) for t in grid] if self.tune_threshold else [float(self.threshold)]
        self._whole = None
        self.scores_ = None
        self.threshold_ = float(self.threshold)
        self.best_score_ = -math.inf
        self._best_rank = (-math.inf, -math.inf)
        self.best_threshold_ = float(self.threshold)
        return self

    def _key(self, what):
        return f"{self.name}_{what}"

    def _recordings(self):
        if self._whole is None:
            whole = WholeRecordings(self.valid_recordings, self.labels)
            self._whole = whole
            self._refs = [whole.reference(i) for i in range(len(whole))]
            self._sfreqs = [whole.sfreq(i) for i in range(len(whole))]
            self._subjects = whole.subjects()
        return self._whole

    # pylint: disable=arguments-differ,unused-argument
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Read the best score and its threshold from the history (training resumed)."""
        self._recordings()
        with suppress(ValueError, IndexError, KeyError):
            flags = net.history[:, self._key("event_f1_best")]
            best = len(flags) - 1 - flags[::-1].index(True)
            row = net.history[best]
            self.best_score_ = row[self._key("event_f1")]
            self.best_threshold_ = row[self._key("threshold")]
            self._best_rank = _rank({k: row[self._key(k)] for k in ("event_f1", "sample_f1")})

    def score_traces(self, traces):
        """Post-process and score probability traces of the validation recordings.

        Parameters
        ----------
        traces : list of ndarray
            One per-sample probability trace per validation recording, in
            order (e.g. from :func:`~braindecode_stbalance.predict_recordings`).

        Returns
        -------
        threshold : float
            The threshold chosen (``threshold``, or the best of the grid).
        scores : SzCOREScores
            The scores at that threshold.
        """
        self._recordings()
        best = None
        for t in self._grid:
            masks = [postprocess(trace, sfreq, t, self.structure_size, self.min_duration)
                     for trace, sfreq in zip(traces, self._sfreqs)]
            scores = score_recordings(self._refs, masks, self._sfreqs, self._subjects)
            rank = _rank(self._aggregate(scores))
            if best is None or rank > best[0]:
                best = (rank, t, scores)
        return best[1], best[2]

    def _aggregate(self, scores):
        return scores.subject_mean if self.average == "subject" else scores.summed

    def on_epoch_end(self, net, **kwargs):
        """Predict, post-process and score the validation recordings; write the history."""
        whole = self._recordings()
        traces = [None] * len(whole)
        for i, trace in _iter_traces(net, whole, self.dense, self.output, self.batch_size,
                                     self.num_workers):
            traces[i] = trace if self.prior is None else correct_prior(trace, *self.prior)
        threshold, scores = self.score_traces(traces)
        values = self._aggregate(scores)
        history = net.history
        for key in SCORE_KEYS:
            history.record(self._key(key), float(values[key]))
        history.record(self._key("fp_per_24h"), float(values["event_fp_per_24h"]))
        history.record(self._key("threshold"), float(threshold))
        rank = _rank(values)
        is_best = rank > self._best_rank
        history.record(self._key("event_f1_best"), bool(is_best))
        if is_best:
            self._best_rank = rank
            self.best_score_ = float(values["event_f1"])
            self.best_threshold_ = float(threshold)
        self.scores_ = scores
        self.threshold_ = float(threshold)

    def write_predictions(self, net, recordings, out_root):
        """Write SzCORE ``events.tsv`` predictions of ``recordings`` with this callback's settings.

        Uses ``best_threshold_`` and the callback's ``dense``, ``output``,
        post-processing and batching parameters (see
        :func:`~braindecode_stbalance.write_predictions`). Call it once the
        net holds the best epoch's parameters (``Checkpoint(...,
        load_best=True)``).

        Parameters
        ----------
        net : skorch.NeuralNet
            The trained net.
        recordings : braindecode.datasets.BaseConcatDataset
            Windowed whole recordings (e.g. the test recordings).
        out_root : str | pathlib.Path
            Root of the prediction tree.

        Returns
        -------
        list of pathlib.Path
            The written files.
        """
        return write_predictions(net, recordings, out_root, threshold=self.best_threshold_,
                                 structure_size=self.structure_size,
                                 min_duration=self.min_duration, dense=self.dense,
                                 output=self.output, batch_size=self.batch_size,
                                 num_workers=self.num_workers, prior=self.prior)
