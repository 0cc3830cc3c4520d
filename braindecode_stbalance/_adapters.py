"""The one place that reads braindecode and MNE internals.

Every private attribute or function of braindecode or MNE that the package
relies on is read here, and ``tests/test_adapters.py`` pins each one to the
installed versions, so that an upgrade that changes one of them fails in one
place, with a message naming it. Nothing here reads torch internals.

What is read, and why:

- ``EEGWindowsDataset._raw``: the recording's :class:`mne.io.Raw`. The public
  ``raw`` property of a dataset streamed from Zarr builds a ``RawArray`` from
  the whole signal; the attribute does not.
- ``WindowsDataset._windows``: the recording's :class:`mne.Epochs`, for the
  same reason.
- ``mne.Epochs._raw``: the Raw an Epochs object was cut from, for the
  recording's extent (``first_samp``, ``n_times``); Epochs read back from a
  ``-epo.fif`` file have none.
- ``braindecode.datasets.bids.datasets._description_from_bids_path``: the
  description braindecode's ``BIDSDataset`` gives a recording, so that
  :class:`~braindecode_stbalance.datasets.SzCOREBIDS` describes recordings as
  braindecode does.
- :func:`preprocess_owner`: the dataset that braindecode's ``preprocess``
  is processing when it calls a step (see its docstring).
- ``mne.io.BaseRaw._read_segment_file``: the hook through which MNE's own
  readers give a non-preloaded Raw its samples (:func:`raw_from_reader`), so
  that a recording of the window cache is a genuine :class:`mne.io.Raw`
  whose samples come from the cache.
- ``mne.Info._unlock``: the only way to set ``info["highpass"]`` and
  ``info["lowpass"]`` without filtering (:func:`set_filter_band`), to give a
  cached recording the filter settings of the signal it stores.
- the text and module of the warning braindecode's ``preprocess`` gives for
  every windowed recording (:func:`silence_step_warning`).

One braindecode internal is used outside this module, because it is a hook a
subclass overrides: ``Preprocessor._all_attrs``, the parameter names that
braindecode's ``Preprocessor.__eq__`` and ``__repr__`` read (its own steps
override it too); ``SeizureRatio`` overrides it, and a test pins its use.
"""

# License: BSD (3-clause)

from __future__ import annotations

import re
import sys
import warnings

import mne
from braindecode.datasets.base import EEGWindowsDataset, RawDataset, WindowsDataset

__all__ = [
    "BraindecodeChanged",
    "bids_description",
    "epochs_extent",
    "metadata_frames",
    "mne_object",
    "preprocess_owner",
    "raw_from_reader",
    "set_filter_band",
    "silence_step_warning",
    "source_path",
    "windows_kind",
]


#: How many frames above a step's caller :func:`preprocess_owner` looks for
#: braindecode's ``_preprocess`` (three in braindecode 1.8).
_MAX_DEPTH = 5


class BraindecodeChanged(RuntimeError):
    """An internal of braindecode or MNE that this package relies on has changed."""


def windows_kind(ds):
    """What kind of braindecode recording ``ds`` is.

    Parameters
    ----------
    ds : object
        A recording dataset.

    Returns
    -------
    "eeg_windows" | "mne_epochs" | "raw" | None
        ``EEGWindowsDataset``, ``WindowsDataset``, ``RawDataset`` or
        something else.
    """
    if isinstance(ds, EEGWindowsDataset):
        return "eeg_windows"
    if isinstance(ds, WindowsDataset):
        return "mne_epochs"
    if isinstance(ds, RawDataset):
        return "raw"
    return None


def metadata_frames(ds):
    """The window-metadata DataFrames braindecode reads for one windowed recording.

    ``EEGWindowsDataset`` has one (``ds.metadata``); a ``WindowsDataset``
    has ``ds.metadata`` and its Epochs' ``metadata``, which braindecode keeps
    in step (``get_metadata`` reads the latter). Column writes must reach all.

    Parameters
    ----------
    ds : EEGWindowsDataset | WindowsDataset
        A windowed recording.

    Returns
    -------
    list
        The distinct frames (a braindecode ``_LazyDataFrame`` for windows made
        with ``lazy_metadata=True``).
    """
    frames = [ds.metadata]
    epochs = mne_object(ds) if isinstance(ds, WindowsDataset) else None
    if epochs is not None and epochs.metadata is not ds.metadata:
        frames.append(epochs.metadata)
    return frames


