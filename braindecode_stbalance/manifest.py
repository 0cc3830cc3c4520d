"""The persisted categorisation of a windowed corpus: :class:`SeizureManifest`.

A manifest holds, for every window of a corpus, its position, seizure ratio
and category (the :attr:`SeizureManifest.windows` table, the interface the
balanced sampler uses), a summary and a fingerprint of every recording
(:attr:`SeizureManifest.recordings`) and the settings that produced it
(:attr:`SeizureManifest.settings`). It is saved as one Parquet file (never a
pickle) and loads in well under a second even for millions of windows, so a
training run can start from it without touching the corpus files.

File format (version 1)
-----------------------
One Parquet file whose row table is the window table, with columns
``recording`` (int32), ``i_window`` (int32), ``i_start_in_trial`` (int64),
``i_stop_in_trial`` (int64), ``seizure_ratio`` (float64) and
``seizure_category`` (int8 code into :data:`~braindecode_stbalance.CATEGORIES`),
and these keys in the file's key-value metadata (UTF-8 JSON):

- ``stbalance.format``: the format version (``"1"``);
- ``stbalance.settings``: the categorisation settings;
- ``stbalance.recordings``: the recording table, column by column;
- ``stbalance.provenance``: how the manifest was made (free-form).
"""

# License: BSD (3-clause)

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .categories import (
    CATEGORIES,
    CATEGORY_COLUMN,
    RATIO_COLUMN,
    _describe,
    _RecordingName,
    categorize,
    category_array,
    check_full_threshold,
    quota,
)
from .labels import SeizureLabels
from .ratio import _first_sample_at_or_after, count_in_windows, seizure_sample_intervals

__all__ = ["SeizureManifest", "balanced_epoch_size"]

FORMAT_VERSION = 1
_KEY_FORMAT = b"stbalance.format"
_KEY_SETTINGS = b"stbalance.settings"
_KEY_RECORDINGS = b"stbalance.recordings"
_KEY_PROVENANCE = b"stbalance.provenance"

#: Columns of :attr:`SeizureManifest.windows` (same as ``window_table``).
WINDOW_COLUMNS = ("recording", "i_window", "i_start_in_trial", "i_stop_in_trial",
                  RATIO_COLUMN, CATEGORY_COLUMN)

#: Columns of :attr:`SeizureManifest.recordings` and their dtypes.
RECORDING_COLUMNS = {
    "path": "str",
    "file_size": "int64",
    "file_mtime_ns": "int64",
    "n_times": "int64",
    "sfreq": "float64",
    "first_samp": "int64",
    "duration": "float64",
    "window_size_samples": "int64",
    "window_stride_samples": "int64",
    "n_windows": "int64",
    "no_seizure": "int64",
    "partial_seizure": "int64",
    "full_seizure": "int64",
    "n_seizure_events": "int64",
    "seizure_seconds": "float64",
    "annotation_hash": "str",
}

#: Fingerprint fields compared by :meth:`SeizureManifest.check`, in order.
_CHECKED = ("n_times", "sfreq", "first_samp", "annotation_hash")
_CHECKED_STRICT = ("file_size", "file_mtime_ns")

#: Multipliers of the balanced epoch (SeizureTransformer): all partial-seizure
#: windows P, floor(0.3 P) full-seizure and floor(2.5 P) no-seizure windows
#: (each capped by the windows available).
BALANCED_FULL_FACTOR = 0.3
BALANCED_NO_FACTOR = 2.5


def balanced_epoch_size(n_partial, n_full=None, n_no_seizure=None):
    """Windows in one balanced epoch: ``P + min(floor(0.3 P), F) + min(floor(2.5 P), N)``.

    The epoch that :class:`~braindecode_stbalance.BalancedSeizureSampler` draws
    with its defaults (``full_ratio=0.3``, ``background_ratio=2.5``, no
    replacement); quotas are floored on the decimal value of the ratios.

    Parameters
    ----------
    n_partial : int
        Number ``P`` of partial-seizure windows in the corpus.
    n_full, n_no_seizure : int | None
        Full-seizure (``F``) and no-seizure (``N``) windows available;
        ``None`` does not cap that quota.

    Returns
    -------
    int
        The epoch length of SeizureTransformer's balanced sampling.
    """
    p = int(n_partial)
    full = quota(BALANCED_FULL_FACTOR, p)
    no = quota(BALANCED_NO_FACTOR, p)
    if n_full is not None:
        full = min(full, int(n_full))
    if n_no_seizure is not None:
        no = min(no, int(n_no_seizure))
    return p + full + no


# ---------------------------------------------------------------------------
# fingerprint helpers (shared with the CLI scanner)


