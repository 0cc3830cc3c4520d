"""Writers of small TUSZ- and SzCORE-shaped corpora, for the tests and benchmarks (private).

Not part of the public API: these fixtures write real EDF, ``.csv_bi``/``.csv``
and BIDS files so that the tests and benchmarks read them back with the real
readers. Users generate demo data with
:func:`braindecode_stbalance.synthetic.make_synthetic_corpus`. Needs the ``test``
extra (``edfio``, ``mne-bids``).
"""

# License: BSD (3-clause)

from .szcore_tree import make_szcore_tree, write_szcore_events
from .tusz_tree import make_tusz_tree, write_csv_bi, write_tusz_csv, write_tusz_edf

__all__ = ["make_szcore_tree", "make_tusz_tree", "write_csv_bi", "write_szcore_events",
           "write_tusz_csv", "write_tusz_edf"]
