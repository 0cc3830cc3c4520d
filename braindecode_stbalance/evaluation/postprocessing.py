"""SeizureTransformer's inference post-processing: probabilities to a seizure mask.

Reproduces, sample for sample, the post-processing that SeizureTransformer
(Wu et al., 2025, winner of the 2025 SzCORE / EpilepsyBench challenge)
published with its challenge submission: function ``predict`` and its helpers
``morphological_filter_1d`` and ``remove_short_events`` in
``wu_2025/src/wu_2025/utils.py`` of https://github.com/keruiwu/SeizureTransformer.

This module knows nothing of torch or braindecode.
"""

# License: BSD (3-clause)

from __future__ import annotations

import numpy as np
from scipy.ndimage import binary_closing, binary_opening

from ._tsv import cover, runs
from ._validation import check_int, check_real, check_sfreq

__all__ = ["correct_prior", "postprocess"]


def postprocess(probability, sfreq, threshold=0.8, structure_size=5, min_duration=2.0):
    """Turn a per-sample seizure probability into a per-sample seizure mask.

    The four steps of SeizureTransformer's published inference code
    (``predict`` in ``wu_2025/src/wu_2025/utils.py``,
    https://github.com/keruiwu/SeizureTransformer), with its defaults:

    1. threshold: ``probability > threshold`` (strict);
    2. :func:`scipy.ndimage.binary_opening` with a structuring element of
       ``structure_size`` ones (removes detections shorter than it);
    3. :func:`scipy.ndimage.binary_closing` with the same element (fills
       gaps shorter than it);
    4. removal of every detected event (run of seizure samples) shorter than
       ``int(min_duration * sfreq)`` samples.

    SeizureTransformer runs it at 256 Hz (its model's rate), i.e. a 5-sample
    (~20 ms) element and 512 samples. Two consequences of the reference code
    are kept so that the output is identical to it:

    - :func:`scipy.ndimage.binary_closing` pads with background
      (``border_value=0``), so an event touching the first or last sample
      loses ``structure_size // 2`` samples there;
    - step 4 never removes an event made of the single last sample (the
      reference loop ends before examining it); this can only happen for
      ``structure_size <= 2``, since the closing clears the last sample
      otherwise.

    Parameters
    ----------
    probability : array-like of float, shape (n_times,)
        Per-sample seizure probability of one recording (e.g. from
        :func:`~braindecode_stbalance.evaluation.stitch_windows`), compared to
        ``threshold`` in its own dtype as NumPy does (float32 outputs of a
        model stay float32, as in the reference). NaN (a sample no window
        covered) compares as below the threshold.
    sfreq : float
        Sampling frequency of ``probability`` in Hz.
    threshold : float
        Samples with ``probability > threshold`` are detections (default 0.8).
    structure_size : int
        Length in samples of the structuring element of the opening and the
        closing (default 5); 1 disables both.
    min_duration : float
        Events shorter than ``int(min_duration * sfreq)`` samples are removed
        (default 2.0 s); 0 keeps all.

    Returns
    -------
    mask : ndarray of bool, shape (n_times,)
        True for seizure samples.

    Raises
    ------
    TypeError
        If an argument has the wrong type (e.g. a non-integer
        ``structure_size``).
    ValueError
        If ``probability`` is not 1-D, ``sfreq`` is not positive, or
        ``threshold``/``min_duration`` is not finite (``min_duration`` must be
        >= 0, ``structure_size`` >= 1).

    See Also
    --------
    stitch_windows : per-window outputs to one per-sample trace.
    mask_to_events : the events of the returned mask, in seconds.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.r_[np.zeros(256), np.full(3 * 256, 0.9), np.zeros(256)]
    >>> mask = postprocess(p, sfreq=256)
    >>> int(mask.sum()) / 256
    3.0
    """
    p = np.asarray(probability)
    if p.ndim != 1 or not (np.issubdtype(p.dtype, np.floating)
                           or np.issubdtype(p.dtype, np.integer)):
        raise ValueError(f"probability must be a 1-D array of real numbers, got shape "
                         f"{p.shape} and dtype {p.dtype}.")
    sfreq = check_sfreq(sfreq)
    threshold = check_real(threshold, "threshold")
    structure_size = check_int(structure_size, "structure_size", minimum=1)
    min_duration = check_real(min_duration, "min_duration", minimum=0.0)
    if p.size == 0:
        return np.zeros(0, dtype=bool)
    with np.errstate(invalid="ignore"):
        # in the dtype of the input, as the reference does (float32 stays float32)
        mask = p > threshold
    structure = np.ones(structure_size, dtype=bool)
    mask = binary_opening(mask, structure=structure)
    mask = binary_closing(mask, structure=structure)
    return _remove_short_events(mask, int(min_duration * sfreq))


def _remove_short_events(mask, min_samples):
    """Clear runs of True shorter than ``min_samples`` (reference loop semantics)."""
    n = mask.size
    starts, stops = runs(mask)
    short = (stops - starts) < min_samples
    short &= starts != n - 1  # the reference never examines a run starting at the last sample
    if not short.any():
        return mask
    return mask & ~cover(starts[short], stops[short], n)


def correct_prior(probability, train_prior, target_prior):
    """Correct seizure probabilities for a training mix other than the data's.

    A model trained on balanced epochs, where seizures are much more frequent
    than in real recordings, over-estimates the seizure probability. Bayes'
    rule moves each probability to the prior of the data it is applied to:
    ``odds' = odds * (target_odds / train_odds)`` with ``odds = p / (1 - p)``
    (Saerens et al., 2002). The correction is monotonic, so after a decision
    threshold tuned on validation recordings it changes the detections only
    through the granularity of the threshold grid.

    Parameters
    ----------
    probability : array-like of float
        Seizure probabilities in [0, 1] (NaN is kept).
    train_prior : float
        Share of seizure windows (or samples) in the training epochs, in (0, 1).
    target_prior : float
        Share in the recordings predicted (e.g. the corpus), in (0, 1).

    Returns
    -------
    ndarray of float64
        The corrected probabilities.

    Raises
    ------
    ValueError
        If a prior is not a number in (0, 1).
    """
    for name, value in (("train_prior", train_prior), ("target_prior", target_prior)):
        value = check_real(value, name)
        if not 0 < value < 1:
            raise ValueError(f"{name} must be in (0, 1), got {value!r}.")
    p = np.asarray(probability, dtype=np.float64)
    shift = (target_prior / (1 - target_prior)) / (train_prior / (1 - train_prior))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = p / (1 - p) * shift
        out = np.where(p >= 1, 1.0, odds / (1 + odds))
    return out
