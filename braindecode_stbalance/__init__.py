"""braindecode-stbalance: seizure-ratio categorisation and balanced sampling for braindecode."""

# License: BSD (3-clause)

from .categories import (
    CATEGORIES,
    categorize,
    category_counts,
    split_by_category,
    window_table,
)
from .labels import SeizureLabels, is_seizure_label
from .manifest import SeizureManifest, balanced_epoch_size
from .preprocessing import SeizureRatio, annotate_seizure_ratio, compute_seizure_ratio
from .ratio import count_in_windows, seizure_sample_intervals, window_seizure_ratio
from .samplers import (
    BalancedDataLoader,
    BalancedSeizureSampler,
    DistributedBalancedSeizureSampler,
)
from .scan import scan_corpus

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
