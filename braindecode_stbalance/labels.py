"""Seizure label vocabularies and annotation-description matching.

Descriptions are compared case-insensitively after stripping whitespace.
"""

# License: BSD (3-clause)

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Collection, Iterable

import numpy as np

__all__ = [
    "BACKGROUND_LABELS",
    "TUSZ_SEIZURE_LABELS",
    "SeizureLabels",
    "is_seizure_label",
]

#: Seizure labels of the TUH EEG Seizure Corpus (``.csv_bi`` uses ``seiz``,
#: ``.csv`` the seizure types).
TUSZ_SEIZURE_LABELS = frozenset(
    ["seiz", "fnsz", "gnsz", "spsz", "cpsz", "absz", "tnsz", "cnsz", "tcsz", "atsz", "mysz"]
)
#: Descriptions known to mean "no seizure".
BACKGROUND_LABELS = frozenset(["bckg"])
_MNE_MARKER_PREFIXES = ("bad_", "edge_")


def _norm(description):
    return str(description).strip().lower()


def is_seizure_label(description):
    """Whether a description is a seizure in the default vocabulary.

    The default vocabulary is the TUSZ seizure labels
    (:data:`TUSZ_SEIZURE_LABELS`) and every SzCORE/BIDS event type starting
    with ``sz`` (``sz``, ``sz_foc_ia``, ...), case-insensitive.

    Parameters
    ----------
    description : str
        An annotation description.

    Returns
    -------
    bool
        True if ``description`` names a seizure.
    """
    d = _norm(description)
    return d in TUSZ_SEIZURE_LABELS or d.startswith("sz")


def _is_known_non_seizure(d):
    return d in BACKGROUND_LABELS or d.startswith(_MNE_MARKER_PREFIXES)


class SeizureLabels:
    """Decide which annotation descriptions are seizures.

    Parameters
    ----------
    labels : None | collection of str | callable
        ``None`` uses the default vocabulary (see :func:`is_seizure_label`).
        A collection of strings lists the seizure descriptions
        (case-insensitive). A callable takes one description and returns
        whether it is a seizure.

    Notes
    -----
    Descriptions that are neither seizures, nor known background (``bckg``),
    nor MNE ``BAD_``/``EDGE_`` markers, nor a default seizure label are
    *unknown*. :meth:`warn_unknown` reports them once with their counts so a
    corpus loaded with the wrong vocabulary (e.g. every event named ``n/a``)
    does not go unnoticed.
    """

    def __init__(self, labels=None):
        if labels is None:
            self._predicate = is_seizure_label
            self.spec = None
        elif callable(labels):
            self._predicate = labels
            self.spec = f"{labels.__module__}.{getattr(labels, '__qualname__', repr(labels))}"
        elif isinstance(labels, str) or not isinstance(labels, Collection):
            raise TypeError(
                "labels must be None, a collection of strings or a callable, "
                f"got {type(labels).__name__}: {labels!r}."
            )
        else:
            wanted = frozenset(_norm(x) for x in labels)
            if not wanted:
                raise ValueError("labels is empty: no annotation could be a seizure.")
            self._predicate = lambda d: _norm(d) in wanted
            self.spec = sorted(wanted)
        self._cache = {}
        self.unknown = Counter()

    def __call__(self, descriptions: Iterable[str]) -> np.ndarray:
        """Boolean mask: which of ``descriptions`` are seizures.

        Unknown descriptions are tallied in :attr:`unknown`.

        Parameters
        ----------
        descriptions : iterable of str
            Annotation descriptions.

        Returns
        -------
        ndarray of bool
            True where the description is a seizure.
        """
        descriptions = np.asarray(descriptions, dtype=object)
        out = np.zeros(descriptions.shape, dtype=bool)
        if descriptions.size == 0:
            return out
        uniq, inverse = np.unique(descriptions.astype(str), return_inverse=True)
        flags = np.empty(uniq.size, dtype=bool)
        for j, d in enumerate(uniq.tolist()):
            hit = self._cache.get(d)
            if hit is None:
                seiz = bool(self._predicate(d))
                n = _norm(d)
                known = seiz or _is_known_non_seizure(n) or is_seizure_label(n)
                hit = self._cache[d] = (seiz, known)
            flags[j] = hit[0]
            if not hit[1]:
                self.unknown[d] += int(np.count_nonzero(inverse == j))
        return flags[inverse]

    def warn_unknown(self, where="the corpus", exclude=()):
        """Warn once about unknown descriptions seen so far, with counts.

        Parameters
        ----------
        where : str
            What was scanned, used in the message.
        exclude : collection of str
            Descriptions already reported; they are left out.

        Returns
        -------
        set of str
            The descriptions reported now.
        """
        unknown = Counter({d: n for d, n in self.unknown.items() if d not in exclude})
        if not unknown:
            return set()
        listed = ", ".join(f"{d!r} x{n}" for d, n in unknown.most_common(10))
        more = len(unknown) - 10
        if more > 0:
            listed += f" and {more} more"
        warnings.warn(
            f"{sum(unknown.values())} annotation(s) in {where} match no known "
            f"seizure or background label and were NOT counted as seizures: {listed}. "
            "If these are seizures, pass labels=[...] or a predicate.",
            UserWarning,
            stacklevel=3,
        )
        return set(unknown)
