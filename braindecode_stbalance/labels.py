"""Seizure label vocabularies, and the report of descriptions a vocabulary left out.

Two separate ideas live here:

- :class:`SeizureLabels`, an immutable vocabulary: which annotation
  descriptions are seizures (compared case-insensitively after stripping
  whitespace);
- :class:`LabelReport`, a tally of the descriptions a vocabulary did *not*
  count as seizures although they might be: unknown descriptions, and known
  seizure labels left out by a custom vocabulary. Every reader and every
  categorisation path fills one and warns once, with counts.
"""

# License: BSD (3-clause)

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Collection

import numpy as np

__all__ = ["LabelReport", "SeizureLabels", "is_seizure_label"]

#: Seizure labels of the TUH EEG Seizure Corpus (``.csv_bi`` uses ``seiz``,
#: ``.csv`` the seizure types).
TUSZ_SEIZURE_LABELS = frozenset(
    ["seiz", "fnsz", "gnsz", "spsz", "cpsz", "absz", "tnsz", "cnsz", "tcsz", "atsz", "mysz"]
)
#: Descriptions known to mean "no seizure".
BACKGROUND_LABELS = frozenset(["bckg"])
#: What braindecode's BIDS loaders name every event of a SzCORE tree
#: (background included); never a seizure label.
NA_LABEL = "n/a"
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


def is_known_non_seizure(description):
    """Whether a description is known background (``bckg``) or an MNE ``BAD_``/``EDGE_`` marker.

    Parameters
    ----------
    description : str
        An annotation description.

    Returns
    -------
    bool
        True for known non-seizure descriptions.
    """
    d = _norm(description)
    return d in BACKGROUND_LABELS or d.startswith(_MNE_MARKER_PREFIXES)


class SeizureLabels:
    """Which annotation descriptions are seizures (an immutable vocabulary).

    Parameters
    ----------
    labels : None | collection of str | callable | SeizureLabels
        ``None`` uses the default vocabulary (see :func:`is_seizure_label`).
        A collection of strings lists the seizure descriptions
        (case-insensitive). A callable takes one description and returns
        whether it is a seizure (it must be a pure function of the
        description). A :class:`SeizureLabels` is used as is.

    Raises
    ------
    TypeError
        If ``labels`` is none of the above.
    ValueError
        If the collection is empty, or lists ``'n/a'``: braindecode's BIDS
        loaders name *every* event of a SzCORE tree ``'n/a'``, background
        included, so counting it would label seizure-free recordings as
        seizures (use :func:`~braindecode_stbalance.datasets.szcore_annotations`).

    Attributes
    ----------
    spec : None | list of str | str
        A JSON-safe description of the vocabulary (``None``: default; the
        sorted labels; or ``"module.qualname"`` of the callable, its ``repr``
        for a callable without a name such as a :func:`functools.partial`).
    """

    def __init__(self, labels=None):
        if isinstance(labels, SeizureLabels):
            self._predicate, self.spec = labels._predicate, labels.spec
        elif labels is None:
            self._predicate, self.spec = is_seizure_label, None
        elif callable(labels):
            self._predicate = labels
            module, qualname = (getattr(labels, a, None) for a in ("__module__", "__qualname__"))
            self.spec = f"{module}.{qualname}" if module and qualname else repr(labels)
        elif isinstance(labels, str) or not isinstance(labels, Collection):
            raise TypeError(
                "labels must be None, a collection of strings or a callable, "
                f"got {type(labels).__name__}: {labels!r}."
            )
        else:
            if not all(isinstance(x, str) for x in labels):
                raise TypeError(f"labels must all be strings, got {sorted(map(repr, labels))}.")
            wanted = frozenset(_norm(x) for x in labels)
            if not wanted:
                raise ValueError("labels is empty: no annotation could be a seizure.")
            if NA_LABEL in wanted:
                raise ValueError(
                    "labels lists 'n/a', which is never a seizure label: braindecode's "
                    "BIDS loaders (BIDSDataset, CHBMIT, SIENA) name every SzCORE event "
                    "'n/a', background included. Read the corpus with "
                    "braindecode_stbalance.datasets.SzCOREBIDS or call "
                    "szcore_annotations(corpus), which give events their SzCORE eventType."
                )
            self._predicate = _OneOf(wanted)
            self.spec = sorted(wanted)
        self._cache = {}

    def __call__(self, descriptions):
        """Boolean mask: which of ``descriptions`` are seizures.

        Parameters
        ----------
        descriptions : iterable of str
            Annotation descriptions.

        Returns
        -------
        ndarray of bool
            True where the description is a seizure.
        """
        return self.classify(descriptions)[0]

    def classify(self, descriptions):
        """Seizure, unknown and left-out flags of each description.

        Parameters
        ----------
        descriptions : iterable of str
            Annotation descriptions.

        Returns
        -------
        seizure : ndarray of bool
            Counted as seizures by this vocabulary.
        unknown : ndarray of bool
            Neither seizure, nor known background, nor an MNE marker, nor a
            default seizure label.
        left_out : ndarray of bool
            Default seizure labels (``fnsz``, ``sz_foc_ia``, ...) that this
            (custom) vocabulary does not count.
        """
        descriptions = np.asarray(descriptions, dtype=object).ravel()
        if descriptions.size == 0:
            empty = np.zeros(0, dtype=bool)
            return empty, empty, empty
        uniq, inverse = np.unique(descriptions.astype(str), return_inverse=True)
        flags = np.empty((uniq.size, 3), dtype=bool)
        for j, d in enumerate(uniq.tolist()):
            hit = self._cache.get(d)
            if hit is None:
                seizure = bool(self._predicate(d))
                default = is_seizure_label(d)
                hit = self._cache[d] = (
                    seizure,
                    not (seizure or default or is_known_non_seizure(d)),
                    default and not seizure,
                )
            flags[j] = hit
        out = flags[inverse.ravel()]
        return out[:, 0], out[:, 1], out[:, 2]

    def __getstate__(self):
        return {"_predicate": self._predicate, "spec": self.spec, "_cache": {}}

    def __repr__(self):
        return f"SeizureLabels({'default' if self.spec is None else self.spec!r})"