def source_path(ds):
    """The file a recording was read from: its description's ``path``, else the Raw's file.

    Parameters
    ----------
    ds : braindecode recording dataset
        A recording.

    Returns
    -------
    str
        An absolute path, or ``""`` if the recording has no file.
    """
    import os

    desc = getattr(ds, "description", None)
    if desc is not None and "path" in desc.index and isinstance(desc["path"], (str, os.PathLike)):
        return os.path.abspath(os.fspath(desc["path"]))
    obj = mne_object(ds)
    if isinstance(obj, mne.BaseEpochs):
        obj = getattr(obj, "_raw", None)
    names = getattr(obj, "filenames", None) if obj is not None else None
    if names and names[0] is not None:
        return os.path.abspath(os.fspath(names[0]))
    return ""


def mne_object(ds):
    """The MNE object holding a recording's signal and annotations, without loading it.

    Parameters
    ----------
    ds : EEGWindowsDataset | WindowsDataset | RawDataset
        A braindecode recording dataset.

    Returns
    -------
    mne.io.BaseRaw | mne.BaseEpochs | None
        The Raw (``EEGWindowsDataset``, ``RawDataset``) or Epochs
        (``WindowsDataset``); ``None`` for a dataset streamed from Zarr,
        which keeps no MNE object (and no annotations).
    """
    if isinstance(ds, WindowsDataset):
        return ds.__dict__.get("_windows")
    if isinstance(ds, (EEGWindowsDataset, RawDataset)):
        return ds.__dict__.get("_raw")  # the ``raw`` property builds it from Zarr
    return None


def epochs_extent(epochs):
    """``(first_samp, n_times)`` of the Raw an :class:`mne.Epochs` was cut from.

    Parameters
    ----------
    epochs : mne.BaseEpochs
        Windows of a ``WindowsDataset``.

    Returns
    -------
    tuple of (int, int | None)
        The Raw's first sample and length, or ``(0, None)`` when the Epochs
        keep no Raw (read back from a ``-epo.fif`` file): the extent then only
        stops clipping annotations at the recording's end, which cannot change
        a window's count.
    """
    raw = getattr(epochs, "_raw", None)
    if isinstance(raw, mne.io.BaseRaw):
        return int(raw.first_samp), int(raw.n_times)
    return 0, None


def bids_description(bids_path):
    """The description braindecode's ``BIDSDataset`` gives the recording at ``bids_path``.

    Parameters
    ----------
    bids_path : mne_bids.BIDSPath
        A BIDS data file.

    Returns
    -------
    pandas.Series
        Its description (path, subject, session, task, run, ...).
    """
    try:
        from braindecode.datasets.bids.datasets import _description_from_bids_path
    except ImportError as err:  # pragma: no cover - depends on braindecode's layout
        raise BraindecodeChanged(
            "braindecode.datasets.bids.datasets._description_from_bids_path is gone: "
            "this braindecode version is not supported by SzCOREBIDS; please report it."
        ) from err
    return _description_from_bids_path(bids_path)


def _preprocess_code():
    from braindecode.preprocessing import preprocess

    function = getattr(sys.modules[preprocess.__module__], "_preprocess", None)
    return getattr(function, "__code__", None)


def preprocess_owner(mne_obj):
    """The recording dataset that braindecode's ``preprocess`` hands ``mne_obj`` from.

    braindecode's ``preprocess`` gives a step only the recording's Raw (or
    Epochs). The window table of an ``EEGWindowsDataset`` lives on the
    dataset, so :class:`~braindecode_stbalance.SeizureRatio` needs the dataset
    too. braindecode 1.x calls a step from an inner function of
    ``braindecode.preprocessing.preprocess._preprocess(ds, ...)``. This
    function looks for exactly that frame, identified by its code object,
    among the few frames above the caller (at most ``_MAX_DEPTH``), and
    returns its local ``ds`` if that dataset holds ``mne_obj`` (identity). It
    reads no other frame's variables and never writes to a frame.

    Parameters
    ----------
    mne_obj : mne.io.BaseRaw | mne.BaseEpochs
        What the step received.

    Returns
    -------
    EEGWindowsDataset | WindowsDataset | RawDataset | None
        The dataset, or ``None`` when the step is not being called by
        braindecode's ``preprocess`` (e.g. ``step.apply(raw)`` by hand).

    Raises
    ------
    BraindecodeChanged
        If braindecode's ``preprocess`` no longer has the ``_preprocess``
        function this lookup is pinned to.
    """
    code = _preprocess_code()
    if code is None:  # pragma: no cover - depends on braindecode's layout
        raise BraindecodeChanged(
            "braindecode.preprocessing.preprocess._preprocess is gone, so SeizureRatio "
            "cannot find the dataset of the recording it is given. Use "
            "annotate_seizure_ratio(windows) instead, and please report this."
        )
    # braindecode 1.8: this function <- SeizureRatio.apply <- the inner
    # _preprocess_raw_or_epochs <- _preprocess(ds, ...): three levels up
    frame = sys._getframe(1)
    try:
        for _ in range(_MAX_DEPTH):
            if frame is None:
                return None
            if frame.f_code is code:
                ds = frame.f_locals.get("ds")
                return ds if ds is not None and mne_object(ds) is mne_obj else None
            frame = frame.f_back
    finally:
        del frame
    return None


