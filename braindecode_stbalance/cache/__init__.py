"""The window cache: a corpus's preprocessed signals, memory-mapped, for fast random windows.

Balanced training draws windows at random across the whole corpus. Read
lazily from EDF through braindecode, every window pays a file read, a
float64 conversion and a copy; the cache pays them once, at build time:

- :func:`build_cache` (or ``stbalance cache build``) writes each recording's
  *preprocessed* signal (what the windows read) once, as float16 in a unit
  where float16 keeps its precision, into one ``.npy`` file per recording,
  with the window table, targets, metadata, descriptions and a fingerprint,
  atomically;
- :func:`load_cache` opens it as a :class:`CachedWindowsDataset`, a
  braindecode ``BaseConcatDataset`` of ``EEGWindowsDataset`` whose windows,
  targets, metadata and ``crop_inds`` are the source's; a batch is read into
  one array (``__getitems__``) and leaves the DataLoader as float16;
- :class:`FromCache` (a model wrapper, for ``EEGClassifier``) or
  :func:`to_device` (a plain loop) convert batches on the device;
- :meth:`CachedWindowsDataset.check` raises :class:`StaleCacheError`, naming
  the recording, when the source changed (files, annotations, windows,
  preprocessing); :func:`load_cache` checks the source files by default.

**Precision.** Stored values are ``float16(x * scale)`` with ``scale`` a power
of two (``2**20`` for signals in volts, 1 for signals already in microvolts
or standardised), so ``|stored / scale - x| <= max(2**-11 |x|,
2**-25 / scale)``: a relative error of at most 0.049 % (see
``docs/cache.rst`` for the errors measured on generated EEG).
"""

# License: BSD (3-clause)

from .._lazy import attach

__all__ = [
    "CacheError",
    "CachedLoader",
    "CachedRecording",
    "CachedWindowsDataset",
    "FromCache",
    "StaleCacheError",
    "build_cache",
    "collate_windows",
    "load_cache",
    "to_device",
]

#: Public name -> submodule defining it.
_LAZY = {
    "CacheError": "_index",
    "build_cache": "build",
    "CachedLoader": "loader",
    "CachedRecording": "dataset",
    "CachedWindowsDataset": "dataset",
    "collate_windows": "_batch",
    "load_cache": "_open",
    "FromCache": "device",
    "to_device": "device",
    "StaleCacheError": "staleness",
}

__getattr__, __dir__ = attach(__name__, _LAZY, ("build", "dataset", "device", "loader", "staleness"))
