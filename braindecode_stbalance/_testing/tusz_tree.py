"""Generate small TUSZ-shaped corpora (real EDF + ``.csv_bi`` + ``.csv`` files).

Used by the tests, the examples and ``benchmarks/bench_scan.py``. Speed comes
from writing one EDF template per (montage, duration) and copying (or
hard-linking) it; only the annotation text files differ per recording.
"""

# License: BSD (3-clause)

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["TUSZ_MONTAGES", "make_tusz_tree", "tusz_channel_names", "write_csv_bi",
           "write_tusz_csv", "write_tusz_edf"]

#: TUSZ v2 montage folders and the reference suffix of their EDF channel names.
TUSZ_MONTAGES = {
    "01_tcp_ar": "REF",
    "02_tcp_le": "LE",
    "03_tcp_ar_a": "REF",
    "04_tcp_le_a": "LE",
}

# The 10-20 electrodes as TUSZ spells them (upper case), plus the ear
# electrodes (absent from the ``*_a`` montages) and two non-EEG channels.
_ELECTRODES = ["FP1", "FP2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2",
               "F7", "F8", "T3", "T4", "T5", "T6", "FZ", "CZ", "PZ"]
_EARS = ["A1", "A2"]

#: The 22 bipolar channels of the TCP montage used in TUSZ ``.csv`` files.
TCP_CHANNELS = ["FP1-F7", "F7-T3", "T3-T5", "T5-O1", "FP2-F8", "F8-T4", "T4-T6",
                "T6-O2", "A1-T3", "T3-C3", "C3-CZ", "CZ-C4", "C4-T4", "T4-A2",
                "FP1-F3", "F3-C3", "C3-P3", "P3-O1", "FP2-F4", "F4-C4", "C4-P4",
                "P4-O2"]

_SEIZURE_TYPES = ["fnsz", "gnsz", "cpsz", "absz", "tcsz", "tnsz"]


def tusz_channel_names(montage="01_tcp_ar", electrodes=None):
    """EDF channel labels of a TUSZ montage (``EEG FP1-REF``, ``EEG FP1-LE``...).

    Parameters
    ----------
    montage : str
        One of :data:`TUSZ_MONTAGES`.
    electrodes : list of str | None
        Electrode names (TUSZ spelling, e.g. ``"FP1"``); default: the 19 10-20
        electrodes, plus ``A1``/``A2`` for montages without the ``_a`` suffix,
        plus ``EKG1`` and ``ROC`` channels.

    Returns
    -------
    list of str
        Channel labels as found in TUSZ EDF headers.
    """
    if montage not in TUSZ_MONTAGES:
        raise ValueError(f"Unknown TUSZ montage {montage!r}; expected one of "
                         f"{sorted(TUSZ_MONTAGES)}.")
    ref = TUSZ_MONTAGES[montage]
    if electrodes is None:
        electrodes = list(_ELECTRODES)
        if not montage.endswith("_a"):
            electrodes += _EARS
        electrodes += ["EKG1", "ROC"]
    return [f"EEG {e}-{ref}" for e in electrodes]


