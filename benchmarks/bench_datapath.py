"""The data path: windows/s from lazy EDF through braindecode vs from the window cache.

One generated corpus of real EDF files (19 channels, 256 Hz, generated EEG in volts with
seizures and large artifacts, see ``braindecode_stbalance.evaluation.simulate_eeg``),
windowed 60 s / 15 s with braindecode's ``create_fixed_length_windows`` and annotated;
everything below is measured in the same run:

1. precision: float16 (the cache's format) and int16 with a per-channel scale against
   float32, on the generated EEG;
2. build: reading every EDF once (MNE, all samples) vs ``build_cache`` (1 and 2 jobs);
   cache size vs EDF size;
3. correctness: every cached window against braindecode's window (float16 bound),
   targets and metadata identical;
4. throughput: one balanced epoch (``BalancedSeizureSampler``) through a
   ``BalancedDataLoader`` (batch 64) with 0, 1 and 2 worker processes, lazy EDF vs cache,
   and through the cache's ``CachedLoader`` (reading threads in the main process, no
   worker); a warm-up epoch, then timed epochs; both read files in the page cache.

The last line is ``cache / lazy EDF: <ratio>x``: windows/s per worker, one reader each,
same run: the cache read by one ``CachedLoader`` thread against lazy EDF read by one
DataLoader worker process (each side's recommended way to read). Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_datapath.py --quick   # < 5 min on 2 cores
    PYTHONPATH=$PWD python benchmarks/bench_datapath.py           # larger corpus
"""

# License: BSD (3-clause)

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import torch
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.preprocessing import create_fixed_length_windows

from braindecode_stbalance import (
    BalancedDataLoader,
    BalancedSeizureSampler,
    annotate_seizure_ratio,
)
from braindecode_stbalance.cache import CachedLoader, build_cache, to_device
from braindecode_stbalance.datasets import SZCORE19
from braindecode_stbalance.evaluation import simulate_eeg, simulate_recording_events

SFREQ = 256.0
WINDOW, STRIDE = 60.0, 15.0
BATCH = 64


