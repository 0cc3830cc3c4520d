"""Build a window cache from a windowed, preprocessed braindecode corpus, atomically.

Each recording is handled on its own (in a worker process with ``n_jobs >
1``): its preprocessed signal is read from ``ds.raw`` block by block and
written to one ``.npy`` file, and its facts (annotations, windows, source
file) are computed by :func:`braindecode_stbalance.facts.compute`, the one
computation behind every seizure ratio and fingerprint of the package. The
main process then assembles the cache's manifest, window table and index and
commits them (see :mod:`braindecode_stbalance.cache._index` for the layout and
why a killed build never leaves a half cache).
"""

# License: BSD (3-clause)

from __future__ import annotations

import contextlib
import datetime
import numbers
import os
import secrets
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import _sync_folder
from .._parallel import run_tasks
from ..categories import check_full_threshold
from ..facts import compute, corpus_facts
from ..labels import LabelReport, SeizureLabels
from ._commit import build_lock, prepare_folder, remove_old, write_tables
from ._index import DATA_PREFIX, TMP_PREFIX, CacheError, jsonable, write_index
from ._signals import DTYPES, choose_scale, write_signal

__all__ = ["build_cache", "build_from_sources"]


class DatasetSource:
    """A recording of an in-memory corpus, as a build task (pickled to workers)."""

    def __init__(self, ds, name):
        self.ds, self.name = ds, name

    def load(self):
        """The windowed, preprocessed recording."""
        return self.ds


def _check_recording(ds, name):
    from .. import _adapters

    kind = _adapters.windows_kind(ds)
    if kind != "eeg_windows":
        what = "an mne.Epochs WindowsDataset" if kind == "mne_epochs" else type(ds).__name__
        raise TypeError(f"{name} is {what}; the cache stores the continuous signal that "
                        "braindecode's EEGWindowsDataset windows read: window the corpus with "
                        "create_fixed_length_windows(..., use_mne_epochs=False) (the default).")
    if getattr(ds, "targets_from", "metadata") != "metadata":
        raise TypeError(f"{name} takes its targets from channels (targets_from='channels'); "
                        "the cache keeps targets from the window metadata only.")
    if not isinstance(ds.metadata, pd.DataFrame):
        raise TypeError(f"{name} has lazy metadata (lazy_metadata=True); re-window with "
                        "lazy_metadata=False.")
    if getattr(ds, "transform", None) is not None:
        raise TypeError(f"{name} has a per-window transform ({ds.transform!r}), which the "
                        "cache does not apply (windows leave it as stored float16): build it "
                        "without the transform and apply that to the batch on the device.")


_WORKER = {}


def _init_worker(labels):
    _WORKER["labels"] = labels


def _write_one(i, source, tmp, scale, dtype, full_threshold):
    """One recording: ``(i, facts, LabelReport, entry, metadata, error, messages)``."""
    from ..manifest import _compare_stored
    from ._record import describe

    report = LabelReport()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = source.load()
            _check_recording(ds, source.name)
            records, report = corpus_facts([ds], _WORKER["labels"], with_source=True,
                                           names=[source.name])
            _compare_stored(source.name, ds, compute(records).ratio, full_threshold)
            file = f"r{i:06d}.npy"
            try:
                signal = write_signal(Path(tmp) / file, ds.raw, scale, dtype)
            except ValueError as err:
                raise ValueError(f"{source.name}: {err}") from None
            entry = dict(describe(ds), **signal, file=file, n_windows=len(ds),
                         columns=[str(c) for c in ds.metadata.columns],
                         dtypes={str(c): str(t) for c, t in ds.metadata.dtypes.items()},
                         columns_storage=getattr(ds.metadata.columns.dtype, "storage", None))
            result = (records[0], report, entry, ds.metadata.copy(), None)
        except Exception as exc:  # noqa: BLE001 - every failure names its recording
            result = (None, LabelReport(), None, None, _named(source, exc))
    return (i, *result, [f"{w.category.__name__}: {w.message}" for w in caught])


def _named(source, exc):
    from ..datasets._annotations import CorpusError

    if isinstance(exc, CorpusError) or str(source.name) in str(exc):
        return exc
    return ValueError(f"{source.name}: {type(exc).__name__}: {exc}")


