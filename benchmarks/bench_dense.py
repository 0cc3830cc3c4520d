"""Benchmark of DenseTargets: the cost of a window's seizure mask against reading the window.

A corpus of EDF files at SeizureTransformer's size (19 channels, 256 Hz,
60 s windows at a 15 s stride) is read back lazily with MNE (as a real corpus
is) and, separately, preloaded in memory (the fastest possible window read,
hence the worst case for the ratio). For the same windows in the same random
order, interleaved over several rounds, it times

- ``windows[j]``: braindecode reading the window (the baseline);
- ``dense.mask(j)``: the mask alone (no signal read);
- ``dense[j]``: what a DataLoader gets, ``(X, mask, inds)``;

and prints the median cost per window and the ratio mask / read (goal: <= 5 %).

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_dense.py
"""

# License: BSD (3-clause)

import argparse
import statistics
import tempfile
import time
import warnings

import numpy as np
from braindecode.preprocessing import create_fixed_length_windows

from braindecode_stbalance import DenseTargets
from braindecode_stbalance.synthetic import make_synthetic_corpus


def per_window(fn, order):
    t0 = time.perf_counter()
    for j in order:
        fn(j)
    return (time.perf_counter() - t0) / len(order)


def bench(windows, label, n_windows, rounds, decimation):
    t0 = time.perf_counter()
    dense = DenseTargets(windows, decimation=decimation)
    t_build = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    order = rng.choice(len(windows), size=min(n_windows, len(windows)), replace=False).tolist()
    read, mask, item = [], [], []
    for _ in range(rounds):  # interleaved, so that a load spike hits all three alike
        read.append(per_window(windows.__getitem__, order))
        mask.append(per_window(dense.mask, order))
        item.append(per_window(dense.__getitem__, order))
    read, mask, item = (statistics.median(x) for x in (read, mask, item))
    print(f"\n## {label}: {len(windows):,} windows, {len(order):,} timed x {rounds} rounds, "
          f"decimation={decimation}")
    print(f"DenseTargets construction (annotations -> intervals, once): {t_build * 1e3:.1f} ms")
    print(f"window read  windows[j]      : {read * 1e6:9.1f} us / window")
    print(f"mask alone   dense.mask(j)   : {mask * 1e6:9.1f} us / window")
    print(f"item         dense[j]        : {item * 1e6:9.1f} us / window")
    print(f"mask / read = {mask / read:.2%} (goal <= 5 %); "
          f"(item - read) / read = {(item - read) / read:+.2%}")
    return mask / read


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recordings", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--windows", type=int, default=400, help="windows timed per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sfreq = 256.0
    root = tempfile.mkdtemp()
    corpus = make_synthetic_corpus(root, n_recordings=args.recordings,
                                   duration=args.minutes * 60, sfreq=sfreq, n_channels=19,
                                   seizures_per_recording=(1, 3), seed=0)
    kwargs = {"window_size_samples": int(60 * sfreq), "window_stride_samples": int(15 * sfreq),
              "on_last_window": "overlap"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lazy = create_fixed_length_windows(corpus, preload=False, **kwargs)
        loaded = create_fixed_length_windows(corpus, preload=True, **kwargs)
    print(f"Corpus: {args.recordings} EDF recordings x {args.minutes:g} min, 19 channels, "
          f"{sfreq:g} Hz; 60 s windows, 15 s stride")
    for windows, label in ((lazy, "EDF read lazily (preload=False)"),
                           (loaded, "preloaded in memory (preload=True)")):
        for decimation in (1, 256):
            bench(windows, label, args.windows, args.rounds, decimation)


if __name__ == "__main__":
    main()