def write_tusz_edf(path, duration, sfreq=64.0, montage="01_tcp_ar", ch_names=None,
                   start=datetime.datetime(2003, 1, 1, 10, 0, 0), seed=0):
    """Write one EDF file with TUSZ channel labels (plain EDF, like TUSZ).

    Parameters
    ----------
    path : str | pathlib.Path
        Output file.
    duration : int
        Length in seconds (whole seconds: one data record per second).
    sfreq : float
        Sampling frequency in Hz (``sfreq`` samples per record).
    montage : str
        TUSZ montage giving the reference suffix of the default channels.
    ch_names : list of str | None
        Channel labels; default :func:`tusz_channel_names` of ``montage``.
    start : datetime.datetime
        Start date and time written in the header.
    seed : int
        Seed of the noise signal.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    import edfio

    if ch_names is None:
        ch_names = tusz_channel_names(montage)
    if int(duration) != duration or duration <= 0:
        raise ValueError(f"duration must be a positive whole number of seconds, got {duration}.")
    rng = np.random.default_rng(seed)
    n = int(np.rint(duration * sfreq))
    signals = [
        edfio.EdfSignal(rng.standard_normal(n) * 20.0, sfreq, label=name,
                        physical_dimension="uV", physical_range=(-500.0, 500.0))
        for name in ch_names
    ]
    edf = edfio.Edf(signals, starttime=start.time(), data_record_duration=1.0,
                    recording=edfio.Recording(startdate=start.date()))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    edf.write(path)
    return path


def _fmt_header(bname, duration):
    return ("# version = csv_v1.0.0\n"
            f"# bname = {bname}\n"
            f"# duration = {duration:.2f} secs\n"
            "# montage_file = $NEDC_NFC/lib/nedc_eas_default_montage.txt\n"
            "#\n"
            "channel,start_time,stop_time,label,confidence\n")


def _with_background(events, duration):
    """Fill the gaps between sorted ``(start, stop, label)`` with ``bckg``."""
    rows, t = [], 0.0
    for start, stop, label in sorted(events):
        if start > t:
            rows.append((t, start, "bckg"))
        rows.append((start, stop, label))
        t = max(t, stop)
    if t < duration:
        rows.append((t, duration, "bckg"))
    return rows


def write_csv_bi(path, duration, seizures, label="seiz"):
    """Write a TUSZ ``.csv_bi`` file (term-based, background rows included).

    Parameters
    ----------
    path : str | pathlib.Path
        Output file.
    duration : float
        Recording duration written in the header (seconds).
    seizures : list of (float, float)
        ``(start, stop)`` of each seizure in seconds.
    label : str
        Label of the seizure rows.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    rows = _with_background([(a, b, label) for a, b in seizures], duration)
    lines = [_fmt_header(path.stem, duration)]
    lines += [f"TERM,{a:.4f},{b:.4f},{lab},1.0000\n" for a, b, lab in rows]
    path.write_text("".join(lines))
    return path