def _probe_scale(sources, on_error):
    """The scale from a first block of the first recording that loads and is not flat."""
    for source in sources:
        try:
            raw = source.load().raw
            x = raw.get_data(picks=np.arange(len(raw.ch_names)), start=0,
                             stop=min(int(raw.n_times), 2 ** 16))
        except Exception:  # noqa: BLE001 - the worker reports it, naming the recording
            if on_error == "raise":
                return 1.0  # the error is raised, naming the recording, when it is written
            continue
        x = np.abs(x[np.isfinite(x)])
        if x.size and x.max() > 0:  # a flat recording tells nothing about the unit
            return choose_scale(float(x.max()))
    return 1.0


def _check_scale(scale, dtype):
    if scale == "auto":
        return scale
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not (
            np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be 'auto' or a positive number, got {scale!r}.")
    if dtype == "float32" and scale != 1:
        raise ValueError("dtype='float32' stores the signal exactly; use scale=1 (or 'auto').")
    return float(scale)


def _write_task(task):
    return _write_one(*task)


def build_from_sources(sources, path, labels=None, full_threshold=1.0, dtype="float16",
                       scale="auto", n_jobs=1, on_error="raise", progress=True,
                       provenance=None, log=None):
    """Build a cache from build tasks (see :func:`build_cache`; used by the CLI).

    Parameters
    ----------
    sources : list
        Objects with a ``name`` (str, names the recording in messages) and a
        picklable ``load()`` returning the windowed, preprocessed recording.
    path, labels, full_threshold, dtype, scale, n_jobs, on_error, progress
        See :func:`build_cache`.
    provenance : dict | None
        Recorded in the index.
    log : callable | None
        Receives warnings from the recordings (default :func:`warnings.warn`).

    Returns
    -------
    CachedWindowsDataset
        The new cache, opened.
    """
    from ..manifest import SeizureManifest
    from ._open import load_cache

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}.")
    scale = _check_scale(scale, dtype)
    full_threshold = check_full_threshold(full_threshold)
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs < 1:
        raise ValueError(f"n_jobs must be an int >= 1, got {n_jobs!r}.")
    if not sources:
        raise ValueError("No recording to cache.")
    if log is None:
        def log(msg):
            warnings.warn(msg, UserWarning, stacklevel=4)
    labels = SeizureLabels(labels)
    folder = prepare_folder(path)
    with build_lock(folder):
        if scale == "auto":
            scale = 1.0 if dtype == "float32" else _probe_scale(sources, on_error)
        build_id = f"{datetime.datetime.now(datetime.timezone.utc):%Y%m%dT%H%M%S}-" \
                   f"{secrets.token_hex(4)}"
        tmp = folder / f"{TMP_PREFIX}{build_id}"
        tmp.mkdir()
        try:
            tasks = [(i, s, os.fspath(tmp), scale, dtype, full_threshold)
                     for i, s in enumerate(sources)]
            # one recording per task: long and uneven tasks balance best one at a time
            results = run_tasks(_write_task, tasks, n_jobs, _init_worker, (labels,),
                                (lambda r: r[5] is not None) if on_error == "raise" else None,
                                progress, "cache", chunk_size=1)
            records, entries, frames, skipped, report, messages = [], [], [], [], LabelReport(), []
            for (i, facts, rep, entry, metadata, err, msgs) in results:
                messages.extend(msgs)
                if err is not None:
                    if on_error == "raise":
                        raise err
                    skipped.append({"path": _source_path(sources[i]), "reason": str(err)})
                    with contextlib.suppress(OSError):
                        os.unlink(tmp / f"r{i:06d}.npy")
                    continue
                records.append(facts)
                entries.append(entry)
                frames.append(metadata)
                report.update(rep)
            for msg in dict.fromkeys(messages):
                log(msg)
            if skipped:
                log(f"{len(skipped)} of {len(sources)} recording(s) left out of the cache "
                    f"(on_error='skip'); first: {skipped[0]['reason']}")
            if not records:
                raise CacheError(folder, f"none of the {len(sources)} recordings could be "
                                 f"cached; first problem: {skipped[0]['reason']}")
            for msg in report.messages(f"this corpus of {len(sources)} recording(s)"):
                log(msg)
            prov = dict(provenance or {"made_by": "build_cache"}, versions=_versions(),
                        created=datetime.datetime.now(datetime.timezone.utc).isoformat())
            manifest = SeizureManifest.assemble(
                records, compute(records, fingerprints=True), full_threshold, labels.spec,
                provenance={"made_by": "stbalance window cache", "cache": build_id})
            document = write_tables(tmp, manifest, frames, entries)
            data = folder / f"{DATA_PREFIX}{build_id}"
            os.rename(tmp, data)
            _sync_folder(folder)
            write_index(folder, jsonable(dict(
                document, data=data.name, dtype=dtype, scale=scale, provenance=prov,
                skipped=skipped, recordings=entries)))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        remove_old(folder, keep=data.name)
    return load_cache(folder, check_sources=False)


