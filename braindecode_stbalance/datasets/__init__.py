"""Corpus readers returning braindecode datasets (TUSZ, SzCORE/BIDS)."""

# License: BSD (3-clause)

from ._szcore_tree import make_szcore_tree, write_szcore_events
from ._tusz_tree import make_tusz_tree, write_csv_bi, write_tusz_csv, write_tusz_edf
from .bids import (
    SZCORE_EVENT_COLUMNS,
    SzCOREBIDS,
    find_szcore_recordings,
    read_szcore_events,
    szcore_annotations,
    szcore_events_path,
)
from .edf import EDFHeader, read_edf_header
from .tusz import (
    SZCORE19,
    TUSZ,
    AnnotationFile,
    CorpusError,
    find_tusz_recordings,
    pick_szcore19,
    read_csv_bi,
    read_tusz_csv,
    szcore19_mapping,
)

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
