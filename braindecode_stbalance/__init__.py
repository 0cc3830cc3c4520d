"""braindecode-stbalance: seizure-ratio categorisation and balanced sampling for braindecode."""

# License: BSD (3-clause)

# The public names are imported lazily (PEP 562) so that the corpus scanner and
# the command line (``stbalance scan``/``summary``) start without importing
# torch and braindecode; ``from braindecode_stbalance import X`` works as usual.
from ._lazy import attach

__version__ = "0.2.0"

__all__ = [
    "CATEGORIES",
    "BalancedDataLoader",
    "BalancedSeizureSampler",
    "DenseTargets",
    "DistributedBalancedSeizureSampler",
    "EpochPlan",
    "HardNegativeMining",
    "SeizureLabels",
    "SeizureManifest",
    "SeizureRatio",
    "SzCOREScoring",
    "annotate_seizure_ratio",
    "balanced_epoch_size",
    "categorize",
    "category_counts",
    "compute_seizure_ratio",
    "predict_recordings",
    "reference_masks",
    "scan_corpus",
    "split_by_category",
    "window_table",
    "write_predictions",
    "write_references",
]

#: Public name -> submodule defining it.
_LAZY = {
    "CATEGORIES": "categories",
    "categorize": "categories",
    "category_counts": "categories",
    "split_by_category": "categories",
    "window_table": "categories",
    "SeizureLabels": "labels",
    "BalancedDataLoader": "loader",
    "SeizureManifest": "manifest",
    "SeizureRatio": "preprocessing",
    "annotate_seizure_ratio": "preprocessing",
    "compute_seizure_ratio": "preprocessing",
    "EpochPlan": "quotas",
    "balanced_epoch_size": "quotas",
    "BalancedSeizureSampler": "samplers",
    "DenseTargets": "evaluation.targets",
    "SzCOREScoring": "evaluation.callback",
    "HardNegativeMining": "evaluation.hard_negatives",
    "predict_recordings": "evaluation.inference",
    "reference_masks": "evaluation.inference",
    "write_predictions": "evaluation.inference",
    "write_references": "evaluation.inference",
    "DistributedBalancedSeizureSampler": "distributed",
    "scan_corpus": "scan",
}

#: Public submodules, also reachable as attributes (``braindecode_stbalance.ratio``).
_SUBMODULES = ("cache", "datasets", "evaluation", "labels", "plots", "quotas", "ratio",
               "synthetic")

__getattr__, __dir__ = attach(__name__, _LAZY, _SUBMODULES)
