"""The windows dataset over a cache: braindecode's own classes, reading memory-mapped float16.

A cache opens as a :class:`CachedWindowsDataset`, a braindecode
:class:`~braindecode.datasets.BaseConcatDataset` of :class:`CachedRecording`,
each a braindecode :class:`~braindecode.datasets.EEGWindowsDataset` whose
Raw is a genuine :class:`mne.io.Raw` over the cached signal (with the
recording's annotations, channels and first sample) and whose window table
is the source's metadata. Everything that reads braindecode windows
(``get_metadata``, ``split``, :func:`~braindecode_stbalance.window_table`,
:func:`~braindecode_stbalance.split_by_category`, the samplers, the
manifest, ``EEGClassifier``) therefore works unchanged; only the signal
comes from the cache, as float16 in the cache's unit (see
:mod:`braindecode_stbalance.cache`).
"""

# License: BSD (3-clause)

from __future__ import annotations

import os

import numpy as np
import torch
from braindecode.datasets import BaseConcatDataset, EEGWindowsDataset

from .. import _adapters
from ._batch import _batch_array, _Gathered, collate_windows

__all__ = ["CachedRecording", "CachedWindowsDataset"]


class CachedRecording(EEGWindowsDataset):
    """One recording of a window cache: an ``EEGWindowsDataset`` over its stored signal.

    Made by :func:`load_cache` (and :func:`~braindecode_stbalance.cache.build_cache`);
    not meant to be built by hand.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The recording's Raw, reading its samples from ``signal`` (original
        unit, float16 rounding included).
    metadata : pandas.DataFrame
        The window table (``i_window_in_trial``, ``i_start_in_trial``,
        ``i_stop_in_trial``, ``target``, ``seizure_ratio``,
        ``seizure_category``, ...), as the source recording had it.
    signal : SignalFile
        The stored signal.
    description : pandas.Series | None
        The recording's description.
    fingerprint : dict | None
        Its fingerprint row (as in
        :attr:`SeizureManifest.recordings <braindecode_stbalance.SeizureManifest.recordings>`)
        and ``preprocessing``/``preprocessing_hash``, for staleness checks.
    cache : dict | None
        Facts about the cache it belongs to (folder, dtype, scale, labels).

    Notes
    -----
    ``ds[i]`` returns ``(X, y, crop_inds)`` like braindecode, but ``X`` is the
    stored float16 array in the cache's unit (``x * scale``): convert it on
    the device with :class:`~braindecode_stbalance.cache.FromCache` or
    :func:`~braindecode_stbalance.cache.to_device`. Per-window ``transform``
    is not supported (the windows are not converted in the workers); apply
    transforms to the batch on the device. If the Raw is loaded (e.g. by a
    preprocessing step run on the cached corpus), reading a window raises:
    the cache serves the signal it stores, never a changed Raw.
    """

    def __init__(self, raw, metadata, signal, description=None, fingerprint=None, cache=None):
        super().__init__(raw, metadata, description=description)
        self.signal = signal
        self.fingerprint = dict(fingerprint or {})
        self.cache = dict(cache or {})

    @property
    def transform(self):
        """None: the cache applies no per-window transform."""
        return None

    @transform.setter
    def transform(self, value):
        if value is not None:
            raise ValueError(
                "A cached recording applies no per-window transform: windows leave the "
                "workers as stored float16. Apply the transform to the batch on the device "
                "(after FromCache / to_device).")

    @property
    def scale(self):
        """float: The stored signal is ``x * scale`` (a power of two)."""
        return self.signal.scale

    def stored_signal(self):
        """The stored signal, memory-mapped: ``(n_channels, n_times)``, scaled.

        Returns
        -------
        numpy.memmap
            Read-only.

        Raises
        ------
        RuntimeError
            If the recording's Raw was loaded or changed since the cache was
            opened.
        """
        if _adapters.mne_object(self).preload:
            raise RuntimeError(
                f"The Raw of cached recording {self.signal.path} was loaded (by a "
                "preprocessing step?): the cache serves the signal it stores, not a changed "
                "Raw. Preprocess the corpus before building the cache, or reload it.")
        return self.signal.array

    def __getitem__(self, index):
        crop = self.crop_inds[index]
        X = np.array(self.stored_signal()[:, crop[1]:crop[2]])
        out = (X, self.y[index], crop.tolist())
        return out + (self.ch_pos,) if self.return_ch_pos else out


