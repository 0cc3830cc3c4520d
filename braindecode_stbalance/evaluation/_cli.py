"""The ``stbalance score`` sub-command (wired into :mod:`braindecode_stbalance.cli`)."""

# License: BSD (3-clause)

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

__all__ = ["add_score_parser", "run_score"]

_EXAMPLES = """\
examples:
  stbalance score /data/chbmit_bids predictions/
  stbalance score /data/chbmit_bids predictions/ --out results.json

Both trees hold sub-*/[ses-*/]eeg/*_events.tsv files (SzCORE / HED-SCORE).
A prediction tree is written from masks in Python with
braindecode_stbalance.evaluation.write_prediction_tree.

exit status: 0 scored, 1 data error (missing or empty tree, malformed file,
--out not writable), 2 usage error.
"""


def add_score_parser(subparsers):
    """Add the ``score`` sub-command to the ``stbalance`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``score`` parser (arguments ``ref_dir``, ``hyp_dir``, ``out``).
    """
    parser = subparsers.add_parser(
        "score",
        help="SzCORE scores of predicted events.tsv files against the reference",
        description=textwrap.dedent("""\
            Score a tree of predicted SzCORE events.tsv files against the reference
            tree as the SzCORE challenge does (szcore-evaluation): each recording is
            scored with timescoring at 1 Hz (event scoring: 30 s / 60 s tolerance,
            events > 300 s split, events < 90 s apart merged; sample scoring: one
            sample per second); counts are summed per sub-* folder, scores averaged
            over subjects ignoring NaN (the ranked numbers), and also summed over all
            recordings. A missing prediction file is scored as background and listed."""),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("ref_dir", metavar="REF_DIR",
                        help="reference tree (the BIDS root or an annotation-only copy)")
    parser.add_argument("hyp_dir", metavar="HYP_DIR",
                        help="prediction tree, same relative paths as the reference")
    parser.add_argument("--out", metavar="FILE", default=None,
                        help="also write all results as JSON (atomically; NaN as null)")
    return parser


def _check_out(out):
    """Error message for an unusable --out, or None (checked before scoring)."""
    path = Path(out)
    folder = path.parent
    if path.is_dir():
        return f"--out {out!r} is a directory; give a file name such as results.json."
    if not folder.is_dir():
        return f"--out: folder {os.fspath(folder)!r} does not exist."
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"--out: folder {os.fspath(folder)!r} is not writable."
    if path.exists() and not os.access(path, os.W_OK):
        return f"--out: file {out!r} exists and is not writable."
    return None


def run_score(args):
    """Run ``stbalance score`` on parsed arguments.

    Parameters
    ----------
    args : argparse.Namespace
        With ``ref_dir``, ``hyp_dir`` and ``out`` (see
        :func:`add_score_parser`).

    Returns
    -------
    int
        Exit status: 0 on success, 1 on a data error (missing or empty tree,
        malformed events file, unusable ``--out``); the message, on stderr,
        names the folder or file.
    """
    from .._atomic import atomic_write_text
    from .scoring import score_tsv_trees

    def fail(message):
        print(f"stbalance score: error: {message}", file=sys.stderr)
        return 1

    if args.out is not None:
        problem = _check_out(args.out)
        if problem is not None:
            return fail(problem)
    try:
        result = score_tsv_trees(args.ref_dir, args.hyp_dir)
    except (ValueError, OSError) as err:
        return fail(err)
    for what, names in (("missing", result.missing),
                        ("unmatched (no reference, ignored)", result.unmatched)):
        if names:
            print(f"warning: {len(names)} hypothesis file(s) {what}; first: {names[0]}",
                  file=sys.stderr)
    for name, reason in list(result.replaced.items())[:1]:
        print(f"warning: {len(result.replaced)} hypothesis file(s) scored as background "
              f"({reason}); first: {name}", file=sys.stderr)
    print(result.format_table())
    if result.missing:
        print(f"{len(result.missing)} of {result.n_recordings} hypothesis file(s) missing, "
              "scored as background.")
    if args.out is not None:
        text = json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"
        try:
            atomic_write_text(args.out, text)
        except OSError as err:
            return fail(f"cannot write --out {args.out!r}: {err}")
        print(f"results written to {args.out}")
    return 0
