"""Corpus reader throughput on a generated TUSZ-shaped tree.

Times, per recording: MNE's EDF header read (``mne.io.read_raw_edf``,
``preload=False``, the baseline) vs :func:`read_edf_header`; the annotation
parsers; the listing; and the whole header+annotation pass a scanner needs.

Usage::

    PYTHONPATH=. python benchmarks/bench_readers.py [--n 1000] [--sfreq 256]
"""

# License: BSD (3-clause)

import argparse
import tempfile
import time
import warnings

import mne

from braindecode_stbalance._testing import make_tusz_tree
from braindecode_stbalance.datasets import (
    TUSZ,
    find_tusz_recordings,
    read_csv_bi,
    read_edf_header,
    read_tusz_csv,
)


def _per_file(fn, items):
    t0 = time.perf_counter()
    for x in items:
        fn(x)
    return (time.perf_counter() - t0) / len(items)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="recordings in the tree")
    ap.add_argument("--sfreq", type=float, default=256.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as root:
        t0 = time.perf_counter()
        make_tusz_tree(root, args.n, durations=(300, 600, 1200), sfreq=args.sfreq,
                       link=True, seed=0)
        print(f"generated {args.n} recordings in {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        df = find_tusz_recordings(root)
        t_list = (time.perf_counter() - t0) / len(df)
        paths, bis, csvs = df["path"].tolist(), df["csv_bi"].tolist(), df["csv"].tolist()
        _per_file(read_edf_header, paths[:50])  # warm the page cache
        t_mne = _per_file(lambda p: mne.io.read_raw_edf(p, preload=False, verbose="error"),
                          paths)
        t_hdr = _per_file(read_edf_header, paths)
        t_bi = _per_file(read_csv_bi, bis)
        t_csv = _per_file(read_tusz_csv, csvs)

        def scan_one(i):
            h = read_edf_header(paths[i])
            read_csv_bi(bis[i], duration=h.duration)

        t_scan = _per_file(scan_one, range(len(paths)))
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            TUSZ(root)
        t_tusz = (time.perf_counter() - t0) / len(paths)
    print(f"{len(paths)} recordings, 21-23 channels, sfreq {args.sfreq:g} Hz (1 process)")
    rows = [
        ("listing (find_tusz_recordings)", t_list),
        ("mne.io.read_raw_edf(preload=False) [baseline]", t_mne),
        ("read_edf_header", t_hdr),
        ("read_csv_bi", t_bi),
        ("read_tusz_csv (union over channels)", t_csv),
        ("read_edf_header + read_csv_bi (scan pass)", t_scan),
        ("TUSZ(root) (MNE raw per recording)", t_tusz),
    ]
    for name, t in rows:
        print(f"  {name:<48s} {t * 1e3:8.3f} ms/rec  {1 / t:10.0f} rec/s")
    print(f"read_edf_header speed-up over MNE header read: {t_mne / t_hdr:.1f}x")


if __name__ == "__main__":
    main()
