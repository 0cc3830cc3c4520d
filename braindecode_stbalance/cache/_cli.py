"""The ``stbalance cache`` sub-command: build, check and describe a window cache.

``stbalance cache build`` starts from what a user has, a TUSZ or SzCORE/BIDS
folder, and runs for every recording (in ``--jobs`` worker processes, one
recording at a time, so memory stays bounded) exactly the braindecode
pipeline that :func:`recording_pipeline` spells out: the corpus reader
(:class:`~braindecode_stbalance.datasets.TUSZ`'s or
:class:`~braindecode_stbalance.datasets.SzCOREBIDS`'s, reading EDF with MNE),
``preprocess`` with ``resample`` then ``filter``,
``create_fixed_length_windows`` and
:func:`~braindecode_stbalance.annotate_seizure_ratio`; then it writes the cache
as :func:`~braindecode_stbalance.cache.build_cache` does.
"""

# License: BSD (3-clause)

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import warnings

__all__ = ["EDFSource", "add_cache_parser", "recording_pipeline", "run_cache"]

_EXAMPLES = """\
examples:
  stbalance cache build /data/tusz/v2.0.3 --format tusz --split train \\
      --window 60 --stride 15 --sfreq 256 --out /scratch/tusz_train_cache --jobs 8
  stbalance cache build /data/chbmit_bids --format bids --sfreq 256 --l-freq 0.5 \\
      --h-freq 70 --out /scratch/chbmit_cache --on-error skip
  stbalance cache check /scratch/tusz_train_cache
  stbalance cache check /scratch/tusz_train_cache --root /data/tusz/v2.0.3 --strict
  stbalance cache info /scratch/tusz_train_cache

Train from it in Python:

  cached = load_cache("/scratch/tusz_train_cache")
  sampler = BalancedSeizureSampler(cached, random_state=0)

exit status: 0 done (check: up to date), 1 data error or stale/damaged cache
(the message names the file), 2 usage error.
"""


def recording_pipeline(settings):
    """The braindecode preprocessing steps ``stbalance cache build`` applies, in order.

    Parameters
    ----------
    settings : dict
        ``sfreq`` (resample to it, or None), ``l_freq`` and ``h_freq``
        (band-pass with ``raw.filter``, None for no edge).

    Returns
    -------
    list of braindecode.preprocessing.Preprocessor
        ``Preprocessor("resample", sfreq=...)`` then
        ``Preprocessor("filter", l_freq=..., h_freq=...)``, each only if set.
    """
    from braindecode.preprocessing import Preprocessor

    steps = []
    with warnings.catch_warnings():  # "apply_on_array can only be True if fn is a callable"
        warnings.simplefilter("ignore", UserWarning)
        if settings.get("sfreq") is not None:
            steps.append(Preprocessor("resample", sfreq=settings["sfreq"]))
        if settings.get("l_freq") is not None or settings.get("h_freq") is not None:
            steps.append(Preprocessor("filter", l_freq=settings.get("l_freq"),
                                      h_freq=settings.get("h_freq")))
    return steps


