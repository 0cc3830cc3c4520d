"""The manifest file: format, integrity checks, atomic save and load.

File format (version 2)
-----------------------
One Parquet file whose row table is the window table, with columns
``recording`` (int32), ``i_window`` (int32), ``i_start_in_trial`` (int64),
``i_stop_in_trial`` (int64), ``seizure_ratio`` (float64) and
``seizure_category`` (int8 code into :data:`~braindecode_stbalance.CATEGORIES`),
and these keys in the file's key-value metadata (UTF-8 JSON):

- ``stbalance.format``: the format version (``"2"``);
- ``stbalance.settings``: the categorisation settings;
- ``stbalance.recordings``: the recording table, column by column;
- ``stbalance.provenance``: how the manifest was made (free-form);
- ``stbalance.checksum``: SHA-256 of the window columns' bytes and of the
  three JSON documents above, in that order.

:func:`load` recomputes the checksum and then checks the manifest's
invariants (see :func:`validate`), so a damaged or edited file raises a
:class:`ManifestError` naming it instead of loading with other numbers.
"""

# License: BSD (3-clause)

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pandas as pd

from ._atomic import atomic_write
from ._errors import StoredFileError
from .categories import (
    CATEGORIES,
    CATEGORY_COLUMN,
    RATIO_COLUMN,
    categorize,
    check_full_threshold,
)

__all__ = ["FORMAT_VERSION", "ManifestError", "load", "save", "validate"]

FORMAT_VERSION = 2
_KEY_FORMAT = b"stbalance.format"
_KEY_SETTINGS = b"stbalance.settings"
_KEY_RECORDINGS = b"stbalance.recordings"
_KEY_PROVENANCE = b"stbalance.provenance"
_KEY_CHECKSUM = b"stbalance.checksum"

#: Window columns as stored, with their file dtypes.
WINDOW_COLUMNS = {
    "recording": np.int32,
    "i_window": np.int32,
    "i_start_in_trial": np.int64,
    "i_stop_in_trial": np.int64,
    RATIO_COLUMN: np.float64,
    CATEGORY_COLUMN: np.int8,
}

#: Columns of the recording table and their dtypes.
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
    "on_last_window": "str",
    "n_windows": "int64",
    "no_seizure": "int64",
    "partial_seizure": "int64",
    "full_seizure": "int64",
    "n_seizure_events": "int64",
    "seizure_seconds": "float64",
    "annotation_hash": "str",
}


class ManifestError(StoredFileError):
    """A manifest file (or table) that is damaged, edited or inconsistent.

    Parameters
    ----------
    path : str | None
        The file, if the manifest came from one.
    reason : str
        What is wrong.

    Attributes
    ----------
    path, reason
        As above.
    """

    what = "manifest"


def _stored_arrays(windows):
    from .categories import category_codes

    out = {}
    for name, dtype in WINDOW_COLUMNS.items():
        col = windows[name]
        values = category_codes(col, "the manifest's windows") if name == CATEGORY_COLUMN else col
        out[name] = np.ascontiguousarray(np.asarray(values), dtype=dtype)
    return out


def _jsonable(values):
    if values.dtype.kind == "f":
        return [None if not np.isfinite(v) else float(v) for v in values.tolist()]
    return values.tolist()


def _documents(recordings, settings, provenance):
    rec = {c: _jsonable(recordings[c].to_numpy()) for c in RECORDING_COLUMNS}
    return (json.dumps(settings, sort_keys=True).encode(),
            json.dumps(rec, allow_nan=False).encode(),
            json.dumps(provenance, sort_keys=True, default=str).encode())