def _source_path(source):
    from .._adapters import source_path

    path = getattr(source, "path", None)
    if path is None and isinstance(source, DatasetSource):
        path = source_path(source.ds)
    return os.fspath(path or "")


def _versions():
    import braindecode
    import mne

    from .. import __version__

    return {"braindecode": braindecode.__version__, "mne": mne.__version__,
            "numpy": np.__version__, "braindecode_stbalance": __version__}


def build_cache(concat_ds, path, labels=None, full_threshold=1.0, dtype="float16",
                scale="auto", n_jobs=1, on_error="raise", progress=True):
    """Write a windowed, preprocessed corpus into a window cache and open it.

    Every recording's signal as its windows read it (``ds.raw``, after the
    preprocessing you applied) is written once, as float16 in a unit where
    float16 keeps its precision (see :mod:`braindecode_stbalance.cache`),
    with its window table, targets, metadata, description and fingerprint.
    The build is atomic: until it completes, ``path`` holds the previous
    cache (or none), never a half one.

    Parameters
    ----------
    concat_ds : braindecode.datasets.BaseConcatDataset
        A windowed corpus of :class:`~braindecode.datasets.EEGWindowsDataset`
        recordings (braindecode's default windows), preprocessed as you
        train. Its Raws may be lazy (read block by block) or preloaded.
    path : str | pathlib.Path
        The cache folder: new, empty, or an existing cache (replaced when
        the build completes).
    labels : None | collection of str | callable
        The seizure vocabulary (see :class:`~braindecode_stbalance.SeizureLabels`)
        of the fingerprint and of ``seizure_ratio``/``seizure_category`` when
        the corpus is not annotated yet.
    full_threshold : float
        Ratio from which a window is ``"full_seizure"``, in (0, 1]. If the
        corpus is annotated, its columns must agree with ``labels`` and
        ``full_threshold`` (else a ``ValueError`` names the recording).
    dtype : "float16" | "float32"
        Stored type; float32 is exact and twice as large.
    scale : "auto" | float
        Stored value = signal x scale. ``"auto"``: ``2**20`` for signals in
        volts (peak below ``2**-4`` in the first recording), else 1.
    n_jobs : int
        Worker processes (recordings are pickled to them).
    on_error : "raise" | "skip"
        A recording that cannot be cached (unreadable signal, a value
        overflowing float16, inconsistent seizure columns): raise, naming
        it, or leave it out and list it in the cache's ``skipped`` table.
    progress : bool
        Show a progress bar (stderr).

    Returns
    -------
    CachedWindowsDataset
        The new cache, opened (:func:`~braindecode_stbalance.cache.load_cache`).

    Raises
    ------
    TypeError
        If a recording is not an ``EEGWindowsDataset`` with metadata targets,
        or has a per-window ``transform``.
    CacheError
        If ``path`` is a file or a folder holding other files, or another
        build holds its lock.
    ValueError
        For a recording that cannot be cached (``on_error="raise"``).

    Notes
    -----
    The window metadata of the cache is the corpus's; ``seizure_ratio`` and
    ``seizure_category`` are added (from ``labels``/``full_threshold``) if the
    corpus has none. Per-window ``transform`` and ``targets_from="channels"``
    are refused (``TypeError``), not dropped.
    """
    from braindecode.datasets import BaseConcatDataset

    from ..categories import RecordingName

    if not isinstance(concat_ds, BaseConcatDataset):
        raise TypeError(f"concat_ds must be a braindecode BaseConcatDataset, got "
                        f"{type(concat_ds).__name__}.")
    sources = [DatasetSource(ds, str(RecordingName(i, ds)))
               for i, ds in enumerate(concat_ds.datasets)]
    return build_from_sources(sources, path, labels=labels, full_threshold=full_threshold,
                              dtype=dtype, scale=scale, n_jobs=n_jobs, on_error=on_error,
                              progress=progress)
