"""The ``stbalance`` command: scan a corpus into a manifest, check and summarise it, run the demo.

Examples
--------
::

    stbalance scan /data/tusz --format tusz --split train --window 60 --stride 15 \\
        --out train.parquet --jobs 2
    stbalance check train.parquet /data/tusz
    stbalance summary train.parquet --plot train.pdf
    stbalance score ref_bids/ hyp_bids/ --out results.json
    stbalance cache build /data/tusz --format tusz --split train --sfreq 256 --out cache/
    stbalance demo
"""

# License: BSD (3-clause)

from __future__ import annotations

import argparse
import math
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
  sampler = BalancedSeizureSampler.from_manifest(manifest)
"""

_EXAMPLES_SUMMARY = """\
examples:
  stbalance summary tusz_train.parquet
  stbalance summary tusz_train.parquet --plot tusz_train.pdf
  stbalance summary tusz_train.parquet --plot tusz_train.png --dpi 200
"""

_EXAMPLES_CHECK = """\
examples:
  stbalance check tusz_train.parquet /data/tusz/v2.0.3
  stbalance check chbmit.parquet /data/chbmit_bids --strict

Exit status: 0 if the manifest describes the corpus; 1 if not (every difference
is listed on stdout) or if the manifest or a recording cannot be read (the
error on stderr); 2 on a usage error.
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
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _threshold(text):
    value = _positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"expected a ratio in (0, 1], got {text!r}")
    return value


def _figure_path(text):
    import os

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    supported = FigureCanvasAgg(Figure()).get_supported_filetypes()
    ext = os.path.splitext(text)[1].lower().lstrip(".")
    if ext not in supported:
        raise argparse.ArgumentTypeError(
            f"cannot tell the figure format of {text!r}: use one of the extensions "
            f"{', '.join('.' + e for e in sorted(supported))}")
    return text


def _label_list(text):
    from .labels import SeizureLabels

    labels = [x.strip() for x in text.split(",") if x.strip()]
    try:
        SeizureLabels(labels)
    except (TypeError, ValueError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return labels


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
            on_last_window=...); each gets its seizure_ratio (fraction of its
            samples inside a seizure annotation) and seizure_category (no_seizure,
            partial_seizure, full_seizure). Prints a summary table at the end. Symbolic
            links in the tree are followed."""),
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
    scan.add_argument("--on-last-window", choices=["overlap", "drop"], default="overlap",
                      help="braindecode's last-window policy: add a last window ending at the "
                           "recording's end (overlap, default) or not (drop)")
    scan.add_argument("--full-threshold", type=_threshold, default=1.0, metavar="RATIO",
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
    scan.add_argument("--labels", type=_label_list, default=None, metavar="LABEL[,LABEL...]",
                      help="comma-separated seizure descriptions (case-insensitive); "
                           "default: TUSZ seizure labels and SzCORE sz* event types")
    scan.add_argument("--sfreq", type=_positive_float, default=None, metavar="HZ",
                      help="categorise as if every recording were resampled to this rate "
                           "first (as raw.resample / braindecode's resample step)")
    scan.add_argument("--quiet", action="store_true",
                      help="no progress bar and no summary table")
    scan.set_defaults(usage_error=scan.error)

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
    summary.add_argument("--plot", metavar="FILE", default=None, type=_figure_path,
                         help="write a figure to this file, in the format of its extension "
                              "(.png, .pdf, .svg, ...)")
    summary.add_argument("--dpi", type=_positive_float, default=110.0,
                         help="resolution of a raster figure (default: 110)")

    check = sub.add_parser(
        "check",
        help="list what changed between a manifest and its corpus folder",
        description=textwrap.dedent("""\
            Re-scan a corpus folder with the settings a manifest was made with and list
            every difference (recordings added, removed or reordered; a changed length,
            sampling rate or seizure annotation; other windows). Reads EDF headers and
            annotation files only."""),
        epilog=_EXAMPLES_CHECK,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("manifest", metavar="MANIFEST", help="manifest file (Parquet)")
    check.add_argument("root", metavar="ROOT", help="the corpus folder it describes")
    check.add_argument("--strict", action="store_true",
                       help="also compare file sizes and modification times")
    check.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                       help="worker processes (default: 1)")

    from .evaluation._cli import add_score_parser

    add_score_parser(sub)

    from .cache._cli import add_cache_parser

    add_cache_parser(sub)

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
    if args.command == "scan" and args.format == "bids" and args.split:
        args.usage_error("--split applies to --format tusz only (BIDS trees have no splits).")
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not in the main thread
        previous = None
    try:
        return {"scan": _scan, "summary": _summary, "check": _check, "score": _score,
                "cache": _cache}[args.command](args)
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
    from ._atomic import check_writable
    from .scan import scan_corpus

    check_writable(args.out, "manifest file")  # before the scan, not after it
    split = args.split
    if split is not None and len(split) == 1:
        split = split[0]
    manifest = scan_corpus(
        args.root, format=args.format, window=args.window, stride=args.stride, split=split,
        full_threshold=args.full_threshold, labels=args.labels, annotations=args.annotations,
        sfreq=args.sfreq, on_last_window=args.on_last_window, n_jobs=args.jobs,
        on_error=args.on_error, progress=not args.quiet, log=_log,
    )
    manifest.save(args.out)
    if not args.quiet:
        print(manifest.summary_table())
        print(f"manifest written to {args.out}")
    return 0


def _summary(args):
    from .manifest import SeizureManifest

    if args.plot:
        from ._atomic import check_writable

        check_writable(args.plot, "figure")
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
        from .plots import plot_manifest

        plot_manifest(manifest, args.plot, dpi=args.dpi)
        print(f"figure written to {args.plot}")
    return 0


def _check(args):
    from .manifest import SeizureManifest
    from .scan import scan_corpus

    manifest = SeizureManifest.load(args.manifest)
    prov, st = manifest.provenance, manifest.settings
    if prov.get("made_by") != "stbalance scan":
        print(f"stbalance check: {args.manifest} was not made by `stbalance scan`; check it "
              "against its corpus in Python: manifest.diff(windows).", file=sys.stderr)
        return 2
    current = scan_corpus(
        args.root, format=prov["format"], window=st["window_size"], stride=st["window_stride"],
        split=prov.get("split"), full_threshold=st["full_threshold"], labels=st["labels"],
        annotations=prov.get("annotations") if prov["format"] == "tusz" else "csv_bi",
        sfreq=prov.get("resample"), on_last_window=st.get("on_last_window") or "overlap",
        n_jobs=args.jobs, on_error="skip" if prov.get("skipped") else "raise",
        progress=False, log=_log)
    found = manifest.diff(current, strict=args.strict)
    for d in found:
        print(d.message)
    if found:
        print(f"{args.manifest}: {len(found)} difference(s) with {args.root}.")
        return 1
    print(f"{args.manifest} describes {args.root} ({len(manifest.recordings):,} recordings, "
          f"{len(manifest):,} windows).")
    return 0


def _score(args):
    from .evaluation._cli import run_score

    return run_score(args)


def _cache(args):
    from .cache._cli import run_cache

    return run_cache(args)


def _demo(argv):
    try:
        from . import demo
    except ImportError as err:
        print(f"stbalance demo: not available in this installation ({err}).", file=sys.stderr)
        return 1
    return int(demo.main(argv) or 0)


if __name__ == "__main__":
    sys.exit(main())
