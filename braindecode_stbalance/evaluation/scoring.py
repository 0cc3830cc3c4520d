"""SzCORE scores of seizure masks with the community scorer ``timescoring``.

Reproduces the evaluation of the SzCORE challenge (``szcore-evaluation``,
``szcore_evaluation/evaluate.py``, https://github.com/esl-epfl/szcore-evaluation)
on masks in memory and on two trees of SzCORE ``events.tsv`` files.

This module knows nothing of torch or braindecode.
"""

# License: BSD (3-clause)

from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
from timescoring import scoring
from timescoring.annotations import Annotation

from ._results import SzCOREScores
from ._tsv import EmptyEventsFile, read_tsv_mask, szcore_mask_1hz
from ._validation import check_mask, check_sfreq

__all__ = ["EVENT_SCORING_PARAMETERS", "SzCOREScores", "score_recordings", "score_tsv_trees"]

#: SzCORE's event-scoring parameters (seconds), as passed to
#: ``timescoring.scoring.EventScoring.Parameters`` (read-only).
EVENT_SCORING_PARAMETERS = MappingProxyType({
    "toleranceStart": 30.0, "toleranceEnd": 60.0, "minOverlap": 0.0,
    "maxEventDuration": 300.0, "minDurationBetweenEvents": 90.0})


def _score_one(ref, hyp):
    """timescoring counts of one recording (1 Hz masks of equal length)."""
    ref = Annotation(ref, 1)
    hyp = Annotation(hyp, 1)
    sample = scoring.SampleScoring(ref, hyp, fs=1)
    event = scoring.EventScoring(ref, hyp,
                                 scoring.EventScoring.Parameters(**EVENT_SCORING_PARAMETERS))
    row = {}
    for kind, s in (("event", event), ("sample", sample)):
        row.update({f"{kind}_tp": int(s.tp), f"{kind}_fp": int(s.fp),
                    f"{kind}_ref_true": int(s.refTrue), f"{kind}_n_samples": int(s.numSamples),
                    f"{kind}_fs": int(s.fs)})
    return row


def _score(refs, hyps, subjects, names, hypothesis_status, **extra):
    rows = []
    for ref, hyp, subject, name, status in zip(refs, hyps, subjects, names, hypothesis_status):
        row = {"recording": name, "subject": subject, "duration": float(ref.size),
               "hypothesis": status}
        row.update(_score_one(ref, hyp))
        rows.append(row)
    return SzCOREScores(pd.DataFrame(rows), **extra)


def score_recordings(references, hypotheses, sfreq, subjects=None):
    """SzCORE event and sample scores of predicted seizure masks.

    Every recording is scored with ``timescoring`` at 1 Hz, as the SzCORE
    challenge does: event scoring with :data:`EVENT_SCORING_PARAMETERS`
    (30 s tolerance before an event, 60 s after, any overlap, events longer
    than 300 s split, events less than 90 s apart merged) and sample scoring
    (one sample per second). Scores are then aggregated two ways (see
    :class:`SzCOREScores`): per subject (counts summed over the subject's
    recordings, then scores, then the NaN-ignoring mean over subjects: the
    number the challenge ranks) and summed over all recordings.

    Masks at another rate are brought to 1 Hz exactly as the SzCORE pipeline
    sees them, i.e. as if written to an ``events.tsv`` (by epilepsy2bids or
    :func:`write_events_tsv`: a run ``[a, b)`` becomes onset ``a / sfreq``
    and duration ``b / sfreq - a / sfreq``, written with two decimals) and
    read back by epilepsy2bids' ``getMask(1)``: second ``s`` is a seizure iff
    ``int(onset) <= s < int(onset + duration)`` for some event, and the
    recording lasts ``int(n_times / sfreq)`` seconds (two decimals first).
    So ``score_recordings(masks, sfreq)`` equals :func:`score_tsv_trees` on
    the trees that :func:`write_prediction_tree` writes from the same masks.

    Parameters
    ----------
    references, hypotheses : sequence of array-like of bool
        Per-sample seizure masks (booleans or 0/1), one per recording, the
        reference (ground truth) and the hypothesis (prediction) of a
        recording having the same length.
    sfreq : float | sequence of float
        Sampling frequency of the masks in Hz, one for all or one per
        recording.
    subjects : sequence | None
        Subject of each recording (for the per-subject mean). None: every
        recording is its own subject (the mean is then over recordings).

    Returns
    -------
    SzCOREScores
        Scores and counts per recording and per subject.

    Raises
    ------
    ValueError
        If the sequences have different lengths or are empty, a reference
        and its hypothesis differ in length (the recording is named), or a
        recording lasts less than 1 s.
    TypeError
        If a mask is not boolean (or 0/1).
    """
    references, hypotheses = list(references), list(hypotheses)
    n = len(references)
    if n == 0 or len(hypotheses) != n:
        raise ValueError(f"references and hypotheses must be two non-empty lists of equal "
                         f"length, got {n} and {len(hypotheses)}.")
    rates = [sfreq] * n if np.ndim(sfreq) == 0 else list(sfreq)
    if len(rates) != n:
        raise ValueError(f"sfreq must be one value or one per recording ({n}), got "
                         f"{len(rates)}.")
    if subjects is None:
        subjects = [str(i) for i in range(n)]
    subjects = list(subjects)
    if len(subjects) != n:
        raise ValueError(f"subjects must give one subject per recording ({n}), got "
                         f"{len(subjects)}.")
    refs, hyps = [], []
    for i, (ref, hyp, rate) in enumerate(zip(references, hypotheses, rates)):
        ref = check_mask(ref, f"references[{i}]")
        hyp = check_mask(hyp, f"hypotheses[{i}]")
        rate = check_sfreq(rate, "sfreq" if np.ndim(sfreq) == 0 else f"sfreq[{i}]")
        if ref.size != hyp.size:
            raise ValueError(f"recording {i}: the reference has {ref.size} samples, the "
                             f"hypothesis {hyp.size}.")
        ref, hyp = szcore_mask_1hz(ref, rate), szcore_mask_1hz(hyp, rate)
        if ref.size == 0:
            raise ValueError(f"recording {i} lasts less than 1 s at {rate:g} Hz; SzCORE "
                             "scores whole seconds.")
        refs.append(ref)
        hyps.append(hyp)
    return _score(refs, hyps, subjects, list(range(n)), ["ok"] * n)


