"""Benchmark of BalancedSeizureSampler.

1. Epoch draw on a large categorisation (default 3.3 million windows, 100,000
   partial-seizure windows) against torch's WeightedRandomSampler with weights
   giving the same expected mix, measured in the same run; and the draw of the
   quotas without replacement with numpy's ``Generator.choice(replace=False)``
   (what the sampler uses) against the rejection draw with reused scratch
   buffers that earlier versions used (kept here only as the reference).
2. DataLoader iteration over one epoch with the balanced sampler against a
   RandomSampler over the same number of windows, same in-memory braindecode
   corpus, num_workers 0 and 2.
3. The per-epoch staleness check (re-reading every recording's category
   column) on a corpus with as many recordings as TUSZ train (4,664).

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_sampler.py
"""

# License: BSD (3-clause)

import argparse
import statistics
import time
import warnings

import mne
import numpy as np
import torch
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.preprocessing import create_fixed_length_windows
from torch.utils.data import DataLoader, RandomSampler, WeightedRandomSampler

from braindecode_stbalance import (
    CATEGORIES,
    BalancedSeizureSampler,
    annotate_seizure_ratio,
)


def timed(fn, repeat):
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def bench_draw(n_windows, n_partial, n_full, repeat):
    n_no = n_windows - n_partial - n_full
    rng = np.random.default_rng(0)
    codes = np.repeat(np.array([0, 1, 2], dtype=np.int8), [n_no, n_partial, n_full])
    rng.shuffle(codes)
    print(f"\n## Epoch draw: {n_windows:,} windows ({n_partial:,} partial, {n_full:,} full, "
          f"{n_no:,} no seizure)")

    t0 = time.perf_counter()
    sampler = BalancedSeizureSampler.from_categories(codes, random_state=0)
    t_build = time.perf_counter() - t0
    quotas = sampler.quotas
    total = len(sampler)
    print(f"quotas per epoch: {quotas} (total {total:,})")
    print(f"construction (categorisation -> per-category index arrays, once): {t_build * 1e3:.1f} ms")

    epochs = iter(range(10**6))
    t_draw = timed(lambda: sampler.draw(next(epochs)), repeat)
    t_iter = timed(lambda: list(iter(sampler)), repeat)

    # WeightedRandomSampler with the same expected mix: weight of a window of
    # category c = quota_c / n_c, num_samples = the same total
    counts = np.bincount(codes, minlength=3)
    per_cat = np.array([quotas[c] for c in CATEGORIES], dtype=np.float64) / counts
    t0 = time.perf_counter()
    weights = torch.from_numpy(per_cat[codes])
    wrs = WeightedRandomSampler(weights, num_samples=total, replacement=True,
                                generator=torch.Generator().manual_seed(0))
    t_wrs_build = time.perf_counter() - t0
    t_wrs = timed(lambda: list(iter(wrs)), repeat)
    drawn = np.fromiter(iter(wrs), dtype=np.int64, count=total)
    wrs_counts = np.bincount(codes[drawn], minlength=3)
    wrs_unique = np.unique(drawn).size

    med = statistics.median
    print(f"BalancedSeizureSampler.draw(epoch)       median {med(t_draw) * 1e3:7.1f} ms "
          f"(min {min(t_draw) * 1e3:.1f}) over {repeat} epochs")
    print(f"BalancedSeizureSampler list(iter())      median {med(t_iter) * 1e3:7.1f} ms")
    print(f"WeightedRandomSampler list(iter())       median {med(t_wrs) * 1e3:7.1f} ms "
          f"(+ {t_wrs_build * 1e3:.1f} ms to build the weights)")
    print(f"ratio list(iter()) balanced / weighted:  {med(t_iter) / med(t_wrs):.2f}")
    print("WeightedRandomSampler category counts in one epoch (quota -> got): "
          + ", ".join(f"{c} {quotas[c]} -> {int(n)}" for c, n in zip(CATEGORIES, wrs_counts))
          + f"; {total - wrs_unique:,} repeated windows")
    # the quota draws alone: numpy vs the former custom rejection draw, same sizes
    n_no_pool, n_full_pool = counts[0], counts[2]
    q_no, q_full = quotas["no_seizure"], quotas["full_seizure"]
    scratch = {n: np.zeros(n, dtype=bool) for n in (n_no_pool, n_full_pool)}
    gen = np.random.default_rng(1)

    def with_numpy():
        gen.choice(n_no_pool, q_no, replace=False, shuffle=False)
        gen.choice(n_full_pool, q_full, replace=False, shuffle=False)

    def with_rejection():
        _rejection_draw(n_no_pool, q_no, gen, scratch[n_no_pool])
        _rejection_draw(n_full_pool, q_full, gen, scratch[n_full_pool])

    t_np, t_rej = [], []
    for _ in range(repeat):  # interleaved
        t_np += timed(with_numpy, 1)
        t_rej += timed(with_rejection, 1)
    print(f"quota draws without replacement ({q_no:,} of {n_no_pool:,} and {q_full:,} of "
          f"{n_full_pool:,}): Generator.choice median {med(t_np) * 1e3:.2f} ms, former "
          f"rejection draw {med(t_rej) * 1e3:.2f} ms (ratio {med(t_rej) / med(t_np):.2f})")
    return {"draw_ms": med(t_draw) * 1e3, "iter_ms": med(t_iter) * 1e3, "wrs_ms": med(t_wrs) * 1e3}