def generate(root, n_recordings, minutes, seed=0):
    """Write the corpus as EDF; return the paths and the generated float64 signals' errors."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths, errors = [], []
    duration = minutes * 60.0
    for i in range(n_recordings):
        events = simulate_recording_events(duration, rng, seizure_rate=6.0,
                                           seizure_duration=(20.0, 120.0))
        sz = events[events["kind"] == "seizure"]
        x = simulate_eeg(len(SZCORE19), int(duration * SFREQ), SFREQ,
                         sz[["onset", "duration"]].to_numpy(), rng,
                         distractors=events[events["kind"] != "seizure"])
        errors.append(precision(x))
        raw = mne.io.RawArray(x, mne.create_info(list(SZCORE19), SFREQ, "eeg"), verbose="error")
        raw.set_meas_date(pd.Timestamp("2020-01-01", tz="UTC").to_pydatetime())
        raw.set_annotations(mne.Annotations(sz["onset"], sz["duration"], ["seiz"] * len(sz),
                                            orig_time=raw.info["meas_date"]))
        path = root / f"rec_{i:03d}.edf"
        mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose="error")
        paths.append(path)
    return paths, errors


def precision(x):
    """float16 (cache: x * 2**20) and int16 per-channel errors against float32, in volts."""
    ref = x.astype(np.float32).astype(np.float64)
    f16 = (x * 2.0 ** 20).astype(np.float16).astype(np.float64) / 2.0 ** 20
    scale = np.abs(x).max(axis=1, keepdims=True) / 32767.0
    i16 = np.round(x / scale).astype(np.int16).astype(np.float64) * scale
    small = np.abs(ref) < 5e-6  # samples below 5 uV
    above = np.abs(ref) >= 1e-6  # relative errors of samples of 1 uV or more
    out = {"peak": np.abs(x).max(), "rms": np.sqrt(np.mean(x ** 2))}
    for name, y in (("float16", f16), ("int16", i16)):
        err = np.abs(y - ref)
        out[name] = {"max_abs": err.max(), "rms": np.sqrt(np.mean(err ** 2)),
                     "max_abs_small": err[small].max(),
                     "max_rel": (err[above] / np.abs(ref[above])).max()}
    return out


def lazy_windows(paths):
    """Lazy EDF (preload=False) through braindecode's windows, annotated (binary targets)."""
    datasets = [RawDataset(mne.io.read_raw_edf(p, preload=False, verbose="error"),
                           description={"path": os.fspath(p), "subject": i})
                for i, p in enumerate(paths)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = create_fixed_length_windows(
            BaseConcatDataset(datasets), window_size_samples=int(WINDOW * SFREQ),
            window_stride_samples=int(STRIDE * SFREQ), on_last_window="overlap")
    return annotate_seizure_ratio(windows, target="binary")


def folder_bytes(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def throughput(loader, min_windows, convert=None):
    """Windows/s through ``loader``: whole epochs after a warm-up one, at least ``min_windows``."""
    for _ in loader:  # warm-up: workers start, files enter the page cache
        pass
    n, t0 = 0, time.perf_counter()
    while n < min_windows:
        for batch in loader:
            if convert is not None:
                batch = convert(batch)
            n += len(batch[1])
    return n / (time.perf_counter() - t0)


def worker_loader(dataset, workers):
    """BalancedDataLoader, batch 64, a balanced epoch, ``workers`` worker processes."""
    sampler = BalancedSeizureSampler(dataset, random_state=0)
    return BalancedDataLoader(dataset, sampler=sampler, batch_size=BATCH, num_workers=workers,
                              persistent_workers=workers > 0)


def thread_loader(dataset, threads):
    """CachedLoader, batch 64, a balanced epoch, ``threads`` reading threads, no worker."""
    sampler = BalancedSeizureSampler(dataset, random_state=0)
    return CachedLoader(dataset, sampler=sampler, batch_size=BATCH, threads=threads)


def check_equal(source, cached):
    """Every cached window against braindecode's; return the largest error / bound."""
    worst, max_err = 0.0, 0.0
    for i in range(len(source)):
        x, y, crop = source[i]
        c, cy, ccrop = cached[i]
        if cy != y or ccrop != crop:
            raise AssertionError(f"window {i}: target or crop_inds differ")
        err = np.abs(c.astype(np.float64) / cached.scale - x)
        bound = np.abs(x) * (2.0 ** -11 + 2.0 ** -23) + 2.0 ** -25 / cached.scale
        worst = max(worst, float((err / bound).max()))
        max_err = max(max_err, float(err.max()))
    pd.testing.assert_frame_equal(cached.get_metadata(), source.get_metadata())
    if worst > 1:
        raise AssertionError(f"a cached window exceeds the float16 bound ({worst:.3f} x)")
    return worst, max_err


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small corpus (< 5 min here)")
    parser.add_argument("--recordings", type=int, default=None)
    parser.add_argument("--minutes", type=float, default=None, help="per recording")
    parser.add_argument("--windows", type=int, default=None,
                        help="windows timed per setting (whole epochs; default 4000, quick 1500)")
    parser.add_argument("--workdir", default=None, help="where to write (default: a temp dir)")
    args = parser.parse_args()
    n_rec = args.recordings or (8 if args.quick else 16)
    minutes = args.minutes or (30.0 if args.quick else 60.0)
    epochs = args.windows or (1500 if args.quick else 4000)
    mne.set_log_level("ERROR")
    warnings.filterwarnings("ignore", message=".*quota is", category=UserWarning)
    torch.set_num_threads(1)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_datapath_"))
    print(f"# bench_datapath ({'quick' if args.quick else 'full'}): {n_rec} recordings x "
          f"{minutes:g} min, 19 ch, {SFREQ:g} Hz, windows {WINDOW:g} s / {STRIDE:g} s, "
          f"batch {BATCH}")
    print(f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
          f"load average {os.getloadavg()[0]:.2f}; torch {torch.__version__}, numpy "
          f"{np.__version__}, mne {mne.__version__}")
    t0 = time.perf_counter()
    try:
        paths, errors = generate(work / "edf", n_rec, minutes)
        print(f"generated in {time.perf_counter() - t0:.1f} s")

        print("\n## 1. Precision against float32 (generated EEG, volts; all recordings)")
        for name in ("float16", "int16"):
            e = {k: max(err[name][k] for err in errors) for k in errors[0][name]}
            label = ("float16, x * 2**20 (the cache)" if name == "float16"
                     else "int16, per-channel scale (not used)")
            print(f"{label:<36} max |err| {e['max_abs'] * 1e6:.4f} uV (samples below 5 uV: "
                  f"{e['max_abs_small'] * 1e6:.4f} uV), rms {e['rms'] * 1e6:.4f} uV, max relative "
                  f"{e['max_rel']:.2e} (samples of 1 uV or more)")
        peak = max(err["peak"] for err in errors) * 1e6
        rms = statistics.mean(err["rms"] for err in errors) * 1e6
        print(f"(signals: peak {peak:.0f} uV, rms {rms:.1f} uV; float16 bound: relative "
              f"2**-11 = {2.0 ** -11:.2e})")

        print("\n## 2. Build")
        t = time.perf_counter()
        for p in paths:
            mne.io.read_raw_edf(p, preload=True, verbose="error").get_data()
        t_read = time.perf_counter() - t
        source = lazy_windows(paths)
        builds = {}
        for jobs in (1, 2):
            shutil.rmtree(work / f"cache{jobs}", ignore_errors=True)
            t = time.perf_counter()
            cached = build_cache(source, work / f"cache{jobs}", n_jobs=jobs, progress=False)
            builds[jobs] = time.perf_counter() - t
        edf_bytes = sum(p.stat().st_size for p in paths)
        cache_bytes = folder_bytes(work / "cache1")
        print(f"read every EDF once (MNE, preload)   {t_read:6.2f} s")
        for jobs, t in builds.items():
            print(f"build_cache, n_jobs={jobs}               {t:6.2f} s  ({t / t_read:.2f}x the "
                  "read)")
        print(f"size: EDF {edf_bytes / 2**20:.1f} MiB, cache {cache_bytes / 2**20:.1f} MiB "
              f"({cache_bytes / edf_bytes:.2f}x; EDF is 16-bit too)")

        print("\n## 3. Correctness")
        t = time.perf_counter()
        worst, max_err = check_equal(source, cached)
        print(f"{len(source):,} windows checked in {time.perf_counter() - t:.1f} s: largest error "
              f"{max_err * 1e6:.5f} uV = {worst:.3f} x the float16 bound; targets, crop_inds "
              "and metadata identical")

        print("\n## 4. Throughput: balanced epoch, batch 64, windows/s")
        n_epoch = len(BalancedSeizureSampler(source, random_state=0))
        print("reader                                | lazy EDF | cache (float16) | + to float32 "
              "in main | cache / lazy")
        rates = {}
        for workers in (0, 1, 2):
            lazy = throughput(worker_loader(source, workers), epochs)
            fast = throughput(worker_loader(cached, workers), epochs)
            conv = throughput(worker_loader(cached, workers), epochs,
                              convert=lambda b: to_device(b, "cpu", cached))
            rates[f"workers={workers}"] = (lazy, fast)
            what = "main process" if workers == 0 else (
                f"{workers} worker process{'es' if workers > 1 else ''}")
            print(f"BalancedDataLoader, {what:<18}| {lazy:8.0f} | {fast:15.0f} | {conv:20.0f} "
                  f"| {fast / lazy:.1f}x")
        for threads in (1, 2):
            fast = throughput(thread_loader(cached, threads), epochs)
            conv = throughput(thread_loader(cached, threads), epochs,
                              convert=lambda b: to_device(b, "cpu", cached))
            rates[f"threads={threads}"] = (None, fast)
            what = f"CachedLoader, {threads} thread{'s' if threads > 1 else ''}, no worker"
            print(f"{what:<38}|        - | {fast:15.0f} | {conv:20.0f} |")
        lazy_one = rates["workers=1"][0]
        cache_one = rates["threads=1"][1]
        print(f"(epoch of {n_epoch} windows; whole epochs, at least {epochs} windows timed after "
              f"a warm-up epoch; files in the page cache; load average now {os.getloadavg()[0]:.2f})")
        print(f"per worker, one reader each: lazy EDF in 1 worker process {lazy_one:.0f}/s, "
              f"cache in 1 CachedLoader thread {cache_one:.0f}/s; cache in 1 worker process "
              f"{rates['workers=1'][1]:.0f}/s ({rates['workers=1'][1] / lazy_one:.1f}x: the "
              "shared-memory transfer of each batch dominates)")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"total {time.perf_counter() - t0:.0f} s")
    print(f"cache / lazy EDF: {cache_one / lazy_one:.1f}x")


if __name__ == "__main__":
    main()
