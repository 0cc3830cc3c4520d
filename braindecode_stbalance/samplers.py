"""Balanced seizure samplers (SeizureTransformer-style) and their distributed variant.

Each epoch draws *all* partial-seizure windows plus exact quotas of
full-seizure and no-seizure windows, shuffled together. The order of epoch
``e`` is a pure function of ``(seed, e)`` and the categorisation, computed with
a private :class:`numpy.random.Generator`; the global RNGs of :mod:`random`,
:mod:`numpy` and :mod:`torch` are never used.
"""

# License: BSD (3-clause)

from __future__ import annotations

import logging
import math
import numbers
import sys
import warnings
import weakref

import numpy as np
import pandas as pd
import torch
from braindecode.datasets import BaseConcatDataset
from torch.utils.data import DataLoader, Sampler, Subset

from .categories import CATEGORIES, CATEGORY_COLUMN, quota, window_table

__all__ = [
    "BalancedDataLoader",
    "BalancedSeizureSampler",
    "DistributedBalancedSeizureSampler",
]

logger = logging.getLogger(__name__)

_NO, _PARTIAL, _FULL = 0, 1, 2
_REDRAW = ("epoch", "once")
_ANCHORS = ("partial_seizure", "seizure")
# second word of the SeedSequence entropy: which stream of the seed is used
_EPOCH_STREAM, _POOL_STREAM = 0, 1


# ----------------------------------------------------------------- helpers
def _check_ratio(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number >= 0, got {value!r}.")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}.")
    return value