def _rejection_draw(n, k, rng, scratch):
    """The sampler's former draw (reference only): marks i.i.d. draws until k distinct."""
    complement = 2 * k > n
    m = n - k if complement else k
    marked = 0
    while marked < m:
        scratch[rng.integers(0, n, m - marked)] = True
        marked = int(np.count_nonzero(scratch))
    out = np.flatnonzero(~scratch if complement else scratch)
    scratch[:] = False
    return out


def bench_staleness(n_recordings, repeat):
    """Cost of the per-epoch category re-read on a corpus of many recordings."""
    rng = np.random.default_rng(0)
    datasets = []
    for i in range(n_recordings):
        raw = mne.io.RawArray(np.zeros((1, 8 * 700)), mne.create_info(1, 8.0, "eeg"),
                              verbose="error")
        if i % 5 == 0:
            raw.set_annotations(mne.Annotations([rng.uniform(0, 600)], [60.0], ["seiz"]))
        datasets.append(RawDataset(raw, description={"subject": i}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = create_fixed_length_windows(BaseConcatDataset(datasets),
                                              window_size_samples=480,
                                              window_stride_samples=120,
                                              on_last_window="overlap")
    annotate_seizure_ratio(windows)
    sampler = BalancedSeizureSampler(windows, random_state=0)
    t = timed(sampler.check_categories, repeat)
    t_draw = timed(lambda: sampler.draw(0), repeat)
    print(f"\n## Staleness check: {n_recordings:,} recordings, {len(windows):,} windows: "
          f"check_categories median {statistics.median(t) * 1e3:.1f} ms per epoch "
          f"(the epoch draw itself: {statistics.median(t_draw) * 1e3:.1f} ms)")


def synthetic_corpus(n_recordings, duration, sfreq, n_channels, seizures, seed=0):
    rng = np.random.default_rng(seed)
    datasets = []
    for i in range(n_recordings):
        n = int(duration * sfreq)
        data = rng.standard_normal((n_channels, n)).astype(np.float64) * 1e-5
        info = mne.create_info([f"EEG {c:03d}" for c in range(n_channels)], sfreq, "eeg")
        raw = mne.io.RawArray(data, info, verbose="error")
        onsets = np.sort(rng.uniform(0, duration - 120, seizures))
        durations = rng.uniform(20, 90, seizures)
        raw.set_annotations(mne.Annotations(onsets, durations, ["seiz"] * seizures))
        datasets.append(RawDataset(raw, description={"subject": i}))
    return BaseConcatDataset(datasets)


def bench_loader(args):
    sfreq = args.sfreq
    corpus = synthetic_corpus(args.n_recordings, args.duration, sfreq, args.n_channels,
                              args.seizures)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = create_fixed_length_windows(
            corpus, window_size_samples=int(args.window * sfreq),
            window_stride_samples=int(args.stride * sfreq), on_last_window="drop", preload=True,
        )
    annotate_seizure_ratio(windows, target="binary")
    sampler = BalancedSeizureSampler(windows, random_state=0)
    n = len(sampler)
    print(f"\n## DataLoader epoch: {len(windows):,} windows of {args.n_channels} ch x "
          f"{int(args.window * sfreq)} samples; epoch of {n:,} windows ({sampler.quotas}), "
          f"batch_size {args.batch_size}")
    own = timed(lambda: list(iter(sampler)), args.repeat)
    print(f"the sampler's own work per epoch (draw + shuffle + list): median "
          f"{statistics.median(own) * 1e3:.2f} ms")
    results = {}
    for workers in (0, 2):
        common = {"batch_size": args.batch_size, "num_workers": workers}
        balanced = DataLoader(windows, sampler=sampler, **common)
        shuffled = DataLoader(windows, sampler=RandomSampler(
            windows, num_samples=n, generator=torch.Generator().manual_seed(0)), **common)

        def run(loader):
            count = 0
            for x, y, _ in loader:
                count += len(x)
            assert count == n

        # the same kind of indices, drawn beforehand: isolates the sampler's
        # own per-epoch cost from the access pattern of a balanced epoch
        fixed = DataLoader(windows, sampler=sampler.draw(10**6).tolist(), **common)

        run(balanced)  # warm up (page in, worker start-up code paths)
        run(shuffled)
        run(fixed)
        t_bal, t_rand, t_fixed = [], [], []
        for _ in range(args.repeat):  # interleave to share machine noise
            for loader, out in ((balanced, t_bal), (shuffled, t_rand), (fixed, t_fixed)):
                t0 = time.perf_counter()
                run(loader)
                out.append(time.perf_counter() - t0)
        mb, mr, mf = (statistics.median(t) for t in (t_bal, t_rand, t_fixed))
        bb, br, bf = (min(t) for t in (t_bal, t_rand, t_fixed))
        overhead = (bb - br) / br * 100
        print(f"num_workers={workers}: seconds per epoch, best (median) of {args.repeat}: "
              f"balanced {bb:.3f} ({mb:.3f}), RandomSampler {br:.3f} ({mr:.3f}), "
              f"precomputed balanced indices {bf:.3f} ({mf:.3f}); overhead vs RandomSampler "
              f"{overhead:+.1f}% ({(mb - mr) / mr * 100:+.1f}% on medians), vs precomputed "
              f"{(bb - bf) / bf * 100:+.1f}% ({(mb - mf) / mf * 100:+.1f}%)")
        results[workers] = overhead
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-windows", type=int, default=3_300_000)
    parser.add_argument("--n-partial", type=int, default=100_000)
    parser.add_argument("--n-full", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--n-recordings", type=int, default=20)
    parser.add_argument("--duration", type=float, default=3600.0)
    parser.add_argument("--sfreq", type=float, default=128.0)
    parser.add_argument("--n-channels", type=int, default=4)
    parser.add_argument("--seizures", type=int, default=6)
    parser.add_argument("--window", type=float, default=4.0)
    parser.add_argument("--stride", type=float, default=0.5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--skip-loader", action="store_true")
    parser.add_argument("--stale-recordings", type=int, default=4664)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, numpy {np.__version__}, "
          f"{torch.get_num_threads()} torch threads")
    bench_draw(args.n_windows, args.n_partial, args.n_full, args.repeat)
    bench_staleness(args.stale_recordings, min(args.repeat, 7))
    if not args.skip_loader:
        bench_loader(args)


if __name__ == "__main__":
    main()