class _ReaderRaw(mne.io.BaseRaw):
    """A non-preloaded Raw whose samples come from ``raw_extras[0]["reader"]``."""

    def __init__(self, info, first_samp, n_times, filename, reader):
        first_samp, n_times = int(first_samp), int(n_times)
        super().__init__(info, preload=False, first_samps=(first_samp,),
                         last_samps=(first_samp + n_times - 1,), filenames=(filename,),
                         raw_extras=[{"reader": reader, "first_samp": first_samp}],
                         orig_format="single", verbose="error")

    def _read_segment_file(self, data, idx, fi, start, stop, cals, mult):
        # MNE's reader contract (mne.io.BaseRaw._read_segment_file): fill ``data``
        # with channels ``idx`` of samples [start, stop) of file ``fi``, numbered
        # from the file's first sample as first_samp (MNE adds it, and keeps
        # counting from it after a crop), calibrated by ``cals`` or, when
        # projections apply, by ``mult``
        extras = self._raw_extras[fi]
        first = extras["first_samp"]
        one = extras["reader"](start - first, stop - first)
        if mult is not None:
            data[:] = mult @ one[idx]
        else:
            data[:] = one[idx] * cals


def raw_from_reader(info, first_samp, n_times, filename, reader):
    """An :class:`mne.io.Raw` (not preloaded) whose samples come from ``reader``.

    Built the way MNE builds its file readers: a subclass of
    :class:`mne.io.BaseRaw` implementing ``_read_segment_file``, so
    ``get_data``, ``load_data``, cropping, picking, filtering after
    ``load_data`` and ``_getitem`` (what braindecode's windows call) all work.

    Parameters
    ----------
    info : mne.Info
        The recording's info (channel calibrations 1: ``reader`` returns
        physical units).
    first_samp : int
        The recording's first sample.
    n_times : int
        Its number of samples.
    filename : str | pathlib.Path
        The file the samples come from (must exist; MNE checks it).
    reader : callable
        ``reader(start, stop)`` returns all channels of samples ``[start,
        stop)`` (from the first sample) as a float64 array of shape
        ``(n_channels, stop - start)``; picklable if the Raw is to be pickled.

    Returns
    -------
    mne.io.BaseRaw
        The Raw.
    """
    return _ReaderRaw(info, first_samp, n_times, filename, reader)


def set_filter_band(info, highpass, lowpass):
    """Set ``info["highpass"]``/``info["lowpass"]`` (MNE only lets filters set them).

    Parameters
    ----------
    info : mne.Info
        The info to change, in place.
    highpass, lowpass : float
        The band edges in Hz, as the stored signal was filtered.

    Returns
    -------
    mne.Info
        ``info``.
    """
    with info._unlock():
        info["highpass"], info["lowpass"] = float(highpass), float(lowpass)
    return info


def silence_step_warning(step):
    """Filter out braindecode's per-recording warning for a list made of ``step`` alone.

    braindecode's ``preprocess`` warns once per recording ("Applying
    preprocessors [...] to the mne.io.Raw of an EEGWindowsDataset") because a
    step could change the signal under fixed windows. ``SeizureRatio`` never
    does, so the exact message for ``[step]`` is ignored; any list holding
    another step still warns. ``warnings.filterwarnings`` drops an identical
    earlier filter, so this adds one filter per distinct step configuration.

    Parameters
    ----------
    step : braindecode.preprocessing.Preprocessor
        The step whose lone-step warning is ignored.
    """
    message = f"Applying preprocessors [{step!r}] to the mne.io.Raw of an EEGWindowsDataset."
    warnings.filterwarnings("ignore", message=re.escape(message) + "$", category=UserWarning,
                            module=re.escape("braindecode.preprocessing.preprocess") + "$")
