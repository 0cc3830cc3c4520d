"""How a recording's signal is stored: one ``.npy`` file, float16 in a scaled unit.

A recording's preprocessed signal ``x`` (what braindecode's windows read from
``ds.raw``, in the Raw's units: volts for MNE's EEG) is stored once, as the
array ``float16(x * scale)`` of shape ``(n_channels, n_times)`` in C order,
in a ``.npy`` file that :func:`numpy.load` memory-maps. ``scale`` is a power
of two, so multiplying by it and by ``1 / scale`` is exact: the only error is
float16's rounding to nearest,

    ``|float16(x * scale) / scale - x| <= max(2**-11 * |x|, 2**-25 / scale)``

(half a unit in the last place of an 11-bit significand; the second term
below float16's smallest normal number, ``2**-14``). With ``scale = 2**20``
for signals in volts (1 V -> 1,048,576: about microvolts) the relative
bound holds from 0.06 nV to 62 mV, which covers EEG with every artifact.
Signals that are already scaled (microvolts, z-scores: a peak of at least
``2**-4``) are stored with ``scale = 1``. A value that would overflow
float16 (``|x * scale| > 65504``) is an error naming the recording, never a
silent ``inf``.

``dtype="float32"`` stores the signal exactly (``scale = 1``), at twice the
size.
"""

# License: BSD (3-clause)

from __future__ import annotations

import os

import numpy as np

from ._index import file_sha256

__all__ = ["DTYPES", "SignalFile", "choose_scale", "write_signal"]

#: What ``dtype=`` accepts.
DTYPES = ("float16", "float32")
#: Largest finite float16.
FLOAT16_MAX = 65504.0
#: The scale of signals in volts (MNE's unit for EEG): 1 V -> 2**20.
VOLT_SCALE = 2.0 ** 20
#: A signal whose peak is below this is taken to be in volts.
VOLT_PEAK_LIMIT = 2.0 ** -4
#: Bytes of float64 read from the Raw per block while writing (bounded memory).
_BLOCK_BYTES = 32 * 2 ** 20


def choose_scale(peak):
    """The power-of-two scale for a signal whose largest magnitude is ``peak``.

    Parameters
    ----------
    peak : float
        ``max |x|`` over (a first block of) the corpus's first recording.

    Returns
    -------
    float
        ``2**20`` if ``0 < peak < 2**-4`` (a signal in volts), else ``1.0``.
    """
    return VOLT_SCALE if 0 < peak < VOLT_PEAK_LIMIT else 1.0


class SignalOverflowError(ValueError):
    """A signal too large for float16 at the cache's scale."""


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _peak(x):
    """Largest finite ``|x|`` (0.0 if none)."""
    if not x.size:
        return 0.0
    peak = max(float(x.max()), -float(x.min()))
    if np.isfinite(peak):
        return peak
    finite = x[np.isfinite(x)]  # NaN or infinite samples: rare, the slow way
    return float(np.abs(finite).max()) if finite.size else 0.0


def write_signal(path, raw, scale, dtype="float16"):
    """Write ``raw``'s samples, all channels, as one ``.npy`` file.

    Reads the Raw in blocks (bounded memory), scales, rounds to ``dtype``,
    then syncs the file to disk and hashes it.

    Parameters
    ----------
    path : pathlib.Path
        The new file (in the build's temporary folder).
    raw : mne.io.BaseRaw
        The preprocessed recording.
    scale : float
        Multiplier applied before rounding.
    dtype : "float16" | "float32"
        Stored type.

    Returns
    -------
    dict
        ``shape`` (list), ``bytes`` (file size), ``sha256`` (of the file)
        and ``peak`` (largest finite ``|x|``, in the Raw's unit).

    Raises
    ------
    SignalOverflowError
        If a finite sample overflows float16 at ``scale``.
    ValueError
        If the recording looks like volts (``0 < peak < 2**-4``) but ``scale``
        is below ``2**16`` (e.g. ``scale=1``): most samples would be stored
        below float16's normal range, where the relative error bound does not
        hold.
    """
    n_ch, n_times = len(raw.ch_names), int(raw.n_times)
    picks = np.arange(n_ch)
    block = max(1, _BLOCK_BYTES // (8 * max(n_ch, 1)))
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.dtype(dtype), shape=(n_ch, n_times))
    peak = 0.0
    scratch = np.empty((n_ch, min(block, n_times)), dtype=np.float64)  # never the Raw's data
    try:
        for start in range(0, n_times, block):
            stop = min(start + block, n_times)
            x = raw.get_data(picks=picks, start=start, stop=stop)
            peak = max(peak, _peak(x))
            if dtype == "float16" and peak * scale > FLOAT16_MAX:
                raise SignalOverflowError(
                    f"its largest sample, {peak:g}, times the cache's scale {scale:g} exceeds "
                    f"float16's largest value {FLOAT16_MAX:g}: build with a smaller scale= "
                    "(a power of two) or dtype='float32'.")
            if scale != 1:  # exact for a power of two: the only rounding is to the dtype
                x = np.multiply(x, scale, out=scratch[:, :stop - start])
            out[:, start:stop] = x
        out.flush()
    finally:
        del out
    if dtype == "float16" and 0 < peak < VOLT_PEAK_LIMIT and scale < VOLT_SCALE / 16:
        raise ValueError(
            f"its largest sample, {peak:g}, looks like volts, but at the cache's scale "
            f"{scale:g} most samples would fall below float16's normal range (2**-14) and "
            "lose precision. Build with scale='auto' (2**20 for volts) or a larger scale.")
    _fsync(path)
    return {"shape": [n_ch, n_times], "bytes": os.path.getsize(path),
            "sha256": file_sha256(path), "peak": peak}


class SignalFile:
    """One recording's stored signal: memory-mapped on first use, in each process.

    Parameters
    ----------
    path : str
        The ``.npy`` file.
    scale : float
        The cache's scale.
    shape : tuple of int
        Expected ``(n_channels, n_times)``.
    dtype : str
        Expected dtype.

    Notes
    -----
    Pickling keeps the path, not the mapping: a DataLoader worker (or another
    process) maps the file itself on first read.
    """

    __slots__ = ("_array", "dtype", "path", "scale", "shape")

    def __init__(self, path, scale, shape, dtype):
        self.path, self.scale = os.fspath(path), float(scale)
        self.shape, self.dtype = tuple(int(s) for s in shape), str(dtype)
        self._array = None

    @property
    def array(self):
        """numpy.memmap: The stored (scaled) signal, ``(n_channels, n_times)``, read-only."""
        if self._array is None:
            array = np.load(self.path, mmap_mode="r")
            if array.shape != self.shape or array.dtype != np.dtype(self.dtype):
                from ._index import CacheError

                raise CacheError(os.path.dirname(self.path), (
                    f"{os.path.basename(self.path)} holds a {array.dtype} array of shape "
                    f"{array.shape}, the index says {self.dtype} {self.shape}: the file "
                    "was replaced or damaged. Rebuild the cache."))
            self._array = array
        return self._array

    def __call__(self, start, stop):
        """Samples ``[start, stop)`` of all channels, float64, in the Raw's unit."""
        return np.asarray(self.array[:, start:stop], dtype=np.float64) / self.scale

    def sha256(self):
        """str: SHA-256 of the file now (reads all of it)."""
        return file_sha256(self.path)

    def __getstate__(self):
        return {"path": self.path, "scale": self.scale, "shape": self.shape,
                "dtype": self.dtype}

    def __setstate__(self, state):
        for key, value in state.items():
            setattr(self, key, value)
        self._array = None
