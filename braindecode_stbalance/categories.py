"""Seizure categories of windows, and the category splitter."""

# License: BSD (3-clause)

from __future__ import annotations

import numbers

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


def check_full_threshold(full_threshold):
    """Validate ``full_threshold`` and return it as float."""
    if isinstance(full_threshold, (bool, np.bool_)) or not isinstance(full_threshold, numbers.Real):
        raise TypeError(
            f"full_threshold must be a number in (0, 1], got {full_threshold!r}."
        )
    value = float(full_threshold)
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

    Raises
    ------
    ValueError
        If a ratio is NaN or outside [0, 1] (the first such row is named).
    """
    full_threshold = check_full_threshold(full_threshold)
    r = np.asarray(seizure_ratio, dtype=np.float64)
    bad = np.flatnonzero(~((r >= 0) & (r <= 1)))  # NaN included
    if bad.size:
        raise ValueError(f"seizure ratios must be in [0, 1]: row {int(bad[0])} (and "
                         f"{bad.size - 1} more) is {float(r.flat[bad[0]])!r}.")
    codes = np.ones(r.shape, dtype=np.int8)
    codes[r == 0] = 0
    codes[r >= full_threshold] = 2
    return codes


def category_array(codes):
    """Wrap category codes as a :class:`pandas.Categorical` of :data:`CATEGORIES`."""
    return pd.Categorical.from_codes(codes, dtype=_CATEGORY_DTYPE)


def _window_metadata(i, ds):
    from ._adapters import metadata_frames

    md = metadata_frames(ds)[-1]
    if not isinstance(md, pd.DataFrame):
        raise TypeError(
            f"{RecordingName(i, ds)}: its window metadata is lazy (windows made with "
            "lazy_metadata=True), so it has no seizure columns. Re-window with "
            "lazy_metadata=False."
        )
    return md


def category_codes(values, where):
    """Category codes (int8, see :data:`CATEGORIES`) of a ``seizure_category`` column.

    Parameters
    ----------
    values : pandas.Series | array-like
        Category names, or a Categorical of :data:`CATEGORIES`.
    where : object
        Names the column's owner in the error message.

    Returns
    -------
    ndarray of int8
        0, 1 or 2 per row.

    Raises
    ------
    ValueError
        If a value is not one of :data:`CATEGORIES` (the row and value are named).
    """
    cat = values.array if isinstance(values, pd.Series) else values
    if isinstance(cat, pd.Categorical) and list(cat.categories) == list(CATEGORIES):
        codes = np.asarray(cat.codes)
    else:  # names: look each up (pandas 4 will refuse values outside the categories)
        names = np.asarray(cat, dtype=object)
        lookup = {name: code for code, name in enumerate(CATEGORIES)}
        codes = np.fromiter((lookup.get(v, -1) if isinstance(v, str) else -1 for v in names),
                            dtype=np.int64, count=names.size)
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"{where}: row {j} (and {bad.size - 1} more) has {CATEGORY_COLUMN}="
            f"{np.asarray(cat, dtype=object)[j]!r}; expected one of {CATEGORIES}.")
    return codes.astype(np.int8, copy=False)


def _annotated_metadata(i, ds):
    md = _window_metadata(i, ds)
    if RATIO_COLUMN not in md.columns or CATEGORY_COLUMN not in md.columns:
        raise ValueError(
            f"{RecordingName(i, ds)} has no '{RATIO_COLUMN}'/'{CATEGORY_COLUMN}' columns: "
            "annotate the corpus first with preprocess(concat_ds, [SeizureRatio()]) or "
            "annotate_seizure_ratio(concat_ds).")
    return md


def corpus_codes(concat_ds):
    """Category code of every window of an annotated corpus, in corpus order.

    Parameters
    ----------
    concat_ds : braindecode.datasets.BaseConcatDataset
        An annotated windowed corpus.

    Returns
    -------
    ndarray of int8
        One code per window (index into :data:`CATEGORIES`).

    Raises
    ------
    ValueError
        If a recording is not annotated, or holds an invalid category.
    """
    parts = [category_codes(_annotated_metadata(i, ds)[CATEGORY_COLUMN], RecordingName(i, ds))
             for i, ds in enumerate(concat_ds.datasets)]
    return np.concatenate(parts)


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
        md = _annotated_metadata(i, ds)
        n = len(md)
        parts["recording"].append(np.full(n, i, dtype=np.int64))
        parts["i_window"].append(np.arange(n, dtype=np.int64))
        parts["i_start_in_trial"].append(md["i_start_in_trial"].to_numpy(np.int64))
        parts["i_stop_in_trial"].append(md["i_stop_in_trial"].to_numpy(np.int64))
        parts[RATIO_COLUMN].append(md[RATIO_COLUMN].to_numpy(np.float64))
        parts["code"].append(category_codes(md[CATEGORY_COLUMN], RecordingName(i, ds)))
    cols = {k: np.concatenate(v) for k, v in parts.items()}
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


class RecordingName:
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

    codes = corpus_codes(concat_ds)
    return {
        name: Subset(concat_ds, np.flatnonzero(codes == c).tolist())
        for c, name in enumerate(CATEGORIES)
    }


def _sfreqs(concat_ds):
    from ._adapters import mne_object

    out = np.empty(len(concat_ds.datasets))
    for i, ds in enumerate(concat_ds.datasets):
        obj = mne_object(ds)
        if obj is None:
            raise ValueError(
                f"{RecordingName(i, ds)} keeps no MNE object (a dataset streamed from Zarr), "
                "hence no sampling rate to turn windows into seizure seconds: count "
                "the categories before saving the corpus, or use its manifest "
                "(SeizureManifest.summary()).")
        out[i] = obj.info["sfreq"]
    return out


def category_counts(concat_ds, per_recording=False):
    """Windows and window seizure seconds per category.

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
        ``n_windows``, ``fraction`` (of all windows) and
        ``window_seizure_seconds``. With ``per_recording=True``: index =
        recording, columns ``n_windows``, one count column per category and
        ``window_seizure_seconds``.

    Notes
    -----
    ``window_seizure_seconds`` sums each window's seizure time over the
    windows, so a seizure second covered by four overlapping windows counts
    four times: it measures how much seizure the *windows* show a model. The
    seizure time of the *recordings* (each second once) is
    :attr:`SeizureManifest.recordings <braindecode_stbalance.SeizureManifest.recordings>`'
    ``seizure_seconds``.
    """
    table = window_table(concat_ds)
    sfreq = _sfreqs(concat_ds)[table["recording"].to_numpy()]
    seconds = (
        table[RATIO_COLUMN].to_numpy()
        * (table["i_stop_in_trial"] - table["i_start_in_trial"]).to_numpy()
        / sfreq
    )
    table = table.assign(window_seizure_seconds=seconds)
    if per_recording:
        counts = pd.crosstab(table["recording"], table[CATEGORY_COLUMN], dropna=False)
        counts.columns = [str(c) for c in counts.columns]
        out = counts.assign(
            n_windows=counts.sum(axis=1),
            window_seizure_seconds=table.groupby("recording")["window_seizure_seconds"].sum(),
        )
        return out[["n_windows", *CATEGORIES, "window_seizure_seconds"]]
    grouped = table.groupby(CATEGORY_COLUMN, observed=False)
    out = pd.DataFrame(
        {
            "n_windows": grouped.size(),
            "window_seizure_seconds": grouped["window_seizure_seconds"].sum(),
        }
    )
    out.index = pd.Index(list(CATEGORIES), name=CATEGORY_COLUMN)
    out.insert(1, "fraction", out["n_windows"] / out["n_windows"].sum())
    return out
