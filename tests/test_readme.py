"""README.md is executable truth: every Python block runs, in order, in one namespace.

The ``stbalance`` lines of the bash blocks run too (through ``cli.main``), so the manifest
the Python blocks load exists. ``/data/...`` paths are replaced by generated trees (real
EDF, ``.csv_bi``/``.csv`` and BIDS files); nothing else is changed, so a user pasting the
README from top to bottom runs exactly this.
"""

# License: BSD (3-clause)

import re
import shlex
import warnings
from pathlib import Path

import matplotlib
import pytest

from braindecode_stbalance._testing import make_szcore_tree, make_tusz_tree
from braindecode_stbalance.cli import main

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_blocks():
    """(language, code) of every fenced block of README.md, in order."""
    return [(m.group(1), m.group(2)) for m in _BLOCK.finditer((ROOT / "README.md").read_text())]


def _stbalance_commands(bash):
    """The ``stbalance ...`` commands of a bash block (continuations joined, comments cut)."""
    text = bash.replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("stbalance "):
            yield shlex.split(line)[1:]


@pytest.mark.slow
def test_every_readme_block_runs(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    make_tusz_tree(tmp_path / "tusz", n_recordings=6, durations=(120, 180), sfreq=64.0,
                   splits=("train", "dev"), seizure_fraction=0.8, seed=3)
    make_szcore_tree(tmp_path / "bids", n_subjects=2, runs_per_subject=1, durations=(60, 90),
                     seed=1)
    paths = {"/data/BIDS_CHB-MIT": str(tmp_path / "bids"), "/data/tusz": str(tmp_path / "tusz")}
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    blocks = readme_blocks()
    assert sum(lang == "python" for lang, _ in blocks) >= 4
    for lang, code in blocks:
        for old, new in paths.items():
            code = code.replace(old, new)
        if lang == "bash":
            for args in _stbalance_commands(code):
                assert main(args) == 0, args
        elif lang == "python":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    # what the README promises along the way
    assert len(namespace["clf"].history) == 2
    assert (tmp_path / "tusz_train.parquet").exists() and (tmp_path / "tusz_train.pdf").exists()
    assert len(namespace["sampler"]) == sum(namespace["sampler"].quotas.values())
