"""Listing the recordings of TUSZ and SzCORE/BIDS trees (no file is opened).

Trees are walked following symbolic links (a patient folder linked in from
elsewhere is listed, as braindecode's own TUH reader does), each real folder
once, so a link loop cannot make the walk endless. When a tree yields no
recording the error says what was found instead.
"""

# License: BSD (3-clause)

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from ._szcore_files import _DATA_SUFFIX_RE, szcore_events_path

__all__ = ["find_szcore_recordings", "find_tusz_recordings", "walk_files"]

_FILE_RE = re.compile(r"^(?P<patient>[^_]+)_(?P<session>s\d+)_(?P<token>t\d+)$", re.IGNORECASE)
_SESSION_RE = re.compile(r"^(?P<session>s\d+)_(?P<date>\d{4}_\d{2}_\d{2})$", re.IGNORECASE)
_SPLITS = ("train", "dev", "eval")


def walk_files(root, skip_folder=None):
    """Every file below ``root``, following links, each real folder once, sorted.

    Parameters
    ----------
    root : str | pathlib.Path
        The folder.
    skip_folder : callable | None
        ``skip_folder(name) -> bool`` prunes sub-folders by name.

    Returns
    -------
    files : list of str
        Paths (through the links, as the user sees them), sorted.
    seen : collections.Counter
        File extensions seen (lower case), for "found nothing" messages.
    """
    files, seen, visited = [], Counter(), set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in visited:  # a link back up the tree (or to a folder listed already)
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if skip_folder is None or not skip_folder(d))
        for name in filenames:
            files.append(os.path.join(dirpath, name))
            seen[os.path.splitext(name)[1].lower() or "(no extension)"] += 1
    files.sort()
    return files, seen


def _nothing_found(base, what, seen, extra=""):
    found = ", ".join(f"{n} {ext}" for ext, n in seen.most_common(5)) or "no file at all"
    return FileNotFoundError(f"No {what} under {os.fspath(base)!r}{extra} (found {found}).")


def _describe_path(path):
    p = Path(path)
    folders = list(p.parts[:-1])
    d = {"path": os.fspath(p), "split": None, "patient": None, "subject": None,
         "session": None, "date": None, "montage": None, "token": None}
    # <split>/<patient>/<session>_<date>/<montage>/<file>: the split is 4 levels up
    split = next((f for f in reversed(folders[-4:]) if f.lower() in _SPLITS), None)
    d["split"] = split.lower() if split is not None else None
    m = _FILE_RE.match(p.stem)
    if m is not None:
        d.update(patient=m["patient"], session=m["session"], token=m["token"])
    if len(folders) >= 1:
        d["montage"] = folders[-1]
    if len(folders) >= 2:
        ms = _SESSION_RE.match(folders[-2])
        if ms is not None:
            d["date"] = ms["date"]
            d["session"] = d["session"] or ms["session"]
    if d["patient"] is None and len(folders) >= 3:
        d["patient"] = folders[-3]
    d["subject"] = d["patient"]
    return d


def find_tusz_recordings(root, split=None):
    """List the recordings of a TUSZ tree without opening any file.

    Parameters
    ----------
    root : str | pathlib.Path
        Corpus root (the folder holding ``edf/``) or the ``edf`` folder itself
        or any folder below it. Symbolic links are followed.
    split : None | str | list of str
        Keep only these splits (``"train"``, ``"dev"``, ``"eval"``); None keeps
        all.

    Returns
    -------
    pandas.DataFrame
        One row per ``.edf`` file, sorted by path, with columns ``path``,
        ``split``, ``patient``, ``subject`` (same as ``patient``), ``session``,
        ``date``, ``montage``, ``token`` (``tNNN``), ``csv_bi`` and ``csv``
        (paths of the annotation files beside the EDF; existence not checked).

    Raises
    ------
    FileNotFoundError
        If ``root`` is not a folder or holds no ``.edf`` file for ``split``
        (the message says what it holds instead).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"TUSZ root {os.fspath(root)!r} is not a folder.")
    base = root / "edf" if (root / "edf").is_dir() else root
    if split is None:
        wanted = None
    else:
        wanted = [split] if isinstance(split, str) else list(split)
        bad = [s for s in wanted if s not in _SPLITS]
        if bad:
            raise ValueError(f"split must be None or among {_SPLITS}, got {bad}.")
        wanted = set(wanted)
    files, seen = walk_files(base)
    paths = [p for p in files if p.lower().endswith(".edf")]
    columns = ["path", "split", "patient", "subject", "session", "date", "montage", "token"]
    df = pd.DataFrame([_describe_path(p) for p in paths], columns=columns)
    if not len(df):
        raise _nothing_found(base, ".edf files", seen)
    if wanted is not None:
        splits = Counter(s for s in df["split"] if isinstance(s, str))
        df = df[df["split"].isin(wanted)].reset_index(drop=True)
        if df.empty:
            have = ", ".join(f"{n} in {s}" for s, n in sorted(splits.items())) or (
                "none inside a train/dev/eval folder")
            raise FileNotFoundError(f"No .edf files for split {sorted(wanted)} under "
                                    f"{os.fspath(base)!r}: of its {len(paths)} .edf files, "
                                    f"{have}.")
    stems = df["path"].str.slice(0, -4)
    df["csv_bi"] = stems + ".csv_bi"
    df["csv"] = stems + ".csv"
    return df


def find_szcore_recordings(root, extensions=(".edf",)):
    """List the recordings of a SzCORE BIDS tree without opening any file.

    Parameters
    ----------
    root : str | pathlib.Path
        BIDS root. Symbolic links are followed; ``derivatives``,
        ``sourcedata`` and hidden folders are skipped.
    extensions : tuple of str
        Data file extensions (case-insensitive).

    Returns
    -------
    pandas.DataFrame
        One row per ``sub-*/[ses-*/]<datatype>/*_<datatype>.<ext>`` file,
        sorted by path: ``path``, ``subject``, ``session``, ``task``,
        ``run`` (None when absent), ``datatype`` and ``events`` (the
        ``*_events.tsv`` path; existence not checked).

    Raises
    ------
    FileNotFoundError
        If ``root`` holds no such file (the message says what it holds).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"BIDS root {os.fspath(root)!r} is not a folder.")
    exts = tuple(e.lower() for e in extensions)
    files, seen = walk_files(root, skip_folder=lambda d: d.startswith(
        (".", "derivatives", "sourcedata")))
    rows = []
    for path in files:
        name = os.path.basename(path)
        if not name.lower().endswith(exts) or not name.startswith("sub-"):
            continue
        m = _DATA_SUFFIX_RE.match(name[: name.rfind(".")])
        if m is None:
            continue
        entities = dict(kv.split("-", 1) for kv in m["stem"].split("_") if "-" in kv)
        rows.append({"path": path, "subject": entities.get("sub"),
                     "session": entities.get("ses"), "task": entities.get("task"),
                     "run": entities.get("run"), "datatype": m["datatype"],
                     "events": os.fspath(szcore_events_path(path))})
    if not rows:
        raise _nothing_found(root, f"BIDS data files sub-*_<eeg|ieeg|meg>{'|'.join(exts)}", seen)
    return pd.DataFrame(rows).sort_values("path", ignore_index=True)
