"""Corpus readers returning braindecode datasets (TUSZ, SzCORE/BIDS)."""

# License: BSD (3-clause)

from ._tusz_tree import make_tusz_tree, write_csv_bi, write_tusz_csv, write_tusz_edf
from .tusz import (
    SZCORE19,
    TUSZ,
    CorpusError,
    TUSZAnnotationFile,
    find_tusz_recordings,
    pick_szcore19,
    read_csv_bi,
    read_tusz_csv,
    szcore19_mapping,
)

__all__ = [
    "SZCORE19",
    "TUSZ",
    "CorpusError",
    "TUSZAnnotationFile",
    "find_tusz_recordings",
    "make_tusz_tree",
    "pick_szcore19",
    "read_csv_bi",
    "read_tusz_csv",
    "szcore19_mapping",
    "write_csv_bi",
    "write_tusz_csv",
    "write_tusz_edf",
]
