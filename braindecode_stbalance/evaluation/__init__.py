"""Evaluation of seizure detectors: stitching, post-processing, SzCORE files and scores.

From model outputs to the SzCORE challenge's numbers, in NumPy/SciPy/pandas
(no torch or braindecode import):

- :func:`stitch_windows`: per-window outputs to one per-sample trace;
- :func:`postprocess`: SeizureTransformer's threshold, opening, closing and
  minimum-duration steps, to a per-sample seizure mask;
- :func:`mask_to_events` / :func:`events_to_mask`: masks and events in seconds;
- :func:`write_events_tsv` / :func:`write_prediction_tree`: SzCORE
  (HED-SCORE) ``events.tsv`` files and trees;
- :func:`score_recordings` / :func:`score_tsv_trees`: SzCORE event and sample
  scores with ``timescoring`` (:class:`SzCOREScores`);
- :func:`simulate_recording_events` / :func:`simulate_eeg`: generated EEG
  with seizures and distractors for tests and examples.

Four submodules serve training and need torch and skorch, so their names are
re-exported at the top level of the package instead of here: ``targets``
(:class:`~braindecode_stbalance.DenseTargets`), ``inference``
(:func:`~braindecode_stbalance.predict_recordings`,
:func:`~braindecode_stbalance.write_predictions`, ...), ``callback``
(:class:`~braindecode_stbalance.SzCOREScoring`) and ``hard_negatives``
(:class:`~braindecode_stbalance.HardNegativeMining`).
"""

# License: BSD (3-clause)

# Public names are imported on first use (PEP 562), so that the command line
# imports neither SciPy nor timescoring until a sub-command needs them.
from .._lazy import attach

__all__ = [
    "DISTRACTOR_KINDS",
    "EVENT_SCORING_PARAMETERS",
    "SzCOREScores",
    "correct_prior",
    "events_to_mask",
    "mask_to_events",
    "postprocess",
    "score_recordings",
    "score_tsv_trees",
    "simulate_eeg",
    "simulate_recording_events",
    "stitch_windows",
    "write_events_tsv",
    "write_prediction_tree",
]

#: Public name -> submodule defining it.
_LAZY = {
    "DISTRACTOR_KINDS": "simulation",
    "simulate_eeg": "simulation",
    "simulate_recording_events": "simulation",
    "EVENT_SCORING_PARAMETERS": "scoring",
    "SzCOREScores": "scoring",
    "score_recordings": "scoring",
    "score_tsv_trees": "scoring",
    "events_to_mask": "events",
    "mask_to_events": "events",
    "write_events_tsv": "events",
    "write_prediction_tree": "events",
    "postprocess": "postprocessing",
    "correct_prior": "postprocessing",
    "stitch_windows": "stitching",
}

_SUBMODULES = ("events", "postprocessing", "scoring", "simulation", "stitching")

__getattr__, __dir__ = attach(__name__, _LAZY, _SUBMODULES)
