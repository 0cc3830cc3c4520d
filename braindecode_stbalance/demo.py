"""Demo: categorise and balance the windows of a synthetic seizure corpus written as real EDF files.

Run ``python -m braindecode_stbalance.demo`` (or ``stbalance demo``).
"""

# License: BSD (3-clause)

from __future__ import annotations

import argparse
import tempfile

import numpy as np
from braindecode.preprocessing import create_fixed_length_windows, preprocess

from .categories import CATEGORIES, category_counts
from .preprocessing import SeizureRatio
from .samplers import BalancedSeizureSampler
from .synthetic import make_synthetic_corpus

__all__ = ["main", "ratio_histogram"]


def ratio_histogram(ratios, bins=10, width=40):
    """Text histogram of seizure ratios in [0, 1].

    Parameters
    ----------
    ratios : array-like of float
        Seizure ratios.
    bins : int
        Number of equal-width bins over [0, 1].
    width : int
        Characters of the longest bar.

    Returns
    -------
    str
        One line per bin: range, count and a bar.
    """
    ratios = np.asarray(ratios, dtype=float)
    counts, edges = np.histogram(ratios, bins=bins, range=(0.0, 1.0))
    top = max(int(counts.max()), 1)
    lines = []
    for c, lo, hi in zip(counts, edges[:-1], edges[1:]):
        bar = "#" * round(width * c / top)
        lines.append(f"  [{lo:4.2f}, {hi:4.2f}{']' if hi == 1 else ')'} {c:7d} {bar}")
    return "\n".join(lines)


def main(argv=None):
    """Write a synthetic corpus, window it 60 s / 15 s, annotate and summarise it.

    Parameters
    ----------
    argv : list of str | None
        Command-line arguments (``--recordings``, ``--minutes``, ``--sfreq``,
        ``--seed``, ``--out``); ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        Exit status (0).
    """
    parser = argparse.ArgumentParser(
        prog="stbalance demo",
        description="Categorise the windows of a synthetic seizure corpus (real EDF files).",
    )
    parser.add_argument("--recordings", type=int, default=24, help="number of recordings (default 24)")
    parser.add_argument("--minutes", type=float, default=30.0, help="minutes per recording (default 30)")
    parser.add_argument("--sfreq", type=float, default=64.0, help="sampling rate in Hz (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the corpus (default 0)")
    parser.add_argument("--out", default=None, help="directory for the EDF files (default: a temporary one)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or tmp
        corpus = make_synthetic_corpus(
            root, n_recordings=args.recordings, duration=args.minutes * 60, sfreq=args.sfreq,
            n_channels=2, seizures_per_recording=(0, 3), seizure_duration=(20.0, 180.0),
            seed=args.seed,
        )
        print(f"Wrote {len(corpus.datasets)} EDF recordings of {args.minutes:g} min "
              f"at {args.sfreq:g} Hz with seizure annotations to {root}")
        win, stride = int(60 * args.sfreq), int(15 * args.sfreq)
        windows = create_fixed_length_windows(
            corpus, window_size_samples=win, window_stride_samples=stride,
            on_last_window="overlap")
        preprocess(windows, [SeizureRatio(target="binary")])
        print(f"Windowed with braindecode: 60 s windows, 15 s stride -> {len(windows)} windows\n")
        counts = category_counts(windows)
        print("Windows per category:")
        print(counts.to_string(float_format=lambda x: f"{x:.3f}"))
        ratios = windows.get_metadata()["seizure_ratio"].to_numpy()
        partial = ratios[(ratios > 0) & (ratios < 1)]
        print(f"\nSeizure ratio histogram of the {partial.size} partial-seizure windows:")
        print(ratio_histogram(partial))
        sampler = BalancedSeizureSampler(windows, random_state=args.seed)
        quotas = sampler.quotas
        print(f"\nOne SeizureTransformer-balanced epoch (BalancedSeizureSampler, seed {args.seed}): "
              f"{len(sampler)} of {len(windows)} windows = "
              + " + ".join(f"{quotas[c]} {c}" for c in CATEGORIES))
        first = sampler.draw(0)
        print(f"Epoch 0 starts with windows {first[:8].tolist()} ...; epoch 1 draws "
              f"{len(np.setdiff1d(sampler.draw(1), first))} windows epoch 0 did not.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
