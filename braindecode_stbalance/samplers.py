"""The balanced seizure sampler (SeizureTransformer-style).

Each epoch draws *all* partial-seizure windows plus exact quotas of
full-seizure and no-seizure windows (an :class:`~braindecode_stbalance.quotas.EpochPlan`),
shuffled together. The order of epoch ``e`` is a pure function of
``(seed, e)`` and the categorisation, computed with a private
:class:`numpy.random.Generator`; the global RNGs of :mod:`random`,
:mod:`numpy` and :mod:`torch` are never used.

The module is longer than the package's usual 400 lines because of its
documentation: close to half of it is the numpydoc of the one public class.
The code it holds is one idea, the sampler's life cycle (construction from a
corpus, manifest or categories; explicit binding; the epoch draw). The pure
parts live elsewhere: the quota arithmetic in :mod:`~braindecode_stbalance.quotas`,
the random draws in ``_draws``, Subset unwrapping in ``_binding`` and the
sharding in :mod:`~braindecode_stbalance.distributed`.
"""

# License: BSD (3-clause)

from __future__ import annotations

import logging
import numbers
import warnings

import numpy as np
from torch.utils.data import Sampler

from ._binding import describe_chain, unwrap, weak
from ._draws import draw_cycle, draw_uniform, draw_weighted
from .categories import CATEGORIES, corpus_codes
from .quotas import DEFAULT_BACKGROUND_RATIO, DEFAULT_FULL_RATIO, EpochPlan

__all__ = ["BalancedSeizureSampler"]

logger = logging.getLogger(__name__)

_NO, _PARTIAL, _FULL = 0, 1, 2
_REDRAW = ("epoch", "once", "cycle")
# second word of the SeedSequence entropy: which stream of the seed is used
_EPOCH_STREAM, _POOL_STREAM = 0, 1


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
        f"numpy.random.RandomState, got {type(random_state).__name__}.")


_DEFAULTS = {"full_ratio": DEFAULT_FULL_RATIO, "background_ratio": DEFAULT_BACKGROUND_RATIO,
             "redraw": "epoch", "replacement": False, "anchor": "partial_seizure",
             "random_state": None, "natural_fraction": 0.0}


def _codes_of(categories):
    """Validated int8 category codes from names or codes."""
    from .categories import category_codes

    values = np.asarray(categories)
    if values.ndim != 1:
        raise ValueError(f"categories must be one-dimensional, got shape {values.shape}.")
    if values.dtype.kind in "iu":
        bad = np.flatnonzero((values < 0) | (values > 2))
        if bad.size:
            raise ValueError(f"categories: row {int(bad[0])} has code {values[bad[0]]}; "
                             "expected 0, 1 or 2.")
        return values.astype(np.int8)
    return category_codes(values, "categories")


def _is_corpus(obj):
    from braindecode.datasets import BaseConcatDataset

    return isinstance(obj, BaseConcatDataset)


