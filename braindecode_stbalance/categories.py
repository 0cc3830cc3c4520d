"""Seizure categories of windows, and the category splitter."""

# License: BSD (3-clause)

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd

__all__ = [
    "CATEGORIES",
    "categorize",
    "category_counts",
    "split_by_category",
    "window_table",
]

#: The three window categories, in code order (0, 1, 2).
CATEGORIES = ("no_seizure", "partial_seizure", "full_seizure")
RATIO_COLUMN = "seizure_ratio"
CATEGORY_COLUMN = "seizure_category"
_CATEGORY_DTYPE = pd.CategoricalDtype(list(CATEGORIES), ordered=True)


def quota(ratio, base):
    """``floor(ratio * base)``, exact on the decimal value of ``ratio``.

    ``Fraction(repr(0.3))`` is 3/10 exactly, so ``0.3 * 30`` gives 9 and not
    the 8 of binary floating point (8.999999999999998).
    """
    return math.floor(Fraction(repr(float(ratio))) * int(base))


def check_full_threshold(full_threshold):
    """Validate ``full_threshold`` and return it as float."""
    try:
        value = float(full_threshold)
    except (TypeError, ValueError):
        raise TypeError(
            f"full_threshold must be a number in (0, 1], got {full_threshold!r}."
        ) from None
    if not 0 < value <= 1:
        raise ValueError(f"full_threshold must be in (0, 1], got {full_threshold!r}.")
    return value


def categorize(seizure_ratio, full_threshold=1.0):
    """Category codes of windows from their seizure ratios.

    Parameters
    ----------
    seizure_ratio : array-like of float
        Seizure ratios in [0, 1].
    full_threshold : float
        A window with ``ratio >= full_threshold`` is ``"full_seizure"``; in
        (0, 1]. The default 1.0 requires every sample to be a seizure sample
        (SeizureTransformer's rule).

    Returns
    -------
    codes : ndarray of int8
        0 (``"no_seizure"``, ratio == 0), 2 (``"full_seizure"``) or 1
        (``"partial_seizure"``); index into :data:`CATEGORIES`.
    """
    full_threshold = check_full_threshold(full_threshold)
    r = np.asarray(seizure_ratio, dtype=np.float64)
    codes = np.ones(r.shape, dtype=np.int8)
    codes[r == 0] = 0
    codes[r >= full_threshold] = 2
    return codes


def category_array(codes):
    """Wrap category codes as a :class:`pandas.Categorical` of :data:`CATEGORIES`."""
    return pd.Categorical.from_codes(codes, dtype=_CATEGORY_DTYPE)


def _window_metadata(ds):
    windows = getattr(ds, "_windows", None)
    md = windows.metadata if windows is not None else ds.metadata
    if not isinstance(md, pd.DataFrame):
        raise TypeError(
            "This recording's window metadata is lazy (windows made with "
            "lazy_metadata=True), so it has no seizure columns. Re-window with "
            "lazy_metadata=False."
        )
    return md


def window_table(concat_ds):
    """Per-window seizure columns of an annotated corpus, without concatenating metadata.

    Parameters
    ----------
    concat_ds : braindecode.datasets.BaseConcatDataset
        A windowed corpus annotated with :class:`~braindecode_stbalance.SeizureRatio`
        or :func:`~braindecode_stbalance.annotate_seizure_ratio`.

    Returns
    -------
    pandas.DataFrame
        One row per window in corpus order, with columns ``recording``
        (index of the sub-dataset), ``i_window`` (window index within it),
        ``i_start_in_trial``, ``i_stop_in_trial``, ``seizure_ratio`` and
        ``seizure_category``.

    Raises
    ------
    ValueError
        If a recording has not been annotated (names the recording).
    """
    parts = {k: [] for k in ("recording", "i_window", "i_start_in_trial",
                             "i_stop_in_trial", RATIO_COLUMN, "code")}
    for i, ds in enumerate(concat_ds.datasets):
        md = _window_metadata(ds)
        if RATIO_COLUMN not in md.columns or CATEGORY_COLUMN not in md.columns:
            raise ValueError(
                f"Recording {i} ({_describe(ds)}) has no '{RATIO_COLUMN}'/"
                f"'{CATEGORY_COLUMN}' columns: annotate the corpus first with "
                "preprocess(concat_ds, [SeizureRatio()]) or "
                "annotate_seizure_ratio(concat_ds)."
            )
        n = len(md)
        parts["recording"].append(np.full(n, i, dtype=np.int64))
        parts["i_window"].append(np.arange(n, dtype=np.int64))
        parts["i_start_in_trial"].append(md["i_start_in_trial"].to_numpy(np.int64))
        parts["i_stop_in_trial"].append(md["i_stop_in_trial"].to_numpy(np.int64))
        parts[RATIO_COLUMN].append(md[RATIO_COLUMN].to_numpy(np.float64))
        cat = md[CATEGORY_COLUMN]
        if isinstance(cat.dtype, pd.CategoricalDtype) and list(
            cat.cat.categories
        ) == list(CATEGORIES):
            parts["code"].append(cat.cat.codes.to_numpy(np.int8))
        else:
            parts["code"].append(
                pd.Categorical(cat, dtype=_CATEGORY_DTYPE).codes.astype(np.int8)
            )
    cols = {k: (np.concatenate(v) if v else np.empty(0)) for k, v in parts.items()}
    codes = cols.pop("code").astype(np.int8)
    table = pd.DataFrame(cols)
    table[CATEGORY_COLUMN] = category_array(codes)
    return table


