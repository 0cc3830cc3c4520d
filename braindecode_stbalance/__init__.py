"""braindecode-stbalance: seizure-ratio categorisation and balanced sampling for braindecode."""

# License: BSD (3-clause)

# The public names are imported lazily (PEP 562) so that the corpus scanner and
# the command line (``stbalance scan``/``summary``) start without importing
# torch and braindecode; ``from braindecode_stbalance import X`` works as usual.
from ._lazy import attach

__version__ = "0.1.0"

__all__ = [
    "CATEGORIES",
    "BalancedDataLoader",
    "BalancedSeizureSampler",
    "DistributedBalancedSeizureSampler",
    "SeizureLabels",
    "SeizureManifest",
    "SeizureRatio",
    "annotate_seizure_ratio",
    "balanced_epoch_size",
    "categorize",
    "category_counts",
    "compute_seizure_ratio",
    "count_in_windows",
    "is_seizure_label",
    "scan_corpus",
    "seizure_sample_intervals",
    "split_by_category",
    "window_seizure_ratio",
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
    "is_seizure_label": "labels",
    "SeizureManifest": "manifest",
    "balanced_epoch_size": "manifest",
    "SeizureRatio": "preprocessing",
    "annotate_seizure_ratio": "preprocessing",
    "compute_seizure_ratio": "preprocessing",
    "count_in_windows": "ratio",
    "seizure_sample_intervals": "ratio",
    "window_seizure_ratio": "ratio",
    "BalancedDataLoader": "samplers",
    "BalancedSeizureSampler": "samplers",
    "DistributedBalancedSeizureSampler": "samplers",
    "scan_corpus": "scan",
}


#: Submodules, also reachable as attributes (``braindecode_stbalance.samplers``).
_SUBMODULES = (
    "categories", "cli", "datasets", "demo", "labels", "manifest", "preprocessing", "ratio",
    "samplers", "scan", "synthetic",
)


__getattr__, __dir__ = attach(__name__, _LAZY, _SUBMODULES)
