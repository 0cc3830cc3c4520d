"""The result object of the SzCORE scoring functions."""

# License: BSD (3-clause)

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

#: Score names, per scoring kind (``event``, ``sample``).
METRICS = ("sensitivity", "precision", "f1", "fp_per_24h")
KINDS = ("event", "sample")
SCORE_KEYS = tuple(f"{kind}_{metric}" for kind in KINDS for metric in METRICS)
_COUNTS = ("tp", "fp", "ref_true", "n_samples")
_SZCORE_NAMES = {"sensitivity": "sensitivity", "precision": "precision", "f1": "f1",
                 "fp_per_24h": "fpRate"}


def _scores(tp, fp, ref_true, n_samples, fs):
    """timescoring's ``computeScores`` on arrays of counts (same arithmetic)."""
    tp, fp, ref_true, n_samples = (np.asarray(x, dtype=np.int64)
                                   for x in (tp, fp, ref_true, n_samples))
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "sensitivity": np.where(ref_true > 0, tp / ref_true, np.nan),
            "precision": np.where(tp + fp > 0, tp / (tp + fp), np.nan),
            "f1": np.where(ref_true + fp > 0, 2 * tp / (2 * tp + fp + (ref_true - tp)), np.nan),
            "fp_per_24h": fp / (n_samples / fs / 3600 / 24),
        }


def _nan_stat(func, values):
    values = np.asarray(values, dtype=np.float64)
    if np.isnan(values).all():
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(func(values))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