def write_tusz_csv(path, duration, channel_events):
    """Write a TUSZ per-channel ``.csv`` file.

    Parameters
    ----------
    path : str | pathlib.Path
        Output file.
    duration : float
        Recording duration written in the header (seconds).
    channel_events : dict of str -> list of (float, float, str)
        Per bipolar channel, the ``(start, stop, label)`` seizure events;
        channels listed with no events get one background row.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    lines = [_fmt_header(path.stem, duration)]
    for ch, events in channel_events.items():
        for a, b, lab in _with_background(events, duration):
            lines.append(f"{ch},{a:.4f},{b:.4f},{lab},1.0000\n")
    path.write_text("".join(lines))
    return path


def make_tusz_tree(root, n_recordings=12, durations=(120, 300, 600), sfreq=64.0,
                   montages=("01_tcp_ar", "02_tcp_le", "03_tcp_ar_a"),
                   splits=("train", "dev", "eval"), seizure_fraction=0.5,
                   max_seizures=3, seizure_duration=(10.0, 90.0),
                   recordings_per_session=3, sessions_per_patient=2,
                   link=False, seed=0):
    """Write a TUSZ-shaped corpus: EDF + ``.csv_bi`` + ``.csv`` per recording.

    The layout is TUSZ v2's
    ``edf/<split>/<patient>/<session>_<date>/<montage>/<patient>_<session>_<tNNN>.edf``.
    Each seizure of a ``.csv_bi`` file appears in the ``.csv`` file on a random
    subset of channels with jittered bounds whose union is exactly the
    ``.csv_bi`` interval, labelled with a random seizure type.

    Parameters
    ----------
    root : str | pathlib.Path
        Corpus root (receives the ``edf/`` folder).
    n_recordings : int
        Number of recordings.
    durations : sequence of int
        Recording durations (whole seconds) drawn at random.
    sfreq : float
        Sampling frequency in Hz.
    montages : sequence of str
        Montages drawn per session (see :data:`TUSZ_MONTAGES`).
    splits : sequence of str
        Splits; patients are distributed round-robin.
    seizure_fraction : float
        Probability that a recording contains seizures.
    max_seizures : int
        Maximum number of seizures of a seizure recording.
    seizure_duration : (float, float)
        Range of seizure durations in seconds.
    recordings_per_session, sessions_per_patient : int
        Tree shape.
    link : bool
        Hard-link the EDF files to their template instead of copying them
        (much faster and smaller for benchmark trees with thousands of files;
        all linked files then share size and mtime).
    seed : int
        Seed of the whole tree.

    Returns
    -------
    pandas.DataFrame
        One row per recording, sorted by path (the order of
        :func:`find_tusz_recordings`): ``path``, ``split``,
        ``patient``, ``session``, ``date``, ``montage``, ``token``,
        ``duration``, ``seizures`` (list of ``(start, stop, type)``: the
        truth, ``type`` being the seizure type of the ``.csv`` file; the
        ``.csv_bi`` file labels them all ``seiz``).
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    templates = {}
    tmpl_dir = root / ".templates"
    rows = []
    per_patient = recordings_per_session * sessions_per_patient
    for i in range(n_recordings):
        i_patient, rest = divmod(i, per_patient)
        i_session, i_token = divmod(rest, recordings_per_session)
        split = splits[i_patient % len(splits)]
        patient = f"aaaa{i_patient:04d}"
        session = f"s{i_session + 1:03d}"
        date = f"20{(i_patient % 20):02d}_01_{(i_session % 28) + 1:02d}"
        montage = montages[(i_patient * sessions_per_patient + i_session) % len(montages)]
        token = f"t{i_token:03d}"
        duration = int(rng.choice(durations))
        folder = root / "edf" / split / patient / f"{session}_{date}" / montage
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{patient}_{session}_{token}"
        edf_path = folder / f"{stem}.edf"
        key = (montage, duration)
        if key not in templates:
            templates[key] = write_tusz_edf(tmpl_dir / f"{montage}_{duration}.edf",
                                            duration, sfreq, montage, seed=len(templates))
        if edf_path.exists():
            edf_path.unlink()
        if link:
            os.link(templates[key], edf_path)
        else:
            shutil.copyfile(templates[key], edf_path)

        seizures = []
        if rng.random() < seizure_fraction:
            n_sz = int(rng.integers(1, max_seizures + 1))
            slots = np.sort(rng.uniform(0, duration, size=2 * n_sz))  # disjoint
            for a, b in zip(slots[::2], slots[1::2]):
                dur = min(float(rng.uniform(*seizure_duration)), b - a)
                if dur < 1.0:
                    continue
                start = round(float(a), 4)
                dur = float(dur)
                seizures.append((start, round(start + dur, 4),
                                 str(rng.choice(_SEIZURE_TYPES))))
        write_csv_bi(folder / f"{stem}.csv_bi", duration, [(a, b) for a, b, _ in seizures])
        channel_events = {ch: [] for ch in TCP_CHANNELS}
        for a, b, typ in seizures:
            chans = rng.choice(len(TCP_CHANNELS), size=int(rng.integers(2, 8)), replace=False)
            for j, c in enumerate(chans):
                lo = a if j == 0 else round(a + float(rng.uniform(0, (b - a) / 3)), 4)
                hi = b if j == 1 else round(b - float(rng.uniform(0, (b - a) / 3)), 4)
                channel_events[TCP_CHANNELS[c]].append((lo, hi, typ))
        write_tusz_csv(folder / f"{stem}.csv", duration, channel_events)
        rows.append({"path": os.fspath(edf_path), "split": split, "patient": patient,
                         "session": session, "date": date, "montage": montage, "token": token,
                         "duration": float(duration), "seizures": seizures})
    shutil.rmtree(tmpl_dir, ignore_errors=True)  # hard links survive this
    return pd.DataFrame(rows).sort_values("path", ignore_index=True)
