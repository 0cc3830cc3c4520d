"""Corpus readers returning braindecode datasets (TUSZ, SzCORE/BIDS), and their file readers."""

# License: BSD (3-clause)

# The public names are imported lazily (PEP 562): the annotation-file readers
# and listings are usable without importing braindecode (``stbalance scan``).
from .._lazy import attach

__all__ = [
    "SZCORE19",
    "SZCORE_EVENT_COLUMNS",
    "TUSZ",
    "AnnotationFile",
    "CorpusError",
    "EDFHeader",
    "SzCOREBIDS",
    "find_szcore_recordings",
    "find_tusz_recordings",
    "pick_szcore19",
    "read_csv_bi",
    "read_edf_header",
    "read_szcore_events",
    "read_tusz_csv",
    "szcore19_mapping",
    "szcore_annotations",
    "szcore_events_path",
]

#: Public name -> submodule defining it.
_LAZY = {
    "AnnotationFile": "_annotations",
    "CorpusError": "_annotations",
    "find_szcore_recordings": "_listing",
    "find_tusz_recordings": "_listing",
    "SZCORE_EVENT_COLUMNS": "_szcore_files",
    "read_szcore_events": "_szcore_files",
    "szcore_events_path": "_szcore_files",
    "read_csv_bi": "_tusz_files",
    "read_tusz_csv": "_tusz_files",
    "SzCOREBIDS": "bids",
    "szcore_annotations": "bids",
    "EDFHeader": "edf",
    "read_edf_header": "edf",
    "SZCORE19": "tusz",
    "TUSZ": "tusz",
    "pick_szcore19": "tusz",
    "szcore19_mapping": "tusz",
}

#: Submodules, also reachable as attributes.
_SUBMODULES = ("bids", "edf", "tusz")

__getattr__, __dir__ = attach(__name__, _LAZY, _SUBMODULES)
