"""Hard-negative emphasis: draw the background windows the model finds seizure-like more often."""

# License: BSD (3-clause)

from __future__ import annotations

import numbers

import numpy as np
import torch
from skorch.callbacks import Callback
from torch.utils.data import DataLoader, Subset

from .inference import _collate_signals, seizure_probability

__all__ = ["HardNegativeMining"]

_POOL_STREAM = 3


class HardNegativeMining(Callback):
    """Weight the balanced sampler's no-seizure draw by the model's false-alarm probability.

    A balanced epoch holds few background windows (2.5x the partial-seizure
    windows), so a detector sees few hard negatives (artifacts, rhythmic
    bursts) and loses precision. At the end of every ``every``-th epoch this
    callback predicts a random pool of the training set's no-seizure windows,
    and gives each scored window the weight ``1 + emphasis * p`` (``p``: its
    predicted seizure probability, the maximum over samples for a dense
    detector); unscored windows keep their weight (1 at first). The sampler
    then draws the next epochs' no-seizure quota by successive sampling with
    these weights (:meth:`BalancedSeizureSampler.set_background_weights
    <braindecode_stbalance.BalancedSeizureSampler.set_background_weights>`),
    so the quota and the epoch length do not change.

    Parameters
    ----------
    sampler : BalancedSeizureSampler
        The training sampler (``redraw="epoch"``), as passed with
        ``**sampler.skorch_params()``; it must be bound to the training set
        (it is from the first epoch on).
    pool_size : int
        No-seizure windows scored per update (the cost: one inference pass
        over them).
    emphasis : float
        Weight added per unit of predicted probability (0: uniform draw).
    dense : bool
        ``True`` for a sample-level detector.
    output : "logits" | "probabilities"
        What the module returns.
    every : int
        Update every ``every`` epochs.
    batch_size : int
        Windows per forward pass.

    Attributes
    ----------
    weights_ : ndarray of float64 | None
        The current weight of every position of the training set.
    """

    def __init__(self, sampler, pool_size=2048, emphasis=9.0, dense=False, output="logits",
                 every=1, batch_size=256):
        self.sampler = sampler
        self.pool_size = pool_size
        self.emphasis = emphasis
        self.dense = dense
        self.output = output
        self.every = every
        self.batch_size = batch_size

    def initialize(self):
        """Check the parameters (called by skorch)."""
        for name, low in (("pool_size", 1), ("every", 1), ("batch_size", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
        if not (isinstance(self.emphasis, numbers.Real) and np.isfinite(self.emphasis)
                and self.emphasis >= 0):
            raise ValueError(f"emphasis must be a finite number >= 0, got {self.emphasis!r}.")
        self.weights_ = None
        self._epoch = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        """Score a pool of background windows and update the sampler's weights."""
        self._epoch += 1
        if self._epoch % self.every:
            return
        dataset = self.sampler.dataset
        if dataset is None:
            raise ValueError("HardNegativeMining: the sampler is bound to no dataset yet; "
                             "pass it with **sampler.skorch_params().")
        background = self.sampler.positions("no_seizure")
        if background.size == 0:
            return
        rng = np.random.default_rng([self.sampler.seed, _POOL_STREAM, self._epoch])
        pool = background if background.size <= self.pool_size else np.sort(
            rng.choice(background, self.pool_size, replace=False))
        probability = self._predict(net, Subset(dataset, pool.tolist()))
        if self.weights_ is None or self.weights_.size != len(dataset):
            self.weights_ = np.ones(len(dataset))
        self.weights_[pool] = 1.0 + float(self.emphasis) * probability
        self.sampler.set_background_weights(self.weights_)

    def _predict(self, net, subset):
        # as predict_recordings: the net's own evaluation step (eval mode, no gradients,
        # inputs moved to net.device, float16 cache batches as its module expects them)
        loader = DataLoader(subset, batch_size=self.batch_size, shuffle=False,
                            collate_fn=_collate_signals)
        out = []
        with torch.no_grad():
            for X in loader:
                p = seizure_probability(net.evaluation_step((X, None), training=False),
                                        self.dense, self.output)
                out.append(p.reshape(p.shape[0], -1).max(axis=1) if self.dense else p)
        return np.concatenate(out).astype(np.float64)