class EDFSource:
    """One recording of a corpus folder, read and preprocessed when loaded (a build task).

    Parameters
    ----------
    row : dict
        Its listing row (:func:`~braindecode_stbalance.datasets.find_tusz_recordings`
        or :func:`~braindecode_stbalance.datasets.find_szcore_recordings`).
    settings : dict
        ``format``, ``annotations``, ``picks``, ``labels``, ``full_threshold``,
        ``target``, ``window``, ``stride``, ``on_last_window`` and the
        :func:`recording_pipeline` settings.
    """

    def __init__(self, row, settings):
        self.row, self.settings = dict(row), dict(settings)
        self.name = self.path = os.fspath(row["path"])

    def load(self):
        """The recording, read, preprocessed, windowed and annotated.

        Returns
        -------
        braindecode.datasets.EEGWindowsDataset
            The windowed recording.
        """
        import mne

        with mne.use_log_level("error"):
            return self._load()

    def _load(self):
        from braindecode.datasets import BaseConcatDataset
        from braindecode.preprocessing import create_fixed_length_windows, preprocess

        from ..labels import SeizureLabels
        from ..preprocessing import annotate_seizure_ratio
        from ..scan import _to_samples

        s = self.settings
        labels = SeizureLabels(s["labels"])
        if s["format"] == "tusz":
            from ..datasets.tusz import _load_recording

            picks = None if s["picks"] == "all" else s["picks"]
            ds, _, msgs, _ = _load_recording(self.row, s["annotations"], picks, False, "raise",
                                             labels)
        else:
            import mne_bids

            from ..datasets.bids import _load_szcore

            bids_path = mne_bids.get_bids_path_from_fname(self.path, verbose=False)
            ds, _, msgs, _ = _load_szcore(bids_path, None, "raise", False, "raise", labels)
        for message, category in msgs:
            warnings.warn(message, category, stacklevel=2)
        corpus = BaseConcatDataset([ds])
        steps = recording_pipeline(s)
        if steps:
            preprocess(corpus, steps)
        sfreq = corpus.datasets[0].raw.info["sfreq"]
        size = _to_samples(s["window"], sfreq, "window", self.path)
        stride = _to_samples(s["stride"], sfreq, "stride", self.path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            windows = create_fixed_length_windows(
                corpus, window_size_samples=size, window_stride_samples=stride,
                on_last_window=s["on_last_window"])
        annotate_seizure_ratio(windows, labels=s["labels"], full_threshold=s["full_threshold"],
                               target=s["target"])
        return windows.datasets[0]


def add_cache_parser(subparsers):
    """Add the ``cache`` sub-command (``build``, ``check``, ``info``) to ``stbalance``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``cache`` parser.
    """
    from ..cli import _label_list, _positive_float, _positive_int, _threshold

    raw_fmt = argparse.RawDescriptionHelpFormatter
    cache = subparsers.add_parser(
        "cache", help="build, check or describe a window cache (fast random windows)",
        description=textwrap.dedent("""\
            A window cache holds a corpus's preprocessed signals once, as memory-mapped
            float16, with the window table, targets and a fingerprint; training reads
            random windows from it at memory speed. 'build' writes one from a TUSZ or
            SzCORE/BIDS folder, 'check' tells whether it still describes its source,
            'info' describes it."""), epilog=_EXAMPLES, formatter_class=raw_fmt)
    sub = cache.add_subparsers(dest="cache_command", metavar="<action>")
    build = sub.add_parser(
        "build", help="write a window cache from a corpus folder", epilog=_EXAMPLES,
        formatter_class=raw_fmt, description=textwrap.dedent("""\
            For every recording: read the EDF with MNE and its annotations (as the TUSZ /
            SzCOREBIDS readers do), resample (--sfreq), band-pass (--l-freq/--h-freq),
            window with braindecode's create_fixed_length_windows, annotate
            seizure_ratio/seizure_category and the target, and store the signal as
            float16 (volts x 2**20, relative error <= 2**-11). Written atomically: an
            interrupted build leaves any previous cache at --out untouched."""))
    build.add_argument("root", metavar="ROOT", help="corpus root (TUSZ folder or BIDS root)")
    build.add_argument("--format", required=True, choices=["tusz", "bids"])
    build.add_argument("--split", action="append", choices=["train", "dev", "eval"],
                       help="TUSZ split; repeat for several (default: all)")
    build.add_argument("--window", type=_positive_float, default=60.0, metavar="SECONDS",
                       help="window length in seconds (default: 60)")
    build.add_argument("--stride", type=_positive_float, default=None, metavar="SECONDS",
                       help="stride between window starts (default: the window length)")
    build.add_argument("--on-last-window", choices=["overlap", "drop"], default="overlap")
    build.add_argument("--sfreq", type=_positive_float, default=None, metavar="HZ",
                       help="resample every recording to this rate (default: keep)")
    build.add_argument("--l-freq", type=_positive_float, default=None, metavar="HZ",
                       help="high-pass edge of a band-pass filter (raw.filter)")
    build.add_argument("--h-freq", type=_positive_float, default=None, metavar="HZ",
                       help="low-pass edge of a band-pass filter (raw.filter)")
    build.add_argument("--picks", choices=["szcore19", "all"], default="szcore19",
                       help="TUSZ channels: the 19 SzCORE electrodes (default) or all")
    build.add_argument("--annotations", choices=["csv_bi", "csv"], default="csv_bi",
                       help="TUSZ annotation file (default: csv_bi)")
    build.add_argument("--labels", type=_label_list, default=None,
                       metavar="LABEL[,LABEL...]", help="seizure descriptions (default: "
                       "TUSZ seizure labels and SzCORE sz* event types)")
    build.add_argument("--full-threshold", type=_threshold, default=1.0, metavar="RATIO")
    build.add_argument("--target", choices=["binary", "category", "ratio", "none"],
                       default="binary", help="training target of the windows (default: "
                       "binary, 1 for a window with any seizure sample)")
    build.add_argument("--dtype", choices=["float16", "float32"], default="float16")
    build.add_argument("--out", required=True, metavar="FOLDER",
                       help="the cache folder (new, empty, or a cache to replace)")
    build.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                       help="worker processes (default: 1)")
    build.add_argument("--on-error", choices=["raise", "skip"], default="raise",
                       help="unreadable recording: stop naming it (default) or leave it out")
    build.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    check = sub.add_parser(
        "check", help="tell whether a cache still describes its source", epilog=_EXAMPLES,
        formatter_class=raw_fmt, description=textwrap.dedent("""\
            Verify the cache's index and checksums; then compare each recording's source
            file (size and modification time) with the build's, or, with --root, re-scan
            the corpus folder with the build's settings (EDF headers and annotation files
            only) and compare recordings, lengths, rates, seizure annotations and
            windows."""))
    check.add_argument("cache", metavar="CACHE", help="the cache folder")
    check.add_argument("--root", default=None, help="re-scan this corpus folder (caches made "
                       "by 'stbalance cache build'; its recorded root if omitted)")
    check.add_argument("--strict", action="store_true",
                       help="with --root, also compare file sizes and modification times")
    check.add_argument("--full", action="store_true",
                       help="also re-hash every stored signal (reads the whole cache)")
    info = sub.add_parser("info", help="describe a window cache", formatter_class=raw_fmt,
                          description="Print a cache's recordings, windows per category, "
                                      "storage and how it was made.")
    info.add_argument("cache", metavar="CACHE", help="the cache folder")
    return cache


