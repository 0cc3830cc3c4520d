"""Benchmark: ``stbalance scan`` on a generated TUSZ-shaped tree of real EDF + csv_bi files.

Writes a TUSZ v2-shaped tree (``edf/<split>/<patient>/<session>_<date>/<montage>/``;
23-channel EDF files at 256 Hz, hard-linked to a few templates so that the
tree is quick to make; every recording has its own ``.csv_bi`` and ``.csv``),
then measures, in the same run:

- ``scan_corpus`` with 1 and 2 worker processes (recordings/s; EDF headers
  and annotation files only);
- the whole command in a fresh subprocess (``python -m braindecode_stbalance.cli
  scan ...``: interpreter start and package import included);
- the baseline: the same categorisation through the braindecode path (TUSZ
  reader with MNE's EDF reader, ``create_fixed_length_windows``,
  ``annotate_seizure_ratio``, ``SeizureManifest.from_dataset``) on the same
  tree, and checks that both give the same manifest.

Usage: python benchmarks/bench_scan.py [--recordings 3000] [--tree DIR]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import pandas as pd
from braindecode.preprocessing import create_fixed_length_windows

from braindecode_stbalance import annotate_seizure_ratio
from braindecode_stbalance._testing import make_tusz_tree
from braindecode_stbalance.datasets import TUSZ
from braindecode_stbalance.manifest import SeizureManifest
from braindecode_stbalance.scan import scan_corpus

WINDOW, STRIDE, SFREQ = 60.0, 15.0, 256.0


def baseline(root):
    """Reader + braindecode windowing + annotation + manifest on the whole tree."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        ds = TUSZ(root)
        w = create_fixed_length_windows(ds, window_size_samples=int(WINDOW * SFREQ),
                                        window_stride_samples=int(STRIDE * SFREQ),
                                        on_last_window="overlap")
        annotate_seizure_ratio(w, progress=False)
        m = SeizureManifest.from_dataset(w, progress=False)
        return time.perf_counter() - t, m


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=3000)
    parser.add_argument("--tree", default=None, help="reuse/keep the tree in this folder")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    root = args.tree or tmp.name
    if not os.path.isdir(os.path.join(root, "edf")):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make_tusz_tree(root, n_recordings=args.recordings, durations=(300, 600, 1200, 1800),
                           sfreq=SFREQ, link=True, seed=0)
        print(f"tree: {args.recordings} recordings written in {time.perf_counter() - t:.1f} s")
    n = args.recordings

    rates = {}
    for jobs in (1, 2):
        t = time.perf_counter()
        m = scan_corpus(root, window=WINDOW, stride=STRIDE, n_jobs=jobs, progress=False)
        dt = time.perf_counter() - t
        rates[jobs] = n / dt
        print(f"scan_corpus --jobs {jobs}: {dt:.2f} s, {rates[jobs]:,.0f} recordings/s, "
              f"{len(m.windows):,} windows")

    out = os.path.join(tmp.name, "cli.parquet")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for jobs in (1, 2):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "braindecode_stbalance.cli", "scan", root,
                        "--format", "tusz", "--window", str(WINDOW), "--stride", str(STRIDE),
                        "--out", out, "--quiet", "--jobs", str(jobs)], check=True, env=env)
        dt = time.perf_counter() - t
        print(f"stbalance scan --jobs {jobs} (subprocess, import included): {dt:.2f} s, "
              f"{n / dt:,.0f} recordings/s")
    assert SeizureManifest.load(out).windows.equals(m.windows)

    dt_b, m_b = baseline(root)
    rate_b = n / dt_b
    pd.testing.assert_frame_equal(m_b.windows, m.windows)
    pd.testing.assert_frame_equal(m_b.recordings, m.recordings)
    print(f"baseline (TUSZ reader + create_fixed_length_windows + annotate_seizure_ratio + "
          f"from_dataset), same tree: {dt_b:.2f} s, {rate_b:,.0f} recordings/s; same manifest")
    print(f"speed-up of scan vs baseline: {rates[1] / rate_b:.1f}x (1 job), "
          f"{rates[2] / rate_b:.1f}x (2 jobs)")
    best = max(rates.values())
    print(f"full TUSZ (7,361 files) at the best rate: {7361 / best:.1f} s of scanning")
    tmp.cleanup()


if __name__ == "__main__":
    main()
