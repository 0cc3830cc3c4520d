"""One recording's index entry: what the cache keeps besides its signal, both ways.

:func:`describe` turns a braindecode windowed recording into JSON (channels,
annotations, description, braindecode's preprocessing and windowing records
and the preprocessing fingerprint); :func:`make_raw` turns an entry back into
an :class:`mne.io.Raw` whose samples come from the cached signal.
"""

# License: BSD (3-clause)

from __future__ import annotations

import datetime
import hashlib
import json

import mne
import numpy as np
import pandas as pd

from .. import _adapters
from ._index import jsonable

__all__ = ["describe", "make_raw", "preprocessing_hash", "preprocessing_record"]

#: braindecode steps that never touch the signal (left out of the fingerprint).
_SIGNAL_FREE_STEPS = ("braindecode_stbalance.preprocessing.SeizureRatio",)


def preprocessing_record(ds):
    """What made a recording's signal: braindecode's step records and the signal's info.

    Parameters
    ----------
    ds : braindecode.datasets.EEGWindowsDataset
        A windowed recording.

    Returns
    -------
    dict
        ``steps`` (``ds.raw_preproc_kwargs``, the steps braindecode's
        ``preprocess`` recorded, without :class:`~braindecode_stbalance.SeizureRatio`,
        which only writes metadata), ``sfreq``, ``ch_names``, ``highpass``
        and ``lowpass`` (MNE updates the last two when filtering).
    """
    steps = [s for s in (getattr(ds, "raw_preproc_kwargs", None) or [])
             if not (isinstance(s, dict) and s.get("__class_path__") in _SIGNAL_FREE_STEPS)]
    info = _adapters.mne_object(ds).info
    return jsonable({"steps": steps, "sfreq": float(info["sfreq"]),
                     "ch_names": list(info["ch_names"]),
                     "highpass": float(info["highpass"]), "lowpass": float(info["lowpass"])})


def preprocessing_hash(record):
    """16 hex digits identifying a :func:`preprocessing_record`."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _iso(date):
    return None if date is None else date.isoformat()


def _date(text):
    return None if text is None else datetime.datetime.fromisoformat(text)


def describe(ds):
    """The index entry of one windowed recording (JSON types only).

    Parameters
    ----------
    ds : braindecode.datasets.EEGWindowsDataset
        A windowed recording whose Raw is the preprocessed signal.

    Returns
    -------
    dict
        ``info`` (channel names and types, sfreq, highpass, lowpass, bads,
        measurement date), ``first_samp``, ``annotations`` (all of them:
        onset, duration, description, orig_time, ch_names, extras),
        ``description``, ``window_kwargs``, ``raw_preproc_kwargs``,
        ``preprocessing`` (the record) and ``preprocessing_hash``.
    """
    raw = _adapters.mne_object(ds)
    info = raw.info
    ann = raw.annotations
    extras = getattr(ann, "extras", None)
    record = preprocessing_record(ds)
    desc = getattr(ds, "description", None)
    return jsonable({
        "info": {"ch_names": list(info["ch_names"]), "ch_types": raw.get_channel_types(),
                 "sfreq": float(info["sfreq"]), "highpass": float(info["highpass"]),
                 "lowpass": float(info["lowpass"]), "bads": list(info["bads"]),
                 "meas_date": _iso(info["meas_date"])},
        "first_samp": int(raw.first_samp),
        "annotations": {"onset": np.asarray(ann.onset, np.float64).tolist(),
                        "duration": np.asarray(ann.duration, np.float64).tolist(),
                        "description": [str(d) for d in ann.description],
                        "orig_time": _iso(ann.orig_time),
                        "ch_names": [list(c) for c in ann.ch_names],
                        "extras": None if extras is None else [dict(e or {}) for e in extras]},
        # pairs, not a dict: the index is written with sorted keys, descriptions keep order
        "description": [] if desc is None else [[str(k), v] for k, v in desc.items()],
        "window_kwargs": getattr(ds, "window_kwargs", None) or [],
        "raw_preproc_kwargs": getattr(ds, "raw_preproc_kwargs", None) or [],
        "preprocessing": record,
        "preprocessing_hash": preprocessing_hash(record),
    })


def _info(i, templates):
    """A fresh Info for channels ``i``, copied from a template per channel set (fast)."""
    key = (tuple(i["ch_names"]), tuple(i["ch_types"]), i["sfreq"])
    if key not in templates:
        templates[key] = mne.create_info(i["ch_names"], i["sfreq"], i["ch_types"],
                                         verbose="error")
    return templates[key].copy()


def make_raw(entry, signal, templates=None):
    """The :class:`mne.io.Raw` of a cached recording, reading its samples from ``signal``.

    Parameters
    ----------
    entry : dict
        The recording's index entry (see :func:`describe`).
    signal : SignalFile
        Its stored signal.
    templates : dict | None
        Info templates shared by the calls of one load (filled as needed).

    Returns
    -------
    mne.io.BaseRaw
        Not preloaded; ``get_data`` returns the cached signal in the original
        unit (float16 rounding included).
    """
    i = entry["info"]
    info = _info(i, {} if templates is None else templates)
    _adapters.set_filter_band(info, i["highpass"], i["lowpass"])
    info["bads"] = list(i["bads"])
    raw = _adapters.raw_from_reader(info, entry["first_samp"], signal.shape[1], signal.path,
                                    signal)
    if i["meas_date"] is not None:
        raw.set_meas_date(_date(i["meas_date"]))
    a = entry["annotations"]
    onset = np.asarray(a["onset"], np.float64)
    if len(onset):
        orig_time = _date(a["orig_time"])
        # MNE shifts onsets of annotations without orig_time by the first sample's time
        given = onset if orig_time is not None else onset - raw.first_samp / i["sfreq"]
        kwargs = {} if a["extras"] is None else {"extras": a["extras"]}
        raw.set_annotations(mne.Annotations(given, a["duration"], a["description"],
                                            orig_time=orig_time, ch_names=a["ch_names"],
                                            **kwargs))
        if len(raw.annotations) == len(onset):  # undo a last-bit rounding of the shift
            raw.annotations.onset[:] = onset
    return raw


def description_series(entry):
    """The recording's description as braindecode keeps it (a pandas Series)."""
    pairs = entry["description"]
    return pd.Series([v for _, v in pairs], index=[k for k, _ in pairs], dtype=object)