def annotation_hash(lo, hi, descriptions):
    """Hash of a recording's seizure annotations, in samples.

    Parameters
    ----------
    lo, hi : ndarray of int64
        First and one-past-last sample of each seizure annotation, relative to
        the recording's first sample, clipped to the recording (empty ones
        dropped).
    descriptions : sequence of str
        Their descriptions.

    Returns
    -------
    str
        16 hex digits; identical for the same set of (start, stop,
        description) triples in any order, case and surrounding blanks of the
        descriptions ignored.
    """
    desc = np.array([str(d).strip().lower() for d in descriptions], dtype=object)
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    if lo.size:
        order = np.lexsort((desc.astype(str), hi, lo))
        lo, hi, desc = lo[order], hi[order], desc[order]
    h = hashlib.sha1()
    h.update(lo.astype("<i8").tobytes())
    h.update(hi.astype("<i8").tobytes())
    h.update("\x00".join(desc.tolist()).encode("utf-8"))
    return h.hexdigest()[:16]


def seizure_fingerprint(onset, duration, descriptions, sfreq, first_samp, n_times):
    """Seizure sample intervals, event count, seconds and hash of one recording.

    Parameters
    ----------
    onset, duration : ndarray of float
        The *seizure* annotations (seconds, on the axis of
        ``raw.annotations.onset``).
    descriptions : sequence of str
        Their descriptions.
    sfreq : float
        Sampling frequency.
    first_samp : int
        First sample of the recording.
    n_times : int | None
        Number of samples (``None``: unknown, no clipping at the end).

    Returns
    -------
    starts, stops : ndarray of int64
        Merged seizure sample intervals (absolute axis).
    n_events : int
        Number of merged seizure intervals.
    seconds : float
        Seizure seconds, each sample counted once.
    hash : str
        See :func:`annotation_hash`.
    """
    onset = np.asarray(onset, dtype=np.float64)
    duration = np.asarray(duration, dtype=np.float64)
    starts, stops = seizure_sample_intervals(onset, duration, sfreq, first_samp, n_times)
    lo = _first_sample_at_or_after(onset, sfreq) if onset.size else np.zeros(0)
    hi = _first_sample_at_or_after(onset + duration, sfreq) if onset.size else np.zeros(0)
    lo = np.maximum(lo, first_samp)
    if n_times is not None:
        hi = np.minimum(hi, first_samp + n_times)
    keep = hi > lo
    desc = np.asarray(descriptions, dtype=object)[keep] if onset.size else []
    digest = annotation_hash(
        lo[keep].astype(np.int64) - first_samp, hi[keep].astype(np.int64) - first_samp, desc
    )
    seconds = float((stops - starts).sum()) / float(sfreq)
    return starts, stops, int(starts.size), seconds, digest


def _file_stat(path):
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return -1, -1
    return int(st.st_size), int(st.st_mtime_ns)


def _source_path(ds):
    """The recording's source file: description ``path``, else the Raw's file."""
    desc = getattr(ds, "description", None)
    if desc is not None and "path" in desc.index and isinstance(desc["path"], (str, os.PathLike)):
        return os.path.abspath(os.fspath(desc["path"]))
    for obj in (getattr(ds, "_raw", None), getattr(getattr(ds, "_windows", None), "_raw", None)):
        names = getattr(obj, "filenames", None) if obj is not None else None
        if names and names[0] is not None:
            return os.path.abspath(os.fspath(names[0]))
    return ""


def _window_size_stride(ds, starts, stops):
    """Window size and stride (samples) of one recording; -1 where unknown."""
    for name, kwargs in getattr(ds, "window_kwargs", None) or []:
        if name == "create_fixed_length_windows" and kwargs.get("window_size_samples"):
            stride = kwargs.get("window_stride_samples") or kwargs["window_size_samples"]
            return int(kwargs["window_size_samples"]), int(stride)
    sizes = np.unique(stops - starts)
    size = int(sizes[0]) if sizes.size == 1 else -1
    stride = int(starts[1] - starts[0]) if starts.size > 1 else -1
    return size, stride


def _positions(ds, where):
    """Window positions of a recording (``preprocessing._window_positions``, imported lazily)."""
    from .preprocessing import _window_positions

    return _window_positions(ds, lambda: where)