def _describe(ds):
    desc = getattr(ds, "description", None)
    if desc is not None:
        for key in ("path", "recording", "subject"):
            if key in desc.index:
                return f"{key}={desc[key]}"
    return "no description"


class _RecordingName:
    """``"Recording i (path=...)"`` (no ``i`` if None), formatted only when a message needs it."""

    __slots__ = ("ds", "i")

    def __init__(self, i, ds):
        self.i, self.ds = i, ds

    def __str__(self):
        number = "" if self.i is None else f" {self.i}"
        return f"Recording{number} ({_describe(self.ds)})"


def split_by_category(concat_ds):
    """Split an annotated windows corpus into its three category subsets.

    Parameters
    ----------
    concat_ds : braindecode.datasets.BaseConcatDataset
        An annotated windowed corpus.

    Returns
    -------
    dict of str to torch.utils.data.Subset
        Exactly the keys of :data:`CATEGORIES`; each value is a
        :class:`~torch.utils.data.Subset` of ``concat_ds`` whose ``indices``
        are the corpus-level indices of that category's windows, in corpus
        order (possibly empty).
    """
    from torch.utils.data import Subset

    codes = window_table(concat_ds)[CATEGORY_COLUMN].cat.codes.to_numpy()
    return {
        name: Subset(concat_ds, np.flatnonzero(codes == c).tolist())
        for c, name in enumerate(CATEGORIES)
    }


def _sfreqs(concat_ds):
    out = []
    for ds in concat_ds.datasets:
        windows = getattr(ds, "_windows", None)
        if windows is None and hasattr(ds, "windows") and not hasattr(ds, "_raw"):
            windows = ds.windows
        info = windows.info if windows is not None else ds.raw.info
        out.append(float(info["sfreq"]))
    return np.asarray(out)


def category_counts(concat_ds, per_recording=False):
    """Windows and seizure seconds per category.

    Parameters
    ----------
    concat_ds : braindecode.datasets.BaseConcatDataset
        An annotated windowed corpus.
    per_recording : bool
        If True, one row per recording instead of one per category.

    Returns
    -------
    pandas.DataFrame
        With ``per_recording=False``: index = the three categories, columns
        ``n_windows``, ``fraction`` (of all windows) and ``seizure_seconds``
        (seizure seconds inside that category's windows; overlapping windows
        count their shared seconds once each). With ``per_recording=True``:
        index = recording, columns ``n_windows``, one count column per
        category and ``seizure_seconds`` in that recording's windows.
    """
    table = window_table(concat_ds)
    sfreq = _sfreqs(concat_ds)[table["recording"].to_numpy()]
    seconds = (
        table[RATIO_COLUMN].to_numpy()
        * (table["i_stop_in_trial"] - table["i_start_in_trial"]).to_numpy()
        / sfreq
    )
    table = table.assign(seizure_seconds=seconds)
    if per_recording:
        counts = pd.crosstab(table["recording"], table[CATEGORY_COLUMN], dropna=False)
        counts = counts.reindex(columns=list(CATEGORIES), fill_value=0)
        counts.columns = [str(c) for c in counts.columns]
        out = counts.assign(
            n_windows=counts.sum(axis=1),
            seizure_seconds=table.groupby("recording")["seizure_seconds"].sum(),
        )
        return out[["n_windows", *CATEGORIES, "seizure_seconds"]]
    grouped = table.groupby(CATEGORY_COLUMN, observed=False)
    out = pd.DataFrame(
        {
            "n_windows": grouped.size(),
            "seizure_seconds": grouped["seizure_seconds"].sum(),
        }
    ).reindex(list(CATEGORIES), fill_value=0)
    out.index = pd.Index(list(CATEGORIES), name=CATEGORY_COLUMN)
    total = out["n_windows"].sum()
    out.insert(1, "fraction", out["n_windows"] / total if total else 0.0)
    return out
