"""The balanced sampler sharded over ``torch.distributed`` ranks."""

# License: BSD (3-clause)

from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from .quotas import DEFAULT_BACKGROUND_RATIO, DEFAULT_FULL_RATIO
from .samplers import BalancedSeizureSampler, _seed_from

__all__ = ["DistributedBalancedSeizureSampler"]


class DistributedBalancedSeizureSampler(BalancedSeizureSampler):
    """:class:`BalancedSeizureSampler` sharded over ``torch.distributed`` ranks.

    Every rank computes the same epoch draw (a pure function of the seed and
    the epoch) and takes its interleaved shard ``draw[rank::num_replicas]``,
    exactly as :class:`torch.utils.data.DistributedSampler`: shards are
    disjoint and of equal length, padded by wrapping around the draw, or
    with ``drop_last=True`` cut to a multiple of ``num_replicas``.

    Parameters
    ----------
    data : braindecode.datasets.BaseConcatDataset | torch.utils.data.Subset
        See :class:`BalancedSeizureSampler` (and :meth:`from_manifest`).
    num_replicas : int | None
        Number of processes; default ``torch.distributed.get_world_size()``.
    rank : int | None
        Rank of this process; default ``torch.distributed.get_rank()``.
    full_ratio, background_ratio, redraw, replacement, anchor, natural_fraction
        As in :class:`BalancedSeizureSampler`.
    random_state : None | int | numpy.random.Generator | numpy.random.RandomState
        Must give every rank the same seed. ``None``: rank 0 draws a seed and
        broadcasts it (needs an initialised process group; otherwise a
        ``ValueError`` asks for an int).
    drop_last : bool
        ``False`` (default): pad the draw by wrapping around so that it
        divides evenly; ``True``: drop its tail instead.

    Notes
    -----
    The epoch counter advances on each ``iter()``, and :meth:`set_epoch`
    sets it (what ``accelerate`` and Lightning call). As all ranks iterate
    the same number of times, they stay in step either way.
    """

    def __init__(self, data, num_replicas=None, rank=None, full_ratio=DEFAULT_FULL_RATIO,
                 background_ratio=DEFAULT_BACKGROUND_RATIO, redraw="epoch", replacement=False,
                 anchor="partial_seizure", random_state=None, drop_last=False,
                 natural_fraction=0.0):
        random_state = self._shard_setup(num_replicas, rank, random_state, drop_last)
        super().__init__(data, full_ratio=full_ratio, background_ratio=background_ratio,
                         redraw=redraw, replacement=replacement, anchor=anchor,
                         random_state=random_state, natural_fraction=natural_fraction)

    @classmethod
    def from_manifest(cls, manifest, num_replicas=None, rank=None, random_state=None,
                      drop_last=False, **kwargs):
        """A sharded sampler over the windows of a saved categorisation.

        Parameters
        ----------
        manifest : SeizureManifest
            The categorisation.
        num_replicas, rank, random_state, drop_last
            As for the constructor.
        **kwargs
            Quota parameters, as for :class:`BalancedSeizureSampler`.

        Returns
        -------
        DistributedBalancedSeizureSampler
            The sampler.
        """
        return cls._sharded(super().from_manifest, manifest, num_replicas, rank, random_state,
                            drop_last, kwargs)

    @classmethod
    def from_categories(cls, categories, num_replicas=None, rank=None, random_state=None,
                        drop_last=False, **kwargs):
        """A sharded sampler over windows whose categories you computed yourself.

        Parameters
        ----------
        categories : array-like
            See :meth:`BalancedSeizureSampler.from_categories`.
        num_replicas, rank, random_state, drop_last
            As for the constructor.
        **kwargs
            Quota parameters, as for :class:`BalancedSeizureSampler`.

        Returns
        -------
        DistributedBalancedSeizureSampler
            The sampler.
        """
        return cls._sharded(super().from_categories, categories, num_replicas, rank,
                            random_state, drop_last, kwargs)

    @classmethod
    def _sharded(cls, factory, data, num_replicas, rank, random_state, drop_last, kwargs):
        shard = cls.__new__(cls)
        random_state = shard._shard_setup(num_replicas, rank, random_state, drop_last)
        self = factory(data, random_state=random_state, **kwargs)
        self.num_replicas, self.rank, self.drop_last = (
            shard.num_replicas, shard.rank, shard.drop_last)
        return self

    def _shard_setup(self, num_replicas, rank, random_state, drop_last):
        dist = torch.distributed
        initialized = dist.is_available() and dist.is_initialized()
        if num_replicas is None or rank is None:
            if not initialized:
                raise RuntimeError(
                    "num_replicas and rank default to the torch.distributed world size and "
                    "rank, but no process group is initialised: call "
                    "torch.distributed.init_process_group() first or pass them.")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if (isinstance(num_replicas, bool) or not isinstance(num_replicas, numbers.Integral)
                or num_replicas < 1):
            raise ValueError(f"num_replicas must be an int >= 1, got {num_replicas!r}.")
        if (isinstance(rank, bool) or not isinstance(rank, numbers.Integral)
                or not 0 <= rank < num_replicas):
            raise ValueError(
                f"Invalid rank {rank!r}, rank should be in the interval [0, {num_replicas - 1}].")
        if random_state is None and num_replicas > 1:
            if not initialized:
                raise ValueError(
                    "random_state=None would give each rank its own seed, hence overlapping "
                    "shards. Pass an int shared by all ranks, or initialise torch.distributed "
                    "so that rank 0's seed is broadcast.")
            seed = [_seed_from(None) if dist.get_rank() == 0 else None]
            dist.broadcast_object_list(seed, src=0)
            random_state = seed[0]
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.drop_last = bool(drop_last)
        return random_state

    @property
    def total_size(self):
        """int: Length of the padded (or cut) epoch draw, over all ranks."""
        return self.num_samples * self.num_replicas

    @property
    def num_samples(self):
        """int: Indices per rank per epoch."""
        n = self.plan.length
        if self.drop_last and n % self.num_replicas:
            return n // self.num_replicas
        return math.ceil(n / self.num_replicas)

    def __len__(self):
        return self.num_samples

    def _epoch_indices(self, epoch):
        indices = self.draw(epoch)
        total = self.total_size
        indices = np.resize(indices, total) if total > indices.size else indices[:total]
        return indices[self.rank:total:self.num_replicas]

    def __repr__(self):
        return super().__repr__()[:-1] + (
            f", num_replicas={self.num_replicas}, rank={self.rank}, drop_last={self.drop_last})")
