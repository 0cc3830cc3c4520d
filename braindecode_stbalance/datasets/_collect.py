"""Collect the per-recording results of a corpus reader: datasets, skips, warnings, labels."""

# License: BSD (3-clause)

from __future__ import annotations

import os
import warnings

import pandas as pd

from ..labels import LabelReport
from ._annotations import CorpusError

__all__ = ["as_corpus_error", "collect_loaded"]


def as_corpus_error(path, exc):
    """Any failure to read one recording, as a :class:`CorpusError` naming its file."""
    if isinstance(exc, CorpusError):
        return exc
    if isinstance(exc, PermissionError):
        return CorpusError(path, f"cannot read the file ({exc.strerror}): check its permissions.")
    if isinstance(exc, FileNotFoundError):
        return CorpusError(path, "file not found.")
    return CorpusError(path, f"unreadable recording ({type(exc).__name__}: {exc}).")


def collect_loaded(paths, results, corpus, root, stacklevel):
    """Gather per-recording load results of a corpus reader, warning as it goes.

    Parameters
    ----------
    paths : list
        The recordings' files.
    results : list of tuple
        Per path: ``(dataset or None, error or None, [(message, category)],
        LabelReport)``.
    corpus : str
        Names the corpus kind in messages (``"TUSZ"``, ``"SzCORE"``).
    root : str
        The corpus root.
    stacklevel : int
        For the warnings.

    Returns
    -------
    datasets : list
        The datasets read.
    skipped : pandas.DataFrame
        ``path`` and ``reason`` of each recording left out.

    Raises
    ------
    CorpusError
        When no recording could be read.
    """
    datasets, skipped, report = [], [], LabelReport()
    for path, (ds, err, msgs, rep) in zip(paths, results):
        for msg, cat in msgs:
            warnings.warn(msg, cat, stacklevel=stacklevel + 1)
        if ds is None:
            skipped.append({"path": os.fspath(path), "reason": str(err)})
            continue
        datasets.append(ds)
        report.update(rep)
    report.warn(where=f"{corpus} corpus {os.fspath(root)}", stacklevel=stacklevel + 1)
    if skipped:
        warnings.warn(
            f"{len(skipped)} of {len(paths)} {corpus} recording(s) skipped (on_error='skip'); "
            f"first: {skipped[0]['reason']} See the .skipped attribute for the full list.",
            UserWarning, stacklevel=stacklevel + 1)
    if not datasets:
        raise CorpusError(root, f"none of the {len(paths)} recordings could be read; first "
                          f"problem: {skipped[0]['reason']}")
    return datasets, pd.DataFrame(skipped, columns=["path", "reason"])