def _checksum(arrays, documents):
    h = hashlib.sha256()
    for name in WINDOW_COLUMNS:
        a = arrays[name]
        h.update(name.encode())
        h.update(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
    for doc in documents:
        h.update(len(doc).to_bytes(8, "little"))
        h.update(doc)
    return h.hexdigest()


def save(manifest, path):
    """Write ``manifest`` to one Parquet file, atomically (see :mod:`._atomic`).

    Parameters
    ----------
    manifest : SeizureManifest
        The manifest.
    path : str | pathlib.Path
        Output file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = _stored_arrays(manifest.windows)
    documents = _documents(manifest.recordings, manifest.settings, manifest.provenance)
    table = pa.table({name: pa.array(a) for name, a in arrays.items()})
    table = table.replace_schema_metadata({
        _KEY_FORMAT: str(FORMAT_VERSION).encode(),
        _KEY_SETTINGS: documents[0],
        _KEY_RECORDINGS: documents[1],
        _KEY_PROVENANCE: documents[2],
        _KEY_CHECKSUM: _checksum(arrays, documents).encode(),
    })
    atomic_write(path, lambda f: pq.write_table(table, f, compression="zstd"))


def load(path):
    """Read and verify a manifest file (see :meth:`SeizureManifest.load`).

    Returns ``(windows, recordings, settings, provenance)``; raises
    ``FileNotFoundError`` or :class:`ManifestError` (unreadable, checksum
    mismatch, or a broken invariant: :func:`validate`).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No manifest at {path!r}.")
    if os.path.isdir(path):
        raise ManifestError(path, "it is a folder, not a manifest file.")
    try:
        windows, recordings, settings, provenance = _load(path)
    except ManifestError:
        raise
    except Exception as err:  # noqa: BLE001 - pyarrow/JSON raise many types on damaged files
        # (a damaged file must never escape as another error: bit-flip tests rely on it)
        raise ManifestError(path, f"not a readable manifest ({type(err).__name__}: {err}). "
                            "Re-create it.") from None
    validate(windows, recordings, settings, path=path)
    return windows, recordings, settings, provenance


def _load(path):
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        meta = table.schema.metadata or {}
    except Exception as err:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, ...
        raise ManifestError(path, f"not a readable Parquet file ({type(err).__name__}: "
                            f"{err}).") from None
    if _KEY_FORMAT not in meta:
        raise ManifestError(path, f"a Parquet file but not a stbalance manifest (no "
                            f"{_KEY_FORMAT.decode()} key); write one with SeizureManifest.save "
                            "or `stbalance scan`.")
    version = meta[_KEY_FORMAT].decode("utf-8", "replace")
    if version != str(FORMAT_VERSION):
        raise ManifestError(path, f"manifest format {version!r}; this version of "
                            f"braindecode-stbalance reads format {FORMAT_VERSION}. Re-create it "
                            "(`stbalance scan ...` or SeizureManifest.from_dataset).")
    missing = [k.decode() for k in (_KEY_SETTINGS, _KEY_RECORDINGS, _KEY_PROVENANCE,
                                    _KEY_CHECKSUM) if k not in meta]
    if missing:
        raise ManifestError(path, f"metadata key(s) {missing} are missing.")
    cols = [c for c in WINDOW_COLUMNS if c not in table.column_names]
    if cols:
        raise ManifestError(path, f"window column(s) {cols} are missing.")
    try:
        arrays = {name: np.ascontiguousarray(table.column(name).to_numpy(), dtype=dtype)
                  for name, dtype in WINDOW_COLUMNS.items()}
    except (TypeError, ValueError) as err:
        raise ManifestError(path, f"a window column has the wrong type ({err}).") from None
    documents = (meta[_KEY_SETTINGS], meta[_KEY_RECORDINGS], meta[_KEY_PROVENANCE])
    if _checksum(arrays, documents) != meta[_KEY_CHECKSUM].decode("ascii", "replace"):
        raise ManifestError(path, "its checksum does not match its content: the file was "
                            "damaged or edited after it was written. Re-create it.")
    try:
        settings, rec, provenance = (json.loads(d) for d in documents)
        recordings = typed_recordings(pd.DataFrame({c: rec[c] for c in RECORDING_COLUMNS}))
    except (ValueError, KeyError, TypeError) as err:
        raise ManifestError(path, f"unreadable metadata ({type(err).__name__}: {err}).") from None
    windows = pd.DataFrame({
        "recording": arrays["recording"].astype(np.int64),
        "i_window": arrays["i_window"].astype(np.int64),
        "i_start_in_trial": arrays["i_start_in_trial"],
        "i_stop_in_trial": arrays["i_stop_in_trial"],
        RATIO_COLUMN: arrays[RATIO_COLUMN],
    })
    codes = arrays[CATEGORY_COLUMN]
    if codes.size and (codes.min() < 0 or codes.max() > 2):
        raise ManifestError(path, "a seizure_category code is not 0, 1 or 2.")
    from .categories import category_array

    windows[CATEGORY_COLUMN] = category_array(codes)
    return windows, recordings, settings, provenance


def typed_recordings(df):
    """The recording table with :data:`RECORDING_COLUMNS` dtypes and a ``recording`` index."""
    out = pd.DataFrame(index=pd.RangeIndex(len(df), name="recording"))
    for col, dtype in RECORDING_COLUMNS.items():
        values = df[col].to_numpy()
        if dtype == "str":
            out[col] = np.array(["" if v is None else str(v) for v in values], dtype=object)
        else:
            out[col] = np.array([np.nan if v is None else v for v in values]).astype(dtype)
    return out


def validate(windows, recordings, settings, path=None):
    """Check a manifest's invariants; raise :class:`ManifestError` on the first broken one.

    Invariants: the window and recording columns exist; windows are grouped
    by recording in order, numbered ``0..n-1`` within each, non-empty and
    inside their recording; ratios are in [0, 1]; each category is
    ``categorize(ratio, full_threshold)``; the recording table's window and
    category counts are those of the window table; ``full_threshold`` and
    the sampling rates are valid.

    Parameters
    ----------
    windows, recordings : pandas.DataFrame
        The tables.
    settings : dict
        The settings.
    path : str | None
        Named in the error.
    """
    def fail(reason):
        raise ManifestError(path, reason)

    missing = [c for c in WINDOW_COLUMNS if c not in windows.columns]
    if missing:
        fail(f"the window table lacks the column(s) {missing}.")
    missing = [c for c in RECORDING_COLUMNS if c not in recordings.columns]
    if missing:
        fail(f"the recording table lacks the column(s) {missing}.")
    if not isinstance(settings, dict):
        fail(f"settings must be a dict, got {type(settings).__name__}.")
    try:
        full_threshold = check_full_threshold(settings.get("full_threshold"))
    except (TypeError, ValueError) as err:
        fail(f"settings: {err}")
    n_rec = len(recordings)
    rec = windows["recording"].to_numpy()
    if rec.size and (rec.min() < 0 or rec.max() >= n_rec or (np.diff(rec) < 0).any()):
        fail(f"window rows are not grouped by recording 0..{n_rec - 1} in order.")
    n_per = np.bincount(rec, minlength=n_rec) if rec.size else np.zeros(n_rec, np.int64)
    if not np.array_equal(n_per, recordings["n_windows"].to_numpy()):
        i = int(np.flatnonzero(n_per != recordings["n_windows"].to_numpy())[0])
        fail(f"recording {i} has {int(n_per[i])} window rows but n_windows="
             f"{int(recordings['n_windows'].iat[i])}.")
    starts = np.cumsum(n_per) - n_per
    expected = np.arange(rec.size) - np.repeat(starts, n_per)
    if not np.array_equal(windows["i_window"].to_numpy(), expected):
        fail("i_window does not number each recording's windows 0, 1, 2, ...")
    lo = windows["i_start_in_trial"].to_numpy()
    hi = windows["i_stop_in_trial"].to_numpy()
    n_times = recordings["n_times"].to_numpy()[rec] if rec.size else np.zeros(0, np.int64)
    bad = (lo < 0) | (hi <= lo) | ((n_times >= 0) & (hi > n_times))
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        fail(f"window row {j} [{lo[j]}, {hi[j]}) is empty or outside its recording.")
    ratio = windows[RATIO_COLUMN].to_numpy()
    if not (np.isfinite(ratio) & (ratio >= 0) & (ratio <= 1)).all():
        fail("a seizure_ratio is not a number in [0, 1].")
    from .categories import category_codes

    try:
        codes = category_codes(windows[CATEGORY_COLUMN], "the manifest's windows")
    except ValueError as err:
        fail(str(err))
    mismatch = codes != categorize(ratio, full_threshold)
    if mismatch.any():
        j = int(np.flatnonzero(mismatch)[0])
        fail(f"window row {j} is {CATEGORIES[codes[j]]!r} but its seizure_ratio {ratio[j]!r} "
             f"makes it {CATEGORIES[categorize(ratio[j:j + 1], full_threshold)[0]]!r} at "
             f"full_threshold={full_threshold:g}.")
    counts = np.zeros((n_rec, 3), dtype=np.int64)
    np.add.at(counts, (rec, codes), 1)
    stored = recordings[list(CATEGORIES)].to_numpy()
    if not np.array_equal(counts, stored):
        i, c = (int(x) for x in np.argwhere(counts != stored)[0])
        fail(f"recording {i} has {counts[i, c]} {CATEGORIES[c]} windows but its count says "
             f"{stored[i, c]}.")
    sfreq = recordings["sfreq"].to_numpy()
    if not (np.isfinite(sfreq) & (sfreq > 0)).all():
        fail("a recording's sfreq is not a positive number.")
