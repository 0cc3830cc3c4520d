"""The balanced epoch plan: from category counts to per-category quotas (pure Python).

The one place that knows SeizureTransformer's mix (all partial-seizure windows,
0.3x as many full-seizure and 2.5x as many no-seizure windows) and the quota
arithmetic. The sampler draws what an :class:`EpochPlan` says; the manifest's
summary and :func:`balanced_epoch_size` ask the same plan.
"""

# License: BSD (3-clause)

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["EpochPlan", "balanced_epoch_size"]

#: SeizureTransformer's full-seizure windows per partial-seizure window.
DEFAULT_FULL_RATIO = 0.3
#: SeizureTransformer's no-seizure windows per partial-seizure window.
DEFAULT_BACKGROUND_RATIO = 2.5
#: Base counts of the quotas: partial windows only, or partial plus full.
ANCHORS = ("partial_seizure", "seizure")
#: Largest epoch a plan accepts (an int64 index array of 16 GiB): beyond it a
#: ratio is a typo, not a plan.
MAX_EPOCH_WINDOWS = 2**31 - 1

_CATEGORIES = ("no_seizure", "partial_seizure", "full_seizure")
_NO, _PARTIAL, _FULL = 0, 1, 2


def quota(ratio, base):
    """``floor(ratio * base)``, exact on the decimal value of ``ratio``.

    ``Fraction(repr(0.3))`` is 3/10 exactly, so ``0.3 * 30`` gives 9 and not
    the 8 of binary floating point (8.999999999999998).

    Parameters
    ----------
    ratio : float
        A finite ratio >= 0.
    base : int
        The base count.

    Returns
    -------
    int
        The quota.
    """
    return math.floor(Fraction(repr(float(ratio))) * int(base))