def _events_files(root, what):
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{what} tree {os.fspath(root)!r} is not a directory.")
    files = sorted(p for p in root.glob("sub-*/**/*_events.tsv") if p.is_file())
    if not files:
        raise FileNotFoundError(f"{what} tree {os.fspath(root)!r} holds no "
                                "sub-*/**/*_events.tsv file.")
    return root, files


def score_tsv_trees(ref_root, hyp_root):
    """SzCORE evaluation of a tree of predicted ``events.tsv`` files against the reference.

    Reproduces ``szcore_evaluation.evaluate.evaluate_dataset`` (SzCORE
    challenge): for each ``*_events.tsv`` under a ``sub-*`` folder of
    ``ref_root``, the file at the same relative path under ``hyp_root`` is
    the prediction. Both are read as epilepsy2bids' ``Annotations.loadTsv``
    + ``getMask(1)`` reads them (``int(recordingDuration)`` seconds; second
    ``s`` is a seizure iff ``int(onset) <= s < int(onset + duration)`` for a
    row of eventType ``sz*``), scored with ``timescoring``, and aggregated
    per ``sub-*`` folder and over all recordings as in
    :func:`score_recordings`. As in the challenge, a hypothesis is scored as
    all background when its file is missing, has no row, or spans another
    number of seconds than the reference; these recordings are listed
    (:attr:`SzCOREScores.missing`, :attr:`SzCOREScores.replaced`), as are
    hypothesis files without a reference (:attr:`SzCOREScores.unmatched`,
    ignored). Unlike the challenge script, files other than
    ``*_events.tsv`` (``*_channels.tsv``, ...) are ignored, ``sub-*``
    folders without events files are left out instead of failing, and an
    unreadable file is an error naming it instead of a crash.

    Parameters
    ----------
    ref_root, hyp_root : str | pathlib.Path
        Roots of the reference and hypothesis trees
        (``sub-*/[ses-*/]eeg/*_events.tsv``).

    Returns
    -------
    SzCOREScores
        Recordings are named by their path relative to the roots.

    Raises
    ------
    FileNotFoundError
        If a root is not a folder or holds no ``sub-*/**/*_events.tsv``
        (the folder is named).
    ValueError
        If a file is malformed, has an unknown eventType, or a reference has
        no row or lasts less than 1 s (the file and line are named).
    """
    ref_root, ref_files = _events_files(ref_root, "reference")
    hyp_root, hyp_files = _events_files(hyp_root, "hypothesis")
    rels = [p.relative_to(ref_root) for p in ref_files]
    unmatched = sorted({p.relative_to(hyp_root) for p in hyp_files} - set(rels))
    refs, hyps, status = [], [], []
    for rel, ref_path in zip(rels, ref_files):
        try:
            ref = read_tsv_mask(ref_path, 1)
        except EmptyEventsFile as exc:
            raise ValueError(f"{exc} A reference needs its rows (one bckg row when "
                             "seizure-free).") from None
        if ref.size == 0:
            raise ValueError(f"{os.fspath(ref_path)}: the recording lasts less than 1 s.")
        hyp_path = hyp_root / rel
        state = "ok"
        if not hyp_path.is_file():
            hyp, state = np.zeros_like(ref), "missing"
        else:
            try:
                hyp = read_tsv_mask(hyp_path, 1)
            except EmptyEventsFile:
                hyp, state = np.zeros_like(ref), "empty"
            else:
                if hyp.size != ref.size:
                    hyp, state = np.zeros_like(ref), "length_mismatch"
        refs.append(ref)
        hyps.append(hyp)
        status.append(state)
    subjects = [rel.parts[0] for rel in rels]
    names = [rel.as_posix() for rel in rels]
    return _score(refs, hyps, subjects, names, status,
                  unmatched=tuple(p.as_posix() for p in unmatched))

