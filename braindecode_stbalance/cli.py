"""The ``stbalance`` command: scan a corpus into a manifest, summarise it, run the demo.

Examples
--------
::

    stbalance scan /data/tusz --format tusz --split train --window 60 --stride 15 \\
        --out train.parquet --jobs 2
    stbalance summary train.parquet --plot train.png
    stbalance demo
"""

# License: BSD (3-clause)

from __future__ import annotations

import argparse
import signal
import sys
import textwrap

__all__ = ["main"]

_EXAMPLES_SCAN = """\
examples:
  stbalance scan /data/tusz/v2.0.3 --format tusz --split train \\
      --window 60 --stride 15 --out tusz_train.parquet --jobs 2
  stbalance scan /data/chbmit_bids --format bids --window 60 --stride 15 \\
      --out chbmit.parquet --on-error skip

The manifest is written atomically: an interrupted scan leaves any previous
file at --out untouched. Train from it in Python:

  manifest = SeizureManifest.load("tusz_train.parquet")
  sampler = BalancedSeizureSampler(manifest)
"""

_EXAMPLES_SUMMARY = """\
examples:
  stbalance summary tusz_train.parquet
  stbalance summary tusz_train.parquet --plot tusz_train.png
"""


class _Terminated(Exception):
    """Raised by the SIGTERM handler so that cleanup code runs."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised in a subprocess test
    raise _Terminated()


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="stbalance",
        description=(
            "Seizure-ratio categorisation of EEG corpora for SeizureTransformer-style "
            "balanced training with braindecode."
        ),
        epilog="Run 'stbalance <command> --help' for the options of a command.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")

    scan = sub.add_parser(
        "scan",
        help="categorise every window of a corpus directory into a manifest file",
        description=textwrap.dedent("""\
            Categorise every window of a corpus directory and save the result as a
            manifest (Parquet). Only EDF headers and annotation files are read, never
            EEG samples. Windows are exactly those of braindecode's
            create_fixed_length_windows(window_size_samples, window_stride_samples,
            drop_last_window=False); each gets its seizure_ratio (fraction of its
            samples inside a seizure annotation) and seizure_category (no_seizure,
            partial_seizure, full_seizure). Prints a summary table at the end."""),
        epilog=_EXAMPLES_SCAN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("root", metavar="ROOT",
                      help="corpus root: the TUSZ folder holding edf/, or a BIDS dataset root")
    scan.add_argument("--format", required=True, choices=["tusz", "bids"],
                      help="corpus layout: TUSZ v2 (EDF + .csv_bi/.csv) or SzCORE/BIDS "
                           "(EDF + _events.tsv)")
    scan.add_argument("--split", action="append", choices=["train", "dev", "eval"],
                      help="TUSZ split to scan; repeat for several (default: all)")
    scan.add_argument("--window", type=_positive_float, default=60.0, metavar="SECONDS",
                      help="window length in seconds (default: 60); must be a whole number "
                           "of samples")
    scan.add_argument("--stride", type=_positive_float, default=None, metavar="SECONDS",
                      help="stride between window starts in seconds (default: the window "
                           "length, i.e. no overlap)")
    scan.add_argument("--full-threshold", type=float, default=1.0, metavar="RATIO",
                      help="seizure ratio from which a window is full_seizure, in (0, 1] "
                           "(default: 1.0, every sample)")
    scan.add_argument("--out", required=True, metavar="FILE",
                      help="manifest file to write (Parquet, e.g. manifest.parquet)")
    scan.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                      help="worker processes (default: 1); output is the same for any N")
    scan.add_argument("--on-error", choices=["raise", "skip"], default="raise",
                      help="unreadable recording: stop with an error naming the file and "
                           "line (raise, default) or leave it out and list it (skip)")
    scan.add_argument("--annotations", choices=["csv_bi", "csv"], default="csv_bi",
                      help="TUSZ annotation file: term-based .csv_bi (default) or the "
                           "per-channel .csv (union of seizure channels)")
    scan.add_argument("--labels", default=None, metavar="LABEL[,LABEL...]",
                      help="comma-separated seizure descriptions (case-insensitive); "
                           "default: TUSZ seizure labels and SzCORE sz* event types")
    scan.add_argument("--sfreq", type=_positive_float, default=None, metavar="HZ",
                      help="categorise as if every recording were resampled to this rate "
                           "first (as raw.resample / braindecode's resample step)")
    scan.add_argument("--quiet", action="store_true",
                      help="no progress bar and no summary table")

    summary = sub.add_parser(
        "summary",
        help="print the summary table of a manifest, optionally plot it",
        description=textwrap.dedent("""\
            Print the summary table of a manifest: recordings, hours, seizure events
            and seconds, windows per category and the size of one balanced epoch
            (P + min(floor(0.3 P), F) + min(floor(2.5 P), N) with P partial, F full and
            N no-seizure windows, as BalancedSeizureSampler draws it). With
            --plot, also draw windows per category, the seizure-ratio histogram of
            the partial windows and the seizure burden per recording."""),
        epilog=_EXAMPLES_SUMMARY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    summary.add_argument("manifest", metavar="MANIFEST", help="manifest file (Parquet)")
    summary.add_argument("--plot", metavar="PNG", default=None,
                         help="write a figure to this file (PNG, matplotlib)")

    sub.add_parser(
        "demo",
        help="categorise a small synthetic corpus of real EDF files (no data needed)",
        description="Run the built-in demo; 'stbalance demo --help' lists its options.",
        add_help=False,
    )
    return parser


def main(argv=None):
    """Entry point of the ``stbalance`` command.

    Parameters
    ----------
    argv : list of str | None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        Exit status: 0 on success, 1 on a data error (the message names the
        file and line), 2 on a usage error, 130/143 when interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "demo":
        return _demo(argv[1:])
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not in the main thread
        previous = None
    try:
        if args.command == "scan":
            return _scan(args)
        return _summary(args)
    except KeyboardInterrupt:
        print(f"stbalance {args.command}: interrupted; nothing was written.", file=sys.stderr)
        return 130
    except _Terminated:
        print(f"stbalance {args.command}: terminated; nothing was written.", file=sys.stderr)
        return 143
    except (ValueError, OSError) as err:
        print(f"stbalance {args.command}: error: {err}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _log(message):
    print(f"warning: {message}", file=sys.stderr)


def _scan(args):
    from .scan import scan_corpus

    labels = None
    if args.labels is not None:
        labels = [x.strip() for x in args.labels.split(",") if x.strip()]
    split = args.split
    if split is not None and len(split) == 1:
        split = split[0]
    manifest = scan_corpus(
        args.root, format=args.format, window=args.window, stride=args.stride, split=split,
        full_threshold=args.full_threshold, labels=labels, annotations=args.annotations,
        sfreq=args.sfreq, n_jobs=args.jobs, on_error=args.on_error,
        progress=not args.quiet, log=_log,
    )
    manifest.save(args.out)
    if not args.quiet:
        print(manifest.summary_table())
        print(f"manifest written to {args.out}")
    return 0


def _summary(args):
    from .manifest import SeizureManifest

    manifest = SeizureManifest.load(args.manifest)
    print(manifest.summary_table())
    prov = manifest.provenance
    if prov.get("made_by"):
        src = f" from {prov['root']}" if prov.get("root") else ""
        print(f"made by {prov['made_by']}{src}")
    if prov.get("skipped"):
        print(f"{len(prov['skipped'])} recording(s) were skipped when scanning; first: "
              f"{prov['skipped'][0]['reason']}")
    if args.plot:
        plot_manifest(manifest, args.plot)
        print(f"figure written to {args.plot}")
    return 0


def plot_manifest(manifest, path):
    """Draw windows per category, partial-window ratios and seizure burden per recording.

    Parameters
    ----------
    manifest : SeizureManifest
        The manifest to draw.
    path : str | pathlib.Path
        Output image (PNG); written atomically.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    from .categories import CATEGORIES
    from .manifest import _atomic_write

    s = manifest.summary()
    rec = manifest.recordings
    windows = manifest.windows
    colors = {"no_seizure": "#4C72B0", "partial_seizure": "#DD8452", "full_seizure": "#C44E52"}
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), layout="constrained")

    ax = axes[0]
    counts = [s[c] for c in CATEGORIES]
    total = max(sum(counts), 1)
    bars = ax.bar(range(3), counts, color=[colors[c] for c in CATEGORIES])
    ax.set_yscale("log")
    ax.set_xticks(range(3), [c.replace("_", "\n") for c in CATEGORIES])
    for b, n in zip(bars, counts):
        ax.annotate(f"{n:,}\n({100 * n / total:.1f} %)", (b.get_x() + b.get_width() / 2, max(n, 1)),
                    ha="center", va="bottom", fontsize=9, xytext=(0, 2),
                    textcoords="offset points")
    ax.set_ylim(0.8, max(max(counts), 1) * 8)
    ax.set_ylabel("windows (log scale)")
    st = s["settings"]
    win = st.get("window_size")
    stride = st.get("window_stride")
    ax.set_title(f"Windows per category ({win:g} s / {stride:g} s stride)"
                 if win and stride else "Windows per category")

    ax = axes[1]
    is_partial = windows["seizure_category"] == "partial_seizure"
    partial = windows.loc[is_partial, "seizure_ratio"].to_numpy()
    ax.hist(partial, bins=np.linspace(0, 1, 21), color=colors["partial_seizure"],
            edgecolor="white")
    ax.set_xlim(0, 1)
    ax.set_xlabel("seizure_ratio of the window")
    ax.set_ylabel("partial_seizure windows")
    ax.set_title(f"Seizure ratio of the {len(partial):,} partial windows "
                 f"(0 < ratio < {st.get('full_threshold', 1.0):g})")

    ax = axes[2]
    dur = rec["duration"].to_numpy()
    burden = np.where(dur > 0, rec["seizure_seconds"].to_numpy() / np.where(dur > 0, dur, 1), 0)
    with_sz = np.sort(burden[burden > 0])[::-1] * 100
    if with_sz.size:
        ax.bar(np.arange(1, with_sz.size + 1), with_sz, width=1.0,
               color=colors["full_seizure"], edgecolor="none")
        ax.set_xlim(0.5, with_sz.size + 0.5)
    else:
        ax.text(0.5, 0.5, "no seizure in any recording", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_xlabel("recordings with seizures, ranked by burden")
    ax.set_ylabel("seizure time (% of the recording)")
    ax.set_ylim(0, min(100.0, float(with_sz.max()) * 1.15) if with_sz.size else 100.0)
    ax.set_title(f"Seizure burden: {with_sz.size:,} of {len(rec):,} recordings have seizures")

    fig.suptitle(
        f"{s['n_recordings']:,} recordings, {s['hours']:,.1f} h, "
        f"{s['n_seizure_events']:,} seizure events ({s['seizure_seconds'] / 3600:,.2f} h); "
        f"balanced epoch = {s['balanced_epoch']:,} windows"
    )
    _atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)
    return fig


def _demo(argv):
    try:
        from . import demo
    except ImportError as err:
        print(f"stbalance demo: not available in this installation ({err}).", file=sys.stderr)
        return 1
    return int(demo.main(argv) or 0)


if __name__ == "__main__":
    sys.exit(main())