class SzCOREScores:
    """SzCORE scores of a set of recordings, aggregated as the SzCORE challenge does.

    For each scoring kind (``event``, ``sample``), timescoring's counts of
    every recording (true positives ``tp``, false positives ``fp``,
    reference events or samples ``ref_true``, number of samples
    ``n_samples`` at the scorer's rate ``fs``: 10 Hz for events, 1 Hz for
    samples) give the four scores with timescoring's formulas:
    sensitivity ``tp / ref_true`` (NaN without reference seizure), precision
    ``tp / (tp + fp)`` (NaN without detection), F1
    ``2 tp / (2 tp + fp + (ref_true - tp))`` (NaN when there is neither a
    reference seizure nor a false positive) and false positives per 24 h
    ``fp / (n_samples / fs / 86400)``.

    Two aggregations, as in ``szcore-evaluation``:

    - **per subject** (``avg_per_subject=True``, the challenge ranking):
      counts are summed over each subject's recordings, the subject's scores
      computed from them, then averaged over subjects ignoring NaN
      (:func:`numpy.nanmean`; :attr:`subject_std` is :func:`numpy.nanstd`,
      population standard deviation). A score that is NaN for every subject
      is NaN.
    - **summed** (``avg_per_subject=False``): counts summed over all
      recordings, then scores.

    Attributes
    ----------
    subject_mean, subject_std, summed : dict of str to float
        Keys ``event_sensitivity``, ``event_precision``, ``event_f1``,
        ``event_fp_per_24h``, ``sample_sensitivity``, ..., ``sample_fp_per_24h``.
    per_subject : pandas.DataFrame
        One row per subject (sorted): counts and scores.
    per_recording : pandas.DataFrame
        One row per recording: ``recording``, ``subject``, ``duration``
        (scored seconds), ``hypothesis`` (``"ok"``, or why it was scored as
        background: ``"missing"``, ``"empty"``, ``"length_mismatch"``) and
        the counts ``{event,sample}_{tp,fp,ref_true,n_samples,fs}``.
    unmatched : tuple of str
        Hypothesis files without a reference (ignored).
    """

    def __init__(self, per_recording, unmatched=()):
        self.per_recording = per_recording.reset_index(drop=True)
        self.unmatched = tuple(unmatched)
        grouped = self.per_recording.groupby("subject", sort=True)
        subj = grouped[[f"{k}_{c}" for k in KINDS for c in _COUNTS]].sum()
        subj.insert(0, "duration", grouped["duration"].sum())
        subj.insert(0, "n_recordings", grouped.size())
        totals = subj.sum()
        self.subject_mean, self.subject_std, self.summed = {}, {}, {}
        for kind in KINDS:
            fs = int(self.per_recording[f"{kind}_fs"].iloc[0])
            per = _scores(*(subj[f"{kind}_{c}"].to_numpy() for c in _COUNTS), fs)
            tot = _scores(*(totals[f"{kind}_{c}"] for c in _COUNTS), fs)
            for metric in METRICS:
                key = f"{kind}_{metric}"
                subj[key] = per[metric]
                self.subject_mean[key] = _nan_stat(np.nanmean, per[metric])
                self.subject_std[key] = _nan_stat(np.nanstd, per[metric])
                self.summed[key] = float(tot[metric])
        self.per_subject = subj

    @property
    def n_subjects(self):
        """Number of subjects."""
        return len(self.per_subject)

    @property
    def n_recordings(self):
        """Number of recordings."""
        return len(self.per_recording)

    @property
    def missing(self):
        """Recordings whose hypothesis file is missing (scored as background), a tuple."""
        rec = self.per_recording
        return tuple(rec.loc[rec["hypothesis"] == "missing", "recording"].tolist())

    @property
    def replaced(self):
        """Recordings whose hypothesis was scored as background for another reason.

        A dict ``recording -> reason`` (``"empty"``: no row;
        ``"length_mismatch"``: another number of seconds than the reference).
        """
        rec = self.per_recording
        sel = ~rec["hypothesis"].isin(["ok", "missing"])
        return dict(zip(rec.loc[sel, "recording"], rec.loc[sel, "hypothesis"]))

    def to_frame(self):
        """Scores as a DataFrame.

        Returns
        -------
        pandas.DataFrame
            Index ``subject_mean``, ``subject_std``, ``summed``; one column per
            score (``event_f1``, ...).
        """
        return pd.DataFrame([self.subject_mean, self.subject_std, self.summed],
                            index=["subject_mean", "subject_std", "summed"],
                            columns=list(SCORE_KEYS))

    def to_flat_dict(self):
        """Scores as one flat dict.

        Returns
        -------
        dict of str to float
            ``event_f1`` etc. are the per-subject means (the challenge's
            numbers), ``event_f1_std`` their standard deviations,
            ``summed_event_f1`` the scores summed over all recordings.
        """
        out = dict(self.subject_mean)
        out.update({f"{k}_std": v for k, v in self.subject_std.items()})
        out.update({f"summed_{k}": v for k, v in self.summed.items()})
        return out

    def to_szcore_dict(self):
        """The output of ``szcore_evaluation.evaluate_dataset`` (``avg_per_subject=True``).

        Returns
        -------
        dict
            ``{"sample_results": {...}, "event_results": {...}}``, each with
            ``sensitivity``, ``precision``, ``f1``, ``fpRate`` and their
            ``*_std``.
        """
        out = {}
        for kind in ("sample", "event"):
            res = {}
            for metric, name in _SZCORE_NAMES.items():
                res[name] = self.subject_mean[f"{kind}_{metric}"]
                res[f"{name}_std"] = self.subject_std[f"{kind}_{metric}"]
            out[f"{kind}_results"] = res
        return out

    def to_dict(self):
        """Everything as a JSON-serialisable dict (NaN as None).

        Returns
        -------
        dict
            ``subject_mean``, ``subject_std``, ``summed``, ``szcore`` (see
            :meth:`to_szcore_dict`), ``n_subjects``, ``n_recordings``,
            ``hours``, ``per_subject`` (subject -> counts and scores),
            ``missing_hypotheses``, ``replaced_hypotheses``,
            ``unmatched_hypotheses``.
        """
        per_subject = {str(s): row for s, row in
                       self.per_subject.to_dict(orient="index").items()}
        return _jsonable({
            "subject_mean": self.subject_mean, "subject_std": self.subject_std,
            "summed": self.summed, "szcore": self.to_szcore_dict(),
            "n_subjects": self.n_subjects, "n_recordings": self.n_recordings,
            "hours": float(self.per_recording["duration"].sum()) / 3600,
            "per_subject": per_subject, "missing_hypotheses": list(self.missing),
            "replaced_hypotheses": self.replaced, "unmatched_hypotheses": list(self.unmatched),
        })

    def format_table(self):
        """A readable table of the scores (the ``stbalance score`` output).

        Returns
        -------
        str
        """
        def cell(key, with_std):
            mean = self.subject_mean[key] if with_std else self.summed[key]
            if math.isnan(mean):
                return "n/a"
            text = f"{mean:.2f}" if key.endswith("fp_per_24h") else f"{mean:.3f}"
            std = self.subject_std[key]
            if with_std and not math.isnan(std):
                text += f" ± {std:.2f}" if key.endswith("fp_per_24h") else f" ± {std:.3f}"
            return text

        hours = self.per_recording["duration"].sum() / 3600
        lines = [(f"SzCORE scores: {self.n_subjects} subject(s), {self.n_recordings} "
                  f"recording(s), {hours:.2f} h"),
                 f"{'':26}{'sensitivity':>16}{'precision':>16}{'F1':>16}{'FP/24h':>16}"]
        for kind in KINDS:
            for label, with_std in (("mean over subjects", True), ("summed", False)):
                cells = "".join(f"{cell(f'{kind}_{m}', with_std):>16}" for m in METRICS)
                lines.append(f"{kind:<7}{label:<19}{cells}")
        return "\n".join(lines)

    def __repr__(self):
        return (f"<SzCOREScores: {self.n_subjects} subject(s), {self.n_recordings} "
                f"recording(s), event F1 {self.subject_mean['event_f1']:.3f} (mean over "
                f"subjects), {self.summed['event_f1']:.3f} (summed)>")