def run_cache(args):
    """Run ``stbalance cache <action>`` on parsed arguments.

    Parameters
    ----------
    args : argparse.Namespace
        As parsed by the parser of :func:`add_cache_parser`
        (``cache_command`` is ``"build"``, ``"check"``, ``"info"`` or None).

    Returns
    -------
    int
        Exit status: 0 on success; 1 on a data error or a stale or damaged
        cache (``check``: the differences on stdout, other errors on stderr
        naming the file); 2 on a usage error (no action, ``--split`` with
        ``--format bids``, ``check`` of a cache not made by the command
        against a corpus folder).
    """
    action = getattr(args, "cache_command", None)
    if action is None:
        print("stbalance cache: choose an action: build, check or info "
              "('stbalance cache --help').", file=sys.stderr)
        return 2
    return {"build": _build, "check": _check, "info": _info}[action](args)


def _build(args):
    from ..datasets import find_szcore_recordings, find_tusz_recordings
    from .build import build_from_sources

    if args.format == "bids" and args.split:
        print("stbalance cache build: --split applies to --format tusz only.", file=sys.stderr)
        return 2
    settings = {"format": args.format, "root": os.path.abspath(args.root),
                "split": args.split, "window": args.window,
                "stride": args.stride or args.window, "on_last_window": args.on_last_window,
                "sfreq": args.sfreq, "l_freq": args.l_freq, "h_freq": args.h_freq,
                "picks": args.picks if args.format == "tusz" else None,
                "annotations": args.annotations if args.format == "tusz" else "events.tsv",
                "labels": args.labels, "full_threshold": args.full_threshold,
                "target": None if args.target == "none" else args.target}
    if args.format == "tusz":
        listing = find_tusz_recordings(args.root, args.split)
    else:
        listing = find_szcore_recordings(args.root)
    sources = [EDFSource(row, settings) for row in listing.to_dict("records")]
    cached = build_from_sources(
        sources, args.out, labels=args.labels, full_threshold=args.full_threshold,
        dtype=args.dtype, n_jobs=args.jobs, on_error=args.on_error, progress=not args.quiet,
        provenance={"made_by": "stbalance cache build", **settings},
        log=lambda msg: print(f"warning: {msg}", file=sys.stderr))
    if not args.quiet:
        _print_info(cached.path)
    return 0


def _check(args):
    from ..scan import scan_corpus
    from ._open import load_cache

    cached = load_cache(args.cache, check_sources=False)
    prov = cached.provenance
    if args.full:
        cached.verify()
    if args.root is None and not args.strict:
        found = cached.diff()
    elif prov.get("made_by") != "stbalance cache build":
        print(f"stbalance cache check: {args.cache} was not made by 'stbalance cache build'; "
              "compare it with its corpus in Python: cached.diff(windows).", file=sys.stderr)
        return 2
    else:
        root = args.root or prov["root"]
        current = scan_corpus(
            root, format=prov["format"], window=prov["window"], stride=prov["stride"],
            split=prov.get("split"), full_threshold=prov["full_threshold"],
            labels=prov["labels"], annotations=prov["annotations"] if prov["format"] == "tusz"
            else "csv_bi", sfreq=prov.get("sfreq"), on_last_window=prov["on_last_window"],
            on_error="skip", progress=False, log=lambda m: None)
        found = cached.diff(current, strict=args.strict)
    for d in found:
        print(d.message)
    if found:
        print(f"{args.cache}: {len(found)} difference(s) with its source.")
        return 1
    print(f"{args.cache} is up to date ({len(cached.datasets):,} recordings, "
          f"{len(cached):,} windows).")
    return 0


def _print_info(folder):
    from ..manifest import SeizureManifest
    from ._index import MANIFEST, read_index

    doc = read_index(folder)
    manifest = SeizureManifest.load(os.path.join(doc["data_dir"], MANIFEST))
    stored = sum(r["bytes"] for r in doc["recordings"])
    sources = manifest.recordings["file_size"].to_numpy()
    print(manifest.summary_table())
    prov = doc.get("provenance", {})
    print(f"{'stored signals':<15}  {doc['dtype']} x {doc['scale']:g}, {stored / 2**20:,.1f} MiB"
          + (f" (source files: {sources[sources > 0].sum() / 2**20:,.1f} MiB)"
             if (sources > 0).any() else ""))
    print(f"{'made by':<15}  {prov.get('made_by', '?')}"
          + (f" from {prov['root']}" if prov.get("root") else ""))
    if doc.get("skipped"):
        print(f"{'skipped':<15}  {len(doc['skipped'])} recording(s); first: "
              f"{doc['skipped'][0]['reason']}")
    print(f"cache: {doc['folder']}")


def _info(args):
    _print_info(args.cache)
    return 0