def _recording_from_dataset(ds, labels, where):
    """Fingerprint, window positions and seizure ratios of one recording."""
    mne_obj, _, abs_starts, abs_stops, first, n_times = _positions(ds, where)
    sfreq = float(mne_obj.info["sfreq"])
    ann = mne_obj.annotations
    if ann is not None and len(ann):
        is_seiz = labels(ann.description)
        onset, dur, desc = ann.onset[is_seiz], ann.duration[is_seiz], ann.description[is_seiz]
    else:
        onset, dur, desc = np.zeros(0), np.zeros(0), []
    try:
        sz_starts, sz_stops, n_events, seconds, digest = seizure_fingerprint(
            onset, dur, desc, sfreq, first, n_times
        )
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    rel_starts = abs_starts - first
    rel_stops = abs_stops - first
    size, stride = _window_size_stride(ds, rel_starts, rel_stops)
    path = _source_path(ds)
    file_size, mtime = _file_stat(path) if path else (-1, -1)
    info = {
        "path": path,
        "file_size": file_size,
        "file_mtime_ns": mtime,
        "n_times": -1 if n_times is None else int(n_times),
        "sfreq": sfreq,
        "first_samp": int(first),
        "duration": np.nan if n_times is None else n_times / sfreq,
        "window_size_samples": size,
        "window_stride_samples": stride,
        "n_seizure_events": n_events,
        "seizure_seconds": seconds,
        "annotation_hash": digest,
    }
    return info, (sz_starts, sz_stops), abs_starts, abs_stops, rel_starts, rel_stops


def _stored_columns(ds):
    windows = getattr(ds, "_windows", None)
    md = windows.metadata if windows is not None else getattr(ds, "metadata", None)
    if isinstance(md, pd.DataFrame) and RATIO_COLUMN in md and CATEGORY_COLUMN in md:
        return md[RATIO_COLUMN].to_numpy(np.float64), md[CATEGORY_COLUMN]
    return None


# ---------------------------------------------------------------------------