class BalancedSeizureSampler(Sampler):
    """Sample windows with exact SeizureTransformer quotas per category.

    Each epoch yields, shuffled together:

    - all ``partial_seizure`` windows (``P`` of them);
    - ``floor(full_ratio * B)`` ``full_seizure`` windows;
    - ``floor(background_ratio * B)`` ``no_seizure`` windows;

    where the base count ``B`` is ``P`` (``anchor="partial_seizure"``) or the
    number of partial plus full windows (``anchor="seizure"``). Quotas are
    drawn without replacement (unless a category is short and
    ``replacement=True``) and are exact, not "in expectation" as with
    :class:`torch.utils.data.WeightedRandomSampler`; ``len(sampler)`` is
    their total (see :class:`~braindecode_stbalance.quotas.EpochPlan`).

    Parameters
    ----------
    data : braindecode.datasets.BaseConcatDataset | torch.utils.data.Subset
        An annotated windowed corpus (see
        :func:`~braindecode_stbalance.annotate_seizure_ratio`) or a
        :class:`~torch.utils.data.Subset` of one (at any depth). The sampler
        yields positions of ``data``. To start from a saved categorisation,
        use :meth:`from_manifest`.
    full_ratio : float
        Full-seizure windows per base window, finite and >= 0.
    background_ratio : float
        No-seizure windows per base window, finite and >= 0.
    redraw : "epoch" | "once" | "cycle"
        ``"epoch"`` (default): the full- and no-seizure windows are drawn
        afresh every epoch, so training sees the background over time.
        ``"once"``: one fixed pool is drawn at the first epoch and only
        reshuffled afterwards (SeizureTransformer's behaviour). ``"cycle"``:
        epochs walk through a permutation of each category, so every
        no-seizure window is drawn at least once per ``ceil(N / quota)``
        epochs (the last epoch of a cycle tops up its quota from the cycle's
        other windows).
    replacement : bool
        When a category has fewer windows than its quota: ``False`` uses all
        of them (and warns once with the numbers); ``True`` uses all of them
        and tops up the quota by drawing with replacement.
    anchor : "partial_seizure" | "seizure"
        The base count ``B`` (see above). Use ``"seizure"`` for corpora
        windowed without overlap, where partial windows are rare.
    random_state : None | int | numpy.random.Generator | numpy.random.RandomState
        Seed of the draws. ``None`` draws a seed once, at construction. A
        ``Generator`` gives the seed ``int(g.integers(0, 2**63))``, a
        ``RandomState`` ``int(r.randint(0, 2**31 - 1))`` (one draw from it).
    natural_fraction : float
        Share of each epoch, in [0, 1), drawn uniformly from the windows the
        balanced part did not take, i.e. from the corpus' natural mix (mostly
        background): ``floor(f / (1 - f) * balanced)`` extra windows. 0
        (default): SeizureTransformer's mix only.

    Attributes
    ----------
    seed : int
        The seed in use.
    epoch : int
        The epoch the next ``iter()`` draws; advanced by each ``iter()``, set
        by :meth:`set_epoch`.
    plan : EpochPlan
        The quotas on the windows the sampler currently draws from.

    Raises
    ------
    TypeError
        If ``data`` is not an annotated braindecode corpus or a Subset of one.
    ValueError
        If a ratio is negative or not finite, a choice is not one of its
        values, the base count is zero (the message reports the three
        category counts and what to do), or the epoch would be absurdly large.

    Warns
    -----
    UserWarning
        When a quota exceeds the windows available and ``replacement=False``.

    Notes
    -----
    **Which dataset the indices address.** The sampler yields positions of
    the dataset it is *bound* to: ``data`` at construction, or another view
    of the same corpus given to :meth:`bind`. A plain
    :class:`~torch.utils.data.DataLoader` cannot tell its sampler which
    dataset it reads (torch has no such hook), so with a plain DataLoader pass
    the very dataset the sampler is bound to. :class:`BalancedDataLoader`
    (and :meth:`skorch_params`, for braindecode's ``EEGClassifier``) binds the
    sampler to the dataset it receives: a Subset of the same corpus (skorch's
    default ``train_split``) is drawn from its own windows, with quotas
    recomputed on them; any other dataset raises before the first batch.
    Corpora are matched by identity, windows by their corpus index.

    **Stale categories.** If the corpus is re-annotated after the sampler was
    built (e.g. with another ``full_threshold``), the next epoch raises
    instead of drawing with the old counts.

    **Reproducibility.** The draw of epoch ``e`` uses
    ``numpy.random.default_rng([seed, 0, e])`` (and ``[seed, 1]`` for the
    ``redraw="once"`` pool): identical across processes and machines for the
    same categorisation, and independent of the global RNGs.

    **Distributed.** Every process must use the same seed; with
    ``torch.distributed`` use :class:`DistributedBalancedSeizureSampler`.
    """

    def __init__(self, data, full_ratio=DEFAULT_FULL_RATIO,
                 background_ratio=DEFAULT_BACKGROUND_RATIO, redraw="epoch",
                 replacement=False, anchor="partial_seizure", random_state=None,
                 natural_fraction=0.0):
        from .manifest import SeizureManifest

        root, to_root = unwrap(data)
        if not _is_corpus(root):
            what = type(data).__name__ if root is data else f"a Subset of {type(root).__name__}"
            hint = (" For a SeizureManifest use BalancedSeizureSampler.from_manifest(manifest)."
                    if isinstance(root, SeizureManifest) else "")
            raise TypeError(
                "data must be an annotated braindecode BaseConcatDataset of windows or a "
                f"torch Subset of one, got {what}.{hint}")
        self._setup(full_ratio, background_ratio, redraw, replacement, anchor, random_state,
                    natural_fraction)
        self._root_codes = corpus_codes(root)
        self._root = weak(root)
        self._manifest = None
        self._data_to_root = to_root
        self._use(data, to_root)

    @classmethod
    def from_manifest(cls, manifest, **kwargs):
        """A sampler over the windows of a saved categorisation; no corpus file is touched.

        The sampler yields corpus indices of the corpus the manifest
        describes. Pass that corpus to the DataLoader, or let
        :class:`BalancedDataLoader` / :meth:`skorch_params` :meth:`bind` it:
        binding runs :meth:`SeizureManifest.check
        <braindecode_stbalance.SeizureManifest.check>` once, so a stale
        manifest raises before the first batch.

        Parameters
        ----------
        manifest : SeizureManifest
            The categorisation.
        **kwargs
            ``full_ratio``, ``background_ratio``, ``redraw``, ``replacement``,
            ``anchor``, ``random_state``, ``natural_fraction`` (as for the
            constructor).

        Returns
        -------
        BalancedSeizureSampler
            The sampler.
        """
        from .manifest import SeizureManifest

        if not isinstance(manifest, SeizureManifest):
            raise TypeError(f"manifest must be a SeizureManifest, got {type(manifest).__name__}.")
        self = cls.__new__(cls)
        self._setup(**{**_DEFAULTS, **kwargs})
        self._root_codes = manifest.category_codes()
        self._root = None
        self._manifest = manifest
        self._data_to_root = None
        self._use(None, None)
        return self

    @classmethod
    def from_categories(cls, categories, **kwargs):
        """A sampler over windows whose categories you computed yourself.

        Parameters
        ----------
        categories : array-like
            One category per window, in the order of the dataset the sampler
            will index: names (:data:`~braindecode_stbalance.CATEGORIES`) or
            codes 0, 1, 2.
        **kwargs
            ``full_ratio``, ``background_ratio``, ``redraw``, ``replacement``,
            ``anchor``, ``random_state``, ``natural_fraction`` (as for the
            constructor).

        Returns
        -------
        BalancedSeizureSampler
            A sampler yielding positions ``0 .. len(categories) - 1``. Binding
            it (:meth:`bind`, :class:`BalancedDataLoader`) only checks that the
            dataset has as many windows: their order is yours to vouch for.
        """
        self = cls.__new__(cls)
        self._setup(**{**_DEFAULTS, **kwargs})
        self._root_codes = _codes_of(categories)
        self._root = None
        self._manifest = None
        self._data_to_root = None
        self._use(None, None)
        return self

    def _setup(self, full_ratio, background_ratio, redraw, replacement, anchor, random_state,
               natural_fraction):
        if redraw not in _REDRAW:
            raise ValueError(f"redraw must be one of {_REDRAW}, got {redraw!r}.")
        self.natural_fraction = natural_fraction
        # validated by the plan; kept as given (scikit-learn style)
        self.full_ratio = full_ratio
        self.background_ratio = background_ratio
        self.anchor = anchor
        self.replacement = replacement
        self.redraw = redraw
        self.random_state = random_state
        self.seed = _seed_from(random_state)
        self.epoch = 0

    # ------------------------------------------------------------ quotas
    def _use(self, dataset, to_root):
        """Draw from the windows ``to_root`` of the corpus, yielding positions of ``dataset``."""
        codes = self._root_codes if to_root is None else self._root_codes[to_root]
        by_category = tuple(np.flatnonzero(codes == c) for c in range(3))
        plan = EpochPlan.from_counts(
            tuple(a.size for a in by_category), self.full_ratio, self.background_ratio,
            self.anchor, self.replacement, self.natural_fraction)
        if plan.shortages:
            warnings.warn(f"{type(self).__name__}: {plan.shortage_message()}", UserWarning,
                          stacklevel=3)
        self.plan = plan
        self._by_category = by_category
        self._to_root = to_root
        self._bound = None if dataset is None else weak(dataset)
        self._n_positions = int(codes.size)
        self._weights = None
        self._pool = None

    @property
    def dataset(self):
        """The dataset whose positions the sampler yields (``None`` if unknown, e.g. unbound)."""
        return None if self._bound is None else self._bound()

    def positions(self, category):
        """Positions of one category's windows in the dataset the sampler yields into.

        Parameters
        ----------
        category : str
            One of :data:`~braindecode_stbalance.CATEGORIES`.

        Returns
        -------
        ndarray of int64
            A copy, in increasing order.
        """
        if category not in CATEGORIES:
            raise ValueError(f"category must be one of {CATEGORIES}, got {category!r}.")
        return self._by_category[CATEGORIES.index(category)].copy()

    @property
    def counts(self):
        """dict: Windows available per category among the windows drawn from."""
        return dict(zip(CATEGORIES, self.plan.counts))

    @property
    def quotas(self):
        """dict: Windows yielded per epoch, per category (after any shortage)."""
        return self.plan.as_dict()

    def __len__(self):
        return self.plan.length

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
    def set_background_weights(self, weights):
        """Draw the no-seizure quota with probabilities proportional to ``weights``.

        Hard-negative emphasis: give background windows that the model finds
        seizure-like (e.g. its predicted seizure probability) more weight, and
        each epoch's no-seizure windows are drawn without replacement by
        successive sampling with these weights (with ``redraw="epoch"``).
        ``None`` restores the uniform draw. Binding the sampler to another
        dataset resets the weights.

        Parameters
        ----------
        weights : array-like of float | None
            One finite weight >= 0 per position of the dataset the sampler
            is bound to (only the no-seizure windows' weights are used).

        Returns
        -------
        self : BalancedSeizureSampler
        """
        if weights is None:
            self._weights = None
            return self
        if self.redraw != "epoch":
            raise ValueError(f"background weights need redraw='epoch', got {self.redraw!r}.")
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (self._n_positions,):
            raise ValueError(f"weights must have one value per window ({self._n_positions}), "
                             f"got shape {w.shape}.")
        if not (np.isfinite(w) & (w >= 0)).all():
            raise ValueError("weights must be finite and >= 0.")
        self._weights = w[self._by_category[_NO]]
        return self

    def _take(self, c, rng, epoch=None):
        pool, k = self._by_category[c], self.plan.requested[c]
        if epoch is not None:  # redraw="cycle"
            cycled = draw_cycle(pool, min(k, pool.size), self.seed, c, epoch)
            return draw_uniform(cycled, k, rng, self.plan.replacement) if k > pool.size else cycled
        if c == _NO and self._weights is not None and k <= pool.size:
            return draw_weighted(pool, k, rng, self._weights)  # (a larger quota takes all)
        return draw_uniform(pool, k, rng, self.plan.replacement)

    def draw(self, epoch):
        """The indices of one epoch, without advancing the epoch counter.

        Parameters
        ----------
        epoch : int
            Epoch number.

        Returns
        -------
        ndarray of int64
            ``len(self)`` positions of the dataset the sampler is bound to,
            in the order they are yielded.
        """
        rng = np.random.default_rng([self.seed, _EPOCH_STREAM, int(epoch)])
        if self.redraw == "epoch":
            full, no = self._take(_FULL, rng), self._take(_NO, rng)
        elif self.redraw == "cycle":
            full, no = self._take(_FULL, rng, epoch), self._take(_NO, rng, epoch)
        else:
            if self._pool is None:
                pool_rng = np.random.default_rng([self.seed, _POOL_STREAM])
                self._pool = (self._take(_FULL, pool_rng), self._take(_NO, pool_rng))
            full, no = self._pool
        out = np.concatenate([self._by_category[_PARTIAL], full, no]).astype(np.int64)
        if self.plan.natural:
            left = np.ones(self._n_positions, dtype=bool)
            left[out] = False
            out = np.concatenate([out, rng.choice(np.flatnonzero(left), self.plan.natural,
                                                  replace=False, shuffle=False)])
        rng.shuffle(out)
        return out

    def __iter__(self):
        self.check_categories()
        epoch = self.epoch
        self.epoch = epoch + 1
        return iter(self._epoch_indices(epoch).tolist())

    def _epoch_indices(self, epoch):
        return self.draw(epoch)

    # ------------------------------------------------------------ binding
    def bind(self, dataset):
        """Yield positions of ``dataset``, another view of the sampler's corpus.

        Parameters
        ----------
        dataset : torch.utils.data.Dataset
            The dataset a DataLoader will read: the sampler's corpus, a
            :class:`~torch.utils.data.Subset` of it (at any depth), e.g.
            skorch's training split, or (for a sampler made
            :meth:`from_manifest`) the corpus the manifest describes.

        Returns
        -------
        self : BalancedSeizureSampler
            Now drawing from ``dataset``'s windows (quotas recomputed on them)
            and yielding positions of ``dataset``.

        Raises
        ------
        ValueError
            If ``dataset`` is not a view of the sampler's corpus (another
            corpus object, even with equal contents), holds windows outside
            the data the sampler was built on (e.g. validation windows), or
            the manifest does not describe it.
        """
        if self._bound is not None and self._bound() is dataset:
            self.check_categories()
            return self
        root, to_root = unwrap(dataset)
        known = self._root() if self._root is not None else None
        if known is None and self._manifest is not None:
            self._adopt_manifest_corpus(root, dataset)
            known = root
        elif known is None and self._manifest is None and self._root is None:
            # from_categories: the user vouches for the order; lengths must agree
            if len(root) != self._root_codes.size:
                raise ValueError(
                    f"{type(self).__name__} was built from {self._root_codes.size} categories "
                    f"but the DataLoader received {describe_chain(dataset)}: pass the "
                    "dataset the categories describe, in their order.")
            known = root
        if root is not known:
            raise ValueError(
                f"{type(self).__name__} was built on another corpus than the one the "
                f"DataLoader received ({describe_chain(dataset)}): its indices would read "
                "the wrong windows. Build the sampler from the dataset you fit on (or the "
                "corpus it is a Subset of), e.g. BalancedSeizureSampler(train_set) with "
                "EEGClassifier(..., **sampler.skorch_params()).fit(train_set).")
        self.check_categories()
        allowed = self._data_to_root
        if allowed is not None:
            inside = np.isin(np.arange(len(root)) if to_root is None else to_root, allowed)
            if not inside.all():
                raise ValueError(
                    f"The DataLoader received {describe_chain(dataset)}, which holds "
                    f"{int((~inside).sum())} window(s) outside the {allowed.size} windows the "
                    f"{type(self).__name__} was built on (e.g. validation windows): build the "
                    "sampler from the dataset you fit on.")
        self._use(dataset, to_root)
        logger.info("%s bound to %s: %s", type(self).__name__, describe_chain(dataset), self.counts)
        return self

    def _adopt_manifest_corpus(self, root, dataset):
        if not _is_corpus(root):
            raise ValueError(
                f"{type(self).__name__} comes from a manifest and must be bound to the "
                f"braindecode corpus it describes, got {describe_chain(dataset)}.")
        if len(root) != self._root_codes.size:
            raise ValueError(
                f"The manifest has {self._root_codes.size} windows but the corpus given to "
                f"the DataLoader ({describe_chain(dataset)}) has {len(root)}: run "
                "manifest.check(corpus) to see which recording differs.")
        self._manifest.check(root)
        self._root = weak(root)

    def check_categories(self):
        """Raise if the corpus was re-annotated since the sampler read its categories.

        Called at the start of every epoch; cheap (one read of the category
        column per recording).

        Raises
        ------
        ValueError
            If a window's category changed (the counts before and now are
            reported); build a new sampler.
        """
        root = self._root() if (self._root is not None and self._manifest is None) else None
        if root is None:
            return
        now = corpus_codes(root)
        if now.shape != self._root_codes.shape or not np.array_equal(now, self._root_codes):
            before = dict(zip(CATEGORIES, np.bincount(self._root_codes, minlength=3).tolist()))
            after = dict(zip(CATEGORIES, np.bincount(now, minlength=3).tolist()))
            raise ValueError(
                f"The corpus was re-annotated after this {type(self).__name__} was built: its "
                f"categories went from {before} to {after}. Build a new sampler on the "
                "re-annotated corpus.")

    # ------------------------------------------------------------ skorch
    def skorch_params(self):
        """Keyword arguments that plug this sampler into skorch / EEGClassifier.

        Returns
        -------
        dict
            ``iterator_train`` (:class:`BalancedDataLoader`, which binds the
            sampler to the training dataset before the first batch),
            ``iterator_train__sampler`` (this sampler) and
            ``iterator_train__shuffle=False`` (EEGClassifier defaults to
            ``True``, which a sampler excludes).

        Examples
        --------
        >>> sampler = BalancedSeizureSampler(train_set, random_state=0)  # doctest: +SKIP
        >>> clf = EEGClassifier(model, classes=[0, 1], **sampler.skorch_params())  # doctest: +SKIP
        >>> clf.fit(train_set, y=None)  # doctest: +SKIP
        """
        from .loader import BalancedDataLoader

        return {
            "iterator_train": BalancedDataLoader,
            "iterator_train__sampler": self,
            "iterator_train__shuffle": False,
        }

    def _target_windows(self):
        """Corpus and corpus indices the sampler draws from (for the target check)."""
        root = self._root() if self._root is not None else None
        return root, self._to_root

    # ------------------------------------------------------------ misc
    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ("_root", "_bound"):  # weak references; the corpus is not pickled
            state[key] = None
        return state

    def __repr__(self):
        return (f"{type(self).__name__}(counts={self.counts}, quotas={self.quotas}, "
                f"redraw={self.redraw!r}, anchor={self.anchor!r}, "
                f"replacement={self.replacement}, seed={self.seed}, epoch={self.epoch})")
