"""Which windows a sampler's indices address: Subset chains, corpus identity, staleness.

A balanced sampler yields positions of *one* dataset: the corpus it was built
on, a :class:`torch.utils.data.Subset` of it, or whatever it was explicitly
bound to (:meth:`BalancedSeizureSampler.bind
<braindecode_stbalance.BalancedSeizureSampler.bind>`). Binding is explicit: a
sampler never looks at who iterates it. Datasets are matched by the identity
of their underlying corpus; windows by their corpus index.

Between a dataset and its corpus there may be Subsets and *index-preserving
views*: datasets whose position ``j`` is position ``j`` of the dataset they
wrap (their ``dataset`` attribute), marked by the class attribute
``_preserves_indices = True``. :class:`~braindecode_stbalance.DenseTargets`
is one: it changes the target of each window, never which window a position
holds, so a sampler of the corpus stays meaningful through it. A view that
also sets ``_replaces_targets = True`` supplies its own training targets: the
corpus' window targets are then not checked (:func:`replaces_targets`).
"""

# License: BSD (3-clause)

from __future__ import annotations

import weakref

import numpy as np
from torch.utils.data import Subset

from .categories import RecordingName

__all__ = ["check_targets", "describe_chain", "replaces_targets", "unwrap", "weak"]


def _inner(dataset):
    """The dataset that a Subset or an index-preserving view wraps, else None."""
    if isinstance(dataset, Subset) or getattr(type(dataset), "_preserves_indices", False):
        return dataset.dataset
    return None


def _chain(dataset):
    chain = [dataset]
    while (inner := _inner(chain[-1])) is not None:
        chain.append(inner)
    return chain


def replaces_targets(dataset):
    """Whether a view between ``dataset`` and its corpus supplies the training targets.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        A corpus, or Subsets and index-preserving views of one.

    Returns
    -------
    bool
        True if one of them has the class attribute ``_replaces_targets = True``
        (e.g. :class:`~braindecode_stbalance.DenseTargets`).
    """
    return any(getattr(type(d), "_replaces_targets", False) for d in _chain(dataset)[:-1])


def unwrap(dataset):
    """The corpus under nested Subsets and views, and the corpus index of each position.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        A corpus, or (nested) :class:`~torch.utils.data.Subset` and
        index-preserving views (see the module's notes) of one.

    Returns
    -------
    root : torch.utils.data.Dataset
        The dataset under every Subset and view.
    to_root : ndarray of int64 | None
        ``to_root[j]`` is the root index of position ``j`` of ``dataset``;
        ``None`` when there is no Subset on the way (position ``j`` is root
        index ``j``).

    Raises
    ------
    TypeError
        If a Subset's indices are not one-dimensional integers.
    """
    chain = _chain(dataset)
    to_root = None
    for ds in reversed(chain[:-1]):
        if not isinstance(ds, Subset):  # an index-preserving view
            continue
        idx = np.asarray(ds.indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise TypeError(f"Subset.indices must be one-dimensional integers, got {idx.dtype} "
                            f"of shape {idx.shape}.")
        idx = idx.astype(np.int64, copy=False)
        to_root = idx if to_root is None else to_root[idx]
    return chain[-1], to_root


def describe_chain(dataset):
    """``"Subset(120 windows) -> BaseConcatDataset(600 windows)"``, for messages."""
    parts = _chain(dataset)
    return " -> ".join(f"{type(d).__name__}({_len(d)} windows)" for d in parts)


def _len(ds):
    try:
        return len(ds)
    except TypeError:
        return "?"


def weak(obj):
    """A weak reference to ``obj``, or a strong one if ``obj`` cannot be weakly referenced."""
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


def check_targets(root, root_indices):
    """Raise if windows a sampler will draw have braindecode's placeholder target -1.

    ``create_fixed_length_windows`` gives every window the target ``-1`` unless
    the recordings carry one; a classifier then fails inside its loss
    (``IndexError: Target -1 is out of bounds``) after everything was built.

    Parameters
    ----------
    root : braindecode.datasets.BaseConcatDataset
        The corpus.
    root_indices : ndarray of int64 | None
        The corpus indices the sampler draws from (``None``: all).

    Raises
    ------
    ValueError
        Naming the first recording concerned and what to pass.
    """
    datasets = getattr(root, "datasets", None)
    if not datasets:
        return
    bounds = np.asarray(root.cumulative_sizes)
    if root_indices is None:
        used = range(len(datasets))
    else:
        used = np.unique(np.searchsorted(bounds, root_indices, side="right"))
    for i in used:
        ds = datasets[int(i)]
        if getattr(ds, "targets_from", "metadata") != "metadata":
            continue
        y = getattr(ds, "y", None)
        if y is None or not len(y):
            continue
        first = y[0]
        if np.ndim(first) == 0 and -1 in y:
            raise ValueError(
                f"{RecordingName(int(i), ds)} has windows whose training target is -1, the "
                "placeholder braindecode's create_fixed_length_windows gives windows without a "
                "target (a classifier would fail in its loss). Set the targets when annotating: "
                "preprocess(windows, [SeizureRatio(target='binary')]) (or target='category', "
                "or target='ratio' for EEGRegressor), annotate_seizure_ratio(windows, "
                "target='binary') or manifest.apply(windows, target='binary').")
