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
    "DistributedBalancedSeizureSampler",
    "EpochPlan",
    "SeizureLabels",
    "SeizureManifest",
    "SeizureRatio",
    "annotate_seizure_ratio",
    "balanced_epoch_size",
    "categorize",
    "category_counts",
    "compute_seizure_ratio",
    "scan_corpus",
    "split_by_category",
    "window_table",
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
    "DistributedBalancedSeizureSampler": "samplers",
    "scan_corpus": "scan",
}

#: Public submodules, also reachable as attributes (``braindecode_stbalance.ratio``).
_SUBMODULES = ("cache", "datasets", "evaluation", "labels", "plots", "quotas", "ratio",
               "synthetic")

__getattr__, __dir__ = attach(__name__, _LAZY, _SUBMODULES)
