"""A DataLoader that binds its balanced sampler to the dataset it reads (skorch's ``iterator_train``)."""

# License: BSD (3-clause)

from __future__ import annotations

from torch.utils.data import DataLoader

from ._binding import check_targets, replaces_targets, unwrap
from .samplers import BalancedSeizureSampler

__all__ = ["BalancedDataLoader"]


class BalancedDataLoader(DataLoader):
    """A :class:`~torch.utils.data.DataLoader` that binds its balanced sampler to its dataset.

    Meant as skorch's ``iterator_train`` (see
    :meth:`BalancedSeizureSampler.skorch_params`): skorch builds it with the
    dataset the training loop really uses (with the default ``train_split``,
    a :class:`~torch.utils.data.Subset` of what was passed to ``fit``).
    Before the first batch it

    - binds the sampler to that dataset (:meth:`BalancedSeizureSampler.bind`):
      a Subset of the sampler's corpus is drawn from its own windows only;
      any other dataset raises a ``ValueError``;
    - checks that the windows to draw have a training target (not
      braindecode's placeholder ``-1``), so a missing ``target=`` fails here
      and not inside the loss; skipped when the dataset supplies its own
      targets (:class:`~braindecode_stbalance.DenseTargets`);
    - without a ``collate_fn``, takes the dataset's own (under any Subsets) if
      it has one: a :class:`~braindecode_stbalance.cache.CachedWindowsDataset`
      then delivers each batch as the one array it reads it into.

    ``len(loader)`` is then fixed for the epoch and equals the number of
    batches yielded.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        The dataset to load from.
    sampler : BalancedSeizureSampler | torch.utils.data.Sampler | None
        The sampler; a :class:`BalancedSeizureSampler` is bound to ``dataset``.
    shuffle : bool | None
        Must not be True together with a sampler.
    **kwargs
        Passed to :class:`~torch.utils.data.DataLoader`.
    """

    def __init__(self, dataset, sampler=None, shuffle=None, **kwargs):
        if isinstance(sampler, BalancedSeizureSampler):
            if shuffle:
                raise ValueError(
                    "shuffle=True conflicts with the balanced sampler, which already "
                    "shuffles. EEGClassifier defaults to iterator_train__shuffle=True: pass "
                    "**sampler.skorch_params() or iterator_train__shuffle=False.")
            sampler.bind(dataset)
            if not replaces_targets(dataset):
                check_targets(*sampler._target_windows())
            shuffle = None
        if kwargs.get("collate_fn") is None:
            collate_fn = getattr(unwrap(dataset)[0], "collate_fn", None)
            if collate_fn is not None:
                kwargs["collate_fn"] = collate_fn
        super().__init__(dataset, sampler=sampler, shuffle=shuffle, **kwargs)
