"""A trained skorch/braindecode detector on whole recordings: traces, masks, ``events.tsv``.

Every window of every recording is predicted in order (batched, without
gradients, the module in evaluation mode, on the net's device), turned into
a seizure probability, and stitched into one per-sample trace per recording
(:func:`~braindecode_stbalance.evaluation.stitch_windows`). This module
imports torch; its names are re-exported at the top level of the package.
"""

# License: BSD (3-clause)

from __future__ import annotations

import numbers

import numpy as np
import torch
from torch.utils.data import DataLoader, default_collate

from ._recordings import WholeRecordings
from ._tsv import runs
from .events import write_prediction_tree
from .postprocessing import correct_prior, postprocess
from .stitching import stitch_windows

__all__ = ["predict_recordings", "reference_masks", "write_predictions", "write_references"]

_OUTPUTS = ("logits", "probabilities")


def _check(dense, output, batch_size, num_workers):
    if not isinstance(dense, (bool, np.bool_)):
        raise TypeError(f"dense must be True or False, got {dense!r}.")
    if output not in _OUTPUTS:
        raise ValueError(f"output must be 'logits' or 'probabilities', got {output!r}.")
    for name, value, low in (("batch_size", batch_size, 1), ("num_workers", num_workers, 0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")


def _collate_signals(items):
    """Collate only the signals of ``(X, y, inds)`` items (targets may be anything)."""
    return default_collate([item[0] for item in items])


def seizure_probability(out, dense=False, output="logits"):
    """Seizure probability from a batch of model outputs (see :func:`predict_recordings`).

    Parameters
    ----------
    out : torch.Tensor | tuple of torch.Tensor
        The module's output for one batch (of a tuple, the first element, as
        skorch's ``predict_proba`` takes it): ``(batch,)`` or ``(batch, 1)``
        seizure scores, or ``(batch, n_classes)`` class scores (class 0 is
        "no seizure"); with ``dense`` one more, last, time axis.
    dense : bool
        Per-sample outputs (a time axis).
    output : "logits" | "probabilities"
        What the scores are: logits go through a sigmoid (one score) or a
        softmax (class scores).

    Returns
    -------
    ndarray of float
        ``P(seizure)`` per window, ``(batch,)`` (``(batch, time)`` if
        ``dense``); for class scores ``1 - P(class 0)``.

    Raises
    ------
    ValueError
        If the output has another number of dimensions.
    """
    if isinstance(out, (tuple, list)):
        out = out[0]  # as skorch's predict_proba: the first output
    out = torch.as_tensor(out).detach().float()
    shape = tuple(out.shape)
    time_axis = 1 if dense else 0
    if out.ndim == 1 + time_axis:
        scores, classes = out, None
    elif out.ndim == 2 + time_axis:
        scores, classes = (out[:, 0], None) if out.shape[1] == 1 else (None, out)
    else:
        what = ("(batch, time) or (batch, classes, time)" if dense
                else "(batch,) or (batch, classes); pass dense=True for a per-sample detector")
        raise ValueError(f"model output of shape {shape}: expected {what}.")
    if classes is None:
        prob = torch.sigmoid(scores) if output == "logits" else scores
    else:  # class 0 is "no seizure": P(seizure) = 1 - P(class 0)
        p = torch.softmax(classes, dim=1) if output == "logits" else classes
        prob = 1.0 - p[:, 0]
    return prob.cpu().numpy()


def _stitch(rows, starts, stops, n_times, dense, i):
    if not dense:
        return stitch_windows(np.asarray(rows, dtype=np.float64).reshape(-1), starts, stops,
                              n_times)
    per_sample = []
    for k, (row, a, b) in enumerate(zip(rows, starts.tolist(), stops.tolist())):
        n = b - a
        if row.size == 0 or n % row.size:
            raise ValueError(f"recording {i}, window {k}: the model gave {row.size} values for "
                             f"{n} samples; a dense output must have window length / d values "
                             "for an integer d (each is held over d samples).")
        per_sample.append(np.repeat(row, n // row.size))
    return stitch_windows(per_sample, starts, stops, n_times)


def _iter_traces(net, whole, dense, output, batch_size, num_workers):
    """``(i, trace)`` for each recording, in order, one batch of windows at a time."""
    loader = DataLoader(whole.corpus, batch_size=batch_size, shuffle=False,
                        num_workers=num_workers, collate_fn=_collate_signals)
    offsets = whole.offsets
    pending, done, i = [], 0, 0

    def finished():
        nonlocal pending, done, i
        while i < len(whole) and done + len(pending) >= offsets[i + 1]:
            k = int(offsets[i + 1] - offsets[i])
            rows, pending = pending[:k], pending[k:]
            done += k
            starts, stops = whole.windows(i)
            yield i, _stitch(rows, starts, stops, whole.n_times(i), dense, i)
            i += 1

    with torch.no_grad():
        for X in loader:
            out = net.evaluation_step((X, None), training=False)
            pending.extend(seizure_probability(out, dense, output))
            yield from finished()
    yield from finished()


def predict_recordings(net, recordings, dense=False, output="logits", batch_size=64,
                       num_workers=0):
    """Per-sample seizure probability of whole recordings.

    All windows of every recording are read in order, batched, and given to
    the net's module with :meth:`skorch.NeuralNet.evaluation_step` (module in
    evaluation mode, no gradients, inputs moved to ``net.device``: CPU or
    CUDA). Each window's output becomes a seizure probability, and the
    windows of a recording are stitched into one trace
    (:func:`~braindecode_stbalance.evaluation.stitch_windows`: overlaps are
    averaged; samples no window covers are NaN).

    Parameters
    ----------
    net : skorch.NeuralNet
        A fitted (or initialised) net, e.g. braindecode's ``EEGClassifier`` or
        ``EEGRegressor``.
    recordings : braindecode.datasets.BaseConcatDataset | DenseTargets
        Windowed whole recordings (no Subset).
    dense : bool
        ``False``: a window classifier, whose output per window is one score
        (shape ``(batch,)`` or ``(batch, 1)``) or class scores (``(batch,
        n_classes)``); its probability is held over the window's samples.
        ``True``: a sample-level detector, whose output per window has a time
        axis (``(batch, time)`` or ``(batch, n_classes, time)``) of the
        window's length divided by an integer ``d``; each value is held over
        ``d`` samples.
    output : "logits" | "probabilities"
        What the module returns. ``"logits"`` (braindecode models, and a
        detector trained with ``BCEWithLogitsLoss``): one score goes through
        a sigmoid, class scores through a softmax over the class axis.
        ``"probabilities"``: used as they are. With class scores, class 0 is
        "no seizure" and the seizure probability is ``1 - P(class 0)``
        (``P(class 1)`` for binary targets; partial plus full seizure for
        ``target="category"``).
    batch_size : int
        Windows per forward pass.
    num_workers : int
        DataLoader workers reading the windows.

    Returns
    -------
    list of ndarray of float64
        One trace per recording, of its number of samples, in [0, 1] (NaN
        where no window covers a sample).

    Raises
    ------
    TypeError
        If ``recordings`` is a Subset or not a windowed braindecode corpus.
    ValueError
        If ``output`` is unknown or the model's output has a shape that does
        not fit ``dense`` (the message says which shapes are expected).
    """
    _check(dense, output, batch_size, num_workers)
    whole = WholeRecordings(recordings, warn=False)
    traces = [None] * len(whole)
    for i, trace in _iter_traces(net, whole, dense, output, batch_size, num_workers):
        traces[i] = trace
    return traces


def reference_masks(recordings, labels=None):
    """Per-sample seizure masks of whole recordings, from their annotations.

    The rule of the whole package (sample ``k`` is a seizure sample iff
    ``onset <= k / sfreq < onset + duration`` for a seizure annotation, on
    MNE's annotation axis, clipped to the recording); no signal is read.

    Parameters
    ----------
    recordings : braindecode.datasets.BaseConcatDataset | DenseTargets
        Windowed whole recordings (no Subset).
    labels : None | collection of str | callable | SeizureLabels
        Which annotation descriptions are seizures (see
        :class:`~braindecode_stbalance.SeizureLabels`).

    Returns
    -------
    list of ndarray of bool
        One mask per recording, from its first sample, of its number of
        samples.

    Raises
    ------
    TypeError
        If ``recordings`` is a Subset or not a windowed braindecode corpus.
    """
    whole = WholeRecordings(recordings, labels)
    return [whole.reference(i) for i in range(len(whole))]


def _confidence(trace, mask):
    """Mean probability of each detected event (in time order)."""
    starts, stops = runs(mask)
    values = [float(np.nanmean(trace[a:b])) if np.isfinite(trace[a:b]).any() else 0.0
              for a, b in zip(starts, stops)]
    return np.clip(values, 0.0, 1.0) if values else None


def write_predictions(net, recordings, out_root, threshold=0.8, structure_size=5,
                      min_duration=2.0, dense=False, output="logits", batch_size=64,
                      num_workers=0, prior=None):
    """Predict whole recordings, post-process, and write one SzCORE ``events.tsv`` each.

    The tree mirrors the recordings' BIDS layout (see Notes), so that
    ``stbalance score REF_DIR OUT_ROOT`` (or
    :func:`~braindecode_stbalance.evaluation.score_tsv_trees`) scores it
    against the BIDS root of a SzCORE corpus, or against the tree
    :func:`write_references` writes for any corpus.

    Parameters
    ----------
    net : skorch.NeuralNet
        A fitted net (see :func:`predict_recordings`).
    recordings : braindecode.datasets.BaseConcatDataset | DenseTargets
        Windowed whole recordings (no Subset).
    out_root : str | pathlib.Path
        Root of the prediction tree (created if missing).
    threshold, structure_size, min_duration
        Post-processing (:func:`~braindecode_stbalance.evaluation.postprocess`;
        SeizureTransformer's defaults). Use the threshold tuned by
        :class:`~braindecode_stbalance.SzCOREScoring` (``best_threshold_``)
        if it tuned one.
    dense, output, batch_size, num_workers
        As for :func:`predict_recordings`.
    prior : None | (float, float)
        ``(train_prior, target_prior)``: correct the probabilities first
        (:func:`~braindecode_stbalance.evaluation.correct_prior`).

    Returns
    -------
    list of pathlib.Path
        The written files, sorted.

    Raises
    ------
    TypeError
        If ``recordings`` is a Subset or not a windowed braindecode corpus.
    ValueError
        As :func:`predict_recordings`, or if two recordings map to the same
        file.

    Notes
    -----
    A recording read from a BIDS tree (its ``path`` lies under a ``sub-*``
    folder and its file name starts with ``sub-``) is written at its path
    relative to that folder's parent, as ``<stem>_events.tsv``. Any other
    recording goes to
    ``sub-<subject>/eeg/sub-<subject>_task-szMonitoring_run-<k>_events.tsv``,
    ``<subject>`` being its description's ``subject`` (letters and digits
    only; its index if it has none) and ``<k>`` its rank among that
    subject's recordings. Each seizure row's ``confidence`` is the mean
    probability over the event; ``dateTime`` is the recording's start.
    """
    _check(dense, output, batch_size, num_workers)
    whole = WholeRecordings(recordings, warn=False)
    keys = whole.events_keys()
    predictions = {}
    for i, trace in _iter_traces(net, whole, dense, output, batch_size, num_workers):
        sfreq = whole.sfreq(i)
        if prior is not None:
            trace = correct_prior(trace, *prior)
        mask = postprocess(trace, sfreq, threshold, structure_size, min_duration)
        predictions[keys[i]] = {"mask_or_events": mask, "sfreq": sfreq,
                                "date_time": whole.date_time(i),
                                "confidence": _confidence(trace, mask)}
    return write_prediction_tree(out_root, predictions)


def write_references(recordings, out_root, labels=None):
    """Write the recordings' seizure annotations as a SzCORE ``events.tsv`` tree.

    The reference that :func:`write_predictions`' tree is scored against, for
    corpora that are not SzCORE BIDS trees: same layout, one file per
    recording, the masks of :func:`reference_masks` (a seizure-free recording
    gets one ``bckg`` row).

    Parameters
    ----------
    recordings : braindecode.datasets.BaseConcatDataset | DenseTargets
        Windowed whole recordings (no Subset).
    out_root : str | pathlib.Path
        Root of the reference tree (created if missing).
    labels : None | collection of str | callable | SeizureLabels
        Which annotation descriptions are seizures.

    Returns
    -------
    list of pathlib.Path
        The written files, sorted.

    Raises
    ------
    TypeError
        If ``recordings`` is a Subset or not a windowed braindecode corpus.
    ValueError
        If two recordings map to the same file.
    """
    whole = WholeRecordings(recordings, labels)
    keys = whole.events_keys()
    return write_prediction_tree(out_root, {
        keys[i]: {"mask_or_events": whole.reference(i), "sfreq": whole.sfreq(i),
                  "date_time": whole.date_time(i)} for i in range(len(whole))})