def check_ratio(name, value):
    """Validate a quota ratio: a real number, finite and >= 0; return it as float.

    Parameters
    ----------
    name : str
        The parameter's name, for the message.
    value : object
        What was given.

    Returns
    -------
    float
        The ratio.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number >= 0, got {value!r}.")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}.")
    return value


@dataclass(frozen=True)
class EpochPlan:
    """How many windows of each category one balanced epoch draws.

    Build it with :meth:`from_counts`. With ``P`` partial, ``F`` full and
    ``N`` no-seizure windows and the base ``B`` (``P`` for
    ``anchor="partial_seizure"``, ``P + F`` for ``anchor="seizure"``), the
    quotas are ``P``, ``floor(full_ratio * B)`` and
    ``floor(background_ratio * B)``, floored on the decimal value of the
    ratios. A quota above what is available is a *shortage*: without
    replacement all the windows of that category are drawn; with replacement
    the quota is topped up by drawing with replacement (an empty category
    cannot be topped up).

    Parameters
    ----------
    counts : tuple of int
        Windows available per category, in code order (no, partial, full).
    full_ratio, background_ratio : float
        Quota ratios.
    anchor : "partial_seizure" | "seizure"
        The base count.
    replacement : bool
        Top up short categories by drawing with replacement.
    natural_fraction : float
        Share of the epoch, in [0, 1), drawn uniformly from the windows the
        balanced part did not take (the natural distribution of the corpus):
        ``floor(f / (1 - f) * balanced)`` extra windows, capped by what is left.

    Attributes
    ----------
    base : int
        ``B``.
    requested : tuple of int
        The quotas, per category in code order.
    drawn : tuple of int
        What an epoch draws per category, after shortages.
    shortages : tuple of (str, int, int)
        ``(category, requested, available)`` for each category that cannot
        meet its quota (after topping up, with replacement).
    """

    counts: tuple
    full_ratio: float = DEFAULT_FULL_RATIO
    background_ratio: float = DEFAULT_BACKGROUND_RATIO
    anchor: str = "partial_seizure"
    replacement: bool = False
    natural_fraction: float = 0.0

    @classmethod
    def from_counts(cls, counts, full_ratio=DEFAULT_FULL_RATIO,
                    background_ratio=DEFAULT_BACKGROUND_RATIO, anchor="partial_seizure",
                    replacement=False, natural_fraction=0.0):
        """Validate the parameters and build the plan.

        Parameters
        ----------
        counts : sequence of int
            Windows per category (no, partial, full), or a dict keyed by
            category name.
        full_ratio, background_ratio : float
            Finite and >= 0.
        anchor : "partial_seizure" | "seizure"
            The base count.
        replacement : bool
            Top up short categories by drawing with replacement.
        natural_fraction : float
            Share of the epoch drawn from the natural distribution, in [0, 1).

        Returns
        -------
        EpochPlan
            The plan.

        Raises
        ------
        ValueError
            If a ratio is invalid, the base count is zero (the message reports
            the three counts and what to do), or the epoch would exceed
            :data:`MAX_EPOCH_WINDOWS`.
        """
        if isinstance(counts, dict):
            counts = tuple(counts[c] for c in _CATEGORIES)
        counts = tuple(int(c) for c in counts)
        if len(counts) != 3 or min(counts) < 0:
            raise ValueError(f"counts must be three numbers >= 0 (no, partial, full), got {counts}.")
        if anchor not in ANCHORS:
            raise ValueError(f"anchor must be one of {ANCHORS}, got {anchor!r}.")
        # or a NumPy bool scalar (numpy.bool_ in NumPy 1, numpy.bool in NumPy 2)
        numpy_bool = getattr(replacement, "dtype", None) == "?" and replacement.shape == ()
        if not (isinstance(replacement, bool) or numpy_bool):
            raise TypeError(f"replacement must be a bool, got {replacement!r}.")
        natural_fraction = check_ratio("natural_fraction", natural_fraction)
        if natural_fraction >= 1:
            raise ValueError(f"natural_fraction must be in [0, 1), got {natural_fraction!r}.")
        plan = cls(counts, check_ratio("full_ratio", full_ratio),
                   check_ratio("background_ratio", background_ratio), anchor, bool(replacement),
                   natural_fraction)
        if plan.base == 0:
            n_no, n_part, n_full = counts
            what = "partial_seizure" if anchor == "partial_seizure" else "seizure (partial or full)"
            raise ValueError(
                f"No {what} windows to anchor the quotas on: the data has {n_part} "
                f"partial_seizure, {n_full} full_seizure and {n_no} no_seizure windows. "
                "Window with a smaller stride (overlapping windows give partial windows at "
                "every seizure boundary), annotate with a lower full_threshold, or use "
                "anchor='seizure' to anchor the quotas on partial plus full windows.")
        if plan.length > MAX_EPOCH_WINDOWS:
            raise ValueError(
                f"full_ratio={plan.full_ratio!r} and background_ratio={plan.background_ratio!r} "
                f"with replacement ask for {plan.length:,} windows per epoch (base {plan.base:,}), "
                f"more than {MAX_EPOCH_WINDOWS:,}: choose smaller ratios.")
        return plan

    @property
    def base(self):
        _n_no, n_part, n_full = self.counts
        return n_part if self.anchor == "partial_seizure" else n_part + n_full

    @property
    def requested(self):
        b = self.base
        return (quota(self.background_ratio, b), self.counts[_PARTIAL], quota(self.full_ratio, b))

    @property
    def drawn(self):
        return tuple(q if (self.replacement and n > 0) else min(q, n)
                     for q, n in zip(self.requested, self.counts))

    @property
    def natural(self):
        """int: Windows drawn from the natural distribution on top of the balanced part."""
        if not self.natural_fraction:
            return 0
        f = Fraction(repr(float(self.natural_fraction)))
        wanted = math.floor(f / (1 - f) * sum(self.drawn))
        distinct = sum(min(d, n) for d, n in zip(self.drawn, self.counts))
        return min(wanted, sum(self.counts) - distinct)

    @property
    def length(self):
        """int: Windows per epoch (``sum(drawn) + natural``)."""
        return sum(self.drawn) + self.natural

    @property
    def shortages(self):
        return tuple((_CATEGORIES[c], q, n) for c, (q, n, d) in
                     enumerate(zip(self.requested, self.counts, self.drawn)) if d < q)

    def as_dict(self):
        """Windows drawn per epoch, by category name.

        Returns
        -------
        dict of str to int
            ``{"no_seizure": ..., "partial_seizure": ..., "full_seizure": ...}``.
        """
        return dict(zip(_CATEGORIES, self.drawn))

    def shortage_message(self):
        """A sentence about the shortages, or ``""`` if there is none.

        Returns
        -------
        str
            What is short and what to do.
        """
        if not self.shortages:
            return ""
        names = {"full_seizure": "full_ratio", "no_seizure": "background_ratio"}
        msg = "; ".join(
            f"{c} quota is {q} ({names[c]}={getattr(self, names[c])} x {self.base} base "
            f"windows) but only {n} are available" for c, q, n in self.shortages)
        hint = ("there is nothing to top up from" if self.replacement
                else "pass replacement=True to top up by drawing with replacement")
        return f"{msg}. Using all of them; {hint}."

    def formula(self):
        """The plan as a formula with its numbers, for summaries.

        Returns
        -------
        str
            E.g. ``"1,234 = P + min(floor(0.3 B), F) + min(floor(2.5 B), N), B = P = 400"``.
        """
        b = "P" if self.anchor == "partial_seizure" else "P + F"
        cap = "" if self.replacement else "min("
        end = "" if self.replacement else ", {})"
        full = f"{cap}floor({self.full_ratio:g} B){end.format('F')}"
        no = f"{cap}floor({self.background_ratio:g} B){end.format('N')}"
        natural = f" + {self.natural:,} natural" if self.natural else ""
        return f"{self.length:,} = P + {full} + {no}{natural}, B = {b} = {self.base:,}"


def balanced_epoch_size(n_partial, n_full=None, n_no_seizure=None):
    """Windows in one balanced epoch with SeizureTransformer's defaults.

    ``P + min(floor(0.3 P), F) + min(floor(2.5 P), N)``: the epoch that
    :class:`~braindecode_stbalance.BalancedSeizureSampler` draws with its
    defaults (no replacement).

    Parameters
    ----------
    n_partial : int
        Number ``P`` of partial-seizure windows.
    n_full, n_no_seizure : int | None
        Full-seizure (``F``) and no-seizure (``N``) windows available;
        ``None`` does not cap that quota.

    Returns
    -------
    int
        The epoch length.
    """
    p = int(n_partial)
    full = quota(DEFAULT_FULL_RATIO, p) if n_full is None else int(n_full)
    no = quota(DEFAULT_BACKGROUND_RATIO, p) if n_no_seizure is None else int(n_no_seizure)
    return EpochPlan((no, p, full)).length