def _seed_from(random_state):
    """An int seed from ``None | int | np.random.Generator | np.random.RandomState``."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(2, np.uint32).view(np.uint64)[0])
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}.")
    if isinstance(random_state, numbers.Integral):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0, got {random_state}.")
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    raise TypeError(
        "random_state must be None, an int, a numpy.random.Generator or a "
        f"numpy.random.RandomState, got {type(random_state).__name__}."
    )


def _codes_from_frame(frame, where):
    if CATEGORY_COLUMN not in frame.columns:
        raise ValueError(
            f"{where} has no '{CATEGORY_COLUMN}' column (columns: "
            f"{list(frame.columns)}). Annotate the corpus with "
            "annotate_seizure_ratio() or build a SeizureManifest first."
        )
    cat = frame[CATEGORY_COLUMN]
    if isinstance(cat.dtype, pd.CategoricalDtype) and list(cat.cat.categories) == list(CATEGORIES):
        codes = cat.cat.codes.to_numpy()
    else:
        codes = pd.Categorical(cat, categories=list(CATEGORIES)).codes
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        raise ValueError(
            f"{where}: row {int(bad[0])} (and {bad.size - 1} more) has "
            f"{CATEGORY_COLUMN}={cat.iloc[int(bad[0])]!r}; expected one of {CATEGORIES}."
        )
    return codes.astype(np.int8)


def _unwrap(dataset):
    """Levels of nested ``Subset``: list of (dataset, map from positions of ``dataset`` to root)."""
    chain = [dataset]
    while isinstance(chain[-1], Subset):
        chain.append(chain[-1].dataset)
    root = chain[-1]
    levels = [(root, None)]
    mapping = None
    for ds in reversed(chain[:-1]):
        idx = np.asarray(ds.indices, dtype=np.int64)
        if idx.ndim != 1:
            raise TypeError(f"Subset.indices must be one-dimensional, got shape {idx.shape}.")
        mapping = idx if mapping is None else mapping[idx]
        levels.append((ds, mapping))
    return levels[::-1]  # from ``dataset`` itself up to the root


def _codes_of_root(root):
    """Category codes of an annotated braindecode corpus, or None if it cannot tell."""
    if not isinstance(root, BaseConcatDataset):
        return None
    try:
        return window_table(root)[CATEGORY_COLUMN].cat.codes.to_numpy().astype(np.int8)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _categorisation(data):
    """Category codes of the windows ``data`` indexes (its own positions)."""
    if isinstance(data, pd.DataFrame):
        return _codes_from_frame(data, "The categorisation DataFrame")
    windows = getattr(data, "windows", None)
    if isinstance(windows, pd.DataFrame):
        return _codes_from_frame(windows, f"{type(data).__name__}.windows")
    if isinstance(data, (BaseConcatDataset, Subset)):
        levels = _unwrap(data)
        root, mapping = levels[-1][0], levels[0][1]
        if not isinstance(root, BaseConcatDataset):
            raise TypeError(
                "A Subset given as data must wrap a braindecode BaseConcatDataset, "
                f"got a Subset of {type(root).__name__}."
            )
        codes = window_table(root)[CATEGORY_COLUMN].cat.codes.to_numpy().astype(np.int8)
        return codes if mapping is None else codes[mapping]
    raise TypeError(
        "data must be an annotated braindecode BaseConcatDataset (or a torch "
        "Subset of one), a DataFrame with a 'seizure_category' column in corpus "
        "order, or an object with such a .windows DataFrame (a SeizureManifest); "
        f"got {type(data).__name__}."
    )


def _draw_without_replacement(n, k, rng, scratch):
    """Sorted positions of a uniformly random ``k``-subset of ``range(n)``.

    Repeated batches of i.i.d. draws mark the values not seen before in a
    boolean scratch array, until ``k`` distinct values are marked. The
    stopping rule depends only on how many distinct values are marked, so by
    symmetry every ``k``-subset is equally likely. For ``k > n / 2`` the
    ``n - k`` windows left out are drawn instead. Cost O(min(k, n - k)) draws
    plus O(n) boolean scans; the result is read from the mask, sorted, so it
    does not depend on the order of the draws within a batch.

    ``scratch`` is a boolean array of length ``n``, all False; it is reset.
    """
    complement = 2 * k > n
    m = n - k if complement else k
    seen = scratch
    marked = 0
    while marked < m:
        cand = rng.integers(0, n, m - marked)
        seen[cand] = True
        marked = int(np.count_nonzero(seen))
    out = np.flatnonzero(~seen if complement else seen)
    seen[:] = False
    return out


class _Space:
    """Per-category positions of the index space the sampler yields into."""

    def __init__(self, codes):
        codes = np.asarray(codes, dtype=np.int8)
        self.n = int(codes.size)
        self.codes = codes
        self.by_category = tuple(np.flatnonzero(codes == c).astype(np.int64) for c in range(3))
        self.counts = tuple(int(a.size) for a in self.by_category)
        self._scratch = [None, None, None]

    def scratch(self, c):
        if self._scratch[c] is None:
            self._scratch[c] = np.zeros(self.counts[c], dtype=bool)
        return self._scratch[c]

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_scratch"] = [None, None, None]
        return state


def _samplers_inside(obj, depth=4):
    """Objects reachable from a batch sampler through .sampler/.batch_sampler."""
    out = []
    for _ in range(depth):
        if obj is None:
            break
        out.append(obj)
        inner = getattr(obj, "sampler", None)
        obj = inner if inner is not None else getattr(obj, "batch_sampler", None)
    return out


def _dataset_of_calling_loader(sampler, max_depth=12):
    """The dataset of the DataLoader iterator that is iterating ``sampler``, if any.

    Looks at a few calling frames for the ``self`` of a
    ``torch.utils.data.dataloader._BaseDataLoaderIter`` whose index sampler
    holds ``sampler``. Reads frames only; returns None when not found.
    """
    try:
        from torch.utils.data.dataloader import _BaseDataLoaderIter
    except ImportError:  # pragma: no cover - private torch name
        return None
    frame = sys._getframe(2)
    try:
        for _ in range(max_depth):
            if frame is None:
                return None
            obj = frame.f_locals.get("self")
            if isinstance(obj, _BaseDataLoaderIter):
                inner = _samplers_inside(getattr(obj, "_index_sampler", None))
                if any(s is sampler for s in inner):
                    return getattr(obj, "_dataset", None)
                return None
            frame = frame.f_back
    finally:
        del frame
    return None


# ----------------------------------------------------------------- samplers
class BalancedSeizureSampler(Sampler):
    """Sample windows with exact SeizureTransformer quotas per category.

    Each epoch yields, shuffled together:

    - all ``partial_seizure`` windows (``P`` of them);
    - ``floor(full_ratio * B)`` ``full_seizure`` windows;
    - ``floor(background_ratio * B)`` ``no_seizure`` windows;

    where the base count ``B`` is ``P`` (``anchor="partial_seizure"``) or the
    number of partial plus full windows (``anchor="seizure"``). With
    ``anchor="seizure"`` all partial windows are still drawn. Quotas are
    drawn without replacement and are exact, not "in expectation" as with
    :class:`torch.utils.data.WeightedRandomSampler`. ``len(sampler)`` is the
    total.

    Parameters
    ----------
    data : BaseConcatDataset | torch.utils.data.Subset | pandas.DataFrame | SeizureManifest
        The categorised windows. An annotated braindecode windows corpus (see
        :func:`~braindecode_stbalance.annotate_seizure_ratio`), a
        :class:`~torch.utils.data.Subset` of one (the sampler then yields
        positions within the Subset), a DataFrame with a ``seizure_category``
        column in corpus order, or an object with such a ``.windows``
        DataFrame (a manifest). The sampler yields indices into ``data``.
    full_ratio : float
        Full-seizure windows per base window, finite and >= 0.
    background_ratio : float
        No-seizure windows per base window, finite and >= 0.
    redraw : "epoch" | "once"
        ``"epoch"`` (default): the full- and no-seizure windows are drawn
        afresh every epoch, so training sees all the background over time.
        ``"once"``: one fixed pool is drawn at the first epoch and only
        reshuffled afterwards (SeizureTransformer's behaviour).
    replacement : bool
        When a category has fewer windows than its quota: ``False`` uses all
        of them (and warns once with the numbers); ``True`` uses all of them
        and tops up the quota by drawing with replacement.
    anchor : "partial_seizure" | "seizure"
        The base count ``B`` of the quotas (see above). Use ``"seizure"`` for
        corpora windowed without overlap, where partial windows are rare.
    random_state : None | int | numpy.random.Generator | numpy.random.RandomState
        Seed of the draws. ``None`` draws a seed once, at construction. The
        order of epoch ``e`` is a pure function of ``(seed, e)`` and the
        categorisation.

    Attributes
    ----------
    seed : int
        The seed in use.
    epoch : int
        The epoch the next ``iter()`` draws; advanced by each ``iter()``, set
        by :meth:`set_epoch`.

    Raises
    ------
    ValueError
        If a ratio is negative or not finite, a choice is not one of its
        values, or the base count is zero (the message reports the three
        category counts and what to do).

    Warns
    -----
    UserWarning
        Once per categorisation, when a quota exceeds the windows available
        and ``replacement=False``.

    Notes
    -----
    **skorch / EEGClassifier.** Pass ``**sampler.skorch_params()`` to
    :class:`braindecode.EEGClassifier`: it sets ``iterator_train`` to
    :class:`BalancedDataLoader`, which rebinds the sampler to the dataset the
    training DataLoader really receives, and turns off EEGClassifier's
    default ``iterator_train__shuffle=True``. A sampler built on a corpus
    and handed a :class:`~torch.utils.data.Subset` of it (skorch's default
    ``train_split``) then draws from the training part only, and yields
    positions within that Subset. A dataset that matches neither raises a
    ``ValueError`` before the first batch.

    The same check also runs, as a safety net, when the sampler is iterated
    by any :class:`~torch.utils.data.DataLoader` (it finds the loader's
    dataset in the calling frames, read-only).

    **Reproducibility.** The draw of epoch ``e`` uses
    ``numpy.random.default_rng([seed, 0, e])`` (and ``[seed, 1]`` for the
    ``redraw="once"`` pool): identical across processes and machines for
    the same categorisation, and independent of the global RNGs.

    **Distributed.** Every process must use the same seed; with
    ``torch.distributed`` use :class:`DistributedBalancedSeizureSampler`.
    """

    def __init__(
        self,
        data,
        full_ratio=0.3,
        background_ratio=2.5,
        redraw="epoch",
        replacement=False,
        anchor="partial_seizure",
        random_state=None,
    ):
        self.full_ratio = _check_ratio("full_ratio", full_ratio)
        self.background_ratio = _check_ratio("background_ratio", background_ratio)
        if redraw not in _REDRAW:
            raise ValueError(f"redraw must be 'epoch' or 'once', got {redraw!r}.")
        if anchor not in _ANCHORS:
            raise ValueError(f"anchor must be 'partial_seizure' or 'seizure', got {anchor!r}.")
        if not isinstance(replacement, (bool, np.bool_)):
            raise TypeError(f"replacement must be a bool, got {replacement!r}.")
        self.redraw = redraw
        self.replacement = bool(replacement)
        self.anchor = anchor
        self.random_state = random_state
        self.seed = _seed_from(random_state)
        self.epoch = 0
        self._source = _Space(_categorisation(data))
        self._bound_ref = _weak(data)
        has_check = isinstance(getattr(data, "windows", None), pd.DataFrame) and callable(
            getattr(data, "check", None)
        )
        self._check_ref = _weak(data) if has_check else None
        self._use(self._source)

    # ------------------------------------------------------------ quotas
    def _use(self, space):
        """Compute quotas on ``space`` (validating and warning) and make it current."""
        n_no, n_part, n_full = space.counts
        base = n_part if self.anchor == "partial_seizure" else n_part + n_full
        if base == 0:
            what = "partial_seizure" if self.anchor == "partial_seizure" else "seizure (partial or full)"
            raise ValueError(
                f"No {what} windows to anchor the quotas on: the data has "
                f"{n_part} partial_seizure, {n_full} full_seizure and {n_no} "
                "no_seizure windows. Window with a smaller stride (overlapping "
                "windows give partial windows at every seizure boundary), "
                "annotate with a lower full_threshold, or use anchor='seizure' "
                "to anchor the quotas on partial plus full windows."
            )
        quotas = [quota(self.background_ratio, base), n_part, quota(self.full_ratio, base)]
        short = []
        for c, ratio_name in ((_FULL, "full_ratio"), (_NO, "background_ratio")):
            if quotas[c] > space.counts[c]:
                short.append((c, ratio_name))
        # with replacement an empty category still cannot be topped up
        short = [(c, name) for c, name in short if not self.replacement or space.counts[c] == 0]
        if short:
            msg = "; ".join(
                f"{CATEGORIES[c]} quota is {quotas[c]} ({name}={getattr(self, name)} x "
                f"{base} base windows) but only {space.counts[c]} are available"
                for c, name in short
            )
            hint = (
                "there is nothing to top up from" if self.replacement
                else "pass replacement=True to top up by drawing with replacement"
            )
            warnings.warn(
                f"{type(self).__name__}: {msg}. Using all of them; {hint}.",
                UserWarning,
                stacklevel=3,
            )
        self._space = space
        self._base = base
        self._quotas = tuple(quotas)
        self._pool = None
        self._pool_space = None

    @property
    def counts(self):
        """dict: Windows available per category in the current index space."""
        return dict(zip(CATEGORIES, self._space.counts))

    @property
    def quotas(self):
        """dict: Windows yielded per epoch, per category (after any shortage)."""
        out = {}
        for c, name in enumerate(CATEGORIES):
            q = self._quotas[c]
            n = self._space.counts[c]
            out[name] = q if (self.replacement and n > 0) else min(q, n)
        return out

    def __len__(self):
        return sum(self.quotas.values())

    def set_epoch(self, epoch):
        """Set the epoch that the next ``iter()`` draws.

        Parameters
        ----------
        epoch : int
            Epoch number (>= 0).
        """
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise ValueError(f"epoch must be an int >= 0, got {epoch!r}.")
        self.epoch = int(epoch)

    # ------------------------------------------------------------ drawing
    def _take(self, c, k, rng):
        space = self._space
        pool = space.by_category[c]
        n = pool.size
        if k <= n:
            if k == n:
                return pool
            return pool[_draw_without_replacement(n, k, rng, space.scratch(c))]
        if not self.replacement or n == 0:
            return pool
        return np.concatenate([pool, pool[rng.integers(0, n, k - n)]])

    def _fixed_pool(self):
        if self._pool is None or self._pool_space is not self._space:
            rng = np.random.default_rng([self.seed, _POOL_STREAM])
            self._pool = (self._take(_FULL, self._quotas[_FULL], rng),
                          self._take(_NO, self._quotas[_NO], rng))
            self._pool_space = self._space
        return self._pool

    def draw(self, epoch):
        """The indices of one epoch, without advancing the epoch counter.

        Parameters
        ----------
        epoch : int
            Epoch number.

        Returns
        -------
        ndarray of int64
            ``len(self)`` indices into the dataset the sampler is bound to,
            in the order they are yielded.
        """
        rng = np.random.default_rng([self.seed, _EPOCH_STREAM, int(epoch)])
        if self.redraw == "epoch":
            full = self._take(_FULL, self._quotas[_FULL], rng)
            no = self._take(_NO, self._quotas[_NO], rng)
        else:
            full, no = self._fixed_pool()
        out = np.concatenate([self._space.by_category[_PARTIAL], full, no])
        rng.shuffle(out)
        return out

    def __iter__(self):
        dataset = _dataset_of_calling_loader(self)
        if dataset is not None:
            self.bind(dataset)
        epoch = self.epoch
        self.epoch = epoch + 1
        return iter(self._epoch_indices(epoch).tolist())

    def _epoch_indices(self, epoch):
        return self.draw(epoch)

    # ------------------------------------------------------------ binding
    def bind(self, dataset):
        """Point the sampler at the dataset a DataLoader really receives.

        Parameters
        ----------
        dataset : torch.utils.data.Dataset
            The dataset of the DataLoader, e.g. skorch's training
            :class:`~torch.utils.data.Subset`.

        Returns
        -------
        self : BalancedSeizureSampler
            Now yielding positions of ``dataset``.

        Raises
        ------
        ValueError
            If ``dataset`` is neither the sampler's data (same
            categorisation) nor a Subset (at any depth) of it.

        Notes
        -----
        - ``dataset`` with the same categorisation as ``data``: nothing changes.
        - a :class:`~torch.utils.data.Subset` of ``data``: the sampler draws
          from the Subset's windows only, with quotas computed on them, and
          yields positions within the Subset.
        - when ``dataset`` is not a braindecode corpus (so its categories
          cannot be read), only lengths are compared.
        """
        if self._bound_ref is not None and self._bound_ref() is dataset:
            return self
        source = self._source
        levels = _unwrap(dataset)
        root = levels[-1][0]
        root_codes = _codes_of_root(root)
        if root_codes is None and self._check_ref is not None:
            owner = self._check_ref()
            if owner is not None and isinstance(root, BaseConcatDataset):
                owner.check(root)  # a stale manifest raises a ValueError
        match = None
        for level, (ds, to_root) in enumerate(levels):
            if root_codes is not None:
                codes = root_codes if to_root is None else root_codes[to_root]
                same = codes.size == source.n and np.array_equal(codes, source.codes)
            else:
                same = _len(ds) == source.n
            if same:
                match = level
                break
        if match is None:
            raise ValueError(self._mismatch_message(levels, root_codes))
        if match == 0:
            if self._space is not source:
                self._use(source)
        else:
            space = _Space(source.codes[_compose_to_level(levels, match)])
            logger.info(
                "%s bound to a Subset of %d of its %d windows: quotas are now "
                "computed on that part only (%s).",
                type(self).__name__, space.n, source.n, dict(zip(CATEGORIES, space.counts)),
            )
            self._use(space)
        self._bound_ref = _weak(dataset)
        return self

    def _mismatch_message(self, levels, root_codes):
        n_no, n_part, n_full = self._source.counts
        desc = " -> ".join(f"{type(ds).__name__}({_len(ds)} windows)" for ds, _ in levels)
        why = (
            "whose categories differ at every level"
            if root_codes is not None
            else "whose lengths differ at every level (its categories cannot be read)"
        )
        return (
            f"{type(self).__name__} was built on {self._source.n} windows "
            f"({n_part} partial, {n_full} full, {n_no} no seizure) but the "
            f"DataLoader received {desc}, {why}: it is neither that data nor a "
            "Subset of it, so the sampler's indices would read the wrong windows. "
            "Build the sampler from the dataset you fit on (or the corpus it is a "
            "Subset of), e.g. BalancedSeizureSampler(train_set) with "
            "EEGClassifier(..., **sampler.skorch_params()).fit(train_set)."
        )

    # ------------------------------------------------------------ skorch
    def skorch_params(self):
        """Keyword arguments that plug this sampler into skorch / EEGClassifier.

        Returns
        -------
        dict
            ``iterator_train`` (:class:`BalancedDataLoader`),
            ``iterator_train__sampler`` (this sampler) and
            ``iterator_train__shuffle=False`` (EEGClassifier defaults to
            ``True``, which a sampler excludes).

        Examples
        --------
        >>> sampler = BalancedSeizureSampler(windows_ds, random_state=0)  # doctest: +SKIP
        >>> clf = EEGClassifier(model, **sampler.skorch_params())  # doctest: +SKIP
        >>> clf.fit(windows_ds, y=None)  # doctest: +SKIP
        """
        return {
            "iterator_train": BalancedDataLoader,
            "iterator_train__sampler": self,
            "iterator_train__shuffle": False,
        }

    # ------------------------------------------------------------ misc
    def __getstate__(self):
        state = self.__dict__.copy()
        state["_bound_ref"] = None
        state["_check_ref"] = None
        return state

    def __repr__(self):
        return (
            f"{type(self).__name__}(n_windows={self._space.n}, counts={self.counts}, "
            f"quotas={self.quotas}, redraw={self.redraw!r}, anchor={self.anchor!r}, "
            f"replacement={self.replacement}, seed={self.seed}, epoch={self.epoch})"
        )


def _weak(obj):
    try:
        return weakref.ref(obj)
    except TypeError:
        return None


def _len(ds):
    try:
        return len(ds)
    except TypeError:
        return -1


def _compose_to_level(levels, level):
    """Map from positions of ``levels[0]`` into positions of ``levels[level]`` (None = identity)."""
    if level == 0:
        return None
    out = None
    for ds, _ in levels[:level]:
        idx = np.asarray(ds.indices, dtype=np.int64)
        out = idx if out is None else idx[out]
    return out


class DistributedBalancedSeizureSampler(BalancedSeizureSampler):
    """:class:`BalancedSeizureSampler` sharded over ``torch.distributed`` ranks.

    Every rank computes the same epoch draw (a pure function of the seed and
    the epoch) and takes its interleaved shard ``draw[rank::num_replicas]``,
    exactly as :class:`torch.utils.data.DistributedSampler`: shards are
    disjoint and of equal length, padded by wrapping around the draw, or
    with ``drop_last=True`` cut to a multiple of ``num_replicas``.

    Parameters
    ----------
    data : BaseConcatDataset | torch.utils.data.Subset | pandas.DataFrame | SeizureManifest
        See :class:`BalancedSeizureSampler`.
    num_replicas : int | None
        Number of processes; default ``torch.distributed.get_world_size()``.
    rank : int | None
        Rank of this process; default ``torch.distributed.get_rank()``.
    full_ratio, background_ratio, redraw, replacement, anchor : see BalancedSeizureSampler
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

    def __init__(
        self,
        data,
        num_replicas=None,
        rank=None,
        full_ratio=0.3,
        background_ratio=2.5,
        redraw="epoch",
        replacement=False,
        anchor="partial_seizure",
        random_state=None,
        drop_last=False,
    ):
        dist = torch.distributed
        initialized = dist.is_available() and dist.is_initialized()
        if num_replicas is None or rank is None:
            if not initialized:
                raise RuntimeError(
                    "num_replicas and rank default to the torch.distributed world "
                    "size and rank, but no process group is initialised: call "
                    "torch.distributed.init_process_group() first or pass them."
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, numbers.Integral) or num_replicas < 1:
            raise ValueError(f"num_replicas must be an int >= 1, got {num_replicas!r}.")
        if isinstance(rank, bool) or not isinstance(rank, numbers.Integral) or not 0 <= rank < num_replicas:
            raise ValueError(
                f"Invalid rank {rank!r}, rank should be in the interval [0, {num_replicas - 1}]."
            )
        if random_state is None and num_replicas > 1:
            if not initialized:
                raise ValueError(
                    "random_state=None would give each rank its own seed, hence "
                    "overlapping shards. Pass an int shared by all ranks, or "
                    "initialise torch.distributed so that rank 0's seed is broadcast."
                )
            seed = [_seed_from(None) if dist.get_rank() == 0 else None]
            dist.broadcast_object_list(seed, src=0)
            random_state = seed[0]
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.drop_last = bool(drop_last)
        super().__init__(
            data, full_ratio=full_ratio, background_ratio=background_ratio,
            redraw=redraw, replacement=replacement, anchor=anchor,
            random_state=random_state,
        )

    @property
    def total_size(self):
        """int: Length of the padded (or cut) epoch draw, over all ranks."""
        return self.num_samples * self.num_replicas

    @property
    def num_samples(self):
        """int: Indices per rank per epoch."""
        n = super().__len__()
        if self.drop_last and n % self.num_replicas:
            return n // self.num_replicas
        return math.ceil(n / self.num_replicas)

    def __len__(self):
        return self.num_samples

    def _epoch_indices(self, epoch):
        indices = self.draw(epoch)
        total = self.total_size
        if total > indices.size:
            indices = np.resize(indices, total)  # wraps around
        else:
            indices = indices[:total]
        return indices[self.rank:total:self.num_replicas]

    def __repr__(self):
        return super().__repr__()[:-1] + (
            f", num_replicas={self.num_replicas}, rank={self.rank}, drop_last={self.drop_last})"
        )


# ----------------------------------------------------------------- skorch
class BalancedDataLoader(DataLoader):
    """A :class:`~torch.utils.data.DataLoader` that binds its balanced sampler to its dataset.

    Meant as skorch's ``iterator_train`` (see
    :meth:`BalancedSeizureSampler.skorch_params`): skorch builds it with the
    dataset the training loop really uses (with the default ``train_split``,
    a :class:`~torch.utils.data.Subset` of what was passed to ``fit``). The
    sampler is rebound to that dataset before the first batch: a Subset of
    the sampler's data is drawn from its training part only; any other
    dataset raises a ``ValueError``.

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
                    "shuffle=True conflicts with the balanced sampler, which "
                    "already shuffles. EEGClassifier defaults to "
                    "iterator_train__shuffle=True: pass **sampler.skorch_params() "
                    "or iterator_train__shuffle=False."
                )
            sampler.bind(dataset)
            shuffle = None
        super().__init__(dataset, sampler=sampler, shuffle=shuffle, **kwargs)