class _OneOf:
    """Picklable predicate: the normalised description is one of ``wanted``."""

    def __init__(self, wanted):
        self.wanted = wanted

    def __call__(self, description):
        return _norm(description) in self.wanted


class LabelReport:
    """The descriptions a categorisation did not count as seizures although it might have.

    Filled by :meth:`add` (or merged with :meth:`update`) while annotations
    are read, reported once by :meth:`warn`.

    Attributes
    ----------
    unknown : collections.Counter
        Descriptions that match no known seizure or background label.
    left_out : collections.Counter
        Known seizure labels (TUSZ types, SzCORE ``sz*``) that a custom
        vocabulary does not count.
    """

    def __init__(self):
        self.unknown = Counter()
        self.left_out = Counter()

    def add(self, labels, descriptions):
        """Tally ``descriptions`` under ``labels``; return their seizure mask.

        Parameters
        ----------
        labels : SeizureLabels
            The vocabulary.
        descriptions : iterable of str
            Annotation descriptions.

        Returns
        -------
        ndarray of bool
            Which descriptions are seizures.
        """
        descriptions = np.asarray(descriptions, dtype=object).ravel()
        seizure, unknown, left_out = labels.classify(descriptions)
        for flags, tally in ((unknown, self.unknown), (left_out, self.left_out)):
            if flags.any():
                tally.update(str(d) for d in descriptions[flags])
        return seizure

    def update(self, other):
        """Add the counts of another report (e.g. from a worker process).

        Parameters
        ----------
        other : LabelReport
            The report to merge in.

        Returns
        -------
        self : LabelReport
        """
        self.unknown.update(other.unknown)
        self.left_out.update(other.left_out)
        return self

    def __bool__(self):
        return bool(self.unknown or self.left_out)

    def messages(self, where):
        """The warning texts :meth:`warn` would emit.

        Parameters
        ----------
        where : str
            What was read, used in the messages.

        Returns
        -------
        list of str
            Zero, one or two messages.
        """
        out = []
        if self.left_out:
            out.append(
                f"{sum(self.left_out.values())} annotation(s) in {where} carry known "
                f"seizure labels that the given labels do not count: "
                f"{_listing(self.left_out)}. They were NOT counted as seizures; add them "
                "to labels=[...] (or pass labels=None for the default vocabulary) if "
                "they are seizures."
            )
        if self.unknown:
            hint = "If these are seizures, pass labels=[...] or a predicate."
            if NA_LABEL in {_norm(d) for d in self.unknown}:
                hint = (
                    "'n/a' is what braindecode's BIDS loaders (BIDSDataset, CHBMIT, SIENA) "
                    "name every event whose events.tsv has no trial_type column: read "
                    "SzCORE trees with braindecode_stbalance.datasets.SzCOREBIDS or call "
                    "szcore_annotations(corpus) first. Other descriptions: pass "
                    "labels=[...] if they are seizures."
                )
            out.append(
                f"{sum(self.unknown.values())} annotation(s) in {where} match no known "
                f"seizure or background label and were NOT counted as seizures: "
                f"{_listing(self.unknown)}. {hint}"
            )
        return out

    def warn(self, where="the corpus", stacklevel=3):
        """Warn once about what was not counted, with counts.

        Parameters
        ----------
        where : str
            What was read, used in the message.
        stacklevel : int
            Passed to :func:`warnings.warn`.

        Returns
        -------
        list of str
            The messages warned.
        """
        messages = self.messages(where)
        for msg in messages:
            warnings.warn(msg, UserWarning, stacklevel=stacklevel)
        return messages


def _listing(counter, most=10):
    listed = ", ".join(f"{d!r} x{n}" for d, n in counter.most_common(most))
    more = len(counter) - most
    return listed + (f" and {more} more" if more > 0 else "")
