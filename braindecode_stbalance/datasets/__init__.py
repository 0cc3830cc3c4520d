"""Corpus readers returning braindecode datasets (TUSZ, SzCORE/BIDS)."""

# License: BSD (3-clause)

# The public names are imported lazily (PEP 562): the annotation-file readers
# and listings (in ``._files``) are usable without importing braindecode.
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
    "make_szcore_tree",
    "make_tusz_tree",
    "pick_szcore19",
    "read_csv_bi",
    "read_edf_header",
    "read_szcore_events",
    "read_tusz_csv",
    "szcore19_mapping",
    "szcore_annotations",
    "szcore_events_path",
    "write_csv_bi",
    "write_szcore_events",
    "write_tusz_csv",
    "write_tusz_edf",
]

#: Public name -> submodule defining it.
_LAZY = {
    "make_szcore_tree": "_szcore_tree",
    "write_szcore_events": "_szcore_tree",
    "make_tusz_tree": "_tusz_tree",
    "write_csv_bi": "_tusz_tree",
    "write_tusz_csv": "_tusz_tree",
    "write_tusz_edf": "_tusz_tree",
    "SZCORE_EVENT_COLUMNS": "_files",
    "AnnotationFile": "_files",
    "CorpusError": "_files",
    "find_szcore_recordings": "_files",
    "find_tusz_recordings": "_files",
    "read_csv_bi": "_files",
    "read_szcore_events": "_files",
    "read_tusz_csv": "_files",
    "szcore_events_path": "_files",
    "SzCOREBIDS": "bids",
    "szcore_annotations": "bids",
    "EDFHeader": "edf",
    "read_edf_header": "edf",
    "SZCORE19": "tusz",
    "TUSZ": "tusz",
    "pick_szcore19": "tusz",
    "szcore19_mapping": "tusz",
}


#: Submodules, also reachable as attributes (``braindecode_stbalance.samplers``).
_SUBMODULES = ("bids", "edf", "tusz")


__getattr__, __dir__ = attach(__name__, _LAZY, _SUBMODULES)