class SeizureManifest:
    """The seizure categorisation of a windowed corpus, with a fingerprint.

    Build it with :meth:`from_dataset` (from a windowed braindecode corpus),
    with the ``stbalance scan`` command (from a corpus directory, reading only
    EDF headers and annotation files) or :meth:`load` (from a saved file).

    Parameters
    ----------
    windows : pandas.DataFrame
        One row per window in corpus order with the columns of
        :func:`~braindecode_stbalance.window_table`: ``recording``,
        ``i_window``, ``i_start_in_trial``, ``i_stop_in_trial``,
        ``seizure_ratio`` and ``seizure_category``.
    recordings : pandas.DataFrame
        One row per recording (index ``recording`` = 0, 1, ...), columns as
        in :data:`RECORDING_COLUMNS`; see Notes.
    settings : dict
        The categorisation settings: ``labels``, ``full_threshold``,
        ``window_size``/``window_stride`` (seconds), ``window_size_samples``/
        ``window_stride_samples`` and ``sfreq`` (``None`` where recordings
        differ), ``on_last_window`` (``"overlap"``: a last window ending at the
        recording end is added, braindecode's ``drop_last_window=False``).
    provenance : dict | None
        How the manifest was made (free-form, JSON-serialisable).

    Attributes
    ----------
    windows : pandas.DataFrame
        The window table (the interface of the balanced sampler).
    recordings : pandas.DataFrame
        Per recording: fingerprint (``path``, ``file_size``,
        ``file_mtime_ns``, ``n_times``, ``sfreq``, ``first_samp``,
        ``annotation_hash``), window size/stride in samples, ``duration``
        (s), window counts (``n_windows`` and one column per category),
        ``n_seizure_events`` (merged seizure intervals) and
        ``seizure_seconds`` (from the annotations, every second counted once,
        not summed over overlapping windows).
    settings : dict
        See above.
    provenance : dict
        See above.

    Notes
    -----
    ``file_size``/``file_mtime_ns`` are -1 where a recording has no file;
    ``n_times`` is -1 and ``duration`` NaN where it is unknown (a
    ``WindowsDataset`` reloaded without its Raw). ``annotation_hash`` hashes
    the seizure annotations as (first sample, stop sample, description)
    triples, so float noise in onsets below a sample does not matter and a
    change of seizure label does.
    """

    def __init__(self, windows, recordings, settings, provenance=None):
        missing = [c for c in WINDOW_COLUMNS if c not in windows.columns]
        if missing:
            raise ValueError(f"windows lacks the column(s) {missing}; expected {list(WINDOW_COLUMNS)}.")
        missing = [c for c in RECORDING_COLUMNS if c not in recordings.columns]
        if missing:
            raise ValueError(f"recordings lacks the column(s) {missing}.")
        self.windows = windows
        self.recordings = recordings
        self.settings = dict(settings)
        self.provenance = dict(provenance or {})

    # -- construction -----------------------------------------------------

    @classmethod
    def from_dataset(cls, concat_ds, labels=None, full_threshold=1.0, progress=None):
        """Categorise a windowed corpus (or read its annotation) into a manifest.

        The seizure ratios are computed from the recordings' annotations by
        interval arithmetic (no EEG sample is read). If the corpus was already
        annotated (``seizure_ratio``/``seizure_category`` columns, e.g. by
        :class:`~braindecode_stbalance.SeizureRatio`), the stored columns must
        agree with the computation with ``labels`` and ``full_threshold``;
        otherwise a ``ValueError`` names the recording, so a manifest never
        records settings other than the ones that made its categories.

        Parameters
        ----------
        concat_ds : braindecode.datasets.BaseConcatDataset
            A windowed corpus of
            :class:`~braindecode.datasets.EEGWindowsDataset` or
            :class:`~braindecode.datasets.WindowsDataset` recordings.
        labels : None | collection of str | callable
            Seizure annotation descriptions; see
            :class:`~braindecode_stbalance.SeizureLabels`.
        full_threshold : float
            Ratio from which a window is ``"full_seizure"``, in (0, 1].
        progress : bool | None
            Show a progress bar (``None``: for more than 1,000 recordings).

        Returns
        -------
        SeizureManifest
            The manifest; :attr:`windows` equals
            ``window_table(annotate_seizure_ratio(concat_ds, labels, full_threshold))``.

        Raises
        ------
        TypeError
            If the corpus is not windowed or has lazy metadata.
        ValueError
            If an annotation is invalid, or stored seizure columns disagree
            with ``labels``/``full_threshold``.
        """
        from braindecode.datasets import BaseConcatDataset
        from tqdm.auto import tqdm

        if not isinstance(concat_ds, BaseConcatDataset):
            raise TypeError(
                f"concat_ds must be a braindecode BaseConcatDataset, got {type(concat_ds).__name__}."
            )
        full_threshold = check_full_threshold(full_threshold)
        seizure_labels = SeizureLabels(labels)
        datasets = concat_ds.datasets
        if progress is None:
            progress = len(datasets) > 1000
        rows, starts, stops, ratios = [], [], [], []
        for i, ds in enumerate(tqdm(datasets, desc="manifest", unit="rec", disable=not progress)):
            where = _RecordingName(i, ds)
            info, (sz_lo, sz_hi), a_lo, a_hi, r_lo, r_hi = _recording_from_dataset(
                ds, seizure_labels, where
            )
            size = a_hi - a_lo
            if (size <= 0).any():
                raise ValueError(f"{where}: window {int(np.flatnonzero(size <= 0)[0])} is empty.")
            ratio = count_in_windows(sz_lo, sz_hi, a_lo, a_hi) / size
            stored = _stored_columns(ds)
            if stored is not None:
                _compare_stored(where, ratio, stored, full_threshold)
            rows.append(info)
            starts.append(r_lo)
            stops.append(r_hi)
            ratios.append(ratio)
        seizure_labels.warn_unknown(f"this corpus of {len(datasets)} recording(s)")
        return cls._assemble(rows, starts, stops, ratios, full_threshold, seizure_labels.spec,
                             provenance={"made_by": "SeizureManifest.from_dataset"})

    @classmethod
    def _assemble(cls, rows, starts, stops, ratios, full_threshold, labels_spec,
                  window_size=None, window_stride=None, provenance=None):
        """Build a manifest from per-recording fingerprints and window arrays."""
        n_per = np.array([len(s) for s in starts], dtype=np.int64)
        ratio = np.concatenate(ratios) if ratios else np.zeros(0)
        codes = categorize(ratio, full_threshold)
        windows = pd.DataFrame({
            "recording": np.repeat(np.arange(len(rows), dtype=np.int64), n_per),
            "i_window": _ranges(n_per),
            "i_start_in_trial": np.concatenate(starts).astype(np.int64) if starts else np.zeros(0, np.int64),
            "i_stop_in_trial": np.concatenate(stops).astype(np.int64) if stops else np.zeros(0, np.int64),
            RATIO_COLUMN: ratio.astype(np.float64),
        })
        windows[CATEGORY_COLUMN] = category_array(codes)
        recordings = pd.DataFrame(rows, columns=[c for c in RECORDING_COLUMNS
                                                 if c not in ("n_windows", *CATEGORIES)])
        counts = np.zeros((len(rows), 3), dtype=np.int64)
        if len(rows):
            np.add.at(counts, (windows["recording"].to_numpy(), codes), 1)
        recordings["n_windows"] = n_per
        for c, name in enumerate(CATEGORIES):
            recordings[name] = counts[:, c]
        recordings = _typed_recordings(recordings)
        settings = _settings(recordings, full_threshold, labels_spec, window_size, window_stride)
        return cls(windows, recordings, settings, provenance)

    # -- persistence ------------------------------------------------------

    def save(self, path):
        """Write the manifest to one Parquet file, atomically.

        The file is written to a temporary file in the same directory, synced
        and renamed over ``path`` (:func:`os.replace`), so an interrupted save
        leaves any previous file at ``path`` untouched.

        Parameters
        ----------
        path : str | pathlib.Path
            Output file (conventionally ``*.parquet``).

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        w = self.windows
        table = pa.table({
            "recording": pa.array(w["recording"].to_numpy(np.int32)),
            "i_window": pa.array(w["i_window"].to_numpy(np.int32)),
            "i_start_in_trial": pa.array(w["i_start_in_trial"].to_numpy(np.int64)),
            "i_stop_in_trial": pa.array(w["i_stop_in_trial"].to_numpy(np.int64)),
            RATIO_COLUMN: pa.array(w[RATIO_COLUMN].to_numpy(np.float64)),
            CATEGORY_COLUMN: pa.array(_codes(w[CATEGORY_COLUMN])),
        })
        rec = {c: _jsonable(self.recordings[c].to_numpy()) for c in RECORDING_COLUMNS}
        meta = {
            _KEY_FORMAT: str(FORMAT_VERSION).encode(),
            _KEY_SETTINGS: json.dumps(self.settings, sort_keys=True).encode(),
            _KEY_RECORDINGS: json.dumps(rec, allow_nan=True).encode(),
            _KEY_PROVENANCE: json.dumps(self.provenance, sort_keys=True, default=str).encode(),
        }
        table = table.replace_schema_metadata(meta)
        _atomic_write(path, lambda f: pq.write_table(table, f, compression="zstd"))
        return path

    @classmethod
    def load(cls, path):
        """Read a manifest written by :meth:`save` (or ``stbalance scan``).

        Parameters
        ----------
        path : str | pathlib.Path
            The Parquet file.

        Returns
        -------
        SeizureManifest
            The manifest.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is not a stbalance manifest or has an unknown format
            version.
        """
        import pyarrow.parquet as pq

        path = Path(path)
        try:
            table = pq.read_table(path)
        except FileNotFoundError:
            raise
        except Exception as err:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, ...  
            raise ValueError(f"{path} is not a readable Parquet manifest: {err}") from None
        meta = table.schema.metadata or {}
        if _KEY_FORMAT not in meta:
            raise ValueError(
                f"{path} is a Parquet file but not a stbalance manifest (no "
                f"{_KEY_FORMAT.decode()} key); write one with SeizureManifest.save or "
                "`stbalance scan`."
            )
        version = int(meta[_KEY_FORMAT])
        if version != FORMAT_VERSION:
            raise ValueError(
                f"{path} has manifest format {version}; this version of "
                f"braindecode-stbalance reads format {FORMAT_VERSION}. Re-create it."
            )
        cols = {name: table.column(name).to_numpy() for name in table.column_names}
        codes = cols.pop(CATEGORY_COLUMN).astype(np.int8, copy=False)
        windows = pd.DataFrame({
            "recording": cols["recording"].astype(np.int64),
            "i_window": cols["i_window"].astype(np.int64),
            "i_start_in_trial": cols["i_start_in_trial"],
            "i_stop_in_trial": cols["i_stop_in_trial"],
            RATIO_COLUMN: cols[RATIO_COLUMN],
        })
        windows[CATEGORY_COLUMN] = category_array(codes)
        rec = json.loads(meta[_KEY_RECORDINGS])
        recordings = _typed_recordings(pd.DataFrame({c: rec[c] for c in RECORDING_COLUMNS}))
        settings = json.loads(meta[_KEY_SETTINGS])
        provenance = json.loads(meta.get(_KEY_PROVENANCE, b"{}"))
        return cls(windows, recordings, settings, provenance)

    # -- use with a corpus ------------------------------------------------

    def check(self, concat_ds, strict=False):
        """Raise if the manifest does not describe this windowed corpus.

        Compares, recording by recording in corpus order: identity (the
        source path relative to the corpus's common directory, so a moved
        corpus still matches), ``n_times``, ``sfreq``, ``first_samp``, the
        seizure annotation hash, then the windows (count and positions). With
        ``strict=True`` also the source file's size and modification time.

        Parameters
        ----------
        concat_ds : braindecode.datasets.BaseConcatDataset
            A windowed corpus.
        strict : bool
            Also compare ``file_size`` and ``file_mtime_ns`` (a file that was
            only copied then counts as changed).

        Returns
        -------
        SeizureManifest
            ``self``, to chain ``manifest.check(ds).apply(ds)``.

        Raises
        ------
        ValueError
            On the first difference, naming the recording (index and path),
            the field and both values: a recording added, removed, changed or
            re-windowed.
        """
        labels = SeizureLabels(self.settings.get("labels"))
        rec = self.recordings
        datasets = concat_ds.datasets
        cur_paths = [_source_path(ds) for ds in datasets]
        old_paths = rec["path"].tolist()
        cur_ids, old_ids = _identities(cur_paths), _identities(old_paths)
        offsets = np.concatenate([[0], np.cumsum(rec["n_windows"].to_numpy())])
        stale = "Stale manifest: "
        fix = (" Re-create it (`stbalance scan ...` or SeizureManifest.from_dataset) "
               "for this corpus.")
        for i in range(max(len(cur_ids), len(old_ids))):
            if i >= len(old_ids):
                raise ValueError(f"{stale}recording {i} ({cur_paths[i]}) was added: the manifest "
                                 f"has {len(old_ids)} recordings, the corpus {len(cur_ids)}.{fix}")
            if i >= len(cur_ids):
                raise ValueError(f"{stale}recording {i} ({old_paths[i]}) was removed: the manifest "
                                 f"has {len(old_ids)} recordings, the corpus {len(cur_ids)}.{fix}")
            if cur_ids[i] != old_ids[i] and cur_paths[i] != old_paths[i]:
                if old_ids[i] not in cur_ids and old_paths[i] not in cur_paths:
                    what = f"recording {i} of the manifest ({old_paths[i]}) was removed"
                elif cur_ids[i] not in old_ids and cur_paths[i] not in old_paths:
                    what = f"recording {i} of the corpus ({cur_paths[i]}) was added"
                else:
                    what = (f"the recordings were reordered: index {i} is {cur_paths[i]} in the "
                            f"corpus but {old_paths[i]} in the manifest")
                raise ValueError(f"{stale}{what}.{fix}")
            ds = datasets[i]
            where = f"Recording {i} ({cur_paths[i]})" if cur_paths[i] else _RecordingName(i, ds)
            info, _, _, _, r_lo, r_hi = _recording_from_dataset(ds, labels, where)
            row = rec.iloc[i]
            fields = _CHECKED + (_CHECKED_STRICT if strict else ())
            for field in fields:
                new, old = _py(info[field]), _py(row[field])
                if field in ("n_times", "file_size", "file_mtime_ns") and (new == -1 or old == -1):
                    continue
                if new != old:
                    raise ValueError(
                        f"{stale}{where} changed: {field} is {new!r} in the "
                        f"corpus but {old!r} in the manifest.{fix}"
                    )
            w = self.windows.iloc[offsets[i]:offsets[i + 1]]
            if len(r_lo) != len(w):
                raise ValueError(
                    f"{stale}{where} was re-windowed: {len(r_lo)} windows in the corpus, "
                    f"{len(w)} in the manifest (window size/stride "
                    f"{int(row['window_size_samples'])}/{int(row['window_stride_samples'])} "
                    f"samples in the manifest).{fix}"
                )
            diff = (r_lo != w["i_start_in_trial"].to_numpy()) | (r_hi != w["i_stop_in_trial"].to_numpy())
            if diff.any():
                j = int(np.flatnonzero(diff)[0])
                raise ValueError(
                    f"{stale}{where} was re-windowed: window {j} is [{r_lo[j]}, {r_hi[j]}) in "
                    f"the corpus but [{w['i_start_in_trial'].iat[j]}, {w['i_stop_in_trial'].iat[j]}) "
                    f"in the manifest.{fix}"
                )
        return self

    def apply(self, concat_ds, target=None, check=True):
        """Write ``seizure_ratio``/``seizure_category`` into the windows' metadata.

        Nothing is recomputed: the columns are copied from :attr:`windows`.

        Parameters
        ----------
        concat_ds : braindecode.datasets.BaseConcatDataset
            The windowed corpus this manifest describes.
        target : None | "binary" | "category"
            Also set the windows' target, as in
            :func:`~braindecode_stbalance.annotate_seizure_ratio`.
        check : bool
            Run :meth:`check` first (recommended; it reads only annotations
            and window positions).

        Returns
        -------
        braindecode.datasets.BaseConcatDataset
            ``concat_ds``, annotated in place.
        """
        from .preprocessing import _check_target, _write_columns

        target = _check_target(target)
        if check:
            self.check(concat_ds)
        offsets = np.concatenate([[0], np.cumsum(self.recordings["n_windows"].to_numpy())])
        ratio_all = self.windows[RATIO_COLUMN].to_numpy()
        codes_all = _codes(self.windows[CATEGORY_COLUMN])
        for i, ds in enumerate(concat_ds.datasets):
            _, frames, starts, _, _, _ = _positions(ds, _RecordingName(i, ds))
            sl = slice(offsets[i], offsets[i + 1])
            if len(starts) != sl.stop - sl.start:
                raise ValueError(
                    f"Recording {i} ({_describe(ds)}) has {len(starts)} windows but the manifest "
                    f"{sl.stop - sl.start}; run manifest.check(concat_ds) to see why."
                )
            _write_columns(ds, frames, ratio_all[sl].copy(), None, target, codes=codes_all[sl])
        if target is not None:
            concat_ds.cumulative_sizes = concat_ds.cumsum(concat_ds.datasets)
        return concat_ds

    # -- summaries --------------------------------------------------------

    @property
    def window_kwargs(self):
        """Keyword arguments of braindecode's windowing that reproduce :attr:`windows`.

        Returns
        -------
        dict
            For :func:`braindecode.preprocessing.create_fixed_length_windows`:
            ``window_size_samples``, ``window_stride_samples`` and the
            last-window policy (``on_last_window="overlap"``, or
            ``drop_last_window=False`` for braindecode versions without it).

        Raises
        ------
        ValueError
            If the recordings have different window sizes in samples (e.g. a
            scan of a corpus with several sampling frequencies: resample it,
            then scan with ``--sfreq``).
        """
        size, stride = self.settings.get("window_size_samples"), self.settings.get(
            "window_stride_samples")
        if size is None or stride is None:
            raise ValueError(
                "The recordings of this manifest have different window sizes/strides in "
                "samples (different sampling frequencies); no single braindecode windowing "
                "reproduces it."
            )
        import inspect

        from braindecode.preprocessing import create_fixed_length_windows

        kwargs = {"window_size_samples": int(size), "window_stride_samples": int(stride)}
        if "on_last_window" in inspect.signature(create_fixed_length_windows).parameters:
            kwargs["on_last_window"] = "overlap"
        else:  # pragma: no cover - braindecode < 1.8.1
            kwargs["drop_last_window"] = False
        return kwargs

    def summary(self):
        """Corpus-level figures: recordings, hours, seizures, windows per category.

        Returns
        -------
        dict
            ``n_recordings``, ``hours``, ``n_seizure_events``,
            ``seizure_seconds``, ``seizure_fraction`` (of the recorded time),
            ``n_windows``, one count per category, ``balanced_epoch``
            (:func:`balanced_epoch_size` of the partial count) and the
            settings.
        """
        rec = self.recordings
        dur = rec["duration"].to_numpy()
        total = float(np.nansum(dur))
        counts = {name: int(rec[name].sum()) for name in CATEGORIES}
        sz = float(rec["seizure_seconds"].sum())
        return {
            "n_recordings": len(rec),
            "hours": total / 3600.0,
            "n_seizure_events": int(rec["n_seizure_events"].sum()),
            "seizure_seconds": sz,
            "seizure_fraction": sz / total if total > 0 else float("nan"),
            "n_windows": int(rec["n_windows"].sum()),
            **counts,
            "balanced_epoch": balanced_epoch_size(
                counts["partial_seizure"], counts["full_seizure"], counts["no_seizure"]),
            "settings": dict(self.settings),
        }

    def summary_table(self):
        """The :meth:`summary` as aligned text (what ``stbalance summary`` prints).

        Returns
        -------
        str
            A multi-line table.
        """
        s = self.summary()
        st = s["settings"]
        n = max(s["n_windows"], 1)
        p = s["partial_seizure"]

        def secs(x):
            return "n/a" if x is None else f"{x:g} s"

        sfreq = st.get("sfreq")
        lines = [
            ("recordings", f"{s['n_recordings']:,}"),
            ("hours", f"{s['hours']:,.2f}"),
            ("seizure events", f"{s['n_seizure_events']:,}"),
            ("seizure seconds", f"{s['seizure_seconds']:,.1f} ({100 * s['seizure_fraction']:.2f} % of time)"
             if np.isfinite(s["seizure_fraction"]) else f"{s['seizure_seconds']:,.1f}"),
            ("window / stride", f"{secs(st.get('window_size'))} / {secs(st.get('window_stride'))}"
             + (f" at {sfreq:g} Hz" if sfreq else " (several sampling rates)")),
            ("full_threshold", f"{st.get('full_threshold'):g}"),
            ("windows", f"{s['n_windows']:,}"),
        ]
        for name in CATEGORIES:
            lines.append((f"  {name}", f"{s[name]:,} ({100 * s[name] / n:.2f} %)"))
        lines.append((
            "balanced epoch",
            f"{s['balanced_epoch']:,} = P + min(floor(0.3 P), F) + min(floor(2.5 P), N), P = {p:,}",
        ))
        width = max(len(k) for k, _ in lines)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in lines)

    def __len__(self):
        return len(self.windows)

    def __repr__(self):
        s = self.summary()
        return (f"<SeizureManifest | {s['n_recordings']} recordings, {s['n_windows']} windows: "
                + ", ".join(f"{name} {s[name]}" for name in CATEGORIES) + ">")


# ---------------------------------------------------------------------------
# module helpers


def _py(value):
    """A NumPy scalar as the Python scalar (for messages and comparisons)."""
    return value.item() if isinstance(value, np.generic) else value


def _ranges(n_per):
    """Concatenation of ``arange(n)`` for each ``n`` in ``n_per``."""
    total = int(n_per.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(n_per)
    out = np.arange(total, dtype=np.int64)
    out -= np.repeat(ends - n_per, n_per)
    return out


def _codes(categorical):
    cat = categorical
    if isinstance(cat.dtype, pd.CategoricalDtype) and list(cat.cat.categories) == list(CATEGORIES):
        return cat.cat.codes.to_numpy(np.int8)
    return pd.Categorical(cat, categories=list(CATEGORIES), ordered=True).codes.astype(np.int8)


def _compare_stored(where, ratio, stored, full_threshold):
    s_ratio, s_cat = stored
    if s_ratio.shape != ratio.shape or not np.allclose(s_ratio, ratio, rtol=0, atol=1e-12):
        j = int(np.flatnonzero(~np.isclose(s_ratio, ratio, rtol=0, atol=1e-12))[0]) \
            if s_ratio.shape == ratio.shape else 0
        raise ValueError(
            f"{where}: the stored seizure_ratio of window {j} ({s_ratio[j]!r}) differs from the "
            f"one computed from the annotations ({ratio[j]!r}): the corpus was annotated with "
            "other labels or has changed. Pass the labels used to annotate it."
        )
    codes = categorize(ratio, full_threshold)
    s_codes = _codes(s_cat)
    if (codes != s_codes).any():
        j = int(np.flatnonzero(codes != s_codes)[0])
        raise ValueError(
            f"{where}: window {j} is stored as {CATEGORIES[s_codes[j]]!r} but full_threshold="
            f"{full_threshold:g} makes it {CATEGORIES[codes[j]]!r}: pass the full_threshold "
            "used to annotate the corpus."
        )


def _typed_recordings(df):
    out = pd.DataFrame(index=pd.RangeIndex(len(df), name="recording"))
    for col, dtype in RECORDING_COLUMNS.items():
        values = df[col].to_numpy()
        out[col] = values.astype(str) if dtype == "str" else values.astype(dtype)
    return out


def _uniform(values):
    values = np.unique(np.asarray(values))
    return values[0].item() if values.size == 1 else None


def _settings(recordings, full_threshold, labels_spec, window_size=None, window_stride=None):
    sfreq = _uniform(recordings["sfreq"])
    size = _uniform(recordings["window_size_samples"])
    stride = _uniform(recordings["window_stride_samples"])
    size = None if size is None or size < 0 else int(size)
    stride = None if stride is None or stride < 0 else int(stride)
    if window_size is None and size is not None and sfreq:
        window_size = size / sfreq
    if window_stride is None and stride is not None and sfreq:
        window_stride = stride / sfreq
    return {
        "labels": labels_spec,
        "full_threshold": float(full_threshold),
        "window_size": None if window_size is None else float(window_size),
        "window_stride": None if window_stride is None else float(window_stride),
        "window_size_samples": size,
        "window_stride_samples": stride,
        "sfreq": None if sfreq is None else float(sfreq),
        "on_last_window": "overlap",
    }


def _jsonable(values):
    if values.dtype.kind == "f":
        return [None if not np.isfinite(v) else float(v) for v in values.tolist()]
    return values.tolist()


def _identities(paths):
    """Paths relative to their common directory (basenames for a single one)."""
    if not paths:
        return []
    nonempty = [p for p in paths if p]
    if not nonempty:
        return list(paths)
    try:
        common = os.path.commonpath([os.path.dirname(p) for p in nonempty])
    except ValueError:  # mixed drives / relative and absolute
        return list(paths)
    return [os.path.relpath(p, common) if p else "" for p in paths]


def _atomic_write(path, write):
    """Call ``write(fileobj)`` on a temp file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
