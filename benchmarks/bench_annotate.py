"""Benchmark: annotating a TUSZ-train-shaped corpus (issue: foundation).

Corpus: 4,664 recordings, 911 h in total, 2,421 seizures in 872 recordings (TUSZ v2 train
statistics); 1 EEG channel + 1 per-sample label channel at a low sampling rate so that it fits
in memory; windowed 60 s / 15 s with braindecode (206,806 windows).

Prints, from the same run: the annotation wall time through the public API
(``annotate_seizure_ratio``), the same ratios without metadata writes (``compute_seizure_ratio``),
the time of one ``concat_ds.get_metadata()`` (measured first, on the
window metadata as braindecode built it), the same categorisation kept outside the datasets
(``SeizureManifest.from_dataset``, no metadata writes), the naive alternative
(reading every window's label through the dataset: ``targets_from="channels"``, one
``__getitem__`` per window, as label-array scanners do) and the ratio kernel alone.

Usage: python benchmarks/bench_annotate.py [--sfreq 8] [--quick]
"""

import argparse
import time
import warnings

import mne
import numpy as np
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.preprocessing import create_fixed_length_windows

from braindecode_stbalance import (
    SeizureManifest,
    annotate_seizure_ratio,
    compute_seizure_ratio,
)
from braindecode_stbalance.ratio import count_in_windows, seizure_sample_intervals


def make_corpus(n_rec, hours, n_seizures, n_seizure_recs, sfreq, seed=0):
    rng = np.random.default_rng(seed)
    durations = rng.lognormal(0, 0.8, n_rec)
    durations = np.maximum(np.round(durations / durations.sum() * hours * 3600), 120.0)
    sz_recs = rng.choice(n_rec, n_seizure_recs, replace=False)
    per_rec = np.ones(n_seizure_recs, dtype=int)
    extra = rng.choice(n_seizure_recs, n_seizures - n_seizure_recs, replace=True)
    np.add.at(per_rec, extra, 1)
    seizures = {int(r): k for r, k in zip(sz_recs, per_rec)}
    info = mne.create_info(["EEG", "label"], sfreq, ["eeg", "misc"])
    datasets, n_sz = [], 0
    for i, dur in enumerate(durations):
        n = int(dur * sfreq)
        data = np.zeros((2, n))
        onsets, durs = [], []
        for _ in range(seizures.get(i, 0)):
            d = float(min(rng.lognormal(np.log(60), 0.7), dur / 2))
            o = float(rng.uniform(0, dur - d))
            onsets.append(o)
            durs.append(d)
            t = np.arange(n) / sfreq
            data[1, (t >= o) & (t < o + d)] = 1.0
        raw = mne.io.RawArray(data, info, verbose="error")
        raw.set_annotations(mne.Annotations(onsets, durs, ["seiz"] * len(onsets)))
        n_sz += len(onsets)
        datasets.append(RawDataset(raw, description={"subject": i, "session": 0}))
    return BaseConcatDataset(datasets), durations.sum() / 3600, n_sz


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sfreq", type=float, default=8.0)
    parser.add_argument("--quick", action="store_true", help="1/10 of the corpus")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    t0 = time.perf_counter()
    corpus, hours, n_sz = make_corpus(4664 // scale, 910 / scale, 2421 // scale, 872 // scale, args.sfreq)
    print(f"corpus: {len(corpus.datasets)} recordings, {hours:.0f} h, {n_sz} seizures, "
          f"sfreq {args.sfreq:g} Hz (built in {time.perf_counter() - t0:.1f} s)")
    win, stride = int(60 * args.sfreq), int(15 * args.sfreq)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = create_fixed_length_windows(
            corpus, window_size_samples=win, window_stride_samples=stride,
            on_last_window="overlap", targets_from="channels", last_target_only=False)
    n_win = len(windows)
    print(f"windows: {n_win} (60 s / 15 s)")

    # get_metadata first, on the frames exactly as braindecode built them
    t0 = time.perf_counter()
    windows.get_metadata()
    t_meta = time.perf_counter() - t0

    t0 = time.perf_counter()
    annotate_seizure_ratio(windows, progress=False)
    t_annotate = time.perf_counter() - t0
    md = windows.get_metadata()

    # the same ratios, computed without writing them into the datasets
    t0 = time.perf_counter()
    ratios = compute_seizure_ratio(windows)
    t_compute = time.perf_counter() - t0
    assert np.array_equal(ratios, md["seizure_ratio"].to_numpy())

    # the categorisation kept in a manifest (fingerprints included)
    t0 = time.perf_counter()
    manifest = SeizureManifest.from_dataset(windows, progress=False)
    t_manifest = time.perf_counter() - t0
    assert np.array_equal(manifest.windows["seizure_ratio"].to_numpy(), md["seizure_ratio"].to_numpy())

    # naive: read every window's label array through the dataset
    t0 = time.perf_counter()
    naive = np.empty(n_win)
    for i in range(n_win):
        _, y, _ = windows[i]
        naive[i] = np.count_nonzero(y) / y.size
    t_naive = time.perf_counter() - t0
    assert np.array_equal(naive, md["seizure_ratio"].to_numpy()), "ratios differ from the label scan"

    # the kernel alone: all windows of the corpus on one global sample axis
    starts, stops, ws, we = [], [], [], []
    offset = 0
    for ds in windows.datasets:
        a = ds.raw.annotations
        s, e = seizure_sample_intervals(a.onset, a.duration, args.sfreq, 0, ds.raw.n_times)
        starts.append(s + offset)
        stops.append(e + offset)
        ws.append(ds.crop_inds[:, 1] + offset)
        we.append(ds.crop_inds[:, 2] + offset)
        offset += ds.raw.n_times
    starts, stops, ws, we = map(np.concatenate, (starts, stops, ws, we))
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        counts = count_in_windows(starts, stops, ws, we)
        times.append(time.perf_counter() - t0)
    t_kernel, t_kernel_median = min(times), float(np.median(times))
    assert np.array_equal(counts / (we - ws), naive)

    print(f"annotate_seizure_ratio:        {t_annotate * 1e3:9.1f} ms")
    print(f"concat_ds.get_metadata():      {t_meta * 1e3:9.1f} ms   "
          f"annotation / get_metadata = {t_annotate / t_meta:.2f}x (goal <= 1.0x)")
    print(f"naive per-window label scan:   {t_naive * 1e3:9.1f} ms   "
          f"naive / annotation = {t_naive / t_annotate:.0f}x faster (goal >= 100x)")
    print(f"compute_seizure_ratio:         {t_compute * 1e3:9.1f} ms   "
          f"naive / compute = {t_naive / t_compute:.0f}x faster (same ratios, no metadata writes)")
    print(f"SeizureManifest.from_dataset:  {t_manifest * 1e3:9.1f} ms   "
          f"naive / manifest = {t_naive / t_manifest:.0f}x faster (no metadata writes)")
    print(f"ratio kernel alone:            {t_kernel * 1e3:9.2f} ms   "
          f"= {n_win / t_kernel / 1e6:.1f} million windows/s (goal >= 20; best of 30, "
          f"median {n_win / t_kernel_median / 1e6:.1f})")


if __name__ == "__main__":
    main()
