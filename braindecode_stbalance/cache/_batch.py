"""One batch of cached windows: its buffer and its collate function."""

# License: BSD (3-clause)

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import default_collate, get_worker_info

__all__ = ["collate_windows"]


class _Gathered(list):
    """The samples of one batch (tuples, ``X`` views) and the batch array they view."""

    __slots__ = ("X",)


def collate_windows(batch):
    """Collate a batch of cached windows without copying their signals again.

    :meth:`CachedWindowsDataset.__getitems__` reads a whole batch into one
    array; this returns that array as the batch's signal and collates the
    rest (targets, ``crop_inds``, channel positions) with
    :func:`torch.utils.data.default_collate`, which gives the same batch with
    one more copy. Any other batch goes to ``default_collate`` as it is, so
    the function can serve every DataLoader.
    :class:`~braindecode_stbalance.BalancedDataLoader` uses it for a cached
    corpus by itself.

    Parameters
    ----------
    batch : list
        What the dataset returned for one batch.

    Returns
    -------
    list
        ``[[X], y, crop_inds, ...]``: the signal ``X`` (float16 tensor,
        ``(batch, n_channels, n_times)``, the cache's unit) comes inside a
        one-element list, see :class:`CachedWindowsDataset`.
    """
    X = getattr(batch, "X", None)
    if X is None:
        return default_collate(batch)
    return [[X], *default_collate([sample[1:] for sample in batch])]


def _batch_array(shape, dtype):
    """The batch buffer, where the batch goes next without another copy.

    Inside a DataLoader worker: shared memory (how a batch reaches the main process).
    In the main process: pinned memory on a CUDA host (from torch's caching host
    allocator, which recycles it: no page faults once warm; the DataLoader's pinning
    then has nothing to copy), else a numpy allocation (Linux gives it huge pages: a
    fraction of the page faults of ``torch.empty`` for a 60 s x 19 channel x 64 batch).
    """
    if get_worker_info() is not None:
        return torch.empty(shape, dtype=getattr(torch, dtype)).share_memory_()
    if torch.cuda.is_available():
        return torch.empty(shape, dtype=getattr(torch, dtype), pin_memory=True)
    return torch.from_numpy(np.empty(shape, dtype=dtype))