class CachedWindowsDataset(BaseConcatDataset):
    """A braindecode windows corpus read from a window cache.

    A :class:`~braindecode.datasets.BaseConcatDataset` of
    :class:`CachedRecording`; open one with :func:`load_cache`. Its windows,
    targets, metadata, descriptions and ``crop_inds`` are the source
    corpus's; ``split`` returns ``CachedWindowsDataset`` objects.

    Parameters
    ----------
    list_of_ds : list of CachedRecording | list of CachedWindowsDataset
        The recordings.
    target_transform : callable | None
        As for ``BaseConcatDataset``.
    lazy : bool
        As for ``BaseConcatDataset``.

    Notes
    -----
    **Batches.** A DataLoader with automatic batching calls
    :meth:`__getitems__`, which reads the batch's windows into one
    preallocated float16 array, one slice copy per window in file order (in
    shared memory inside a worker, so the batch reaches the main process
    without another copy). With :func:`collate_windows` as ``collate_fn``
    that array *is* the batch; with the default collate the batch is equal
    but copied once more. Pinning: pass ``pin_memory=True`` to the
    DataLoader.

    **The signal of a batch comes as** ``[X]``: a one-element list holding
    the float16 tensor in the cache's unit (``x * scale``). braindecode's
    ``EEGClassifier`` converts every batch signal that is a tensor to float32
    on the CPU, in the main process, before moving it to the device
    (``braindecode.util.ThrowAwayIndexLoader``); a list it leaves alone, and
    skorch moves it to the device as it is. Convert there:
    :class:`~braindecode_stbalance.cache.FromCache` (a model wrapper, for
    ``EEGClassifier``) or :func:`~braindecode_stbalance.cache.to_device`
    (plain loops) unwrap, convert to float32 and divide by the scale.
    ``ds[i]`` returns the window itself, ``(X, y, crop_inds)``, like
    braindecode.
    """

    #: The collate function that keeps :meth:`__getitems__`'s batch array.
    collate_fn = staticmethod(collate_windows)

    def __init__(self, list_of_ds, target_transform=None, *, lazy=False):
        super().__init__(list_of_ds, target_transform=target_transform, lazy=lazy)
        bad = {type(ds).__name__ for ds in self.datasets if not isinstance(ds, CachedRecording)}
        if bad:
            raise TypeError(f"A CachedWindowsDataset holds CachedRecording datasets, got "
                            f"{sorted(bad)}; open a cache with load_cache(path).")

    def _common(self, key):
        values = {ds.cache.get(key) for ds in self.datasets}
        if len(values) != 1:
            raise ValueError(f"The recordings come from caches with different {key}s: "
                             f"{sorted(map(str, values))}.")
        return values.pop()

    @property
    def scale(self):
        """float: The stored signals are ``x * scale``; :class:`FromCache` divides by it."""
        return float(self._common("scale"))

    @property
    def dtype(self):
        """str: The stored dtype (``"float16"`` or ``"float32"``)."""
        return self._common("dtype")

    @property
    def path(self):
        """str: The cache folder."""
        return self._common("folder")

    def __getitems__(self, indices):
        """Read the windows ``indices`` (a DataLoader batch) into one array.

        Parameters
        ----------
        indices : sequence of int
            Corpus indices (negative ones count from the end).

        Returns
        -------
        list
            One ``((X,), y, crop_inds)`` tuple per index (``X`` a view of the
            batch array), with the batch array attached for
            :func:`collate_windows`.
        """
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(self)
        idx = np.where(idx < 0, idx + n, idx)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            bad = int(np.asarray(indices).reshape(-1)[(idx < 0) | (idx >= n)][0])
            raise IndexError(f"index {bad} is out of range for {n} windows.")
        bounds = np.asarray(self.cumulative_sizes, dtype=np.int64)
        rec = np.searchsorted(bounds, idx, side="right")
        local = idx - np.concatenate([[0], bounds])[rec]
        datasets = self.datasets
        crops = [datasets[r].crop_inds[j] for r, j in zip(rec.tolist(), local.tolist())]
        sizes = {(datasets[r].signal.shape[0], int(c[2] - c[1])) for r, c in zip(rec, crops)}
        if len(sizes) > 1:  # windows of different shapes cannot form one array
            return [((x,), *rest) for x, *rest in (self[i] for i in idx.tolist())]
        X = None
        if idx.size:
            (n_ch, n_times), = sizes
            X = _batch_array((idx.size, n_ch, n_times), datasets[rec[0]].signal.dtype)
            out = X.numpy()
            starts = np.array([c[1] for c in crops], dtype=np.int64)
            for k in np.lexsort((starts, rec)).tolist():  # file order
                c = crops[k]
                np.copyto(out[k], datasets[rec[k]].stored_signal()[:, c[1]:c[2]])
        samples = _Gathered()
        target_transform = self.target_transform
        for k, (r, j) in enumerate(zip(rec.tolist(), local.tolist())):
            ds = datasets[r]
            y = ds.y[j]
            if target_transform is not None:
                y = target_transform(y)
            sample = ((X[k].numpy(),), y, crops[k].tolist())
            samples.append(sample + (ds.ch_pos,) if ds.return_ch_pos else sample)
        samples.X = X
        return samples

    def skorch_params(self, sampler=None, threads=2, prefetch=4, device=None):
        """``EEGClassifier`` parameters that read this cache with :class:`CachedLoader`.

        Parameters
        ----------
        sampler : torch.utils.data.Sampler | None
            The training sampler (e.g. a
            :class:`~braindecode_stbalance.BalancedSeizureSampler` of this
            corpus); ``None`` keeps skorch's shuffling.
        threads, prefetch : int
            See :class:`CachedLoader`.
        device : None | str | torch.device
            The classifier's CUDA device, to copy batches there ahead of time
            (see :class:`CachedLoader`); ``None`` lets skorch move them.

        Returns
        -------
        dict
            ``iterator_train`` and ``iterator_valid`` (:class:`CachedLoader`,
            pinned memory on a CUDA host), and with a sampler
            ``iterator_train__sampler`` and ``iterator_train__shuffle=False``.
            Pass them with ``**``, instead of ``**sampler.skorch_params()``.
        """
        from .loader import CachedLoader

        pin = torch.cuda.is_available()
        params = {"iterator_train": CachedLoader, "iterator_valid": CachedLoader,
                  "iterator_train__threads": threads, "iterator_train__prefetch": prefetch,
                  "iterator_valid__threads": threads, "iterator_valid__prefetch": prefetch,
                  "iterator_train__device": device, "iterator_valid__device": device,
                  "iterator_train__pin_memory": pin, "iterator_valid__pin_memory": pin}
        if sampler is not None:
            params.update(iterator_train__sampler=sampler, iterator_train__shuffle=False)
        return params

    def split(self, by=None, property=None, split_ids=None):
        """Split like ``BaseConcatDataset.split``, keeping ``CachedWindowsDataset`` parts.

        Parameters
        ----------
        by, property, split_ids
            As for :meth:`braindecode.datasets.BaseConcatDataset.split`.

        Returns
        -------
        dict of str to CachedWindowsDataset
            The parts.
        """
        parts = super().split(by=by, property=property, split_ids=split_ids)
        return {name: type(self)(part.datasets, target_transform=self.target_transform)
                for name, part in parts.items()}

    def diff(self, concat_ds=None, strict=False):
        """Every way in which this cache no longer describes its source.

        Parameters
        ----------
        concat_ds : None | braindecode.datasets.BaseConcatDataset | SeizureManifest
            ``None``: the source files only (each recording's ``path``, size
            and modification time; nothing else is read). A windowed,
            preprocessed corpus: its recordings (path, length, sampling rate,
            first sample, seizure annotations; with ``strict`` also file size
            and time), windows and preprocessing (braindecode's step records,
            channels, filter band). A :class:`~braindecode_stbalance.SeizureManifest`
            (e.g. ``scan_corpus`` of the source folder with the cache's
            settings): recordings and windows.
        strict : bool
            Also compare source file sizes and modification times (with a
            corpus or a manifest).

        Returns
        -------
        list of Difference
            Empty when the cache is up to date.
        """
        from .staleness import differences

        return differences(self, concat_ds, strict=strict, first_only=False)

    def check(self, concat_ds=None, strict=False):
        """Raise :class:`~braindecode_stbalance.cache.StaleCacheError` on the first :meth:`diff`.

        Parameters
        ----------
        concat_ds, strict
            See :meth:`diff`.

        Returns
        -------
        CachedWindowsDataset
            ``self``.
        """
        from .staleness import StaleCacheError, differences

        found = differences(self, concat_ds, strict=strict, first_only=True)
        if found:
            raise StaleCacheError(found)
        return self

    def verify(self):
        """Re-hash every stored signal against the index (reads the whole cache).

        Returns
        -------
        CachedWindowsDataset
            ``self``.

        Raises
        ------
        CacheError
            Naming the first signal file whose bytes changed since the build.
        """
        from ._index import CacheError

        for i, ds in enumerate(self.datasets):
            if ds.signal.sha256() != ds.fingerprint.get("sha256"):
                raise CacheError(os.path.dirname(os.path.dirname(ds.signal.path)),
                                 f"the signal of recording {i} ({ds.signal.path}) does not "
                                 "match its checksum: damaged or replaced. Rebuild the cache.")
        return self
