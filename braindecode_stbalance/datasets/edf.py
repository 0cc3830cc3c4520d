"""A minimal EDF/BDF header reader for fast corpus scans.

:func:`mne.io.read_raw_edf` with ``preload=False`` reads only the header but
builds a full :class:`mne.Info` (about 6.5 ms per 23-channel file here, i.e.
at most ~150 files/s per core); scanning a 7,361-file corpus needs only the
sampling frequency, the number of samples and the start date, which this
reader returns in well under a millisecond, following MNE's conventions
(tested against MNE).
"""

# License: BSD (3-clause)

from __future__ import annotations

import datetime
import math
import os
from typing import NamedTuple

from ._annotations import CorpusError

__all__ = ["EDFHeader", "read_edf_header"]

_TAL = ("EDF Annotations", "BDF Annotations")


class EDFHeader(NamedTuple):
    """What :func:`read_edf_header` returns.

    Attributes
    ----------
    sfreq : float
        Sampling frequency in Hz, as MNE computes it (highest number of
        samples per record of the signal channels / record duration).
    n_times : int
        Number of samples per channel at ``sfreq`` (``raw.n_times`` in MNE).
    meas_date : datetime.datetime | None
        Start of the recording (UTC), as MNE parses it.
    ch_names : list of str
        Signal channel labels (annotation channels excluded), stripped,
        not de-duplicated.
    n_records : int
        Number of data records (inferred from the file size, like MNE, when
        the header disagrees with it).
    record_duration : float
        Duration of one data record in seconds.
    """

    sfreq: float
    n_times: int
    meas_date: datetime.datetime | None
    ch_names: list
    n_records: int
    record_duration: float

    @property
    def duration(self):
        """Recording duration in seconds (``n_times / sfreq``)."""
        return self.n_times / self.sfreq


def _meas_date(recording, startdate, starttime):
    date = None
    parts = recording.rstrip().split(" ")
    if len(parts) == 5:  # EDF+ "Startdate dd-MMM-yyyy ..."
        try:
            date = datetime.datetime.strptime(parts[1], "%d-%b-%Y")
        except ValueError:
            date = None
    if date is None:
        try:
            day, month, year = (int(x) for x in startdate.split("."))
            year = year + 2000 if year < 85 else year + 1900
            date = datetime.datetime(year, month, day)
        except ValueError:
            return None
    try:
        hour, minute, second = (int(x) for x in starttime.split("."))
        return date.replace(hour=hour, minute=minute, second=second,
                            tzinfo=datetime.timezone.utc)
    except ValueError:  # an invalid start time (e.g. hour 25): unknown, as an invalid date
        return None


def read_edf_header(path):
    """Read sampling frequency, length and start date from an EDF/BDF header.

    Reads the fixed header (256 bytes + 256 per signal) and the file size
    only; no sample is read.

    Parameters
    ----------
    path : str | pathlib.Path
        An ``.edf`` (2-byte samples) or ``.bdf`` (3-byte samples) file.

    Returns
    -------
    EDFHeader
        ``(sfreq, n_times, meas_date, ch_names, n_records, record_duration)``.

    Raises
    ------
    CorpusError
        If the file is missing, truncated or its header is not valid EDF.
    """
    path = os.fspath(path)
    n_bytes_sample = 3 if path.lower().endswith(".bdf") else 2
    try:
        with open(path, "rb") as f:
            fixed = f.read(256)
            if len(fixed) < 256:
                raise CorpusError(path, "unreadable EDF (file shorter than the "
                                  "256-byte header).")
            text = fixed.decode("latin-1")
            header_nbytes = int(text[184:192])
            n_records = int(text[236:244])
            record_duration = float(text[244:252])
            nchan = int(text[252:256])
            if nchan <= 0 or header_nbytes != 256 * (nchan + 1):
                raise ValueError(f"header size {header_nbytes} does not match "
                                 f"{nchan} signals")
            signal_header = f.read(256 * nchan)
            if len(signal_header) < 256 * nchan:
                raise ValueError("truncated signal header")
            file_size = os.fstat(f.fileno()).st_size
    except CorpusError:
        raise
    except FileNotFoundError:
        raise CorpusError(path, "EDF file not found.") from None
    except IsADirectoryError:
        raise CorpusError(path, "EDF file expected, found a folder.") from None
    except PermissionError as exc:
        raise CorpusError(path, f"cannot read the EDF ({exc.strerror}): check its "
                          "permissions.") from None
    except OSError as exc:
        raise CorpusError(path, f"cannot read the EDF ({exc}).") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorpusError(path, f"unreadable EDF header ({exc}).") from exc
    sig = signal_header.decode("latin-1")
    labels = [sig[16 * i:16 * (i + 1)].strip() for i in range(nchan)]
    off = 216 * nchan  # 16 label + 80 transducer + 8 dim + 4*8 ranges + 80 prefilter
    try:
        n_samps = [int(sig[off + 8 * i:off + 8 * (i + 1)]) for i in range(nchan)]
    except ValueError as exc:
        raise CorpusError(path, f"unreadable EDF header (samples per record: {exc}).") from exc
    if record_duration == 0:  # as MNE: a 0 record duration means 1 s
        record_duration = 1.0
    if not (math.isfinite(record_duration) and record_duration > 0):
        raise CorpusError(path, f"unreadable EDF header (record duration {text[244:252]!r} is "
                          "not a positive number of seconds).")
    signal = [i for i, lab in enumerate(labels) if lab not in _TAL]
    if not signal:
        raise CorpusError(path, "EDF file has no signal channel.")
    if min(n_samps) < 0 or max(n_samps[i] for i in signal) <= 0:
        raise CorpusError(path, f"unreadable EDF header (samples per record {n_samps}: the "
                          "signals hold no sample).")
    max_samp = max(n_samps[i] for i in signal)
    total_samps = (file_size - header_nbytes) // n_bytes_sample
    read_records = total_samps // sum(n_samps)
    if n_records != read_records:
        n_records = read_records
    return EDFHeader(
        sfreq=float(max_samp / record_duration),
        n_times=int(n_records * max_samp),
        meas_date=_meas_date(text[88:168], text[168:176], text[176:184]),
        ch_names=[labels[i] for i in signal],
        n_records=int(n_records),
        record_duration=record_duration,
    )
