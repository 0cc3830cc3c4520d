"""Dense (per-sample) seizure targets of braindecode windows, computed on the fly.

:class:`DenseTargets` wraps a windowed corpus and returns, for each window,
its signal and its per-sample seizure mask: the target of a sample-level
detector such as SeizureTransformer. The masks come from the recordings'
seizure annotations through :func:`braindecode_stbalance.facts.compute`, the
one computation of the package (the rule of the seizure ratio), never from a
label channel and never from the signal.

This module imports torch (the wrapper is a :class:`torch.utils.data.Dataset`);
it is re-exported at the top level, not in :mod:`braindecode_stbalance.evaluation`.
"""

# License: BSD (3-clause)

from __future__ import annotations

import numbers

import numpy as np
from torch.utils.data import Dataset

from .._binding import describe_chain, unwrap
from ..facts import compute, corpus_facts

__all__ = ["DenseTargets"]

_REDUCTIONS = ("mean", "max")


class DenseTargets(Dataset):
    """Windows with their per-sample seizure mask as training target.

    Position ``j`` holds the window at position ``j`` of ``dataset`` and, as
    its target, the window's seizure mask: sample ``k`` of the recording is a
    seizure sample iff ``onset <= k / sfreq < onset + duration`` for a seizure
    annotation (on MNE's annotation axis, clipped to the recording), the rule
    of :func:`~braindecode_stbalance.annotate_seizure_ratio`. Every
    recording's merged seizure intervals are computed once, at construction,
    from its annotations and window positions (no EEG sample is read, nothing
    is preloaded); a window's mask is then cut from them when the window is
    read, so the mean of a mask with ``decimation=1`` is the window's
    ``seizure_ratio``.

    Parameters
    ----------
    dataset : braindecode.datasets.BaseConcatDataset | torch.utils.data.Subset
        A windowed corpus (:class:`~braindecode.datasets.EEGWindowsDataset` or
        :class:`~braindecode.datasets.WindowsDataset` recordings), or a
        :class:`~torch.utils.data.Subset` of one (at any depth). It needs no
        target and no ``seizure_ratio`` column; the balanced sampler needs the
        corpus annotated (:func:`~braindecode_stbalance.annotate_seizure_ratio`).
    labels : None | collection of str | callable | SeizureLabels
        Which annotation descriptions are seizures (see
        :class:`~braindecode_stbalance.SeizureLabels`); ``None``: TUSZ seizure
        labels and SzCORE ``sz*`` event types.
    decimation : int
        Samples per mask value (>= 1). Every window length must be a multiple
        of it; the mask of a window of ``n`` samples has ``n // decimation``
        values, value ``b`` summarising samples
        ``[b * decimation, (b + 1) * decimation)`` of the window.
    reduction : "mean" | "max"
        How a block of ``decimation`` samples becomes one value. ``"mean"``
        (default): the fraction of seizure samples in the block, a soft
        target. With it, binary cross-entropy on the decimated mask equals the
        mean per-sample binary cross-entropy of a detector that holds its
        output over each block (for a constant prediction ``p``, the mean of
        ``-[y log p + (1 - y) log(1 - p)]`` over the block is that expression
        at ``y = mean(y)``), so decimating changes the resolution of the
        output, not what the loss asks for. ``"max"``: 1 if any sample of the
        block is a seizure sample (a block is labelled seizure as soon as it
        touches one; biases a detector towards longer events).
    return_inds : bool
        ``True`` (default): items are ``(X, mask, inds)``, as braindecode
        windows give ``(X, y, inds)`` (for braindecode's ``EEGRegressor`` and
        ``EEGClassifier``, which drop ``inds``). ``False``: ``(X, mask)``, for
        a plain skorch :class:`~skorch.NeuralNet`.

    Attributes
    ----------
    dataset : torch.utils.data.Dataset
        The wrapped dataset.
    corpus : braindecode.datasets.BaseConcatDataset
        The corpus under it (under any Subset).

    Raises
    ------
    TypeError
        If ``dataset`` is not a braindecode windowed corpus or a Subset of one,
        or an argument has the wrong type.
    ValueError
        If ``decimation`` is not a positive integer dividing every window
        length (the first recording and window that it does not divide are
        named), ``reduction`` is unknown, or an annotation is invalid.

    Notes
    -----
    **Same indices as the corpus.** The wrapper is an *index-preserving
    view*: position ``j`` is position ``j`` of ``dataset``. The balanced
    sampler sees through it as through a Subset, so build the sampler on
    the wrapper (or on ``dataset``) and give the wrapper to the DataLoader or
    to skorch::

        train = DenseTargets(windows_train)
        sampler = BalancedSeizureSampler(train, random_state=0)
        net = EEGRegressor(model, criterion=torch.nn.BCEWithLogitsLoss,
                           train_split=None, **sampler.skorch_params())
        net.fit(train, y=None)

    :class:`~braindecode_stbalance.BalancedDataLoader` then binds the sampler
    to the wrapper (or to skorch's Subset of it), and does not ask the corpus'
    windows for a classification target (the mask is the target).

    **Workers.** The wrapper pickles with its corpus and the precomputed
    intervals (two int64 arrays per window), so DataLoader workers
    (``num_workers > 0``) compute masks without re-reading the annotations.

    **Cost.** One binary search per window in its recording's intervals, then
    a fill of the mask: negligible next to reading the window's signal
    (measured in ``docs/benchmarks.md``).
    """

    _preserves_indices = True  # position j is position j of self.dataset (see _binding)
    _replaces_targets = True  # the mask is the target: the corpus' y is not checked

    def __init__(self, dataset, labels=None, decimation=1, reduction="mean", return_inds=True):
        from braindecode.datasets import BaseConcatDataset

        root, to_root = unwrap(dataset)
        if not isinstance(root, BaseConcatDataset):
            raise TypeError(
                "dataset must be a windowed braindecode BaseConcatDataset or a torch Subset of "
                f"one, got {describe_chain(dataset)}.")
        if isinstance(decimation, bool) or not isinstance(decimation, numbers.Integral) \
                or decimation < 1:
            raise ValueError(f"decimation must be an int >= 1, got {decimation!r}.")
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be 'mean' or 'max', got {reduction!r}.")
        self.dataset = dataset
        self.labels = labels
        self.decimation = int(decimation)
        self.reduction = reduction
        self.return_inds = bool(return_inds)
        self.corpus = root
        self._to_root = to_root
        records, report = corpus_facts(root.datasets, labels)
        report.warn(f"this corpus of {len(records)} recording(s)")
        computed = compute(records)
        self._index_windows(records, computed)

    def _index_windows(self, records, computed):
        """Windows and seizure intervals of all recordings on one global sample axis."""
        # compute's global axis: recordings one sample apart, so seizures never merge
        shift = np.repeat(computed.origin, np.diff(computed.offsets))  # empty if no record
        self._starts = np.concatenate([r.starts for r in records] + [shift[:0]]) + shift
        self._stops = np.concatenate([r.stops for r in records] + [shift[:0]]) + shift
        self._sz_starts, self._sz_stops = computed.seizure_intervals
        if self._starts.size != len(self.corpus):
            raise ValueError(f"the corpus has {len(self.corpus)} windows but its recordings' "
                             f"metadata describe {self._starts.size}.")
        lengths = self._stops - self._starts
        bad = np.flatnonzero(lengths % self.decimation)
        if bad.size:
            j = int(bad[0])
            i = int(np.searchsorted(computed.offsets, j, side="right") - 1)
            raise ValueError(
                f"decimation={self.decimation} does not divide the length of window "
                f"{j - int(computed.offsets[i])} of {records[i].name} ({int(lengths[j])} "
                "samples): every window length must be a multiple of it.")

    def __len__(self):
        return len(self.dataset)

    def _root_index(self, index):
        if self._to_root is None:
            return index
        return int(self._to_root[index])

    def mask(self, index):
        """The seizure mask of the window at position ``index`` (no signal is read).

        Parameters
        ----------
        index : int
            Position in the wrapper (= position in ``dataset``).

        Returns
        -------
        ndarray of float32, shape (n_times // decimation,)
            1 for seizure samples, 0 otherwise; with ``decimation > 1``, for
            each block of ``decimation`` samples, its number of seizure
            samples divided by ``decimation`` (``"mean"``, rounded once to
            float32) or whether it has any (``"max"``).
        """
        r = self._root_index(index)
        a, b = int(self._starts[r]), int(self._stops[r])
        lo = np.searchsorted(self._sz_stops, a, side="right")
        hi = np.searchsorted(self._sz_starts, b, side="left")
        pieces = zip((np.maximum(self._sz_starts[lo:hi], a) - a).tolist(),
                     (np.minimum(self._sz_stops[lo:hi], b) - a).tolist())
        d = self.decimation
        if d == 1:
            mask = np.zeros(b - a, dtype=np.float32)
            for s, e in pieces:
                mask[s:e] = 1.0
            return mask
        # seizure samples per block of d samples, from the intervals (no per-sample mask)
        counts = np.zeros((b - a) // d, dtype=np.int64)
        for s, e in pieces:
            first, last = s // d, (e - 1) // d
            if first == last:
                counts[first] += e - s
                continue
            counts[first] += (first + 1) * d - s
            counts[last] += e - last * d
            counts[first + 1:last] += d
        if self.reduction == "max":
            return (counts > 0).astype(np.float32)
        return (counts / d).astype(np.float32)

    def __getitem__(self, index):
        return self.__getitems__([index])[0]

    def __getitems__(self, indices):
        """Read a batch: the corpus' own batch, with the masks as targets.

        The signal comes exactly as the corpus delivers it; a corpus with its
        own batched read (a :class:`~braindecode_stbalance.cache.CachedWindowsDataset`,
        whose float16 signal travels in the form
        :class:`~braindecode_stbalance.cache.FromCache` recognises) is read
        through it, so wrapping it in dense targets changes nothing but the
        targets.

        Parameters
        ----------
        indices : sequence of int
            Positions in the wrapper.

        Returns
        -------
        list
            One ``(X, mask, inds)`` (or ``(X, mask)``) per index.
        """
        roots = [self._root_index(int(i)) for i in indices]
        getitems = getattr(self.corpus, "__getitems__", None)
        batch = getitems(roots) if getitems is not None else [self.corpus[r] for r in roots]
        for k, (sample, index) in enumerate(zip(batch, indices)):
            mask = self.mask(int(index))
            batch[k] = (sample[0], mask, sample[2]) if self.return_inds else (sample[0], mask)
        return batch

    def __repr__(self):
        return (f"{type(self).__name__}({describe_chain(self.dataset)}, "
                f"decimation={self.decimation}, reduction={self.reduction!r}, "
                f"return_inds={self.return_inds})")
