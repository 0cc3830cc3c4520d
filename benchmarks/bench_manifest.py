"""Benchmark: saving and loading a TUSZ-sized manifest (3.3 million windows).

Builds a manifest of 7,361 recordings (TUSZ v2.0.x file count) with about 3.3
million windows (e.g. 60 s windows at a 1.6 s stride over ~1,476 h), seizure
ratios drawn so that ~6 % of the windows touch a seizure, then times
``SeizureManifest.save`` and ``SeizureManifest.load`` (best and first of
``--repeat`` loads), and, as a baseline in the same run, the same window table
written/read as CSV with pandas (categories as text).

Usage: python benchmarks/bench_manifest.py [--windows 3300000] [--repeat 5]
"""

import argparse
import os
import tempfile
import time

import numpy as np
import pandas as pd

from braindecode_stbalance.categories import categorize, category_array
from braindecode_stbalance.manifest import RECORDING_COLUMNS, SeizureManifest


def make_manifest(n_windows, n_rec=7361, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.lognormal(0, 0.8, n_rec)
    n_per = np.maximum(np.round(w / w.sum() * n_windows).astype(np.int64), 1)
    n_per[-1] += n_windows - n_per.sum()
    size, stride = 15360, 410  # 60 s at 256 Hz, 1.6 s stride
    rec = np.repeat(np.arange(n_rec), n_per)
    ends = np.cumsum(n_per)
    i_window = np.arange(n_windows) - np.repeat(ends - n_per, n_per)
    starts = i_window * stride
    ratio = np.zeros(n_windows)
    touched = rng.random(n_windows) < 0.06
    ratio[touched] = np.where(rng.random(touched.sum()) < 0.5, 1.0, rng.random(touched.sum()))
    windows = pd.DataFrame({"recording": rec.astype(np.int64), "i_window": i_window,
                            "i_start_in_trial": starts, "i_stop_in_trial": starts + size,
                            "seizure_ratio": ratio})
    windows["seizure_category"] = category_array(categorize(ratio))
    n_times = (n_per - 1) * stride + size
    recordings = pd.DataFrame({
        "path": [f"/data/tusz/edf/train/aaaa{i:04d}/s001_2003/01_tcp_ar/aaaa{i:04d}_s001_t000.edf"
                 for i in range(n_rec)],
        "file_size": n_times * 2 * 23, "file_mtime_ns": np.full(n_rec, 1_700_000_000 * 10**9),
        "n_times": n_times, "sfreq": 256.0, "first_samp": 0, "duration": n_times / 256.0,
        "window_size_samples": size, "window_stride_samples": stride, "n_windows": n_per,
        "no_seizure": 0, "partial_seizure": 0, "full_seizure": 0,
        "n_seizure_events": 0, "seizure_seconds": 0.0, "annotation_hash": "0" * 16,
    })[list(RECORDING_COLUMNS)]
    settings = {"labels": None, "full_threshold": 1.0, "window_size": 60.0,
                "window_stride": stride / 256, "window_size_samples": size,
                "window_stride_samples": stride, "sfreq": 256.0, "on_last_window": "overlap"}
    return SeizureManifest(windows, recordings, settings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=3_300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    m = make_manifest(args.windows)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.parquet")
        t = time.perf_counter()
        m.save(path)
        t_save = time.perf_counter() - t
        loads = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            loaded = SeizureManifest.load(path)
            loads.append(time.perf_counter() - t)
        pd.testing.assert_frame_equal(loaded.windows, m.windows)
        csv = os.path.join(tmp, "m.csv")
        t = time.perf_counter()
        m.windows.to_csv(csv, index=False)
        t_csv_save = time.perf_counter() - t
        t = time.perf_counter()
        back = pd.read_csv(csv)
        back["seizure_category"] = back["seizure_category"].astype(m.windows["seizure_category"].dtype)
        t_csv_load = time.perf_counter() - t
        size_mb = os.path.getsize(path) / 1e6
        csv_mb = os.path.getsize(csv) / 1e6
    print(f"manifest: {len(m.recordings):,} recordings, {len(m.windows):,} windows")
    print(f"save (Parquet, atomic): {t_save:.2f} s, file {size_mb:.1f} MB")
    print(f"load: first {loads[0]:.3f} s, best of {args.repeat} {min(loads):.3f} s")
    print(f"baseline CSV (pandas): save {t_csv_save:.2f} s, load {t_csv_load:.2f} s, file "
          f"{csv_mb:.1f} MB")
    print(f"load speed-up vs CSV: {t_csv_load / min(loads):.1f}x")


if __name__ == "__main__":
    main()
