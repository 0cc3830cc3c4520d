"""EDF header reads: the package's reader vs edfio's lazy read vs MNE, same files, same run.

Writes ``--n`` TUSZ-shaped EDF files (23 channels at 256 Hz, 300/600/1200 s, distinct
files, not links), then times, per file: :func:`braindecode_stbalance.datasets.read_edf_header`,
``edfio.read_edf(path, lazy_load_data=True)`` (+ the number of samples), and the baseline
``mne.io.read_raw_edf(path, preload=False)``. Checks that all three agree on the sampling
rate and the number of samples. Prints per-file times and ratios against MNE.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_edf_header.py --n 300
"""

# License: BSD (3-clause)

import argparse
import tempfile
import time
from pathlib import Path

import edfio
import mne

from braindecode_stbalance._testing import write_tusz_edf
from braindecode_stbalance.datasets import read_edf_header


def _edfio_header(path):
    edf = edfio.read_edf(path, lazy_load_data=True)
    signals = list(edf.signals)
    sfreq = max(s.sampling_frequency for s in signals)
    return sfreq, round(edf.duration * sfreq)


def _time(fn, paths, repeat):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for p in paths:
            fn(p)
        best = min(best, time.perf_counter() - t)
    return best / len(paths)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="EDF files (default 300)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N passes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = [write_tusz_edf(Path(tmp) / f"r{i:04d}.edf", (300, 600, 1200)[i % 3],
                                sfreq=256.0, seed=i) for i in range(args.n)]
        for p in paths[:20]:
            ours = read_edf_header(p)
            raw = mne.io.read_raw_edf(p, preload=False, verbose="error")
            assert (ours.sfreq, ours.n_times) == (raw.info["sfreq"], raw.n_times)
            assert _edfio_header(p) == (ours.sfreq, ours.n_times)
        t_mne = _time(lambda p: mne.io.read_raw_edf(p, preload=False, verbose="error"), paths,
                      args.repeat)
        t_edfio = _time(_edfio_header, paths, args.repeat)
        t_ours = _time(read_edf_header, paths, args.repeat)
    print(f"{args.n} EDF files, 23 channels, best of {args.repeat} passes, per file:")
    print(f"  mne.io.read_raw_edf(preload=False) (baseline): {1e3 * t_mne:8.3f} ms")
    print(f"  edfio.read_edf(lazy_load_data=True)          : {1e3 * t_edfio:8.3f} ms "
          f"({t_mne / t_edfio:5.1f}x MNE)")
    print(f"  read_edf_header (this package)               : {1e3 * t_ours:8.3f} ms "
          f"({t_mne / t_ours:5.1f}x MNE, {t_edfio / t_ours:5.1f}x edfio)")


if __name__ == "__main__":
    main()
