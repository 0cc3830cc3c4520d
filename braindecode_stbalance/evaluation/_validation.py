"""Input checks shared by the evaluation modules (messages name the argument)."""

# License: BSD (3-clause)

from __future__ import annotations

import numbers

import numpy as np


def check_sfreq(sfreq, name="sfreq"):
    """Return ``sfreq`` as a float after checking it is finite and > 0."""
    if isinstance(sfreq, bool) or not isinstance(sfreq, numbers.Real):
        raise TypeError(f"{name} must be a positive number (Hz), got "
                        f"{type(sfreq).__name__} {sfreq!r}.")
    sfreq = float(sfreq)
    if not (np.isfinite(sfreq) and sfreq > 0):
        raise ValueError(f"{name} must be a positive finite number (Hz), got {sfreq!r}.")
    return sfreq


def check_int(value, name, minimum=None):
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}.")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return value


def check_real(value, name, minimum=None, allow_equal=True):
    """Return ``value`` as a finite float, optionally bounded below."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}.")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if minimum is not None and (value < minimum or (not allow_equal and value == minimum)):
        op = ">=" if allow_equal else ">"
        raise ValueError(f"{name} must be {op} {minimum}, got {value!r}.")
    return value


def check_mask(mask, name="mask"):
    """Return ``mask`` as a 1-D boolean array (bool: as is; integers 0/1: a boolean copy)."""
    arr = np.asarray(mask)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D per-sample mask, got an array of shape "
                         f"{arr.shape}.")
    if arr.dtype == bool:
        return arr
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be boolean (or integers 0/1), got dtype {arr.dtype}; "
                        "threshold probabilities first (see postprocess).")
    if arr.size and ((arr.min() < 0) or (arr.max() > 1)):
        raise ValueError(f"{name} must hold only 0 and 1, got values in "
                         f"[{arr.min()}, {arr.max()}].")
    return arr.astype(bool)


def check_real_array(values, name, ndim=1):
    """Return ``values`` as a float64 array of ``ndim`` dimensions."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers ({exc}).") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}.")
    return arr
